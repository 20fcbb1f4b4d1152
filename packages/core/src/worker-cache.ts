/**
 * The worker's SSP cache (Bösen's client cache): a worker keeps the rows it has read, each tagged
 * with the local clock of the shard that served it, and serves a later read from the cache while
 * the copy is fresh enough for SSP.
 *
 * Guarantee. A shard's reply carries its local clock L at the moment it served the read: every
 * client of the shard had then pushed clocks 0..L-1, and the values include all of those updates.
 * SSP lets a read for clock c see only updates through c - s - 1 of every client, so a row whose
 * copy was served at L >= c - s may be read from the cache at clock c: it already holds everything
 * SSP demands. A row tagged older, or never read, goes to the shard. A shard the worker asks no
 * rows of still bounds the worker's clock: the read is skipped only when some earlier reply of that
 * shard already reported L >= c - s (otherwise an empty read goes out, as without the cache).
 *
 * The worker's own updates go into its cached rows when it pushes them (read-my-writes, as Bösen's
 * process cache does). A reply to the read for clock c cannot contain the worker's push for c or
 * later (the worker sends that push after the reply arrives), so nothing is counted twice.
 *
 * Under ASP the same tag also carries the mirror-clock bound: the shard admitted the read only with
 * L - (slowest mirror) <= DS, so the copy is no staler across data centers than a fresh read at
 * clock c could be. The selective barrier applies to reads that reach the shard; a cached copy was
 * taken before any barrier that arrived later, and its staleness is bounded by s and DS as above.
 *
 * Memory: the values of a shard's range are allocated the first time the worker reads that shard
 * (a worker of a sparse program touches few rows, but the array covers the range).
 */
import { invariant } from "./errors.js";

export class ShardCache {
  private values: Float32Array | null = null;
  /** Per row of the range: the shard's local clock when it served the copy, -1 when absent. */
  private readonly tags: Int32Array;
  /** Per row: the clock of the read whose reply supplied the copy (for the trace). */
  private readonly readClocks: Int32Array;
  /** The largest local clock any reply of this shard reported, and the read it answered. */
  knownClock = -1;
  knownReadClock = -1;

  constructor(
    readonly start: number,
    readonly end: number,
    private readonly cols: number,
  ) {
    this.tags = new Int32Array(end - start).fill(-1);
    this.readClocks = new Int32Array(end - start).fill(-1);
  }

  /**
   * The rows of `wanted` (null: the whole range) whose copy is older than `need` (or absent), as
   * the read to send: null when that is the whole range and `wanted` was null, an empty array when
   * every row is fresh.
   */
  stale(wanted: Uint32Array | null, need: number): Uint32Array | null {
    const tags = this.tags;
    const start = this.start;
    if (wanted === null) {
      let count = 0;
      for (let i = 0; i < tags.length; i++) if (tags[i]! < need) count++;
      if (count === tags.length) return null;
      const rows = new Uint32Array(count);
      let at = 0;
      for (let i = 0; i < tags.length; i++) if (tags[i]! < need) rows[at++] = start + i;
      return rows;
    }
    let count = 0;
    for (let i = 0; i < wanted.length; i++) if (tags[wanted[i]! - start]! < need) count++;
    if (count === 0) return wanted.subarray(0, 0);
    if (count === wanted.length) return wanted;
    const rows = new Uint32Array(count);
    let at = 0;
    for (let i = 0; i < wanted.length; i++) if (tags[wanted[i]! - start]! < need) rows[at++] = wanted[i]!;
    return rows;
  }

  /** Bytes of its tags and (once allocated) its values. */
  stateBytes(): number {
    return this.tags.byteLength + this.readClocks.byteLength + (this.values?.byteLength ?? 0);
  }

  /** Stores a reply: `rows` with their `values`, served at the shard's local clock `localClock`. */
  store(readClock: number, localClock: number, rows: Uint32Array, values: Float32Array): void {
    const cols = this.cols;
    const cache = this.valuesArray();
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]! - this.start;
      cache.set(values.subarray(i * cols, (i + 1) * cols), r * cols);
      this.tags[r] = localClock;
      this.readClocks[r] = readClock;
    }
    if (localClock > this.knownClock) {
      this.knownClock = localClock;
      this.knownReadClock = readClock;
    }
  }

  /**
   * Copies the cached values of `rows` (null: the range) into `out` from row position `at`; every
   * row must be cached. Returns the oldest copy used, as [its tag, the read clock that fetched it].
   */
  copyOut(rows: Uint32Array | null, out: Float32Array, at: number): readonly [number, number] {
    const cols = this.cols;
    const cache = this.valuesArray();
    const count = rows === null ? this.end - this.start : rows.length;
    let oldestTag = Infinity;
    let oldestRead = -1;
    for (let i = 0; i < count; i++) {
      const r = rows === null ? i : rows[i]! - this.start;
      const tag = this.tags[r]!;
      invariant(tag >= 0, () => `row ${r + this.start} is not cached`);
      if (tag < oldestTag) {
        oldestTag = tag;
        oldestRead = this.readClocks[r]!;
      }
      out.set(cache.subarray(r * cols, (r + 1) * cols), (at + i) * cols);
    }
    return [oldestTag, oldestRead];
  }

  /** Adds the worker's own deltas of `rows` (row-major) to the rows it has cached. */
  applyOwn(rows: Uint32Array, deltas: Float32Array): void {
    if (this.values === null) return;
    const cols = this.cols;
    const cache = this.values;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]! - this.start;
      if (this.tags[r]! < 0) continue;
      const base = r * cols;
      for (let k = 0; k < cols; k++) cache[base + k]! += deltas[i * cols + k]!;
    }
  }

  private valuesArray(): Float32Array {
    if (this.values === null) this.values = new Float32Array((this.end - this.start) * this.cols);
    return this.values;
  }
}
