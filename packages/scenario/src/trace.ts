/**
 * The simulator's trace: what the roles reported (core TraceEvents) plus what the driver saw
 * happen (deliveries, crashes, restarts), each stamped with its virtual time, and a stable hash
 * over all of it.
 *
 * The hash is FNV-1a 64 computed on 32-bit words (numbers by their value when they are 32-bit
 * unsigned integers, else by their IEEE-754 bits), in two 32-bit halves so it needs no BigInt.
 * Strings are interned: the first time a string appears it is mixed in full (its length, then
 * every UTF-16 code unit) and given the next number; later it is mixed as that number alone. The
 * stream of words still determines the sequence of events (a reader could rebuild the table), so
 * the same scenario and seed give the same hash and any change in timing, ordering, names or
 * values changes it, but a node id costs one word instead of twenty.
 */
import type { Channel, MessageKind, NodeId, TraceEvent } from "@gaia/core";

/** Events the driver adds to the roles' own. */
export type DriverEvent =
  | { readonly type: "deliver"; readonly from: NodeId; readonly to: NodeId; readonly channel: Channel; readonly kind: MessageKind; readonly clock: number | null; readonly last: boolean; readonly sizeBytes: number }
  | { readonly type: "crash"; readonly node: NodeId }
  | { readonly type: "restart"; readonly node: NodeId }
  | { readonly type: "evaluation"; readonly iteration: number; readonly objective: number };

export type SimTraceEvent = (TraceEvent | DriverEvent) & { readonly atMs: number };

const FNV_OFFSET_HI = 0xcbf29ce4;
const FNV_OFFSET_LO = 0x84222325;
const FNV_PRIME_LO = 0x1b3; // 0x100000001b3 = 2^40 + 0x1b3

/** Strings longer than this are mixed in full every time instead of interned. */
const INTERN_MAX_LENGTH = 64;
const STRING_NEW = 0x9e000000;
const STRING_SEEN = 0x9d000000;
const TWO_TO_MINUS_32 = 2 ** -32;

export class TraceHash {
  /** The state's high and low 32-bit halves, in a typed array so updates store raw integers. */
  private readonly state = Int32Array.of(FNV_OFFSET_HI | 0, FNV_OFFSET_LO | 0);
  private readonly f64 = new Float64Array(1);
  private readonly u32 = new Uint32Array(this.f64.buffer);
  private readonly interned = new Map<string, number>();

  /** Mixes one 32-bit word: state = (state ^ w) * (2^40 + 0x1b3) mod 2^64. */
  word(w: number): void {
    const state = this.state;
    const lo = (state[1]! ^ w) >>> 0;
    const t = lo * FNV_PRIME_LO; // < 2^41: exact; its bits above 32 carry into the high half
    state[0] = Math.imul(state[0]!, FNV_PRIME_LO) + ((t * TWO_TO_MINUS_32) | 0) + (lo << 8);
    state[1] = t;
  }

  number(n: number): void {
    if (n >>> 0 === n) {
      this.word(n);
      return;
    }
    this.f64[0] = n;
    this.word(this.u32[0]!);
    this.word(this.u32[1]!);
  }

  string(s: string): void {
    if (s.length <= INTERN_MAX_LENGTH) {
      const id = this.interned.get(s);
      if (id !== undefined) {
        this.word(STRING_SEEN + id);
        return;
      }
      this.interned.set(s, this.interned.size);
    }
    this.word(s.length + STRING_NEW);
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
  }

  value(v: unknown): void {
    switch (typeof v) {
      case "number":
        this.number(v);
        return;
      case "string":
        this.string(v);
        return;
      case "boolean":
        this.word(v ? 0x7f7f7f71 : 0x7f7f7f70);
        return;
      case "undefined":
        this.word(0x7f7f7f7f);
        return;
    }
    if (v === null) this.word(0x7f7f7f7f);
    else if (v instanceof Uint32Array) {
      this.word(v.length + 0xa5000000);
      for (let i = 0; i < v.length; i++) this.number(v[i]!);
    } else if (Array.isArray(v)) {
      this.word(v.length + 0xa5000000);
      for (let i = 0; i < v.length; i++) this.value(v[i]);
    } else this.string(String(v));
  }

  /**
   * Mixes one event: its time, then every other field in the order the event's creator lists
   * them (see `eventGeneric`). Pass a stamped event alone, or an unstamped one with its time.
   *
   * The known event types are mixed field by field, which reads each field with a monomorphic
   * load; walking the keys of a dozen event shapes would make every load megamorphic. The words
   * mixed are exactly those of `eventGeneric` for events built by the roles and the driver (a
   * test checks it); an unknown type goes through `eventGeneric` itself.
   */
  event(e: SimTraceEvent): void;
  event(e: TraceEvent | DriverEvent, atMs: number): void;
  event(e: TraceEvent | DriverEvent | SimTraceEvent, atMs?: number): void {
    this.number(atMs ?? (e as SimTraceEvent).atMs);
    switch (e.type) {
      case "deliver":
        this.string(e.type);
        this.string(e.from);
        this.string(e.to);
        this.string(e.channel);
        this.string(e.kind);
        this.nullableNumber(e.clock);
        this.boolean(e.last);
        this.number(e.sizeBytes);
        return;
      case "read-served":
        this.string(e.type);
        this.string(e.shard);
        this.string(e.worker);
        this.number(e.clock);
        this.number(e.localClock);
        this.nullableNumber(e.mirrorClockMin);
        this.number(e.rows);
        this.value(e.requested);
        this.number(e.waitedMs);
        this.value(e.blockedBy);
        this.number(e.barrierRowsBlocked);
        return;
      case "push-applied":
        this.string(e.type);
        this.string(e.shard);
        this.string(e.worker);
        this.number(e.clock);
        this.boolean(e.last);
        this.number(e.localClock);
        this.number(e.sum);
        return;
      case "mirror-sent":
        this.string(e.type);
        this.string(e.shard);
        this.number(e.clock);
        this.number(e.entries);
        this.boolean(e.barrier);
        this.number(e.sum);
        this.number(e.accumulated);
        this.number(e.significant);
        this.number(e.heldBack);
        this.number(e.bytes);
        this.number(e.threshold);
        this.value(e.barrierTo);
        return;
      case "mirror-applied":
        this.string(e.type);
        this.string(e.shard);
        this.value(e.sources);
        this.nullableNumber(e.clock);
        this.number(e.entries);
        this.number(e.sum);
        return;
      case "hub-forwarded":
        this.string(e.type);
        this.string(e.hub);
        this.number(e.shard);
        this.nullableNumber(e.clock);
        this.value(e.sources);
        this.number(e.entries);
        return;
      case "worker-clock":
        this.string(e.type);
        this.string(e.worker);
        this.number(e.clock);
        return;
      case "barrier-received":
        this.string(e.type);
        this.string(e.shard);
        this.string(e.source);
        this.number(e.clock);
        this.value(e.rows);
        return;
      default:
        this.fields(e);
    }
  }

  /**
   * The reference form of `event`: the time, then every own field but `atMs`, in key order.
   * Events the roles and the driver build give the same digest through either.
   */
  eventGeneric(e: TraceEvent | DriverEvent | SimTraceEvent, atMs?: number): void {
    this.number(atMs ?? (e as SimTraceEvent).atMs);
    this.fields(e);
  }

  private fields(e: TraceEvent | DriverEvent | SimTraceEvent): void {
    const record = e as unknown as Record<string, unknown>;
    for (const key in record) if (key !== "atMs") this.value(record[key]);
  }

  private boolean(b: boolean): void {
    this.word(b ? 0x7f7f7f71 : 0x7f7f7f70);
  }

  private nullableNumber(n: number | null): void {
    if (n === null) this.word(0x7f7f7f7f);
    else this.number(n);
  }

  digest(): string {
    return (this.state[0]! >>> 0).toString(16).padStart(8, "0") + (this.state[1]! >>> 0).toString(16).padStart(8, "0");
  }
}
