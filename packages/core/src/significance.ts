/**
 * Gaia's significance filter, with a byte budget.
 *
 * A shard applies every local update to its replica at once and also adds it to a per-parameter
 * accumulator. At each clock boundary it selects the accumulated updates that are significant,
 * `|accum / value| > threshold` (a zero value with a non-zero accumulator counts as significant),
 * sends them to its mirrors, and subtracts what it sent from the accumulators. Updates received
 * from mirrors are applied to the replica but never accumulated, so nothing echoes back.
 *
 * With a budget (`threshold: auto`), at most `maxEntries` of the significant accumulators go out,
 * the most significant first (largest |accum / value|); the rest stay accumulated, keep growing
 * and win a later clock. The hard threshold, with its schedule, stays the floor: nothing below it
 * is ever sent before the final flush. A ceiling bounds what the budget may hold back: an
 * accumulator above it goes out whatever the budget, so every unsent update stays below the
 * ceiling relative to its value, as the paper's filter keeps it below its threshold. The effective
 * threshold of a clock is therefore between the floor and the ceiling: max(floor, min(ceiling,
 * the significance of the last entry that fit)).
 *
 * Selection and settlement are separate steps so that the sender can encode the selection (maybe
 * lossily) and subtract exactly what the receivers will apply (`settle`): the quantization error
 * stays in the accumulator (error feedback).
 *
 * Guarantee (conservation): for every element, everything ever added equals everything ever
 * settled plus what is still accumulated; accumulators are float64. `drain()` selects every
 * non-zero accumulator for the final flush, and whatever the final encoding cannot carry is
 * counted in `roundedAwayTotal`.
 */
import { scheduleFactor, type Schedule } from "./schedule.js";

export type ThresholdSchedule = Schedule | "learning-rate";

/** The threshold in force at `clock`: v, v/sqrt(t+1), or v scaled as the learning rate is. */
export function thresholdAt(base: number, schedule: ThresholdSchedule, clock: number, learningRate: Schedule | undefined): number {
  if (schedule === "learning-rate") return base * (learningRate ? scheduleFactor(learningRate, clock) : 1);
  return base * scheduleFactor(schedule, clock);
}

/** What one selection chose, and what it left. */
export interface Selection {
  /** Chosen element offsets, ascending. */
  readonly offsets: Uint32Array;
  /** Their accumulated values (float64, exact). */
  readonly values: Float64Array;
  /** Accumulators at or above the floor (significant) before the budget. */
  readonly significant: number;
  /** Significant accumulators the budget kept back. */
  readonly heldBack: number;
  /** Non-zero accumulators before the selection. */
  readonly accumulated: number;
  /** The smallest significance that was sent when the budget bound (else the floor). */
  readonly thresholdInForce: number;
}

export class SignificanceFilter {
  private readonly accum: Float64Array;
  /** Offsets with a possibly non-zero accumulator, each listed once (`listed` marks them). */
  private touched: Uint32Array;
  private touchedCount = 0;
  private readonly listed: Uint8Array;
  /** Running totals for invariants(): added == sent + accumulated + rounded away. */
  addedTotal = 0;
  sentTotal = 0;
  accumulatedTotal = 0;
  roundedAwayTotal = 0;

  constructor(readonly size: number) {
    this.accum = new Float64Array(size);
    this.listed = new Uint8Array(size);
    this.touched = new Uint32Array(Math.min(size, 1024));
  }

  add(offset: number, delta: number): void {
    if (delta === 0) return;
    this.accum[offset] += delta;
    this.addedTotal += delta;
    this.accumulatedTotal += delta;
    if (this.listed[offset] === 0) {
      this.listed[offset] = 1;
      if (this.touchedCount === this.touched.length) {
        const grown = new Uint32Array(Math.min(this.size, this.touched.length * 2));
        grown.set(this.touched);
        this.touched = grown;
      }
      this.touched[this.touchedCount++] = offset;
    }
  }

  accumulated(offset: number): number {
    return this.accum[offset]!;
  }

  /** Bytes of the accumulators and their touched list (see state-bytes.ts). */
  stateBytes(): number {
    return this.accum.byteLength + this.listed.byteLength + this.touched.byteLength;
  }

  /**
   * The accumulators with |accum / value| > threshold against the replica `values`, at most
   * `maxEntries` of them, the most significant first. Nothing changes until `settle`.
   * threshold 0 selects every non-zero accumulator (mirrored BSP).
   */
  select(values: Float32Array, threshold: number, maxEntries = Infinity, ceiling = Infinity): Selection {
    const candidates: number[] = [];
    const scores: number[] = [];
    const mandatory: number[] = [];
    let accumulated = 0;
    for (let i = 0; i < this.touchedCount; i++) {
      const offset = this.touched[i]!;
      const a = this.accum[offset]!;
      if (a === 0) continue;
      accumulated++;
      const v = values[offset]!;
      const score = v === 0 ? Infinity : Math.abs(a / v);
      if (score > threshold && score > ceiling) mandatory.push(offset);
      else if (score > threshold) {
        candidates.push(offset);
        scores.push(score);
      }
    }
    const significant = candidates.length + mandatory.length;
    let chosen = candidates;
    let thresholdInForce = threshold;
    const limit = Math.max(0, Math.floor(maxEntries) - mandatory.length);
    if (candidates.length > limit) {
      if (limit === 0) {
        chosen = [];
        thresholdInForce = Math.max(threshold, ceiling);
      }
      else {
        const cut = kthLargest(Float64Array.from(scores), limit);
        thresholdInForce = Math.max(threshold, cut);
        chosen = [];
        // Strictly above the cut first, then ties at the cut in offset order, up to the limit.
        for (let i = 0; i < candidates.length; i++) if (scores[i]! > cut) chosen.push(candidates[i]!);
        for (let i = 0; i < candidates.length && chosen.length < limit; i++) if (scores[i] === cut) chosen.push(candidates[i]!);
      }
    }
    for (const offset of mandatory) chosen.push(offset);
    const offsets = Uint32Array.from(chosen).sort();
    const picked = new Float64Array(offsets.length);
    for (let i = 0; i < offsets.length; i++) picked[i] = this.accum[offsets[i]!]!;
    return { offsets, values: picked, significant, heldBack: significant - offsets.length, accumulated, thresholdInForce };
  }

  /** Every non-zero accumulator, for the final flush (settle, then `discardResiduals`). */
  drain(): Selection {
    return this.select(new Float32Array(this.size), -1);
  }

  /**
   * Subtracts what the receivers will apply (`applied[i]` at `offsets[i]`) from the accumulators.
   * What the encoding could not carry stays accumulated.
   */
  settle(offsets: Uint32Array, applied: ArrayLike<number>): void {
    for (let i = 0; i < offsets.length; i++) {
      const offset = offsets[i]!;
      const sent = applied[i]!;
      this.accum[offset]! -= sent;
      this.sentTotal += sent;
      this.accumulatedTotal -= sent;
    }
    this.compact();
  }

  /** After the final flush: drops what no encoding carried, counting it in `roundedAwayTotal`. */
  discardResiduals(): void {
    for (let i = 0; i < this.touchedCount; i++) {
      const offset = this.touched[i]!;
      this.roundedAwayTotal += this.accum[offset]!;
      this.accumulatedTotal -= this.accum[offset]!;
      this.accum[offset] = 0;
      this.listed[offset] = 0;
    }
    this.touchedCount = 0;
  }

  /** Number of elements with a possibly non-zero accumulator. */
  get pending(): number {
    return this.touchedCount;
  }

  /** Exact sum of the accumulators (O(size)); for deep checks in tests. */
  sumAccumulated(): number {
    let s = 0;
    for (let i = 0; i < this.size; i++) s += this.accum[i]!;
    return s;
  }

  private compact(): void {
    let keep = 0;
    for (let i = 0; i < this.touchedCount; i++) {
      const offset = this.touched[i]!;
      if (this.accum[offset] !== 0) this.touched[keep++] = offset;
      else this.listed[offset] = 0;
    }
    this.touchedCount = keep;
  }
}

/** The k-th largest of `scores` (1-based), by quickselect; reorders `scores`. */
function kthLargest(scores: Float64Array, k: number): number {
  let lo = 0;
  let hi = scores.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot, so sorted inputs stay linear.
    const a = scores[lo]!;
    const b = scores[mid]!;
    const c = scores[hi]!;
    const pivot = a > b ? (b > c ? b : a > c ? c : a) : a > c ? a : b > c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (scores[i]! > pivot) i++;
      while (scores[j]! < pivot) j--;
      if (i <= j) {
        const t = scores[i]!;
        scores[i] = scores[j]!;
        scores[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return scores[target]!;
  }
  return scores[target]!;
}
