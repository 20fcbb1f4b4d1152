/**
 * DiLoCo between data centers: local training for H clocks, then one outer step everywhere.
 *
 * Theory of operation. Each data center trains its own replica under BSP or SSP inside the data
 * center, as Gaia's ASP does, but sends nothing between data centers until its shards' local clock
 * reaches a multiple of H (`localClocks`). At that boundary, round k, each shard takes its
 * pseudo-gradient: its replica minus the last global state, plus what its value codec left out of
 * earlier rounds (error feedback). The exchange is a reduce-scatter and an all-gather over the D
 * data centers holding the shard: the shard's elements are cut into D segments, segment s led by
 * the s-th of those data centers (layout order). Each shard sends every mirror the part of its
 * delta in that mirror's segment (`outer-delta`). The leader of a segment, once it holds round k's
 * part from every participant, applies the outer step to its segment,
 *
 *   g      = mean (or sum) over the participants, in layout order, of their decoded deltas
 *   sgd:       new = global + lr * g
 *   nesterov:  m = mu * m + g;  new = global + lr * (g + mu * m)
 *
 * and sends every mirror the update `new - global` of its segment (`outer-update`, in the same
 * codec, with its own error feedback), applying that update, as decoded, itself. When a shard
 * holds round k's update of every segment, round k is done: its replica becomes the new global
 * state plus any local update that arrived since it sent its delta. Reads of clocks at or past k*H
 * wait ("outer-step") until then, so the inner clocks of round k+1 all start from the new state.
 * Each data center sends and receives about 2 (D - 1) / D of a shard per round (an all-to-all
 * exchange would take D - 1 shards), the pattern of a ring all-reduce, in two hops.
 *
 * Guarantee: after round k, every data center's global state of a shard is the same, bit for bit.
 * Every data center adds the same decoded update bytes of each segment to the same previous state.
 * The `outer-step` trace event carries a hash of the new global state; the simulator's checker
 * compares them across data centers.
 *
 * Who takes part in round k: every data center whose shard has not finished before k. A shard whose
 * clients are all done sends one last round (marked `last`, in f32 with every residual in it, so
 * nothing a lossy codec held back is lost); later rounds neither wait for it nor count it, and it
 * keeps applying them, so it ends with the same global state. A leader whose round has only last
 * deltas knows it is the final one and sends its update in f32 with its residual. Participation is
 * a fact about the senders' own rounds, never about arrival times; the leader names the
 * participants in its update.
 *
 * Faults (the "wait" rule): a round waits for every participant. A partitioned data center's
 * delta arrives when the link heals (the transport resends; the simulator holds messages); a
 * crashed shard resumes with its state and sends it. Nothing is lost, the outer step is only late,
 * and every data center blocks at the next boundary meanwhile. A quorum rule (proceed without a
 * late data center) is not implemented: the leaders of all segments would have to agree on the
 * same quorum, which needs a consensus step this protocol does not have.
 *
 * Streaming (`fragments: F > 1`, Douillard et al. 2025). The shard's rows are cut into F contiguous
 * row ranges (fragment p: rows [floor(p R / F), floor((p + 1) R / F)) of its R rows), and each
 * fragment runs the protocol above on its own, as its own OuterSync over a view of the replica:
 * its own global state, momentum, residuals, rounds and segments (a fragment's D segments, each
 * led by a data center as before). Fragment p's round k falls at local clock t = k H + floor(p H / F),
 * so about 1/F of the shard is exchanged at one boundary and the peak exchange falls by F.
 *
 * The exchange overlaps with compute for tau = `overlapClocks` clocks (default floor(H / F), the
 * gap to the next fragment's boundary; 0 with F = 1): reads of clocks t .. t + tau - 1 are served
 * on the replica while round k is in flight, and round k is merged when the local clock reaches
 * t + tau (or when its result arrives, if later; reads of clock t + tau and on wait for it, as a
 * blocking round's reads wait at t). The merge: the fragment's rows become the new global rows
 * plus the local change to them since the delta was taken at t (the rule of a blocking round,
 * above), so the tau inner steps taken during the exchange are kept, not overwritten, and go into
 * the next pseudo-gradient: nothing is lost and nothing is counted twice. The merge point is a
 * clock, not an arrival time, as in the paper's fixed delay tau: the replica at the merge holds
 * exactly the pushes of clocks before t + tau, whatever the network did, so a run stays
 * deterministic and the runtime reaches the simulator's numbers. A fragment applies within one
 * input step, so no read sees it half applied. Its global state is identical in every data
 * center after each of its rounds; `outer-step` events name the fragment. F = 1 with tau = 0 is
 * the blocking protocol above, message for message.
 */
import { RemoteError, invariant } from "./errors.js";
import { encodeUpdate, type SparseUpdate } from "./update-encoding.js";

export type OuterOptimizer = "sgd" | "nesterov";
/** f32: exact; int8: one scale per row, error feedback; topk: the largest `keptFraction` of the entries, error feedback. */
export type PseudoGradientEncoding = "f32" | "int8" | "topk";
export const pseudoGradientEncodings: readonly PseudoGradientEncoding[] = ["f32", "int8", "topk"];

export interface DilocoConfig {
  /** H: local clocks between outer steps. */
  readonly localClocks: number;
  readonly outerOptimizer: OuterOptimizer;
  readonly outerLearningRate: number;
  /** Nesterov momentum mu (ignored by sgd). */
  readonly momentum: number;
  /** mean: DiLoCo's average of pseudo-gradients; sum: their sum (with sgd and rate 1, a plain sum of every update, as count models need). */
  readonly reduce: "mean" | "sum";
  /** Codec of the deltas (top-k deltas' updates go in f32; int8 updates in int8). */
  readonly encoding: PseudoGradientEncoding;
  /** topk: the fraction of the segment's elements a delta sends (0 < f <= 1). */
  readonly keptFraction: number;
  /** F: streaming DiLoCo's fragments (1 <= F <= H); absent: 1. */
  readonly fragments?: number;
  /** tau: clocks a round's exchange overlaps with compute before it is merged (0 <= tau <= H); absent: floor(H / F) when F > 1, else 0 (blocking). */
  readonly overlapClocks?: number;
}

/** tau of a config (see DilocoConfig.overlapClocks). */
export function overlapClocksOf(config: DilocoConfig): number {
  const F = config.fragments ?? 1;
  return config.overlapClocks ?? (F > 1 ? Math.floor(config.localClocks / F) : 0);
}

/** A round this shard owes its mirrors: its number, and whether it is its last. */
interface Planned {
  readonly round: number;
  readonly last: boolean;
}

/** What to send: deltas to each segment's leader (its own segment's: kept, not sent), or this leader's update to every mirror. */
export type OuterSend =
  | { readonly kind: "delta"; readonly round: number; readonly last: boolean; readonly to: string; readonly body: Uint8Array; readonly entries: number }
  | { readonly kind: "update"; readonly round: number; readonly participants: readonly string[]; readonly body: Uint8Array; readonly entries: number };

/** One applied round, for the trace. */
export interface OuterApplied {
  readonly round: number;
  readonly participants: readonly string[];
  readonly hash: string;
}

interface SegmentUpdate {
  readonly update: SparseUpdate;
  readonly participants: readonly string[];
}

/**
 * One float64 buffer of a table's size for a round's delta or update while it is summed and
 * encoded, shared by every shard's outer state in the process (the core is single-threaded, and
 * each use ends before its call returns): it is no replica's state, so eleven replicas of a
 * simulated run need one, not eleven. Grown, never shrunk.
 */
let scratch = new Float64Array(0);
function scratchOf(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(n);
  return scratch.subarray(0, n);
}

/**
 * The outer-step state of one shard: the global state, the momentum and the error-feedback
 * residuals, the rounds it owes and the parts it has received. The shard feeds it boundaries,
 * messages and its replica; it returns what to send and what it applied.
 */
export class OuterSync {
  readonly global: Float32Array;
  private readonly momentumBuffer: Float32Array | null;
  /** Error feedback of this shard's deltas (all segments) and of its updates (its own segment). */
  private readonly residual: Float64Array;
  private readonly updateResidual: Float64Array;
  /** The replica as it was when the round in flight was sent (local updates since then are kept). */
  private readonly sentReplica: Float32Array;
  private readonly planned: Planned[] = [];
  /** As leader: round -> data center -> its delta of this segment. */
  private readonly deltas = new Map<number, Map<string, SparseUpdate>>();
  /** round -> segment (its leader) -> the update. */
  private readonly updates = new Map<number, Map<string, SegmentUpdate>>();
  /** Each data center's last round, once it is known. */
  private readonly lastRound = new Map<string, number>();
  /** Segment bounds: segment s is [bounds[s], bounds[s + 1]). */
  private readonly bounds: readonly number[];
  private readonly me: number;
  private applied = 0;
  private sent = 0;
  private inFlight = false;
  /** The last round this leader sent an update for. */
  private led = 0;
  /** This fragment's rounds fall at local clocks k H + offset. */
  private readonly offset: number;
  /** tau: round k is merged at local clock k H + offset + tau (0: at its boundary, blocking). */
  private readonly delay: number;
  /** The local clock (every client has pushed every clock before it). */
  private clock = 0;

  constructor(
    readonly config: DilocoConfig,
    readonly dataCenter: string,
    /** Every data center holding this shard, own included, in layout order (the summation order). */
    readonly dataCenters: readonly string[],
    private readonly cols: number,
    initial: Float32Array,
    /** Streaming: which of the config's fragments this is (its rows are `initial`), and where its global state lives. */
    fragment: { readonly index: number; readonly global: Float32Array } | null = null,
  ) {
    const H = config.localClocks;
    const F = config.fragments ?? 1;
    invariant(Number.isInteger(H) && H >= 1, "localClocks must be an integer >= 1");
    invariant(Number.isInteger(F) && F >= 1 && F <= H, "fragments must be an integer in [1, localClocks]");
    this.me = dataCenters.indexOf(dataCenter);
    invariant(this.me >= 0, `${dataCenter} is not among its shard's data centers`);
    const n = initial.length;
    const D = dataCenters.length;
    // Segments end on row boundaries, so int8's per-row scale stays within one segment.
    const rows = n / cols;
    this.bounds = Array.from({ length: D + 1 }, (_, s) => Math.floor((s * rows) / D) * cols);
    const index = fragment?.index ?? 0;
    invariant(index >= 0 && index < F, `fragment ${index} of ${F}`);
    this.offset = Math.floor((index * H) / F);
    this.delay = overlapClocksOf(config);
    invariant(Number.isInteger(this.delay) && this.delay >= 0 && this.delay <= H, "overlapClocks must be an integer in [0, localClocks]");
    if (fragment !== null) {
      invariant(fragment.global.length === n, "a fragment's global state has its rows' size");
      fragment.global.set(initial);
      this.global = fragment.global;
    } else this.global = Float32Array.from(initial);
    this.momentumBuffer = config.outerOptimizer === "nesterov" ? new Float32Array(n) : null;
    this.residual = new Float64Array(n);
    this.updateResidual = new Float64Array(n);
    this.sentReplica = new Float32Array(n);
  }

  get roundsApplied(): number {
    return this.applied;
  }

  /** Bytes of its dense arrays; the global state counts only when it owns it (not a fragment's view). */
  stateBytes(ownGlobal = true): number {
    return (ownGlobal ? this.global.byteLength : 0) + (this.momentumBuffer?.byteLength ?? 0) + this.residual.byteLength + this.updateResidual.byteLength + this.sentReplica.byteLength;
  }

  /** Whether this data center sent its last round, applied every round anyone sent, and knows no one sends more. */
  get finished(): boolean {
    if (!this.lastRound.has(this.dataCenter) || this.inFlight || this.planned.length > 0) return false;
    let end = 0;
    for (const dc of this.dataCenters) {
      const last = this.lastRound.get(dc);
      if (last === undefined) return false;
      end = Math.max(end, last);
    }
    return this.applied >= end;
  }

  /**
   * Whether a read for `clock` may be served: every round whose boundary is at or before it has
   * been applied (blocking), or, overlapped, has its delta taken and is merged if its merge clock
   * is at or before it.
   */
  admits(clock: number): boolean {
    const H = this.config.localClocks;
    const due = Math.floor((clock - this.offset) / H);
    if (this.delay === 0) return due <= this.applied;
    // Overlapped: every round whose boundary is at or before `clock` has its delta taken (so the
    // delta holds exactly the clocks before its boundary), and every round merged by `clock` is.
    return due <= this.sent && Math.floor((clock - this.offset - this.delay) / H) <= this.applied;
  }

  /** The local clock moved from `from` to `to`; `allDone`: every client has pushed its last clock. */
  advance(from: number, to: number, allDone: boolean): void {
    const H = this.config.localClocks;
    this.clock = Math.max(this.clock, to);
    if (this.plannedLast()) return;
    for (let c = from + 1; c <= to; c++) {
      const since = c - this.offset;
      if (since > 0 && since % H === 0) this.planned.push({ round: since / H, last: allDone && c === to });
    }
    if (allDone && !this.plannedLast()) {
      const previous = this.planned.length > 0 ? this.planned[this.planned.length - 1]!.round : this.sent;
      this.planned.push({ round: previous + 1, last: true });
    }
  }

  private plannedLast(): boolean {
    return this.lastRound.has(this.dataCenter) || this.planned.some((p) => p.last);
  }

  /**
   * Everything due now, applying rounds as they complete: this shard's deltas of the next round
   * (once every earlier round is applied, since a delta is taken against the state it will be
   * added to), this leader's updates, and the rounds applied.
   */
  progress(replica: Float32Array): { sends: OuterSend[]; applied: OuterApplied[] } {
    const sends: OuterSend[] = [];
    const applied: OuterApplied[] = [];
    for (let moved = true; moved; ) {
      moved = false;
      if (this.sendDeltas(replica, sends)) moved = true;
      if (this.lead(sends)) moved = true;
      const done = this.complete(replica);
      if (done !== null) {
        applied.push(done);
        moved = true;
      }
    }
    return { sends, applied };
  }

  private sendDeltas(replica: Float32Array, sends: OuterSend[]): boolean {
    const next = this.planned[0];
    if (next === undefined || this.inFlight || next.round !== this.applied + 1) return false;
    this.planned.shift();
    const n = replica.length;
    const value = scratchOf(n); // the delta with the residual folded in
    for (let i = 0; i < n; i++) value[i] = replica[i]! - this.global[i]! + this.residual[i]!;
    const encoding = next.last ? "f32" : this.config.encoding;
    for (let s = 0; s < this.dataCenters.length; s++) {
      const { offsets, applied, body } = this.encodeSegment(value, s, encoding, this.residual);
      const to = this.dataCenters[s]!;
      // The own segment's part stays here; it is listed (to: this data center) so the shard traces it.
      if (s === this.me) this.store(this.deltas, next.round, to, { indices: offsets, deltas: applied });
      sends.push({ kind: "delta", round: next.round, last: next.last, to, body, entries: offsets.length });
    }
    if (next.last) this.residual.fill(0); // f32 of everything: only float32 rounding, no backlog
    this.sentReplica.set(replica);
    if (next.last) this.lastRound.set(this.dataCenter, next.round);
    this.sent = next.round;
    this.inFlight = true;
    return true;
  }

  /**
   * Encodes segment `s` of `value` (dense, float64) in `encoding` and leaves in `residual` what the
   * receivers will not decode (error feedback).
   */
  private encodeSegment(value: Float64Array, s: number, encoding: PseudoGradientEncoding, residual: Float64Array): { offsets: Uint32Array; applied: Float32Array; body: Uint8Array } {
    const lo = this.bounds[s]!;
    const hi = this.bounds[s + 1]!;
    let nonZero = 0;
    for (let i = lo; i < hi; i++) if (value[i] !== 0) nonZero++;
    let offsets: Uint32Array = new Uint32Array(nonZero);
    let k = 0;
    for (let i = lo; i < hi; i++) if (value[i] !== 0) offsets[k++] = i;
    if (encoding === "topk") offsets = largest(offsets, value, Math.max(1, Math.ceil(this.config.keptFraction * (hi - lo))));
    const values = new Float64Array(offsets.length);
    for (let j = 0; j < offsets.length; j++) values[j] = value[offsets[j]!]!;
    const { body, applied } = encodeUpdate(offsets, values, this.cols, encoding === "int8" ? "int8" : "f32");
    for (let i = lo; i < hi; i++) residual[i] = value[i]!;
    for (let j = 0; j < offsets.length; j++) residual[offsets[j]!] = value[offsets[j]!]! - applied[j]!;
    return { offsets, applied, body };
  }

  /** As leader of this shard's segment: the outer step of the next round, once every participant's delta is in. */
  private lead(sends: OuterSend[]): boolean {
    const round = this.led + 1;
    if (round > this.applied + 1) return false;
    const have = this.deltas.get(round);
    const participants: string[] = [];
    let final = true;
    for (const dc of this.dataCenters) {
      const last = this.lastRound.get(dc);
      if (last !== undefined && last < round) continue; // finished before this round
      if (!have?.has(dc)) return false;
      participants.push(dc);
      if (last !== round) final = false;
    }
    if (participants.length === 0 || have === undefined) return false;
    const lo = this.bounds[this.me]!;
    const hi = this.bounds[this.me + 1]!;
    const sum = scratchOf(this.global.length);
    for (let i = lo; i < hi; i++) sum[i] = 0;
    for (const dc of participants) {
      const d = have.get(dc)!;
      for (let j = 0; j < d.indices.length; j++) sum[d.indices[j]!]! += d.deltas[j]!;
    }
    const { outerLearningRate: lr, momentum: mu, reduce } = this.config;
    const scale = reduce === "mean" ? 1 / participants.length : 1;
    const m = this.momentumBuffer;
    // sum[i] becomes the update of element i (new - global), with this leader's residual.
    for (let i = lo; i < hi; i++) {
      const g = sum[i]! * scale;
      let step: number;
      if (m === null) step = lr * g;
      else {
        m[i] = mu * m[i]! + g;
        step = lr * (g + mu * m[i]!);
      }
      sum[i] = step + this.updateResidual[i]!;
    }
    const encoding = final || this.config.encoding !== "int8" ? "f32" : "int8";
    const { offsets, applied, body } = this.encodeSegment(sum, this.me, encoding, this.updateResidual);
    if (final) for (let i = lo; i < hi; i++) this.updateResidual[i] = 0;
    this.deltas.delete(round);
    this.store(this.updates, round, this.dataCenter, { update: { indices: offsets, deltas: applied }, participants });
    this.led = round;
    if (this.dataCenters.length > 1) sends.push({ kind: "update", round, participants, body, entries: offsets.length });
    return true;
  }

  /** Applies the next round once every segment's update is in; moves the replica to the new state. */
  private complete(replica: Float32Array): OuterApplied | null {
    const round = this.applied + 1;
    const have = this.updates.get(round);
    if (have === undefined || have.size < this.dataCenters.length) return null;
    // Overlapped: merged at its clock, not before (once this data center is done, its replica no longer moves).
    if (this.delay > 0 && this.clock < round * this.config.localClocks + this.offset + this.delay && !this.plannedLast()) return null;
    const global = this.global;
    for (const dc of this.dataCenters) {
      const { indices, deltas } = have.get(dc)!.update;
      for (let j = 0; j < indices.length; j++) global[indices[j]!] = global[indices[j]!]! + deltas[j]!;
    }
    this.updates.delete(round);
    this.applied = round;
    if (this.inFlight && this.sent === round) {
      this.inFlight = false;
      for (let i = 0; i < replica.length; i++) replica[i] = global[i]! + (replica[i]! - this.sentReplica[i]!);
    } else {
      // Not a participant (finished): nothing local happened since its last round.
      replica.set(global);
    }
    return { round, participants: have.get(this.dataCenter)!.participants, hash: stateHash(global) };
  }

  private checkSource(source: string, round: number, what: string): void {
    if (source === this.dataCenter || !this.dataCenters.includes(source)) throw new RemoteError("unknown-peer", `outer ${what} from unknown data center ${source}`);
    if (round <= this.applied) throw new RemoteError("stale-clock", `outer ${what} of ${source} for round ${round}, already applied`);
    // A mirror is at most two rounds ahead of a data center that still takes part.
    if (!this.lastRound.has(this.dataCenter) && round > this.applied + 2) throw new RemoteError("clock-from-future", `outer ${what} of ${source} for round ${round}; round ${this.applied + 1} is not applied here yet`);
  }

  /** Checks that a decoded body holds only offsets of segment `s`. */
  private checkSegment(update: SparseUpdate, s: number, what: string): void {
    const lo = this.bounds[s]!;
    const hi = this.bounds[s + 1]!;
    const n = update.indices.length;
    if (n > 0 && (update.indices[0]! < lo || update.indices[n - 1]! >= hi)) throw new RemoteError("out-of-range", `outer ${what} names elements outside segment [${lo}, ${hi})`);
  }

  /** A mirror's delta of this leader's segment for `round`. Everything out of order is a RemoteError. */
  receiveDelta(source: string, round: number, last: boolean, update: SparseUpdate): void {
    this.checkSource(source, round, "delta");
    const sourceLast = this.lastRound.get(source);
    if (sourceLast !== undefined && round > sourceLast) throw new RemoteError("clock-from-future", `outer delta of ${source} for round ${round}, after its last round ${sourceLast}`);
    if (round <= this.led) throw new RemoteError("stale-clock", `outer delta of ${source} for round ${round}, already led`);
    if (this.deltas.get(round)?.has(source)) throw new RemoteError("duplicate", `a second outer delta of ${source} for round ${round}`);
    this.checkSegment(update, this.me, "delta");
    if (last) {
      for (const r of this.deltas.keys()) if (r > round && this.deltas.get(r)!.has(source)) throw new RemoteError("bad-field", `${source}'s last round ${round} is before a round it sent`);
      this.lastRound.set(source, round);
    }
    this.store(this.deltas, round, source, update);
  }

  /** The leader `source`'s update of its segment for `round`. */
  receiveUpdate(source: string, round: number, participants: readonly string[], update: SparseUpdate): void {
    this.checkSource(source, round, "update");
    if (this.updates.get(round)?.has(source)) throw new RemoteError("duplicate", `a second outer update of ${source} for round ${round}`);
    let previous = -1;
    for (const dc of participants) {
      const at = this.dataCenters.indexOf(dc);
      if (at <= previous) throw new RemoteError("bad-field", `outer update participants must be data centers of this shard, in layout order`);
      previous = at;
    }
    this.checkSegment(update, this.dataCenters.indexOf(source), "update");
    this.store(this.updates, round, source, { update, participants });
  }

  private store<T>(map: Map<number, Map<string, T>>, round: number, source: string, value: T): void {
    let m = map.get(round);
    if (m === undefined) map.set(round, (m = new Map()));
    m.set(source, value);
  }

  /** The state as plain data for checkpoints. */
  snapshot(): object {
    // A fragment's global state is a view of the shard's: slice it, or the clone copies the whole buffer.
    return structuredClone({ global: this.global.slice(), momentum: this.momentumBuffer, residual: this.residual, updateResidual: this.updateResidual, sentReplica: this.sentReplica, planned: this.planned, deltas: this.deltas, updates: this.updates, lastRound: this.lastRound, applied: this.applied, sent: this.sent, inFlight: this.inFlight, led: this.led, clock: this.clock });
  }

  restore(snapshot: object): void {
    const s = structuredClone(snapshot) as { global: Float32Array; momentum: Float32Array | null; residual: Float64Array; updateResidual: Float64Array; sentReplica: Float32Array; planned: Planned[]; deltas: Map<number, Map<string, SparseUpdate>>; updates: Map<number, Map<string, SegmentUpdate>>; lastRound: Map<string, number>; applied: number; sent: number; inFlight: boolean; led: number; clock?: number };
    this.global.set(s.global);
    if (this.momentumBuffer && s.momentum) this.momentumBuffer.set(s.momentum);
    this.residual.set(s.residual);
    this.updateResidual.set(s.updateResidual);
    this.sentReplica.set(s.sentReplica);
    this.planned.splice(0, this.planned.length, ...s.planned);
    this.deltas.clear();
    for (const [r, m] of s.deltas) this.deltas.set(r, m);
    this.updates.clear();
    for (const [r, m] of s.updates) this.updates.set(r, m);
    this.lastRound.clear();
    for (const [dc, r] of s.lastRound) this.lastRound.set(dc, r);
    this.applied = s.applied;
    this.sent = s.sent;
    this.inFlight = s.inFlight;
    this.led = s.led;
    this.clock = s.clock ?? 0;
  }
}

/** A send or an applied round of one fragment. */
export type FragmentSend = OuterSend & { readonly fragment: number };
export type FragmentApplied = OuterApplied & { readonly fragment: number };

/**
 * A shard's outer rounds, one OuterSync per fragment (see "Streaming" above): fragment p holds
 * rows [floor(p R / F), floor((p + 1) R / F)) of the shard's R rows, and its global state is that
 * slice of `global`. With F = 1 it is one OuterSync over the whole shard, as before streaming.
 * A fragment may have no rows (F above a small shard's rows); it still runs its (empty) rounds.
 */
export class OuterFragments {
  readonly global: Float32Array;
  private readonly parts: readonly { readonly sync: OuterSync; readonly lo: number; readonly hi: number }[];

  constructor(config: DilocoConfig, dataCenter: string, dataCenters: readonly string[], cols: number, initial: Float32Array) {
    const F = config.fragments ?? 1;
    if (F === 1) {
      const sync = new OuterSync(config, dataCenter, dataCenters, cols, initial);
      this.global = sync.global;
      this.parts = [{ sync, lo: 0, hi: initial.length }];
      return;
    }
    const rows = initial.length / cols;
    const global = Float32Array.from(initial);
    this.global = global;
    this.parts = Array.from({ length: F }, (_, p) => {
      const lo = Math.floor((p * rows) / F) * cols;
      const hi = Math.floor(((p + 1) * rows) / F) * cols;
      return { sync: new OuterSync(config, dataCenter, dataCenters, cols, initial.subarray(lo, hi), { index: p, global: global.subarray(lo, hi) }), lo, hi };
    });
  }

  get fragments(): number {
    return this.parts.length;
  }

  /** Bytes of the global state and every fragment's outer state. */
  stateBytes(): number {
    if (this.parts.length === 1) return this.parts[0]!.sync.stateBytes();
    return this.global.byteLength + this.parts.reduce((n, p) => n + p.sync.stateBytes(false), 0);
  }

  get finished(): boolean {
    return this.parts.every((p) => p.sync.finished);
  }

  /** Whether a read for `clock` may be served: no fragment holds it back. */
  admits(clock: number): boolean {
    return this.parts.every((p) => p.sync.admits(clock));
  }

  advance(from: number, to: number, allDone: boolean): void {
    for (const p of this.parts) p.sync.advance(from, to, allDone);
  }

  /** Everything due now in every fragment, in fragment order (each fragment applies whole, within this call). */
  progress(replica: Float32Array): { sends: FragmentSend[]; applied: FragmentApplied[] } {
    const sends: FragmentSend[] = [];
    const applied: FragmentApplied[] = [];
    this.parts.forEach((p, fragment) => {
      const r = p.sync.progress(replica.subarray(p.lo, p.hi));
      for (const s of r.sends) sends.push({ ...s, fragment });
      for (const a of r.applied) applied.push({ ...a, fragment });
    });
    return { sends, applied };
  }

  private part(fragment: number, what: string): OuterSync {
    const p = this.parts[fragment];
    if (p === undefined) throw new RemoteError("out-of-range", `outer ${what} for fragment ${fragment}; this shard has ${this.parts.length}`);
    return p.sync;
  }

  receiveDelta(fragment: number, source: string, round: number, last: boolean, update: SparseUpdate): void {
    this.part(fragment, "delta").receiveDelta(source, round, last, update);
  }

  receiveUpdate(fragment: number, source: string, round: number, participants: readonly string[], update: SparseUpdate): void {
    this.part(fragment, "update").receiveUpdate(source, round, participants, update);
  }

  /** The state as plain data for checkpoints (with F = 1, the single OuterSync's, as before). */
  snapshot(): object {
    return this.parts.length === 1 ? this.parts[0]!.sync.snapshot() : { fragments: this.parts.map((p) => p.sync.snapshot()) };
  }

  restore(snapshot: object): void {
    if (this.parts.length === 1) return this.parts[0]!.sync.restore(snapshot);
    const s = snapshot as { fragments: object[] };
    invariant(Array.isArray(s.fragments) && s.fragments.length === this.parts.length, "a snapshot of as many fragments");
    this.parts.forEach((p, i) => p.sync.restore(s.fragments[i]!));
  }
}

/** The `count` offsets of largest |value|, ties to the lower offset, returned ascending. */
function largest(offsets: Uint32Array, value: Float64Array, count: number): Uint32Array {
  if (offsets.length <= count) return offsets;
  const order = Array.from(offsets);
  order.sort((a, b) => Math.abs(value[b]!) - Math.abs(value[a]!) || a - b);
  const kept = Uint32Array.from(order.slice(0, count));
  kept.sort();
  return kept;
}

/**
 * FNV-1a (32 bits) over the float32 bit patterns of `values`, then its length: a cheap fingerprint
 * of a global state, equal across data centers exactly when their states are (up to collisions).
 */
export function stateHash(values: Float32Array): string {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  h = Math.imul(h ^ values.length, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}
