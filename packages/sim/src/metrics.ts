/**
 * Run metrics: the progress of the slowest worker, and how long reads waited, by reason. The
 * driver feeds it trace events; it turns them into `MetricsPoint`s at each evaluation.
 *
 * Blocked time is counted per worker and clock: a worker reads all its shards at once, so the
 * clock waited as long as its slowest read, and that wait is charged to the reason that held that
 * read. Summed over workers, it is in worker-seconds (at most workers x virtual time).
 */
import type { NodeId, TraceEvent } from "@gaia/core";
import type { MetricsPoint } from "@gaia/scenario";

export class MetricsCollector {
  /** Completed clocks per worker. */
  private readonly clocks: Float64Array;
  private readonly index = new Map<NodeId, number>();
  private readonly blockedMs = { ssp: 0, mirrorClock: 0, barrier: 0, outerStep: 0 };
  private readsServed = 0;
  private fastestClock = 0;
  /** Per worker: the clock being read, its longest wait so far, and the reason of that wait. */
  private readonly readClock: Float64Array;
  private readonly readWaitMs: Float64Array;
  private readonly readReason: (string | null)[];

  constructor(workers: readonly NodeId[]) {
    this.clocks = new Float64Array(workers.length);
    this.readClock = new Float64Array(workers.length).fill(-1);
    this.readWaitMs = new Float64Array(workers.length);
    this.readReason = workers.map(() => null);
    workers.forEach((w, i) => this.index.set(w, i));
  }

  /** Takes a role's trace event; returns true when the slowest worker's clock may have moved. */
  observe(e: TraceEvent): boolean {
    if (e.type === "worker-clock") {
      const i = this.index.get(e.worker);
      if (i !== undefined) {
        this.charge(i);
        const clock = Math.max(this.clocks[i]!, e.clock + 1);
        this.clocks[i] = clock;
        if (clock > this.fastestClock) this.fastestClock = clock;
      }
      return true;
    }
    if (e.type === "read-served") {
      this.readsServed++;
      const i = this.index.get(e.worker);
      if (i === undefined) return false;
      if (this.readClock[i] !== e.clock) {
        this.charge(i);
        this.readClock[i] = e.clock;
      }
      if (e.blockedBy !== null && e.waitedMs > this.readWaitMs[i]!) {
        this.readWaitMs[i] = e.waitedMs;
        this.readReason[i] = e.blockedBy;
      }
    }
    return false;
  }

  /** Adds worker i's longest wait of its current clock to the totals. */
  private charge(i: number): void {
    const ms = this.readWaitMs[i]!;
    const reason = this.readReason[i];
    if (reason === "ssp") this.blockedMs.ssp += ms;
    else if (reason === "mirror-clock") this.blockedMs.mirrorClock += ms;
    else if (reason === "barrier") this.blockedMs.barrier += ms;
    else if (reason === "outer-step") this.blockedMs.outerStep += ms;
    this.readWaitMs[i] = 0;
    this.readReason[i] = null;
  }

  /** Completed clocks of the slowest worker. */
  slowest(): number {
    let min = Infinity;
    for (const c of this.clocks) if (c < min) min = c;
    return min === Infinity ? 0 : min;
  }

  /** Completed clocks of the fastest worker. */
  fastest(): number {
    return this.fastestClock;
  }

  /** Completed clocks of one worker. */
  clockOf(worker: NodeId): number {
    const i = this.index.get(worker);
    return i === undefined ? 0 : this.clocks[i]!;
  }

  blockedS(): MetricsPoint["blockedS"] {
    const blocked = { ssp: this.blockedMs.ssp / 1000, mirrorClock: this.blockedMs.mirrorClock / 1000, barrier: this.blockedMs.barrier / 1000 };
    // Only DiLoCo runs wait for outer steps: other runs' summaries keep their shape.
    return this.blockedMs.outerStep > 0 ? { ...blocked, outerStep: this.blockedMs.outerStep / 1000 } : blocked;
  }

  get reads(): number {
    return this.readsServed;
  }
}
