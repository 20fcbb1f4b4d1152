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

/**
 * How significant an accumulated update is against its parameter's current value: the filter
 * sends it when the score exceeds the threshold. It must be a pure function of the two numbers.
 */
export type SignificanceScore = (accumulated: number, value: number) => number;

/** The paper's: |accumulated / value| (a zero value with a non-zero accumulator: Infinity). */
export const relativeSignificance: SignificanceScore = (accumulated, value) => (value === 0 ? Infinity : Math.abs(accumulated / value));

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

/** An entry's state in the filter. */
const UNLISTED = 0;
/** Listed and rescanned at the next selection: added to, its value changed, or significant at the last one. */
const ACTIVE = 1;
/** Listed, not significant at the last selection, and unchanged since: its score is as it was. */
const QUIET = 2;

/**
 * Buckets of quiet entries by score: the float64 exponent and the top 3 mantissa bits (8 per
 * octave), for scores 2^-64 to 2^64; smaller and larger scores share the end buckets (a bucket's
 * highest score is tracked, so sharing costs rescans, never correctness).
 */
const octaves = 128;
const bucketCount = octaves * 8;
const scoreBits = new Float64Array(1);
const scoreWords = new Uint32Array(scoreBits.buffer);
const highWord = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const bucketOfScore = (score: number): number => {
  scoreBits[0] = score;
  const high = scoreWords[highWord]!;
  const octave = ((high >>> 20) & 0x7ff) - 1023 + octaves / 2;
  return octave < 0 ? 0 : octave >= octaves ? bucketCount - 1 : octave * 8 + ((high >>> 17) & 7);
};

/**
 * Cost follows change: a selection rescans only the entries that changed since the last one (an
 * add, or a replica value the owner reported through `valuesChanged`) and those that were
 * significant at the last one. An entry that was not significant and has not changed since keeps
 * its score, so it stays quiet, in a bucket of like scores, until a threshold falls below its
 * bucket's highest score (a threshold schedule): that bucket is then rescanned. The selection is
 * exactly the one a scan of every non-zero accumulator would make: the same entries, and ties at
 * the budget's cut broken in the order the entries were listed (first added since last zero).
 *
 * Replica values may change only through `add` (the local update) or with `valuesChanged`
 * (mirror updates); a selection against a different `values` array rescans every entry.
 */
export class SignificanceFilter {
  private readonly accum: Float64Array;
  /** UNLISTED, ACTIVE or QUIET per element. */
  private readonly state: Uint8Array;
  /** Listing order (ties at the cut go in this order); renumbered before it would overflow. */
  private readonly seq: Uint32Array;
  private nextSeq = 0;
  private listedCount = 0;
  /** Entries to rescan, each once. */
  private active: Uint32Array;
  private activeCount = 0;
  /** The first `sortedCount` entries of `active` are ascending (the last selection kept them in order). */
  private sortedCount = 0;
  /** Quiet entries per bucket; a bucket's list may hold stale copies (left, or moved), dropped on compaction. */
  private readonly bucketOf: Uint16Array;
  private readonly buckets: (Uint32Array | undefined)[] = [];
  private readonly bucketLength = new Uint32Array(bucketCount);
  private readonly bucketLive = new Uint32Array(bucketCount);
  /** An upper bound on the scores of a bucket's quiet entries (-Infinity when empty). */
  private readonly bucketMax = new Float64Array(bucketCount).fill(-Infinity);
  /** Buckets that may be non-empty. */
  private usedBuckets: number[] = [];
  private readonly bucketUsed = new Uint8Array(bucketCount);
  private lastValues: Float32Array | null = null;
  /** Running totals for invariants(): added == sent + accumulated + rounded away. */
  addedTotal = 0;
  sentTotal = 0;
  accumulatedTotal = 0;
  roundedAwayTotal = 0;

  constructor(
    readonly size: number,
    /** The workload's own measure of significance (default the paper's relative one). */
    private readonly score: SignificanceScore = relativeSignificance,
  ) {
    this.accum = new Float64Array(size);
    this.state = new Uint8Array(size);
    this.seq = new Uint32Array(size);
    this.bucketOf = new Uint16Array(size);
    this.active = new Uint32Array(Math.min(size, 1024));
  }

  /**
   * The filter's state as plain data (typed arrays and numbers), for a checkpoint. The score
   * function is code, not state: a restored filter keeps the one it was built with.
   */
  snapshot(): object {
    const { score: _score, ...state } = this as unknown as Record<string, unknown>;
    return state;
  }

  /** Takes back a snapshot() of a filter of the same size. */
  restore(state: object): void {
    const { score: _score, ...rest } = state as Record<string, unknown>;
    Object.assign(this, rest);
  }

  add(offset: number, delta: number): void {
    if (delta === 0) return;
    this.accum[offset] += delta;
    this.addedTotal += delta;
    this.accumulatedTotal += delta;
    const st = this.state[offset]!;
    if (st === ACTIVE) return;
    if (st === UNLISTED) {
      this.listedCount++;
      if (this.nextSeq === 0xffffffff) this.renumber();
      this.seq[offset] = this.nextSeq++;
    } else this.bucketLive[this.bucketOf[offset]!]!--;
    this.state[offset] = ACTIVE;
    this.pushActive(offset);
  }

  /**
   * The replica values at `offsets` changed other than through `add` (mirror updates): their
   * entries, if quiet, are rescanned at the next selection.
   */
  valuesChanged(offsets: ArrayLike<number>): void {
    if (this.listedCount === this.activeCount) return; // nothing quiet
    const state = this.state;
    for (let i = 0; i < offsets.length; i++) {
      const offset = offsets[i]!;
      if (state[offset] !== QUIET) continue;
      this.bucketLive[this.bucketOf[offset]!]!--;
      state[offset] = ACTIVE;
      this.pushActive(offset);
    }
  }

  accumulated(offset: number): number {
    return this.accum[offset]!;
  }

  /** Bytes of the accumulators and their books: state, listing order, bucket ids, the rescan list and the buckets' lists (see state-bytes.ts). */
  stateBytes(): number {
    let buckets = 0;
    for (const list of this.buckets) if (list !== undefined) buckets += list.byteLength;
    return this.accum.byteLength + this.state.byteLength + this.seq.byteLength + this.bucketOf.byteLength + this.active.byteLength + buckets;
  }

  /**
   * The accumulators with |accum / value| > threshold against the replica `values`, at most
   * `maxEntries` of them, the most significant first. Nothing changes until `settle`.
   * threshold 0 selects every non-zero accumulator (mirrored BSP).
   */
  select(values: Float32Array, threshold: number, maxEntries = Infinity, ceiling = Infinity): Selection {
    if (values !== this.lastValues) {
      this.promoteAll();
      this.lastValues = values;
    } else this.promote(threshold);
    const { accum, state } = this;
    // Ascending offsets: the scan reads the tables in order and the selection comes out sorted.
    const active = sortOffsets(this.active, this.activeCount, this.sortedCount);
    this.active = active;
    const n = this.activeCount;
    const sig = scratch(n);
    let accumulated = this.listedCount - n;
    let keep = 0;
    let mandatory = 0;
    for (let i = 0; i < n; i++) {
      const offset = active[i]!;
      const a = accum[offset]!;
      if (a === 0) {
        state[offset] = UNLISTED;
        this.listedCount--;
        continue;
      }
      accumulated++;
      const v = values[offset]!;
      const score = this.score(a, v);
      if (score > threshold) {
        sig.offsets[keep] = offset;
        sig.values[keep] = a;
        sig.scores[keep] = score;
        active[keep++] = offset;
        if (score > ceiling) mandatory++;
      } else this.quiet(offset, score);
    }
    this.activeCount = keep;
    this.sortedCount = keep;
    const significant = keep;
    const candidates = significant - mandatory;
    let thresholdInForce = threshold;
    const limit = Math.max(0, Math.floor(maxEntries) - mandatory);
    if (candidates <= limit) {
      return { offsets: sig.offsets.slice(0, keep), values: sig.values.slice(0, keep), significant, heldBack: 0, accumulated, thresholdInForce };
    }
    // The budget binds: every mandatory entry, then the `limit` most significant candidates.
    let cut = Infinity;
    if (limit === 0) thresholdInForce = Math.max(threshold, ceiling);
    else {
      const candidateScores = new Float64Array(candidates);
      let c = 0;
      for (let i = 0; i < keep; i++) if (!(sig.scores[i]! > ceiling)) candidateScores[c++] = sig.scores[i]!;
      cut = kthLargest(candidateScores, limit);
      thresholdInForce = Math.max(threshold, cut);
    }
    // Strictly above the cut first, then ties at the cut in listing order, up to the limit.
    let above = 0;
    const ties: number[] = [];
    for (let i = 0; i < keep; i++) {
      const score = sig.scores[i]!;
      if (score > ceiling) continue;
      if (score > cut) above++;
      else if (score === cut) ties.push(i);
    }
    const tiesTaken = Math.max(0, Math.min(ties.length, limit - above));
    const take = new Uint8Array(keep);
    if (tiesTaken < ties.length) ties.sort((x, y) => this.seq[sig.offsets[x]!]! - this.seq[sig.offsets[y]!]!);
    for (let i = 0; i < tiesTaken; i++) take[ties[i]!] = 1;
    const chosen = mandatory + above + tiesTaken;
    const offsets = new Uint32Array(chosen);
    const picked = new Float64Array(chosen);
    let at = 0;
    for (let i = 0; i < keep; i++) {
      const score = sig.scores[i]!;
      if (score > ceiling || (score > cut && limit > 0) || take[i] === 1) {
        offsets[at] = sig.offsets[i]!;
        picked[at++] = sig.values[i]!;
      }
    }
    return { offsets, values: picked, significant, heldBack: significant - chosen, accumulated, thresholdInForce };
  }

  /** Every non-zero accumulator, for the final flush (settle, then `discardResiduals`). */
  drain(): Selection {
    this.promoteAll();
    this.lastValues = null;
    return this.select(new Float32Array(this.size), -1);
  }

  /**
   * Subtracts what the receivers will apply (`applied[i]` at `offsets[i]`) from the accumulators.
   * What the encoding could not carry stays accumulated.
   */
  settle(offsets: Uint32Array, applied: ArrayLike<number>): void {
    let emptied = false;
    for (let i = 0; i < offsets.length; i++) {
      const offset = offsets[i]!;
      const sent = applied[i]!;
      this.accum[offset]! -= sent;
      this.sentTotal += sent;
      this.accumulatedTotal -= sent;
      if (this.accum[offset] === 0) emptied = true;
      if (this.state[offset] === QUIET) {
        // Settled without being selected (not the filter's own selection): rescan it.
        this.bucketLive[this.bucketOf[offset]!]!--;
        this.state[offset] = ACTIVE;
        this.pushActive(offset);
      }
    }
    if (emptied) this.compact();
  }

  /** After the final flush: drops what no encoding carried, counting it in `roundedAwayTotal`. */
  discardResiduals(): void {
    this.promoteAll();
    for (let i = 0; i < this.activeCount; i++) {
      const offset = this.active[i]!;
      this.roundedAwayTotal += this.accum[offset]!;
      this.accumulatedTotal -= this.accum[offset]!;
      this.accum[offset] = 0;
      this.state[offset] = UNLISTED;
    }
    this.activeCount = 0;
    this.sortedCount = 0;
    this.listedCount = 0;
  }

  /** Number of elements with a possibly non-zero accumulator. */
  get pending(): number {
    return this.listedCount;
  }

  /** Exact sum of the accumulators (O(size)); for deep checks in tests. */
  sumAccumulated(): number {
    let s = 0;
    for (let i = 0; i < this.size; i++) s += this.accum[i]!;
    return s;
  }

  private pushActive(offset: number): void {
    if (this.activeCount === this.active.length) {
      const grown = new Uint32Array(Math.min(this.size, this.active.length * 2));
      grown.set(this.active);
      this.active = grown;
    }
    this.active[this.activeCount++] = offset;
  }

  /** Files a listed entry that is not significant under its score. */
  private quiet(offset: number, score: number): void {
    const b = bucketOfScore(score);
    this.state[offset] = QUIET;
    this.bucketOf[offset] = b;
    this.bucketLive[b]!++;
    if (score > this.bucketMax[b]!) this.bucketMax[b] = score;
    let list = this.buckets[b];
    const length = this.bucketLength[b]!;
    if (list === undefined || length === list.length) {
      if (list !== undefined && length >= 2 * this.bucketLive[b]! + 64) {
        this.compactBucket(b);
        this.buckets[b]![this.bucketLength[b]!++] = offset;
        return;
      }
      const grown = new Uint32Array(Math.max(64, length * 2));
      if (list !== undefined) grown.set(list);
      this.buckets[b] = list = grown;
    }
    if (this.bucketUsed[b] === 0) {
      this.bucketUsed[b] = 1;
      this.usedBuckets.push(b);
    }
    list[this.bucketLength[b]!++] = offset;
  }

  /** Drops a bucket's stale copies (the entry left, moved to another bucket, or is listed twice). */
  private compactBucket(b: number): void {
    const list = this.buckets[b]!;
    const { state, bucketOf } = this;
    let keep = 0;
    for (let i = 0; i < this.bucketLength[b]!; i++) {
      const offset = list[i]!;
      // Marked kept copies are QUIET | 4 until the pass ends, so a second copy is skipped.
      if (state[offset] === QUIET && bucketOf[offset] === b) {
        state[offset] = QUIET | 4;
        list[keep++] = offset;
      }
    }
    for (let i = 0; i < keep; i++) state[list[i]!] = QUIET;
    this.bucketLength[b] = keep;
  }

  /** Moves every quiet entry of bucket `b` back to the rescan list. */
  private wake(b: number): void {
    const list = this.buckets[b];
    const { state, bucketOf } = this;
    if (list !== undefined) {
      for (let i = 0; i < this.bucketLength[b]!; i++) {
        const offset = list[i]!;
        if (state[offset] !== QUIET || bucketOf[offset] !== b) continue;
        state[offset] = ACTIVE;
        this.pushActive(offset);
      }
    }
    this.bucketLength[b] = 0;
    this.bucketLive[b] = 0;
    this.bucketMax[b] = -Infinity;
  }

  /** Wakes the buckets that may hold a score above `threshold`. */
  private promote(threshold: number): void {
    const used = this.usedBuckets;
    let keep = 0;
    for (let i = 0; i < used.length; i++) {
      const b = used[i]!;
      if (!(this.bucketMax[b]! <= threshold)) this.wake(b);
      if (this.bucketLength[b] === 0) this.bucketUsed[b] = 0;
      else used[keep++] = b;
    }
    used.length = keep;
  }

  private promoteAll(): void {
    for (const b of this.usedBuckets) {
      this.wake(b);
      this.bucketUsed[b] = 0;
    }
    this.usedBuckets = [];
  }

  /** Drops entries whose accumulator is zero from the rescan list. */
  private compact(): void {
    let keep = 0;
    let sorted = 0;
    for (let i = 0; i < this.activeCount; i++) {
      const offset = this.active[i]!;
      if (this.accum[offset] !== 0) {
        this.active[keep++] = offset;
        if (i < this.sortedCount) sorted = keep;
      } else {
        this.state[offset] = UNLISTED;
        this.listedCount--;
      }
    }
    this.activeCount = keep;
    this.sortedCount = sorted;
  }

  /** Listing order, renumbered from 0 keeping its order (before the counter would overflow). */
  private renumber(): void {
    this.promoteAll();
    const listed = Array.from(this.active.subarray(0, this.activeCount)).sort((x, y) => this.seq[x]! - this.seq[y]!);
    listed.forEach((offset, i) => (this.seq[offset] = i));
    this.nextSeq = listed.length;
  }
}

/** Reused buffers for one selection's significant entries (the core is single-threaded). */
let shared = { offsets: new Uint32Array(0), values: new Float64Array(0), scores: new Float64Array(0) };
function scratch(n: number): typeof shared {
  if (shared.offsets.length < n) {
    const length = Math.max(n, shared.offsets.length * 2, 1024);
    shared = { offsets: new Uint32Array(length), values: new Float64Array(length), scores: new Float64Array(length) };
  }
  return shared;
}

let radixBuffer = new Uint32Array(0);
const radixCounts = new Uint32Array(65536);

/**
 * Sorts the first `n` offsets ascending in place, given that the first `sorted` already are: the
 * rest is sorted (a radix sort in two 16-bit passes when long, else the built-in sort) and merged
 * with them. Returns `list`.
 */
function sortOffsets(list: Uint32Array, n: number, sorted: number): Uint32Array {
  if (sorted >= n) return list;
  const tailLength = n - sorted;
  if (radixBuffer.length < n) radixBuffer = new Uint32Array(Math.max(n, radixBuffer.length * 2));
  const tmp = radixBuffer;
  if (tailLength < 1 << 17) list.subarray(sorted, n).sort();
  else radixSort(list, sorted, n, tmp);
  if (sorted === 0 || list[sorted - 1]! < list[sorted]!) return list;
  // Merge from the front: the head is copied out, and the write position never passes the tail's read position.
  tmp.set(list.subarray(0, sorted));
  let i = 0;
  let j = sorted;
  let w = 0;
  while (i < sorted && j < n) list[w++] = tmp[i]! <= list[j]! ? tmp[i++]! : list[j++]!;
  while (i < sorted) list[w++] = tmp[i++]!;
  return list;
}

/** Sorts list[from, to) ascending: LSD radix, two 16-bit passes through `tmp`. */
function radixSort(list: Uint32Array, from: number, to: number, tmp: Uint32Array): void {
  const counts = radixCounts;
  counts.fill(0);
  for (let i = from; i < to; i++) counts[list[i]! & 0xffff]!++;
  let sum = 0;
  for (let b = 0; b < 65536; b++) {
    const c = counts[b]!;
    counts[b] = sum;
    sum += c;
  }
  for (let i = from; i < to; i++) {
    const x = list[i]!;
    tmp[counts[x & 0xffff]!++] = x;
  }
  counts.fill(0);
  const n = to - from;
  for (let i = 0; i < n; i++) counts[tmp[i]! >>> 16]!++;
  sum = from;
  for (let b = 0; b < 65536; b++) {
    const c = counts[b]!;
    counts[b] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) {
    const x = tmp[i]!;
    list[counts[x >>> 16]!++] = x;
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
