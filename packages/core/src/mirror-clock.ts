/**
 * The mirror clock (Gaia's safety net when the WAN is slow or cut).
 *
 * Each shard knows, for every other data center, how many clocks that data center's mirror has
 * completed (announced by the mirror update for that clock, which follows every significant update
 * of the clock on the same FIFO channel). A shard whose own completed clock is ahead of the slowest
 * mirror by more than DS blocks local reads until the slowest catches up, so
 * `localClock - min(mirror clocks) <= DS` holds at every read it serves.
 *
 * A mirror whose workers have all finished sends a final flush; from then on it will announce no
 * more clocks, so it no longer counts toward the minimum (a finished data center must not hold
 * the others back forever).
 */
import { RemoteError } from "./errors.js";

export class MirrorClock {
  private readonly completed = new Map<string, number>();
  private readonly finished = new Set<string>();
  /** min() as of the last change (reads ask for it far more often than clocks change). */
  private minCached: number | null = null;
  private minStale = true;

  constructor(readonly dataCenters: readonly string[]) {
    for (const dc of dataCenters) this.completed.set(dc, 0);
  }

  /** Throws the RemoteError that `record(dataCenter, clock)` would, without recording. */
  expect(dataCenter: string, clock: number): void {
    const known = this.completed.get(dataCenter);
    if (known === undefined) throw new RemoteError("unknown-peer", `no mirror in data center ${dataCenter}`);
    if (clock < known) throw new RemoteError("stale-clock", `${dataCenter} announced clock ${clock} again (completed ${known})`);
    if (clock > known) throw new RemoteError("clock-from-future", `${dataCenter} announced clock ${clock} before ${known}`);
  }

  /** Records that `dataCenter` completed `clock`. Clocks must arrive in order, once each. */
  record(dataCenter: string, clock: number): void {
    this.expect(dataCenter, clock);
    this.completed.set(dataCenter, clock + 1);
    this.minStale = true;
  }

  /** Throws unless `dataCenter` is one of the mirrors. */
  expectMirror(dataCenter: string): void {
    if (!this.completed.has(dataCenter)) throw new RemoteError("unknown-peer", `no mirror in data center ${dataCenter}`);
  }

  /** `dataCenter` sent its final flush: it announces no more clocks. */
  finish(dataCenter: string): void {
    if (!this.completed.has(dataCenter)) throw new RemoteError("unknown-peer", `no mirror in data center ${dataCenter}`);
    this.finished.add(dataCenter);
    this.minStale = true;
  }

  /** Whether `dataCenter` sent its final flush. */
  hasFinished(dataCenter: string): boolean {
    return this.finished.has(dataCenter);
  }

  completedBy(dataCenter: string): number {
    return this.completed.get(dataCenter) ?? 0;
  }

  /** The slowest unfinished mirror's completed clock count, or null with none. */
  min(): number | null {
    if (!this.minStale) return this.minCached;
    let m: number | null = null;
    for (const [dc, v] of this.completed) if (!this.finished.has(dc) && (m === null || v < m)) m = v;
    this.minCached = m;
    this.minStale = false;
    return m;
  }

  /** Whether a shard at `localClock` may serve reads under bound `bound` (DS). */
  admits(localClock: number, bound: number): boolean {
    const m = this.min();
    return m === null || localClock - m <= bound;
  }
}
