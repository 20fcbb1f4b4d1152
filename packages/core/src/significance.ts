/**
 * Gaia's significance filter.
 *
 * A shard applies every local update to its replica at once and also adds it to a per-parameter
 * accumulator. At each clock boundary it selects the accumulated updates that are significant,
 * `|accum / value| > threshold` (a zero value with a non-zero accumulator counts as significant),
 * sends them to its mirrors, and subtracts what it sent from the accumulators. Updates received
 * from mirrors are applied to the replica but never accumulated, so nothing echoes back.
 *
 * Guarantee (conservation): for every element, everything ever added equals everything ever
 * selected plus what is still accumulated. Accumulators are float64 and a sent float32 value is
 * subtracted exactly, so rounding leaves a tiny residual in the accumulator instead of losing it;
 * `drain()` sends every accumulator at the final flush.
 */
import { scheduleFactor, type Schedule } from "./schedule.js";

export interface SparseUpdate {
  readonly indices: Uint32Array;
  readonly deltas: Float32Array;
}

export type ThresholdSchedule = Schedule | "learning-rate";

/** The threshold in force at `clock`: v, v/sqrt(t+1), or v scaled as the learning rate is. */
export function thresholdAt(base: number, schedule: ThresholdSchedule, clock: number, learningRate: Schedule | undefined): number {
  if (schedule === "learning-rate") return base * (learningRate ? scheduleFactor(learningRate, clock) : 1);
  return base * scheduleFactor(schedule, clock);
}

export class SignificanceFilter {
  private readonly accum: Float64Array;
  /** Offsets with a possibly non-zero accumulator, each listed once (`listed` marks them). */
  private touched: Uint32Array;
  private touchedCount = 0;
  private readonly listed: Uint8Array;
  /** Running totals for invariants(): added == sent + accumulated. */
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

  /**
   * Selects and removes the significant accumulators against the current replica `values`.
   * threshold 0 selects every non-zero accumulator (mirrored BSP).
   */
  select(values: Float32Array, threshold: number): SparseUpdate {
    return this.take((a, offset) => {
      const v = values[offset]!;
      return v === 0 ? a !== 0 : Math.abs(a / v) > threshold;
    });
  }

  /**
   * Removes and returns every non-zero accumulator (the final flush). What float32 cannot carry
   * (below the resolution of the sent value) is counted in `roundedAwayTotal` and dropped.
   */
  drain(): SparseUpdate {
    const update = this.take((a) => a !== 0);
    for (let i = 0; i < this.touchedCount; i++) {
      const offset = this.touched[i]!;
      this.roundedAwayTotal += this.accum[offset]!;
      this.accumulatedTotal -= this.accum[offset]!;
      this.accum[offset] = 0;
      this.listed[offset] = 0;
    }
    this.touchedCount = 0;
    return update;
  }

  private take(significant: (accum: number, offset: number) => boolean): SparseUpdate {
    const chosen: number[] = [];
    let keep = 0;
    for (let i = 0; i < this.touchedCount; i++) {
      const offset = this.touched[i]!;
      const a = this.accum[offset]!;
      if (a !== 0 && significant(a, offset)) chosen.push(offset);
      else if (a !== 0) this.touched[keep++] = offset;
      else this.listed[offset] = 0;
    }
    chosen.sort((x, y) => x - y);
    const indices = new Uint32Array(chosen);
    const deltas = new Float32Array(chosen.length);
    for (let i = 0; i < chosen.length; i++) {
      const offset = chosen[i]!;
      const sent = Math.fround(this.accum[offset]!);
      deltas[i] = sent;
      const residual = this.accum[offset]! - sent;
      this.accum[offset] = residual;
      this.sentTotal += sent;
      this.accumulatedTotal -= sent;
      if (residual !== 0) this.touched[keep++] = offset;
      else this.listed[offset] = 0;
    }
    this.touchedCount = keep;
    return { indices, deltas };
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
}
