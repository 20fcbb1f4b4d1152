/**
 * Run metrics: the progress of the slowest worker, and how long reads waited, by reason. The
 * driver feeds it trace events; it turns them into `MetricsPoint`s at each evaluation.
 */
import type { NodeId, TraceEvent } from "@gaia/core";
import type { MetricsPoint } from "./result.js";

export class MetricsCollector {
  /** Completed clocks per worker. */
  private readonly clocks: Float64Array;
  private readonly index = new Map<NodeId, number>();
  private readonly blockedMs = { ssp: 0, mirrorClock: 0, barrier: 0 };
  private readsServed = 0;
  private fastestClock = 0;

  constructor(workers: readonly NodeId[]) {
    this.clocks = new Float64Array(workers.length);
    workers.forEach((w, i) => this.index.set(w, i));
  }

  /** Takes a role's trace event; returns true when the slowest worker's clock may have moved. */
  observe(e: TraceEvent): boolean {
    if (e.type === "worker-clock") {
      const i = this.index.get(e.worker);
      if (i !== undefined) {
        const clock = Math.max(this.clocks[i]!, e.clock + 1);
        this.clocks[i] = clock;
        if (clock > this.fastestClock) this.fastestClock = clock;
      }
      return true;
    }
    if (e.type === "read-served") {
      this.readsServed++;
      if (e.blockedBy === "ssp") this.blockedMs.ssp += e.waitedMs;
      else if (e.blockedBy === "mirror-clock") this.blockedMs.mirrorClock += e.waitedMs;
      else if (e.blockedBy === "barrier") this.blockedMs.barrier += e.waitedMs;
    }
    return false;
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
    return { ssp: this.blockedMs.ssp / 1000, mirrorClock: this.blockedMs.mirrorClock / 1000, barrier: this.blockedMs.barrier / 1000 };
  }

  get reads(): number {
    return this.readsServed;
  }
}
