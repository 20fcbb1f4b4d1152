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
 * With DiLoCo instead (diloco.ts), it sends nothing between data centers for H clocks, then
 * exchanges its pseudo-gradient with its mirrors (a reduce-scatter to each segment's leader, then
 * the leaders' updates) and applies the same outer step as they do; reads past a round boundary
 * wait for that round's outer step. Streaming DiLoCo (fragments > 1) does this per fragment of its
 * rows, at staggered clocks, and reads wait only a round behind (diloco.ts, "Streaming").
 *
 * Inputs it takes: read and push from its clients; mirror-update, barrier and mirror-flush from
 * its mirrors or its hub; outer-delta and outer-update from its mirrors (DiLoCo). Anything else,
 * or anything out of order, is a RemoteError: rejected, counted, and the shard keeps serving.
 */
import { admissionOf, BarrierSet } from "./asp.js";
import { checkFinite, encodedSize, mirrorMagnitudeMax } from "./codec.js";
import { invariant, RemoteError } from "./errors.js";
import type { Layout, NodeId, ShardInfo } from "./layout.js";
import { dataCenterOf } from "./layout.js";
import { OuterFragments, type DilocoConfig } from "./diloco.js";
import type { Barrier, Message, MirrorFlush, MirrorUpdate, OuterDelta, OuterUpdate, Push, ReadRequest } from "./messages.js";
import { MirrorClock } from "./mirror-clock.js";
import { rejectRemote, type BlockReason, type Effect, type Input, type Role } from "./role.js";
import type { Schedule } from "./schedule.js";
import { SignificanceFilter, thresholdAt, type SignificanceScore, type ThresholdSchedule } from "./significance.js";
import { decodeUpdate, encodeUpdate, type ValueEncoding } from "./update-encoding.js";

export interface AspConfig {
  /** Significance threshold v, the floor of the filter; 0 sends every non-zero update. */
  readonly threshold: number;
  readonly thresholdSchedule: ThresholdSchedule;
  /** The workload's learning-rate schedule, for thresholdSchedule "learning-rate". */
  readonly learningRate?: Schedule;
  /** DS: how many clocks the shard may run ahead of its slowest mirror. */
  readonly mirrorClockBound: number;
  readonly selectiveBarrier: "auto" | "always" | "off";
  /**
   * Threshold auto: each clock's update fits in this fraction of (the tightest destination link's
   * rate x the recent clock duration), the most significant entries first. null: no budget.
   */
  readonly budgetLinkFraction: number | null;
  /** Threshold auto: an accumulator above this significance goes out whatever the budget. */
  readonly thresholdCeiling: number;
  /** Barrier auto: fire for a destination when the update needs more than this fraction of a clock at its link's rate. */
  readonly barrierClockFraction: number;
  /** Value codec of mirror updates (error feedback keeps what a lossy codec drops). */
  readonly encoding: ValueEncoding;
  /**
   * Declared rate, in bytes per ms, this shard may use towards each destination data center, keyed
   * `"<from>><to>"` by data center (the driver divides a link among the shards that share it).
   * Measured rates (`link-rate` inputs) replace them for the barrier rule as they arrive.
   */
  readonly linkBytesPerMs: Readonly<Record<string, number>>;
  /** Expected clock duration, in ms, before one is measured (about one compute step). */
  readonly clockMsHint: number;
  /** The workload's own measure of significance (default |accumulated / value|, the paper's). */
  readonly significance?: SignificanceScore;
}

/** The pacing fields of an AspConfig for a plain, unbudgeted filter: what tests and tools build on. */
export const aspPlain = { budgetLinkFraction: null, thresholdCeiling: Infinity, barrierClockFraction: 1, encoding: "f32", linkBytesPerMs: {}, clockMsHint: 0 } as const satisfies Partial<AspConfig>;

export interface ShardSync {
  readonly staleness: number;
  readonly asp: AspConfig | null;
  /** DiLoCo between data centers (with asp null); absent or null: none. */
  readonly diloco?: DilocoConfig | null;
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
  readonly outer?: object | null;
  readonly pacing?: { readonly clockMs: number; readonly clockMeasured?: boolean; readonly lastClockAtMs: number | null; readonly measuredRate: ReadonlyMap<NodeId, number>; readonly bytesPerValue: number };
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
  /** DiLoCo's outer rounds, or null. */
  private readonly outer: OuterFragments | null;
  private readonly mirrorSet: ReadonlySet<NodeId>;
  /** DiLoCo: the mirror shard in each data center. */
  private readonly mirrorIn: ReadonlyMap<string, NodeId>;
  /** Recent clock duration (ms, moving average) and when the local clock last moved. */
  private clockMs: number;
  private lastClockAtMs: number | null = null;
  /** Whether clockMs is a measured duration yet, past the first DS + 1 clocks (until then it is the compute-step hint). */
  private clockMeasured = false;
  /** Measured delivery rate per destination (bytes/ms, moving average), from `link-rate` inputs. */
  private readonly measuredRate = new Map<NodeId, number>();
  /** Encoded bytes per sent value of recent updates, to turn a byte budget into entries. */
  private bytesPerValue: number;

  constructor(
    readonly id: NodeId,
    layout: Layout,
    readonly sync: ShardSync,
    initial: Float32Array,
    /**
     * Read replies of the whole range carry a view of the replica instead of a copy: valid until
     * this shard's next step. For a driver that encodes every send effect before it steps the
     * shard again (the runtime, whose encoding is the copy); the simulator holds messages in
     * flight and keeps the default, a copy.
     */
    private readonly lendReplies = false,
  ) {
    this.info = layout.shard(id);
    this.cols = layout.spec.cols;
    const size = (this.info.range.end - this.info.range.start) * this.cols;
    invariant(initial.length === size, () => `${id}: initial values have ${initial.length} elements, expected ${size}`);
    this.replica = Float32Array.from(initial);
    this.dataCenter = this.info.dataCenter;
    for (const w of this.info.clients) this.clientClock.set(w, 0);
    const aspOn = sync.asp !== null && this.info.mirrors.length > 0;
    this.filter = aspOn ? new SignificanceFilter(size, sync.asp!.significance) : null;
    this.mirrorClock = aspOn ? new MirrorClock(this.info.mirrors.map(dataCenterOf)) : null;
    this.destinations = !aspOn ? [] : this.info.hub !== null ? [this.info.hub] : this.info.mirrors;
    this.upstream = new Set(this.destinations);
    this.mirrorSet = new Set(this.info.mirrors);
    this.mirrorIn = new Map(this.info.mirrors.map((m) => [dataCenterOf(m), m]));
    const diloco = sync.diloco ?? null;
    invariant(diloco === null || sync.asp === null, `${id}: DiLoCo and ASP are exclusive`);
    invariant(diloco === null || this.info.hub === null, `${id}: DiLoCo exchanges deltas with its mirrors directly, not through hubs`);
    const holders = new Set([this.dataCenter, ...this.info.mirrors.map(dataCenterOf)]);
    this.outer = diloco === null ? null : new OuterFragments(diloco, this.dataCenter, layout.spec.dataCenters.filter((dc) => holders.has(dc)), this.cols, this.replica);
    this.clockMs = sync.asp?.clockMsHint ?? 0;
    this.bytesPerValue = sync.asp?.encoding === "int8" ? 1.5 : sync.asp?.encoding === "f16" ? 2.5 : 4.5;
  }

  get range() {
    return this.info.range;
  }

  /** Bytes of its replica, significance accumulators and DiLoCo outer state. */
  stateBytes(): number {
    return this.replica.byteLength + (this.filter?.stateBytes() ?? 0) + (this.outer?.stateBytes() ?? 0);
  }

  /** This shard's replica of its row range (live view; do not modify). */
  values(): Float32Array {
    return this.replica;
  }

  /**
   * The model this shard stands for: under DiLoCo the global state of the last outer step (the
   * replica also holds the data center's local progress since), else the replica. Live view.
   */
  modelValues(): Float32Array {
    return this.outer?.global ?? this.replica;
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

  /** Clocks `worker` has pushed here and whether its last (for a restarted worker); null if not a client. */
  clientState(worker: NodeId): { readonly clock: number; readonly done: boolean } | null {
    const clock = this.clientClock.get(worker);
    return clock === undefined ? null : { clock, done: this.clientDone.has(worker) };
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
      filter: this.filter?.snapshot() ?? null,
      mirrorClock: this.mirrorClock ? { ...this.mirrorClock } : null,
      barriers: { ...this.barriers },
      flushed: this.flushed,
      outer: this.outer?.snapshot() ?? null,
      pacing: { clockMs: this.clockMs, clockMeasured: this.clockMeasured, lastClockAtMs: this.lastClockAtMs, measuredRate: this.measuredRate, bytesPerValue: this.bytesPerValue },
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
    if (this.filter && s.filter) this.filter.restore(s.filter);
    if (this.mirrorClock && s.mirrorClock) Object.assign(this.mirrorClock, s.mirrorClock);
    Object.assign(this.barriers, s.barriers);
    this.flushed = s.flushed;
    if (this.outer && s.outer) this.outer.restore(s.outer);
    if (s.pacing) {
      this.clockMs = s.pacing.clockMs;
      this.clockMeasured = s.pacing.clockMeasured ?? false;
      this.lastClockAtMs = s.pacing.lastClockAtMs;
      this.measuredRate.clear();
      for (const [peer, rate] of s.pacing.measuredRate) this.measuredRate.set(peer, rate);
      this.bytesPerValue = s.pacing.bytesPerValue;
    }
  }

  step(input: Input, nowMs: number): Effect[] {
    try {
      switch (input.kind) {
        case "message":
          return this.onMessage(input.from, input.msg, nowMs);
        case "link-rate":
          this.onLinkRate(input.peer, input.bytesPerMs);
          return [];
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
    // A non-finite total is the program's divergence (the drivers report it), not broken bookkeeping.
    const f = this.filter;
    if (f && Number.isFinite(f.addedTotal) && Number.isFinite(f.sentTotal) && Number.isFinite(f.accumulatedTotal) && Number.isFinite(f.roundedAwayTotal)) {
      const scale = Math.max(1, Math.abs(f.addedTotal), Math.abs(f.sentTotal));
      invariant(Math.abs(f.addedTotal - f.sentTotal - f.accumulatedTotal - f.roundedAwayTotal) <= 1e-6 * scale, () => `${this.id}: accumulated + sent != applied (${f.accumulatedTotal} + ${f.sentTotal} != ${f.addedTotal})`);
    }
    if (this.flushed && this.filter) invariant(this.filter.pending === 0, () => `${this.id}: residuals left after the final flush`);
    if (this.flushed && this.outer) invariant(this.outer.finished, () => `${this.id}: done before its last outer round`);
  }

  private onMessage(from: NodeId, msg: Message, nowMs: number): Effect[] {
    switch (msg.kind) {
      case "read":
        this.requireClient(from);
        if (msg.rows) this.checkRows(msg.rows);
        // A worker has one read in flight; a new one (from a restarted worker) replaces the old.
        this.pending = this.pending.filter((p) => p.worker !== from);
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
      case "outer-delta":
      case "outer-update":
        return this.onOuter(from, msg, nowMs);
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

  private onPush(from: NodeId, msg: Push, nowMs: number): Effect[] {
    this.requireClient(from);
    const expected = this.clientClock.get(from)!;
    if (this.clientDone.has(from)) throw new RemoteError("stale-clock", `${from} pushed after its last clock`);
    if (msg.clock < expected) throw new RemoteError("stale-clock", `${from} pushed clock ${msg.clock} again`);
    if (msg.clock > expected) throw new RemoteError("clock-from-future", `${from} pushed clock ${msg.clock}, expected ${expected}`);
    if (msg.deltas.length !== msg.rows.length * this.cols) throw new RemoteError("bad-field", `push has ${msg.deltas.length} deltas for ${msg.rows.length} rows`);
    this.checkRows(msg.rows);
    const base = this.info.range.start;
    const { replica, filter, cols } = this;
    const { rows, deltas } = msg;
    let sum = 0;
    // Runs of consecutive rows are one stretch of the replica: one loop over each (the order of the
    // additions, and so the running sum, is the rows' order either way).
    for (let i = 0; i < rows.length; ) {
      let j = i + 1;
      while (j < rows.length && rows[j] === rows[j - 1]! + 1) j++;
      const offset = (rows[i]! - base) * cols - i * cols;
      const end = j * cols;
      // Two loops, so the common case (no significance filter: BSP, SSP, LAN) is a plain add.
      if (filter === null) {
        for (let k = i * cols; k < end; k++) {
          const d = deltas[k]!;
          if (d === 0) continue;
          replica[offset + k]! += d;
          sum += d;
        }
      } else {
        for (let k = i * cols; k < end; k++) {
          const d = deltas[k]!;
          if (d === 0) continue;
          replica[offset + k]! += d;
          filter.add(offset + k, d);
          sum += d;
        }
      }
      i = j;
    }
    this.clientClock.set(from, expected + 1);
    if (msg.last) this.clientDone.add(from);
    const effects: Effect[] = [{ kind: "trace", event: { type: "push-applied", shard: this.id, worker: from, clock: msg.clock, last: msg.last, localClock: this.localClockNow, sum } }];
    this.advance(effects, nowMs);
    return this.serve(nowMs, effects);
  }

  /** Moves the local clock forward, flushing significant updates at each boundary. */
  private advance(effects: Effect[], nowMs: number): void {
    let min = Infinity;
    let max = 0;
    for (const [w, c] of this.clientClock) {
      if (!this.clientDone.has(w)) min = Math.min(min, c);
      max = Math.max(max, c);
    }
    const allDone = min === Infinity;
    const target = allDone ? max : min;
    if (this.outer) {
      if (this.localClockNow < target) this.outer.advance(this.localClockNow, target, allDone);
      else if (allDone) this.outer.advance(target, target, true);
      this.localClockNow = Math.max(this.localClockNow, target);
      this.outerProgress(effects);
      return;
    }
    if (this.localClockNow < target) this.timeClock(nowMs, target - this.localClockNow);
    while (this.localClockNow < target) {
      this.flushClock(this.localClockNow, effects);
      this.localClockNow++;
    }
    if (allDone && !this.flushed) {
      this.flushed = true;
      if (this.filter) {
        const selection = this.filter.drain();
        const { body, applied } = encodeUpdate(selection.offsets, selection.values, this.cols, "f32");
        this.filter.settle(selection.offsets, applied);
        this.filter.discardResiduals();
        const msg: MirrorFlush = { kind: "mirror-flush", shard: this.info.index, sources: [this.dataCenter], body };
        for (const to of this.destinations) effects.push({ kind: "send", to, channel: "data", msg });
        effects.push({ kind: "trace", event: { type: "mirror-sent", shard: this.id, clock: -1, entries: applied.length, barrier: false, sum: sumOf(applied), accumulated: selection.accumulated, significant: selection.significant, heldBack: 0, bytes: body.byteLength, threshold: 0, barrierTo: [] } });
      }
      effects.push({ kind: "done" });
    }
  }

  /** DiLoCo: sends every delta owed and applies every round that is complete, until neither moves. */
  private outerProgress(effects: Effect[]): void {
    const outer = this.outer!;
    const { sends, applied } = outer.progress(this.replica);
    const index = this.info.index;
    // Streaming names the fragment in messages and events; F = 1 leaves it out (the frames and the trace are as before).
    const tagOf = (fragment: number): { fragment?: number } => (outer.fragments > 1 ? { fragment } : {});
    // Deltas of one round are traced once, summed over their leaders.
    let deltaRound: { round: number; last: boolean; entries: number; bytes: number; fragment: number } | null = null;
    const traceDeltas = (): void => {
      if (deltaRound === null) return;
      const { fragment, ...rest } = deltaRound;
      effects.push({ kind: "trace", event: { type: "outer-sent", shard: this.id, index, ...rest, ...tagOf(fragment) } });
      deltaRound = null;
    };
    for (const send of sends) {
      if (send.kind === "delta") {
        if (deltaRound !== null && (deltaRound.round !== send.round || deltaRound.fragment !== send.fragment)) traceDeltas();
        const msg: OuterDelta = { kind: "outer-delta", shard: index, round: send.round, source: this.dataCenter, last: send.last, body: send.body, ...tagOf(send.fragment) };
        deltaRound ??= { round: send.round, last: send.last, entries: 0, bytes: 0, fragment: send.fragment };
        if (send.to === this.dataCenter) continue;
        effects.push({ kind: "send", to: this.mirrorIn.get(send.to)!, channel: "data", msg });
        deltaRound.entries += send.entries;
        deltaRound.bytes += send.body.byteLength;
      } else {
        traceDeltas();
        const msg: OuterUpdate = { kind: "outer-update", shard: index, round: send.round, source: this.dataCenter, participants: send.participants, body: send.body, ...tagOf(send.fragment) };
        for (const to of this.info.mirrors) effects.push({ kind: "send", to, channel: "data", msg });
        effects.push({ kind: "trace", event: { type: "outer-led", shard: this.id, index, round: send.round, participants: send.participants, entries: send.entries, bytes: send.body.byteLength, ...tagOf(send.fragment) } });
      }
    }
    traceDeltas();
    for (const a of applied) effects.push({ kind: "trace", event: { type: "outer-step", shard: this.id, index, round: a.round, participants: a.participants, hash: a.hash, ...tagOf(a.fragment) } });
    if (outer.finished && !this.flushed) {
      this.flushed = true;
      effects.push({ kind: "done" });
    }
  }

  private onOuter(from: NodeId, msg: OuterDelta | OuterUpdate, nowMs: number): Effect[] {
    if (this.outer === null || !this.mirrorSet.has(from)) throw new RemoteError("unknown-peer", `${from} does not send outer traffic to ${this.id}`);
    if (msg.shard !== this.info.index) throw new RemoteError("unknown-shard", `${msg.kind} for shard ${msg.shard} sent to shard ${this.info.index}`);
    if (msg.source !== dataCenterOf(from)) throw new RemoteError("bad-field", `${msg.kind} from ${from} names source ${msg.source}`);
    const update = this.decode(msg.body);
    const fragment = msg.fragment ?? 0;
    if (msg.kind === "outer-delta") this.outer.receiveDelta(fragment, msg.source, msg.round, msg.last, update);
    else this.outer.receiveUpdate(fragment, msg.source, msg.round, msg.participants, update);
    const effects: Effect[] = [];
    this.outerProgress(effects);
    return this.serve(nowMs, effects);
  }

  /** Folds the time since the local clock last moved into the clock-duration average. */
  private timeClock(nowMs: number, clocks: number): void {
    // Clocks 0..DS never wait for a mirror, so they last one compute step even where a clock will
    // last a WAN round trip: they are not measured. The first measured duration then replaces the
    // hint (one compute step too), instead of being averaged with it.
    const warmUp = (this.sync.asp?.mirrorClockBound ?? 0) + 1;
    if (this.lastClockAtMs !== null && nowMs > this.lastClockAtMs && this.localClockNow >= warmUp) {
      const perClock = (nowMs - this.lastClockAtMs) / clocks;
      this.clockMs = this.clockMeasured ? 0.7 * this.clockMs + 0.3 * perClock : perClock;
      this.clockMeasured = true;
    }
    this.lastClockAtMs = nowMs;
  }

  private onLinkRate(peer: NodeId, bytesPerMs: number): void {
    if (!this.upstream.has(peer)) throw new RemoteError("unknown-peer", `link-rate for ${peer}, which is no destination of ${this.id}`);
    if (!(bytesPerMs > 0) || !Number.isFinite(bytesPerMs)) throw new RemoteError("bad-field", `link-rate must be a positive finite rate, got ${bytesPerMs}`);
    const previous = this.measuredRate.get(peer);
    this.measuredRate.set(peer, previous === undefined ? bytesPerMs : 0.7 * previous + 0.3 * bytesPerMs);
  }

  /** The declared rate, bytes/ms, this shard may use towards `to`. */
  private declaredRate(to: NodeId): number {
    return this.sync.asp?.linkBytesPerMs[`${this.dataCenter}>${dataCenterOf(to)}`] ?? Infinity;
  }

  /**
   * Bytes this clock's update may take: the budget fraction of the tightest destination's declared
   * rate over the recent measured clock duration (Infinity without a budget, or before a clock
   * past the first DS + 1 has been measured: the compute-step hint, and those first clocks, can
   * undershoot a latency-bound clock by orders of magnitude, and a budget from them would hold
   * back the first clocks' updates).
   */
  budgetBytes(): number {
    const fraction = this.sync.asp?.budgetLinkFraction ?? null;
    if (fraction === null || !this.clockMeasured || !(this.clockMs > 0)) return Infinity;
    let rate = Infinity;
    for (const to of this.destinations) rate = Math.min(rate, this.declaredRate(to));
    return fraction * rate * this.clockMs;
  }

  /**
   * The selective barrier rule for one destination: always, never, or (auto) when the update of
   * `bytes` would take longer than barrierClockFraction of a clock at that link's measured rate
   * (its declared rate until one is measured).
   */
  barrierDue(to: NodeId, bytes: number): boolean {
    const asp = this.sync.asp!;
    if (asp.selectiveBarrier !== "auto") return asp.selectiveBarrier === "always";
    const rate = this.measuredRate.get(to) ?? this.declaredRate(to);
    return bytes > asp.barrierClockFraction * this.clockMs * rate;
  }

  private flushClock(clock: number, effects: Effect[]): void {
    const asp = this.sync.asp;
    if (!this.filter || !asp) return;
    const threshold = thresholdAt(asp.threshold, asp.thresholdSchedule, clock, asp.learningRate);
    // The budget is in bytes; entries cost about `bytesPerValue` each once encoded.
    const budget = this.budgetBytes();
    const maxEntries = budget === Infinity ? Infinity : Math.max(1, Math.floor(budget / this.bytesPerValue));
    const selection = this.filter.select(this.replica, threshold, maxEntries, asp.thresholdCeiling);
    const { body, applied } = encodeUpdate(selection.offsets, selection.values, this.cols, asp.encoding);
    this.filter.settle(selection.offsets, applied);
    if (applied.length > 0) this.bytesPerValue = 0.7 * this.bytesPerValue + (0.3 * body.byteLength) / applied.length;
    const update: MirrorUpdate = { kind: "mirror-update", shard: this.info.index, clock, sources: [this.dataCenter], body };
    const barrierTo: NodeId[] = [];
    if (applied.length > 0 && asp.selectiveBarrier !== "off") {
      const size = encodedSize(update);
      for (const to of this.destinations) if (this.barrierDue(to, size)) barrierTo.push(to);
      if (barrierTo.length > 0) {
        const msg: Barrier = { kind: "barrier", shard: this.info.index, clock, source: this.dataCenter, rows: rowsOf(selection.offsets, this.cols) };
        for (const to of barrierTo) effects.push({ kind: "send", to, channel: "control", msg });
      }
    }
    for (const to of this.destinations) effects.push({ kind: "send", to, channel: "data", msg: update });
    effects.push({
      kind: "trace",
      event: { type: "mirror-sent", shard: this.id, clock, entries: applied.length, barrier: barrierTo.length > 0, sum: sumOf(applied), accumulated: selection.accumulated, significant: selection.significant, heldBack: selection.heldBack, bytes: body.byteLength, threshold: selection.thresholdInForce, barrierTo },
    });
  }

  /** Applies decoded mirror entries (decodeUpdate already held every offset to this range). */
  private applyMirror(indices: Uint32Array, deltas: Float32Array): number {
    let sum = 0;
    for (let i = 0; i < indices.length; i++) {
      this.replica[indices[i]!]! += deltas[i]!;
      sum += deltas[i]!;
    }
    // Their entries' significance may have changed: the filter rescans them (and only them).
    this.filter?.valuesChanged(indices);
    return sum;
  }

  /** Decodes a mirror body of this shard's range; every fault in it is a RemoteError. */
  private decode(body: Uint8Array): { indices: Uint32Array; deltas: Float32Array } {
    const update = decodeUpdate(body, this.replica.length);
    checkFinite("mirror", "deltas", update.deltas, mirrorMagnitudeMax);
    return update;
  }

  private onMirrorUpdate(from: NodeId, msg: MirrorUpdate, nowMs: number): Effect[] {
    this.requireUpstream(from, msg.shard);
    const clocks = this.mirrorClock!;
    if (new Set(msg.sources).size !== msg.sources.length) throw new RemoteError("bad-field", "a mirror update names a source twice");
    for (const source of msg.sources) clocks.expect(source, msg.clock);
    const { indices, deltas } = this.decode(msg.body);
    for (const source of msg.sources) clocks.record(source, msg.clock);
    const sum = this.applyMirror(indices, deltas);
    for (const source of msg.sources) this.barriers.release(source, msg.clock);
    const effects: Effect[] = [{ kind: "trace", event: { type: "mirror-applied", shard: this.id, sources: msg.sources, clock: msg.clock, entries: indices.length, sum } }];
    return this.serve(nowMs, effects);
  }

  private onBarrier(from: NodeId, msg: Barrier): Effect[] {
    this.requireUpstream(from, msg.shard);
    if (msg.source === this.dataCenter || !this.mirrorClock!.dataCenters.includes(msg.source)) throw new RemoteError("unknown-peer", `barrier from unknown source ${msg.source}`);
    const base = this.info.range.start;
    const count = this.info.range.end - base;
    let previous = -1;
    for (const r of msg.rows) {
      if (r >= count) throw new RemoteError("out-of-range", `barrier row ${r} outside ${this.id}'s ${count} rows`);
      if (r <= previous) throw new RemoteError("bad-field", "barrier rows must be sorted and unique");
      previous = r;
    }
    if (this.mirrorClock!.completedBy(msg.source) > msg.clock) return []; // its update already arrived
    const rows = Array.from(msg.rows, (r) => base + r);
    this.barriers.add(msg.source, msg.clock, rows);
    return [{ kind: "trace", event: { type: "barrier-received", shard: this.id, source: msg.source, clock: msg.clock, rows } }];
  }

  private onMirrorFlush(from: NodeId, msg: MirrorFlush, nowMs: number): Effect[] {
    this.requireUpstream(from, msg.shard);
    for (const source of msg.sources) if (source === this.dataCenter) throw new RemoteError("bad-field", "a flush names this shard's own data center");
    // Direct from mirrors, a data center flushes once. Through a hub a second flush naming it is the
    // hub's remainder (error feedback); the hub refuses a member's second flush itself.
    if (this.info.hub === null) for (const source of msg.sources) if (this.mirrorClock!.hasFinished(source)) throw new RemoteError("duplicate", `a second final flush from ${source}`);
    for (const source of msg.sources) this.mirrorClock!.expectMirror(source);
    const { indices, deltas } = this.decode(msg.body);
    const sum = this.applyMirror(indices, deltas);
    for (const source of msg.sources) this.mirrorClock!.finish(source);
    const effects: Effect[] = [{ kind: "trace", event: { type: "mirror-applied", shard: this.id, sources: msg.sources, clock: null, entries: indices.length, sum } }];
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
      const reason = admissionOf(p.msg.clock, this.localClockNow, this.sync.staleness, this.mirrorClock, bound, barrierRowsBlocked) ?? (this.outer !== null && !this.outer.admits(p.msg.clock) ? "outer-step" : null);
      if (reason !== null) {
        p.blockedBy = reason;
        pending[kept++] = p;
        continue;
      }
      const rows = p.msg.rows ?? rangeRows(start, end);
      // A read of the whole range is one copy (or a view, when lent); other reads copy row by row.
      const values = p.msg.rows === null ? (this.lendReplies ? this.replica.subarray(0, rows.length * this.cols) : this.replica.slice(0, rows.length * this.cols)) : new Float32Array(rows.length * this.cols);
      if (p.msg.rows !== null) {
        for (let i = 0; i < rows.length; i++) {
          const offset = (rows[i]! - start) * this.cols;
          values.set(this.replica.subarray(offset, offset + this.cols), i * this.cols);
        }
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

/** The rows (relative to the range) holding the ascending element offsets, ascending and unique. */
const rowsOf = (offsets: Uint32Array, cols: number): Uint32Array => {
  const rows: number[] = [];
  for (const i of offsets) {
    const row = Math.floor(i / cols);
    if (rows.length === 0 || rows[rows.length - 1] !== row) rows.push(row);
  }
  return Uint32Array.from(rows);
};

const sumOf = (values: Float32Array): number => {
  let s = 0;
  for (const v of values) s += v;
  return s;
};
