/**
 * The parameter-server shard role: one data center's replica of one row range.
 *
 * Inside its data center it applies workers' pushes at once and admits reads under SSP (BSP when
 * staleness is 0), where its local clock is the number of clocks every client has pushed.
 * Between data centers (ASP, when configured) it runs Gaia's three mechanisms, each in its own
 * file: the significance filter (significance.ts) at every local clock boundary, the selective
 * barrier (asp.ts) ahead of large updates, and the mirror clock (mirror-clock.ts) bounding how far
 * it may run ahead of the slowest mirror. When every client has pushed its last clock, it sends a
 * final flush of every residual accumulator, so all replicas converge to the same values.
 *
 * Inputs it takes: read and push from its clients; mirror-update, barrier and mirror-flush from
 * its mirrors or its hub. Anything else, or anything out of order, is a RemoteError: rejected,
 * counted, and the shard keeps serving.
 */
import { admissionOf, BarrierSet } from "./asp.js";
import { encodedSize } from "./codec.js";
import { invariant, RemoteError } from "./errors.js";
import type { Layout, NodeId, ShardInfo } from "./layout.js";
import { dataCenterOf } from "./layout.js";
import type { Barrier, Message, MirrorFlush, MirrorUpdate, Push, ReadRequest } from "./messages.js";
import { MirrorClock } from "./mirror-clock.js";
import { rejectRemote, type BlockReason, type Effect, type Input, type Role } from "./role.js";
import type { Schedule } from "./schedule.js";
import { SignificanceFilter, thresholdAt, type ThresholdSchedule } from "./significance.js";

export interface AspConfig {
  /** Significance threshold v; 0 sends every non-zero update. */
  readonly threshold: number;
  readonly thresholdSchedule: ThresholdSchedule;
  /** The workload's learning-rate schedule, for thresholdSchedule "learning-rate". */
  readonly learningRate?: Schedule;
  /** DS: how many clocks the shard may run ahead of its slowest mirror. */
  readonly mirrorClockBound: number;
  readonly selectiveBarrier: "auto" | "always" | "off";
  /** In "auto", send the barrier first when the encoded update is larger than this. */
  readonly barrierBytes: number;
}

export interface ShardSync {
  readonly staleness: number;
  readonly asp: AspConfig | null;
}

/** A shard's state for checkpoints (see ShardRole.snapshot). */
export interface ShardSnapshot {
  readonly replica: Float32Array;
  readonly clientClock: ReadonlyMap<NodeId, number>;
  readonly clientDone: ReadonlySet<NodeId>;
  readonly localClock: number;
  readonly pending: readonly unknown[];
  readonly filter: object | null;
  readonly mirrorClock: object | null;
  readonly barriers: object;
  readonly flushed: boolean;
}

interface PendingRead {
  readonly worker: NodeId;
  readonly msg: ReadRequest;
  readonly arrivedMs: number;
  blockedBy: BlockReason | null;
}

export class ShardRole implements Role {
  readonly remoteErrors: RemoteError[] = [];
  readonly info: ShardInfo;
  private readonly replica: Float32Array;
  private readonly cols: number;
  private readonly clientClock = new Map<NodeId, number>();
  private readonly clientDone = new Set<NodeId>();
  private localClockNow = 0;
  private pending: PendingRead[] = [];
  private readonly filter: SignificanceFilter | null;
  private readonly mirrorClock: MirrorClock | null;
  private readonly barriers = new BarrierSet();
  private readonly dataCenter: string;
  /** Where significant updates go: the mirrors, or the group's hub. */
  private readonly destinations: readonly NodeId[];
  private readonly upstream: ReadonlySet<NodeId>;
  private flushed = false;

  constructor(
    readonly id: NodeId,
    layout: Layout,
    readonly sync: ShardSync,
    initial: Float32Array,
  ) {
    this.info = layout.shard(id);
    this.cols = layout.spec.cols;
    const size = (this.info.range.end - this.info.range.start) * this.cols;
    invariant(initial.length === size, () => `${id}: initial values have ${initial.length} elements, expected ${size}`);
    this.replica = Float32Array.from(initial);
    this.dataCenter = this.info.dataCenter;
    for (const w of this.info.clients) this.clientClock.set(w, 0);
    const aspOn = sync.asp !== null && this.info.mirrors.length > 0;
    this.filter = aspOn ? new SignificanceFilter(size) : null;
    this.mirrorClock = aspOn ? new MirrorClock(this.info.mirrors.map(dataCenterOf)) : null;
    this.destinations = !aspOn ? [] : this.info.hub !== null ? [this.info.hub] : this.info.mirrors;
    this.upstream = new Set(this.destinations);
  }

  get range() {
    return this.info.range;
  }

  /** This shard's replica of its row range (live view; do not modify). */
  values(): Float32Array {
    return this.replica;
  }

  get localClock(): number {
    return this.localClockNow;
  }

  get mirrorClockMin(): number | null {
    return this.mirrorClock?.min() ?? null;
  }

  /** Whether every client has pushed its last clock and the final flush went out. */
  get finished(): boolean {
    return this.flushed;
  }

  /** Accumulated, not yet sent, update of one element (offset within the range). */
  accumulated(offset: number): number {
    return this.filter?.accumulated(offset) ?? 0;
  }

  get pendingReads(): number {
    return this.pending.length;
  }

  /**
   * The shard's mutable state as plain data (maps, sets, typed arrays; a deep copy), for the
   * runtime's checkpoints. `restore` puts it back into a shard built with the same layout and sync.
   */
  snapshot(): ShardSnapshot {
    return structuredClone({
      replica: this.replica,
      clientClock: this.clientClock,
      clientDone: this.clientDone,
      localClock: this.localClockNow,
      pending: this.pending,
      filter: this.filter ? { ...this.filter } : null,
      mirrorClock: this.mirrorClock ? { ...this.mirrorClock } : null,
      barriers: { ...this.barriers },
      flushed: this.flushed,
    });
  }

  restore(snapshot: ShardSnapshot): void {
    const s = structuredClone(snapshot);
    invariant(s.replica.length === this.replica.length, () => `${this.id}: snapshot of ${s.replica.length} values, expected ${this.replica.length}`);
    this.replica.set(s.replica);
    this.clientClock.clear();
    for (const [w, c] of s.clientClock) this.clientClock.set(w, c);
    this.clientDone.clear();
    for (const w of s.clientDone) this.clientDone.add(w);
    this.localClockNow = s.localClock;
    this.pending = s.pending as PendingRead[];
    if (this.filter && s.filter) Object.assign(this.filter, s.filter);
    if (this.mirrorClock && s.mirrorClock) Object.assign(this.mirrorClock, s.mirrorClock);
    Object.assign(this.barriers, s.barriers);
    this.flushed = s.flushed;
  }

  step(input: Input, nowMs: number): Effect[] {
    try {
      switch (input.kind) {
        case "message":
          return this.onMessage(input.from, input.msg, nowMs);
        case "start":
        case "timer":
        case "peer":
        case "stop":
        case "computed":
          return [];
      }
    } catch (error) {
      return rejectRemote(this.id, input, error, this.remoteErrors);
    }
  }

  nextDeadlineMs(): number | null {
    return null;
  }

  invariants(): void {
    let min = Infinity;
    let max = 0;
    for (const [w, c] of this.clientClock) {
      if (!this.clientDone.has(w)) min = Math.min(min, c);
      max = Math.max(max, c);
    }
    const expected = min === Infinity ? max : min;
    invariant(this.localClockNow === expected, () => `${this.id}: local clock ${this.localClockNow}, clients say ${expected}`);
    if (this.filter) {
      const f = this.filter;
      const scale = Math.max(1, Math.abs(f.addedTotal), Math.abs(f.sentTotal));
      invariant(Math.abs(f.addedTotal - f.sentTotal - f.accumulatedTotal - f.roundedAwayTotal) <= 1e-6 * scale, () => `${this.id}: accumulated + sent != applied (${f.accumulatedTotal} + ${f.sentTotal} != ${f.addedTotal})`);
    }
    if (this.flushed && this.filter) invariant(this.filter.pending === 0, () => `${this.id}: residuals left after the final flush`);
  }

  private onMessage(from: NodeId, msg: Message, nowMs: number): Effect[] {
    switch (msg.kind) {
      case "read":
        this.requireClient(from);
        if (msg.rows) this.checkRows(msg.rows);
        this.pending.push({ worker: from, msg, arrivedMs: nowMs, blockedBy: null });
        return this.serve(nowMs, []);
      case "push":
        return this.onPush(from, msg, nowMs);
      case "mirror-update":
        return this.onMirrorUpdate(from, msg, nowMs);
      case "barrier":
        return this.onBarrier(from, msg);
      case "mirror-flush":
        return this.onMirrorFlush(from, msg, nowMs);
      case "read-reply":
        throw new RemoteError("unknown-kind", "a shard does not take read-reply");
    }
  }

  private requireClient(from: NodeId): void {
    if (!this.clientClock.has(from)) throw new RemoteError("unknown-peer", `${from} is not a client of ${this.id}`);
  }

  private requireUpstream(from: NodeId, shard: number): void {
    if (!this.upstream.has(from)) throw new RemoteError("unknown-peer", `${from} does not send mirror traffic to ${this.id}`);
    if (shard !== this.info.index) throw new RemoteError("unknown-shard", `mirror traffic for shard ${shard} sent to shard ${this.info.index}`);
  }

  private checkRows(rows: Uint32Array): void {
    const { start, end } = this.info.range;
    let previous = -1;
    for (const r of rows) {
      if (r < start || r >= end) throw new RemoteError("out-of-range", `row ${r} outside ${this.id}'s range [${start}, ${end})`);
      if (r <= previous) throw new RemoteError("bad-field", "rows must be sorted and unique");
      previous = r;
    }
  }

  private checkOffsets(indices: Uint32Array): void {
    const size = this.replica.length;
    for (const i of indices) if (i >= size) throw new RemoteError("out-of-range", `element ${i} outside ${this.id}'s ${size} elements`);
  }

  private onPush(from: NodeId, msg: Push, nowMs: number): Effect[] {
    this.requireClient(from);
    const expected = this.clientClock.get(from)!;
    if (this.clientDone.has(from)) throw new RemoteError("stale-clock", `${from} pushed after its last clock`);
    if (msg.clock < expected) throw new RemoteError("stale-clock", `${from} pushed clock ${msg.clock} again`);
    if (msg.clock > expected) throw new RemoteError("clock-from-future", `${from} pushed clock ${msg.clock}, expected ${expected}`);
    if (msg.deltas.length !== msg.rows.length * this.cols) throw new RemoteError("bad-field", `push has ${msg.deltas.length} deltas for ${msg.rows.length} rows`);
    this.checkRows(msg.rows);
    const base = this.info.range.start;
    let sum = 0;
    for (let i = 0; i < msg.rows.length; i++) {
      const offset = (msg.rows[i]! - base) * this.cols;
      for (let k = 0; k < this.cols; k++) {
        const d = msg.deltas[i * this.cols + k]!;
        if (d === 0) continue;
        this.replica[offset + k]! += d;
        this.filter?.add(offset + k, d);
        sum += d;
      }
    }
    this.clientClock.set(from, expected + 1);
    if (msg.last) this.clientDone.add(from);
    const effects: Effect[] = [{ kind: "trace", event: { type: "push-applied", shard: this.id, worker: from, clock: msg.clock, last: msg.last, localClock: this.localClockNow, sum } }];
    this.advance(effects);
    return this.serve(nowMs, effects);
  }

  /** Moves the local clock forward, flushing significant updates at each boundary. */
  private advance(effects: Effect[]): void {
    let min = Infinity;
    let max = 0;
    for (const [w, c] of this.clientClock) {
      if (!this.clientDone.has(w)) min = Math.min(min, c);
      max = Math.max(max, c);
    }
    const allDone = min === Infinity;
    const target = allDone ? max : min;
    while (this.localClockNow < target) {
      this.flushClock(this.localClockNow, effects);
      this.localClockNow++;
    }
    if (allDone && !this.flushed) {
      this.flushed = true;
      if (this.filter) {
        const { indices, deltas } = this.filter.drain();
        const msg: MirrorFlush = { kind: "mirror-flush", shard: this.info.index, sources: [this.dataCenter], indices, deltas };
        for (const to of this.destinations) effects.push({ kind: "send", to, channel: "data", msg });
        effects.push({ kind: "trace", event: { type: "mirror-sent", shard: this.id, clock: -1, entries: indices.length, barrier: false, sum: sumOf(deltas) } });
      }
      effects.push({ kind: "done" });
    }
  }

  private flushClock(clock: number, effects: Effect[]): void {
    const asp = this.sync.asp;
    if (!this.filter || !asp) return;
    const threshold = thresholdAt(asp.threshold, asp.thresholdSchedule, clock, asp.learningRate);
    const { indices, deltas } = this.filter.select(this.replica, threshold);
    const update: MirrorUpdate = { kind: "mirror-update", shard: this.info.index, clock, sources: [this.dataCenter], indices, deltas };
    const barrier =
      indices.length > 0 && (asp.selectiveBarrier === "always" || (asp.selectiveBarrier === "auto" && encodedSize(update) > asp.barrierBytes));
    if (barrier) {
      const msg: Barrier = { kind: "barrier", shard: this.info.index, clock, source: this.dataCenter, indices };
      for (const to of this.destinations) effects.push({ kind: "send", to, channel: "control", msg });
    }
    for (const to of this.destinations) effects.push({ kind: "send", to, channel: "data", msg: update });
    effects.push({ kind: "trace", event: { type: "mirror-sent", shard: this.id, clock, entries: indices.length, barrier, sum: sumOf(deltas) } });
  }

  private applyMirror(indices: Uint32Array, deltas: Float32Array): number {
    this.checkOffsets(indices);
    let sum = 0;
    for (let i = 0; i < indices.length; i++) {
      this.replica[indices[i]!]! += deltas[i]!;
      sum += deltas[i]!;
    }
    return sum;
  }

  private onMirrorUpdate(from: NodeId, msg: MirrorUpdate, nowMs: number): Effect[] {
    this.requireUpstream(from, msg.shard);
    const clocks = this.mirrorClock!;
    if (new Set(msg.sources).size !== msg.sources.length) throw new RemoteError("bad-field", "a mirror update names a source twice");
    for (const source of msg.sources) clocks.expect(source, msg.clock);
    this.checkOffsets(msg.indices);
    for (const source of msg.sources) clocks.record(source, msg.clock);
    const sum = this.applyMirror(msg.indices, msg.deltas);
    for (const source of msg.sources) this.barriers.release(source, msg.clock);
    const effects: Effect[] = [{ kind: "trace", event: { type: "mirror-applied", shard: this.id, sources: msg.sources, clock: msg.clock, entries: msg.indices.length, sum } }];
    return this.serve(nowMs, effects);
  }

  private onBarrier(from: NodeId, msg: Barrier): Effect[] {
    this.requireUpstream(from, msg.shard);
    if (msg.source === this.dataCenter || !this.mirrorClock!.dataCenters.includes(msg.source)) throw new RemoteError("unknown-peer", `barrier from unknown source ${msg.source}`);
    this.checkOffsets(msg.indices);
    if (this.mirrorClock!.completedBy(msg.source) > msg.clock) return []; // its update already arrived
    const rows: number[] = [];
    const base = this.info.range.start;
    for (const i of msg.indices) {
      const row = base + Math.floor(i / this.cols);
      if (rows.length === 0 || rows[rows.length - 1] !== row) rows.push(row);
    }
    this.barriers.add(msg.source, msg.clock, rows);
    return [{ kind: "trace", event: { type: "barrier-received", shard: this.id, source: msg.source, clock: msg.clock, rows } }];
  }

  private onMirrorFlush(from: NodeId, msg: MirrorFlush, nowMs: number): Effect[] {
    this.requireUpstream(from, msg.shard);
    for (const source of msg.sources) if (source === this.dataCenter) throw new RemoteError("bad-field", "a flush names this shard's own data center");
    const sum = this.applyMirror(msg.indices, msg.deltas);
    for (const source of msg.sources) this.mirrorClock!.finish(source);
    const effects: Effect[] = [{ kind: "trace", event: { type: "mirror-applied", shard: this.id, sources: msg.sources, clock: null, entries: msg.indices.length, sum } }];
    return this.serve(nowMs, effects);
  }

  /** Serves every pending read that is admitted now, in arrival order; appends to `effects`. */
  private serve(nowMs: number, effects: Effect[]): Effect[] {
    const pending = this.pending;
    if (pending.length === 0) return effects;
    const { start, end } = this.info.range;
    const bound = this.sync.asp?.mirrorClockBound ?? 0;
    // Pending reads that stay blocked are compacted to the front, in order.
    let kept = 0;
    for (let k = 0; k < pending.length; k++) {
      const p = pending[k]!;
      const barrierRowsBlocked = this.barriers.blockedAmong(p.msg.rows, start, end);
      const reason = admissionOf(p.msg.clock, this.localClockNow, this.sync.staleness, this.mirrorClock, bound, barrierRowsBlocked);
      if (reason !== null) {
        p.blockedBy = reason;
        pending[kept++] = p;
        continue;
      }
      const rows = p.msg.rows ?? rangeRows(start, end);
      const values = new Float32Array(rows.length * this.cols);
      for (let i = 0; i < rows.length; i++) {
        const offset = (rows[i]! - start) * this.cols;
        values.set(this.replica.subarray(offset, offset + this.cols), i * this.cols);
      }
      effects.push({ kind: "send", to: p.worker, channel: "data", msg: { kind: "read-reply", clock: p.msg.clock, localClock: this.localClockNow, rows, values } });
      effects.push({
        kind: "trace",
        event: { type: "read-served", shard: this.id, worker: p.worker, clock: p.msg.clock, localClock: this.localClockNow, mirrorClockMin: this.mirrorClock?.min() ?? null, rows: rows.length, requested: p.msg.rows, waitedMs: nowMs - p.arrivedMs, blockedBy: p.blockedBy, barrierRowsBlocked: this.barriers.blockedRowCount },
      });
    }
    pending.length = kept;
    return effects;
  }
}

const rangeRows = (start: number, end: number): Uint32Array => {
  const rows = new Uint32Array(end - start);
  for (let i = 0; i < rows.length; i++) rows[i] = start + i;
  return rows;
};

const sumOf = (values: Float32Array): number => {
  let s = 0;
  for (const v of values) s += v;
  return s;
};
