/**
 * DiLoCo between data centers: local training for H clocks, then one outer step everywhere.
 *
 * Theory of operation. Each data center trains its own replica under BSP or SSP inside the data
 * center, as Gaia's ASP does, but sends nothing between data centers until its shards' local clock
 * reaches a multiple of H (`localClocks`). At that boundary, round k, each shard sends every mirror
 * its pseudo-gradient: its replica minus the last global state, plus what its value codec left out
 * of earlier rounds (error feedback). When a shard holds round k from every data center that takes
 * part in it, it applies the same outer step as every mirror:
 *
 *   g      = mean (or sum) over the participants, in layout order, of their decoded deltas
 *   sgd:       global += lr * g
 *   nesterov:  m = mu * m + g;  global += lr * (g + mu * m)
 *
 * and its replica becomes the new global state (plus any local update that arrived since it sent
 * its delta). Reads of clocks at or past k*H wait ("outer-step") until round k is applied, so the
 * inner clocks of round k+1 all start from the new global state.
 *
 * Guarantee: after round k, every data center's global state of a shard is the same, bit for bit.
 * Every participant decodes the same bodies (a sender applies its own delta as its mirrors decode
 * it, `applied`), sums them in the same order in float64, and rounds the same way to float32; the
 * momentum is updated the same way everywhere. The `outer-step` trace event carries a hash of the
 * new global state; the simulator's checker compares them across data centers.
 *
 * Who takes part in round k: every data center whose shard has not finished before k. A shard whose
 * clients are all done sends one last round (marked `last`, in f32 with every residual in it, so
 * nothing a lossy codec held back is lost); later rounds neither wait for it nor count it, and it
 * keeps applying them, so it ends with the same global state. Participation is a fact about the
 * sender's own rounds, never about arrival times, so every data center computes the same set.
 *
 * Faults (the "wait" rule): a round waits for every participant. A partitioned data center's
 * delta arrives when the link heals (the transport resends; the simulator holds messages); a
 * crashed shard resumes with its state and sends it. Nothing is lost, the outer step is only late,
 * and every data center blocks at the next boundary meanwhile. A quorum rule (proceed without a
 * late data center) is not implemented: every data center would have to agree on the same quorum,
 * which needs a consensus step this protocol does not have.
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
  readonly encoding: PseudoGradientEncoding;
  /** topk: the fraction of the shard's elements a round sends (0 < f <= 1). */
  readonly keptFraction: number;
}

/** A round this shard owes its mirrors: its number, and whether it is its last. */
interface Planned {
  readonly round: number;
  readonly last: boolean;
}

/** What a shard sends for one round: the encoded delta and the values as its mirrors decode them. */
export interface OuterSend {
  readonly round: number;
  readonly last: boolean;
  readonly body: Uint8Array;
  readonly entries: number;
}

/** One applied round, for the trace. */
export interface OuterApplied {
  readonly round: number;
  readonly participants: readonly string[];
  readonly hash: string;
}

/**
 * The outer-step state of one shard: the global state, the momentum, the error-feedback residual,
 * the rounds it owes and the rounds it has received. The shard feeds it boundaries, messages and
 * its replica; it returns what to send and what it applied.
 */
export class OuterSync {
  readonly global: Float32Array;
  private readonly momentumBuffer: Float32Array | null;
  private readonly residual: Float64Array;
  private readonly sum: Float64Array;
  /** The replica as it was when the round in flight was sent (local updates since then are kept). */
  private readonly sentReplica: Float32Array;
  private readonly planned: Planned[] = [];
  /** round -> data center -> its decoded delta. */
  private readonly received = new Map<number, Map<string, SparseUpdate>>();
  /** Each data center's last round, once it is known. */
  private readonly lastRound = new Map<string, number>();
  private applied = 0;
  private sent = 0;
  private inFlight = false;

  constructor(
    readonly config: DilocoConfig,
    readonly dataCenter: string,
    /** Every data center holding this shard, own included, in layout order (the summation order). */
    readonly dataCenters: readonly string[],
    private readonly cols: number,
    initial: Float32Array,
  ) {
    invariant(Number.isInteger(config.localClocks) && config.localClocks >= 1, "localClocks must be an integer >= 1");
    invariant(dataCenters.includes(dataCenter), `${dataCenter} is not among its shard's data centers`);
    this.global = Float32Array.from(initial);
    this.momentumBuffer = config.outerOptimizer === "nesterov" ? new Float32Array(initial.length) : null;
    this.residual = new Float64Array(initial.length);
    this.sum = new Float64Array(initial.length);
    this.sentReplica = new Float32Array(initial.length);
  }

  get roundsApplied(): number {
    return this.applied;
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

  /** Whether a read for `clock` may be served: every boundary at or before it has been applied. */
  admits(clock: number): boolean {
    return Math.floor(clock / this.config.localClocks) <= this.applied;
  }

  /** The local clock moved from `from` to `to`; `allDone`: every client has pushed its last clock. */
  advance(from: number, to: number, allDone: boolean): void {
    const H = this.config.localClocks;
    const ownLast = this.plannedLast();
    if (ownLast) return;
    for (let c = from + 1; c <= to; c++) {
      if (c % H === 0) this.planned.push({ round: c / H, last: allDone && c === to });
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
   * The next round's delta, if one is owed and every earlier round is applied (a delta is taken
   * against the global state it will be added to). Applies error feedback; the last round goes in
   * f32 with every residual.
   */
  takeSend(replica: Float32Array): OuterSend | null {
    const next = this.planned[0];
    if (next === undefined || this.inFlight || next.round !== this.applied + 1) return null;
    this.planned.shift();
    const n = replica.length;
    const value = this.sum; // scratch: the delta with the residual folded in
    let nonZero = 0;
    for (let i = 0; i < n; i++) {
      const v = replica[i]! - this.global[i]! + this.residual[i]!;
      value[i] = v;
      if (v !== 0) nonZero++;
    }
    let offsets: Uint32Array = new Uint32Array(nonZero);
    let k = 0;
    for (let i = 0; i < n; i++) if (value[i] !== 0) offsets[k++] = i;
    const encoding = next.last ? "f32" : this.config.encoding;
    if (encoding === "topk") offsets = largest(offsets, value, Math.max(1, Math.ceil(this.config.keptFraction * n)));
    const values = new Float64Array(offsets.length);
    for (let j = 0; j < offsets.length; j++) values[j] = value[offsets[j]!]!;
    const { body, applied } = encodeUpdate(offsets, values, this.cols, encoding === "int8" ? "int8" : "f32");
    // Error feedback: what was not sent, or was rounded away, stays for the next round.
    for (let i = 0; i < n; i++) this.residual[i] = value[i]!;
    for (let j = 0; j < offsets.length; j++) this.residual[offsets[j]!] = value[offsets[j]!]! - applied[j]!;
    if (next.last) this.residual.fill(0); // f32 of everything: only float32 rounding, no backlog
    this.sentReplica.set(replica);
    this.store(next.round, this.dataCenter, { indices: offsets, deltas: applied });
    if (next.last) this.lastRound.set(this.dataCenter, next.round);
    this.sent = next.round;
    this.inFlight = true;
    return { round: next.round, last: next.last, body, entries: offsets.length };
  }

  /** A mirror's delta for `round`. Everything out of order is a RemoteError. */
  receive(source: string, round: number, last: boolean, update: SparseUpdate): void {
    if (source === this.dataCenter || !this.dataCenters.includes(source)) throw new RemoteError("unknown-peer", `outer delta from unknown data center ${source}`);
    if (round <= this.applied) throw new RemoteError("stale-clock", `outer delta of ${source} for round ${round}, already applied`);
    const sourceLast = this.lastRound.get(source);
    if (sourceLast !== undefined && round > sourceLast) throw new RemoteError("clock-from-future", `outer delta of ${source} for round ${round}, after its last round ${sourceLast}`);
    // A mirror is at most one round ahead of a data center that still takes part.
    if (!this.lastRound.has(this.dataCenter) && round > this.applied + 2) throw new RemoteError("clock-from-future", `outer delta of ${source} for round ${round}; round ${this.applied + 1} is not applied here yet`);
    if (this.received.get(round)?.has(source)) throw new RemoteError("duplicate", `a second outer delta of ${source} for round ${round}`);
    if (last) {
      for (const r of this.received.keys()) if (r > round && this.received.get(r)!.has(source)) throw new RemoteError("bad-field", `${source}'s last round ${round} is before a round it sent`);
      this.lastRound.set(source, round);
    }
    this.store(round, source, update);
  }

  private store(round: number, source: string, update: SparseUpdate): void {
    let map = this.received.get(round);
    if (map === undefined) this.received.set(round, (map = new Map()));
    map.set(source, update);
  }

  /**
   * Applies every round whose participants have all arrived, in order, and moves the replica to the
   * new global state (keeping local updates made since this shard sent its delta).
   */
  applyReady(replica: Float32Array): OuterApplied[] {
    const out: OuterApplied[] = [];
    for (;;) {
      const round = this.applied + 1;
      const have = this.received.get(round);
      const participants: string[] = [];
      let ready = true;
      let anyone = false;
      for (const dc of this.dataCenters) {
        const last = this.lastRound.get(dc);
        if (last !== undefined && last < round) continue; // finished before this round
        anyone = true;
        if (have?.has(dc)) participants.push(dc);
        else ready = false;
      }
      if (!anyone || !ready || have === undefined) return out;
      this.step(participants.map((dc) => have.get(dc)!));
      this.received.delete(round);
      this.applied = round;
      if (this.inFlight && this.sent === round) {
        this.inFlight = false;
        for (let i = 0; i < replica.length; i++) replica[i] = this.global[i]! + (replica[i]! - this.sentReplica[i]!);
      } else {
        // Not a participant (finished): nothing local happened since its last round.
        replica.set(this.global);
      }
      out.push({ round, participants, hash: stateHash(this.global) });
    }
  }

  private step(deltas: readonly SparseUpdate[]): void {
    const { outerLearningRate: lr, momentum: mu, reduce } = this.config;
    const sum = this.sum;
    sum.fill(0);
    for (const d of deltas) for (let j = 0; j < d.indices.length; j++) sum[d.indices[j]!]! += d.deltas[j]!;
    const scale = reduce === "mean" ? 1 / deltas.length : 1;
    const global = this.global;
    const m = this.momentumBuffer;
    if (m === null) {
      for (let i = 0; i < global.length; i++) global[i] = global[i]! + lr * (sum[i]! * scale);
    } else {
      for (let i = 0; i < global.length; i++) {
        const g = sum[i]! * scale;
        m[i] = mu * m[i]! + g;
        global[i] = global[i]! + lr * (g + mu * m[i]!);
      }
    }
  }

  /** The state as plain data for checkpoints. */
  snapshot(): object {
    return structuredClone({ global: this.global, momentum: this.momentumBuffer, residual: this.residual, sentReplica: this.sentReplica, planned: this.planned, received: this.received, lastRound: this.lastRound, applied: this.applied, sent: this.sent, inFlight: this.inFlight });
  }

  restore(snapshot: object): void {
    const s = structuredClone(snapshot) as { global: Float32Array; momentum: Float32Array | null; residual: Float64Array; sentReplica: Float32Array; planned: Planned[]; received: Map<number, Map<string, SparseUpdate>>; lastRound: Map<string, number>; applied: number; sent: number; inFlight: boolean };
    this.global.set(s.global);
    if (this.momentumBuffer && s.momentum) this.momentumBuffer.set(s.momentum);
    this.residual.set(s.residual);
    this.sentReplica.set(s.sentReplica);
    this.planned.splice(0, this.planned.length, ...s.planned);
    this.received.clear();
    for (const [r, m] of s.received) this.received.set(r, m);
    this.lastRound.clear();
    for (const [dc, r] of s.lastRound) this.lastRound.set(dc, r);
    this.applied = s.applied;
    this.sent = s.sent;
    this.inFlight = s.inFlight;
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
