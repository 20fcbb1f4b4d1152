/**
 * The simulator's trace: what the roles reported (core TraceEvents) plus what the driver saw
 * happen (deliveries, crashes, restarts), each stamped with its virtual time, and a stable hash
 * over all of it.
 *
 * The hash is FNV-1a 64 computed on 32-bit words (strings by UTF-16 code unit, numbers by their
 * IEEE-754 bits), in two 32-bit halves so it needs no BigInt. The same scenario and seed give the
 * same sequence of events and therefore the same hash; any change in timing, ordering or values
 * changes it.
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

export class TraceHash {
  private hi = FNV_OFFSET_HI;
  private lo = FNV_OFFSET_LO;
  private readonly f64 = new Float64Array(1);
  private readonly u32 = new Uint32Array(this.f64.buffer);

  /** Mixes one 32-bit word. */
  word(w: number): void {
    const lo = (this.lo ^ w) >>> 0;
    const t = lo * FNV_PRIME_LO;
    const carry = Math.floor(t / 4294967296);
    this.hi = (this.hi * FNV_PRIME_LO + carry + ((lo << 8) >>> 0)) >>> 0;
    this.lo = t >>> 0;
  }

  number(n: number): void {
    if (Number.isInteger(n) && n >= 0 && n < 4294967296) {
      this.word(n);
      return;
    }
    this.f64[0] = n;
    this.word(this.u32[0]!);
    this.word(this.u32[1]!);
  }

  string(s: string): void {
    this.word(s.length + 0x9e000000);
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
  }

  value(v: unknown): void {
    if (v === null || v === undefined) this.word(0x7f7f7f7f);
    else if (typeof v === "number") this.number(v);
    else if (typeof v === "string") this.string(v);
    else if (typeof v === "boolean") this.word(v ? 0x7f7f7f71 : 0x7f7f7f70);
    else if (v instanceof Uint32Array || Array.isArray(v)) {
      this.word(v.length + 0xa5000000);
      for (const x of v as ArrayLike<unknown> & Iterable<unknown>) this.value(x);
    } else this.string(String(v));
  }

  /**
   * Mixes one event: its time, then every other field in the order the event object lists them.
   * Pass a stamped event alone, or an unstamped one with its time.
   */
  event(e: SimTraceEvent): void;
  event(e: TraceEvent | DriverEvent, atMs: number): void;
  event(e: TraceEvent | DriverEvent | SimTraceEvent, atMs?: number): void {
    this.number(atMs ?? (e as SimTraceEvent).atMs);
    const record = e as unknown as Record<string, unknown>;
    for (const key in record) if (key !== "atMs") this.value(record[key]);
  }

  digest(): string {
    return this.hi.toString(16).padStart(8, "0") + this.lo.toString(16).padStart(8, "0");
  }
}
