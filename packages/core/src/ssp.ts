/**
 * Stale Synchronous Parallel inside a data center (and globally for the Baseline placement).
 *
 * Guarantee: a worker reading for iteration `clock` sees every update of every client for all
 * iterations up to `clock - staleness - 1`. A shard's `localClock` is the number of iterations all
 * of its clients have completed (pushed), so the read is admitted iff
 * `clock - localClock <= staleness`. Staleness 0 is BSP (bsp.ts).
 */

export function sspAdmits(readClock: number, localClock: number, staleness: number): boolean {
  return readClock - localClock <= staleness;
}
