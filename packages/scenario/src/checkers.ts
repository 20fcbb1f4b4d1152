/**
 * Checkers: protocol properties asserted from outside the system, over the trace alone.
 *
 * They import no role internals: they read trace events (what the roles reported, what the driver
 * delivered) and a little layout data (which workers are a shard's clients, which data centers
 * mirror it). They keep their own books (how many pushes of each client a shard applied, how many
 * clocks each mirror announced) instead of trusting the counters the roles print, so a role that
 * miscounts its own clock is caught. Each checker is online: it observes events one at a time, in
 * trace order, and keeps only O(shards x clients) state, so it runs on traces of any length.
 *
 * - staleness (bsp-lockstep when s = 0, ssp-bound otherwise): a read for clock c is served at a
 *   shard only after every client's pushes of clocks <= c - s - 1 were applied there (a client
 *   whose last push was applied counts as caught up). A read a worker serves from its SSP cache
 *   (read-cached) for clock c is held to the same rule through the read that fetched its oldest
 *   copy: at that read's serving, every client had been applied through c - s - 1.
 * - mirror-clock-bound: at every read served, the shard's local clock minus the slowest mirror's
 *   announced clock is at most DS (mirrors that sent their final flush no longer count).
 * - selective-barrier (from the driver's deliveries, not the shard's report of them): no read
 *   naming a barrier row is served between the barrier's delivery and
 *   the mirror update of the same source and clock.
 * - conservation (after the final flush, from the final replicas): every data-center replica
 *   agrees, and equals the initial table plus the sum of every pushed delta.
 */
import type { DeliveryEvent, Message, NodeId } from "@gaia/core";
import type { TraceEvent } from "@gaia/core";
import type { DriverEvent, SimTraceEvent } from "./trace.js";

export interface CheckContext {
  /** Each shard's clients. */
  readonly clients: ReadonlyMap<NodeId, readonly NodeId[]>;
  /** Each shard's mirror data centers (empty without ASP). */
  readonly mirrorSources: ReadonlyMap<NodeId, readonly string[]>;
  readonly staleness: number;
  /** DS, or null when there is no ASP. */
  readonly mirrorClockBound: number | null;
}

export interface Checker {
  readonly name: string;
  observe(e: Event, atMs: number): void;
  /** null when the property held so far, else the first violation. */
  verdict(): string | null;
}

/** One shard's books: per client (by slot), the clocks applied and the last clock, if pushed. */
interface Ledger {
  readonly slotOf: ReadonlyMap<NodeId, number>;
  /** The shard's clients in context order, and the slot of each. */
  readonly clients: readonly NodeId[];
  readonly slots: Int32Array;
  readonly applied: Float64Array;
  /** The clock its last push named, or NaN before that push was applied. */
  readonly last: Float64Array;
}

/** Per shard: how many clocks each client has had applied, and who has finished. */
class ShardBooks {
  private readonly ledgers = new Map<NodeId, Ledger>();

  constructor(ctx: CheckContext) {
    for (const [shard, clients] of ctx.clients) {
      const slotOf = new Map<NodeId, number>();
      for (const w of clients) if (!slotOf.has(w)) slotOf.set(w, slotOf.size);
      this.ledgers.set(shard, {
        slotOf,
        clients,
        slots: Int32Array.from(clients, (w) => slotOf.get(w)!),
        applied: new Float64Array(slotOf.size),
        last: new Float64Array(slotOf.size).fill(NaN),
      });
    }
  }

  /** The books of a shard of the context (a shard without clients has none). */
  ledger(shard: NodeId): Ledger | undefined {
    return this.ledgers.get(shard);
  }

  observe(e: Event): void {
    if (e.type !== "push-applied") return;
    const l = this.ledgers.get(e.shard);
    if (l === undefined) return;
    const i = l.slotOf.get(e.worker);
    if (i === undefined) return;
    l.applied[i] = Math.max(l.applied[i]!, e.clock + 1);
    if (e.last) l.last[i] = e.clock;
  }

  /** Clocks every unfinished client has completed (all finished: the most any completed). */
  localClock(shard: NodeId): number {
    const l = this.ledgers.get(shard);
    if (l === undefined) return 0;
    let min = Infinity;
    let max = 0;
    for (let k = 0; k < l.slots.length; k++) {
      const i = l.slots[k]!;
      const a = l.applied[i]!;
      if (a > max) max = a;
      if (!finished(l, i) && a < min) min = a;
    }
    return min === Infinity ? max : min;
  }
}

/** Whether the client in slot `i` had its last push applied. */
const finished = (l: Ledger, i: number): boolean => l.applied[i]! >= l.last[i]! + 1;

type Event = TraceEvent | DriverEvent | DeliveryEvent;

const at = (atMs: number): string => `at ${(atMs / 1000).toFixed(3)} s`;

class StalenessChecker implements Checker {
  readonly name: string;
  private violation: string | null = null;
  /** "shard|worker|clock" of every read served -> clocks every unfinished client had applied then. */
  private readonly servedAt = new Map<string, number>();

  constructor(
    private readonly ctx: CheckContext,
    private readonly books: ShardBooks,
  ) {
    this.name = ctx.staleness === 0 ? "bsp-lockstep" : "ssp-bound";
  }

  observe(e: Event, atMs: number): void {
    if (this.violation !== null) return;
    if (e.type === "read-cached") {
      const caught = this.servedAt.get(`${e.shard}|${e.worker}|${e.readClock}`);
      const need = e.clock - this.ctx.staleness;
      if (caught === undefined) this.violation = `${at(atMs)}: ${e.worker} read ${e.shard} from its cache for clock ${e.clock}, from a read for clock ${e.readClock} that was never served`;
      else if (caught < need) this.violation = `${at(atMs)}: ${e.worker} read ${e.shard} from its cache for clock ${e.clock} with a copy served when only ${caught} clocks of every client were applied (staleness ${this.ctx.staleness} needs ${need})`;
      return;
    }
    if (e.type !== "read-served") return;
    const l = this.books.ledger(e.shard);
    if (l === undefined) return;
    const need = e.clock - this.ctx.staleness;
    let caught = Infinity;
    for (let k = 0; k < l.slots.length; k++) {
      const i = l.slots[k]!;
      const applied = l.applied[i]!;
      if (finished(l, i)) continue;
      if (applied < caught) caught = applied;
      if (applied < need) {
        this.violation = `${at(atMs)}: ${e.shard} served ${e.worker}'s read for clock ${e.clock} with only ${applied} clocks of ${l.clients[k]} applied (staleness ${this.ctx.staleness} needs ${need})`;
        return;
      }
    }
    if (this.ctx.staleness > 0) this.servedAt.set(`${e.shard}|${e.worker}|${e.clock}`, caught);
  }

  verdict(): string | null {
    return this.violation;
  }
}

/** One shard's view of its mirrors: clocks each announced, and whether it sent its final flush. */
interface MirrorBooks {
  readonly index: Map<string, number>;
  readonly completed: number[];
  readonly finished: boolean[];
}

class MirrorClockChecker implements Checker {
  readonly name = "mirror-clock-bound";
  private violation: string | null = null;
  private readonly mirrors = new Map<NodeId, MirrorBooks>();

  constructor(
    ctx: CheckContext,
    private readonly books: ShardBooks,
    private readonly bound: number,
  ) {
    for (const [shard, sources] of ctx.mirrorSources) {
      const m: MirrorBooks = { index: new Map(), completed: [], finished: [] };
      for (const s of sources) slotOf(m, s);
      this.mirrors.set(shard, m);
    }
  }

  observe(e: Event, atMs: number): void {
    if (this.violation !== null) return;
    if (e.type === "mirror-applied") {
      const m = this.mirrors.get(e.shard);
      if (m === undefined) return;
      // Mirrors that sent their final flush no longer count toward the minimum.
      if (e.clock === null) for (const s of e.sources) m.finished[slotOf(m, s)] = true;
      else for (const s of e.sources) {
        const i = slotOf(m, s);
        m.completed[i] = Math.max(m.completed[i]!, e.clock + 1);
      }
      return;
    }
    if (e.type !== "read-served") return;
    const m = this.mirrors.get(e.shard);
    if (m === undefined) return;
    let slowest = Infinity;
    for (let i = 0; i < m.completed.length; i++) if (!m.finished[i] && m.completed[i]! < slowest) slowest = m.completed[i]!;
    if (slowest === Infinity) return;
    const local = this.books.localClock(e.shard);
    if (local - slowest > this.bound) {
      this.violation = `${at(atMs)}: ${e.shard} served a read at local clock ${local} while its slowest mirror had completed ${slowest} (DS = ${this.bound})`;
    } else if (e.mirrorClockMin !== null && e.localClock - e.mirrorClockMin > this.bound) {
      this.violation = `${at(atMs)}: ${e.shard} reports local clock ${e.localClock} and mirror clock ${e.mirrorClockMin} at a read it served (DS = ${this.bound})`;
    }
  }

  verdict(): string | null {
    return this.violation;
  }
}

/** The slot of a mirror source, added (at clock 0, unfinished) the first time it is named. */
function slotOf(m: MirrorBooks, source: string): number {
  let i = m.index.get(source);
  if (i === undefined) {
    i = m.completed.length;
    m.index.set(source, i);
    m.completed.push(0);
    m.finished.push(false);
  }
  return i;
}

class BarrierChecker implements Checker {
  readonly name = "selective-barrier";
  private violation: string | null = null;
  /** shard -> open barriers. */
  private readonly open = new Map<NodeId, { source: string; clock: number; rows: ReadonlySet<number> }[]>();
  /** shard -> source -> the highest clock of its mirror updates delivered there. */
  private readonly arrived = new Map<NodeId, Map<string, number>>();

  observe(e: Event, atMs: number): void {
    if (this.violation !== null) return;
    if (e.type === "barrier-delivered") {
      // A barrier whose update was delivered first lifts nothing (the shard ignores it).
      if ((this.arrived.get(e.shard)?.get(e.source) ?? -1) >= e.clock) return;
      let list = this.open.get(e.shard);
      if (list === undefined) this.open.set(e.shard, (list = []));
      list.push({ source: e.source, clock: e.clock, rows: new Set(e.rows) });
    } else if (e.type === "mirror-delivered") {
      let arrived = this.arrived.get(e.shard);
      if (arrived === undefined) this.arrived.set(e.shard, (arrived = new Map()));
      for (const source of e.sources) arrived.set(source, Math.max(arrived.get(source) ?? -1, e.clock ?? Infinity));
      const list = this.open.get(e.shard);
      if (list !== undefined && list.length > 0) this.open.set(e.shard, list.filter((b) => !((e.clock === null || b.clock === e.clock) && e.sources.includes(b.source))));
    } else if (e.type === "read-served") {
      const list = this.open.get(e.shard);
      if (list === undefined || list.length === 0) return;
      for (const b of list) {
        if (b.rows.size === 0) continue;
        let hit: number | null = null;
        if (e.requested === null) hit = b.rows.values().next().value ?? null;
        else for (const r of e.requested) if (b.rows.has(r)) { hit = r; break; }
        if (hit !== null) {
          this.violation = `${at(atMs)}: ${e.shard} served ${e.worker} row ${hit}, blocked by the barrier of ${b.source} for clock ${b.clock}`;
          return;
        }
      }
    }
  }

  verdict(): string | null {
    return this.violation;
  }
}

/** The online checkers that apply to a run. */
export interface CheckerSet {
  /** Takes the next event of the trace (a stamped one, or an unstamped one with its time). */
  observe(e: SimTraceEvent | (DeliveryEvent & { readonly atMs: number })): void;
  observe(e: Event, atMs: number): void;
  /** Takes a message the driver delivered (the checkers keep some books from deliveries alone). */
  delivered(to: NodeId, msg: Message, rangeStart: number, atMs: number): void;
  verdicts(): Record<string, string | null>;
}

export function createCheckers(ctx: CheckContext): CheckerSet {
  const books = new ShardBooks(ctx);
  const checkers: Checker[] = [new StalenessChecker(ctx, books)];
  if (ctx.mirrorClockBound !== null) checkers.push(new MirrorClockChecker(ctx, books, ctx.mirrorClockBound), new BarrierChecker());
  return {
    observe(e: Event | SimTraceEvent | (DeliveryEvent & { readonly atMs: number }), atMs?: number) {
      // Only these event types matter to the books and checkers above; the rest (deliveries,
      // worker clocks, mirror sends, hub forwards: over half a trace) are skipped here, once.
      const type = e.type;
      if (type !== "read-served" && type !== "push-applied" && type !== "mirror-applied" && type !== "barrier-delivered" && type !== "mirror-delivered" && type !== "read-cached") return;
      const time = atMs ?? (e as { readonly atMs: number }).atMs;
      // The checkers read the books as they were before this event, then the books take it in.
      for (const c of checkers) c.observe(e, time);
      books.observe(e);
    },
    delivered(to: NodeId, msg: Message, rangeStart: number, atMs: number) {
      if (msg.kind === "barrier") this.observe({ type: "barrier-delivered", shard: to, source: msg.source, clock: msg.clock, rows: Array.from(msg.rows, (r) => rangeStart + r) }, atMs);
      else if (msg.kind === "mirror-update") this.observe({ type: "mirror-delivered", shard: to, sources: msg.sources, clock: msg.clock }, atMs);
      else if (msg.kind === "mirror-flush") this.observe({ type: "mirror-delivered", shard: to, sources: msg.sources, clock: null }, atMs);
    },
    verdicts() {
      return Object.fromEntries(checkers.map((c) => [c.name, c.verdict()]));
    },
  };
}

/** Runs the trace checkers over a recorded trace. */
export function checkTrace(trace: readonly (SimTraceEvent | (DeliveryEvent & { readonly atMs: number }))[], ctx: CheckContext): Record<string, string | null> {
  const c = createCheckers(ctx);
  for (const e of trace) c.observe(e, e.atMs);
  return c.verdicts();
}

/**
 * Conservation after the final flush: every replica (full tables, rows * cols) agrees with the
 * first, and the first equals `initial + pushed`. `magnitude` (sum of |initial| and of every
 * |delta| per element) scales the float32 rounding allowance. `initial` null: `pushed` already
 * holds initial + pushed (the simulator's books).
 */
export function checkConservation(
  replicas: readonly { readonly dataCenter: string; readonly values: Float32Array }[],
  initial: Float32Array | null,
  pushed: Float64Array,
  magnitude: ArrayLike<number>,
  relativeTolerance = 1e-4,
  /** Where the arrays start in the table (they may be one shard's range), for messages. */
  offset = 0,
): string | null {
  const first = replicas[0];
  if (first === undefined) return "no replica";
  for (let i = 0; i < pushed.length; i++) {
    const expected = (initial === null ? 0 : initial[i]!) + pushed[i]!;
    const allowance = relativeTolerance * magnitude[i]! + 1e-6;
    for (const r of replicas) {
      const v = r.values[i]!;
      if (!(Math.abs(v - expected) <= allowance)) {
        return `element ${i + offset} of ${r.dataCenter}'s replica is ${v}, expected initial + pushed = ${expected} (allowance ${allowance.toExponential(2)})`;
      }
      if (r !== first && !(Math.abs(v - first.values[i]!) <= allowance)) {
        return `replicas disagree at element ${i + offset}: ${first.dataCenter} has ${first.values[i]}, ${r.dataCenter} has ${v}`;
      }
    }
  }
  return null;
}
