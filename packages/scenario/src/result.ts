/**
 * What one simulated (or launched) run reports. `gaia simulate --json` prints a `RunSummary`;
 * the JSONL metrics file holds one `MetricsPoint` per line; the HTML report plots `series`.
 */

import type { FilterStats } from "@gaia/core";

export interface MetricsPoint {
  readonly virtualTimeS: number;
  /** Completed clocks of the slowest worker. */
  readonly iteration: number;
  readonly objective: number;
  readonly metrics: Readonly<Record<string, number>>;
  /** Cumulative WAN bytes so far. */
  readonly wanBytes: number;
  readonly costUsd: number;
  /** Cumulative worker-seconds clocks spent blocked on reads, by reason (each worker's clock waits as long as its slowest read). */
  readonly blockedS: { readonly ssp: number; readonly mirrorClock: number; readonly barrier: number; readonly outerStep?: number };
  /** The significance filter so far (ASP runs). */
  readonly filter?: FilterStats;
}

export interface RunSummary {
  readonly name: string;
  readonly seed: number;
  readonly sync: string;
  readonly workload: string;
  readonly topology: string;
  readonly virtualTimeS: number;
  /** What `virtualTimeS` and the series' times measure: simulated time, or wall-clock time on a real run. */
  readonly clock?: "virtual" | "wall";
  readonly iterations: number;
  readonly objective: number;
  readonly objectiveName: string;
  readonly targetObjective: number | null;
  readonly reachedTarget: boolean;
  readonly timeToTargetS: number | null;
  readonly wanBytes: number;
  readonly costUsd: number;
  readonly blockedS: { readonly ssp: number; readonly mirrorClock: number; readonly barrier: number; readonly outerStep?: number };
  readonly traceHash: string;
  /** Bytes per directed WAN link "source->target". */
  readonly wanBytesByLink: Readonly<Record<string, number>>;
  /** The significance filter over the whole run (ASP runs). */
  readonly filter?: FilterStats;
  /**
   * The mirror clock's latency model (ASP runs over a WAN; latency-model.ts): the slowest mirror
   * path's one-way latency, whether it goes through hubs, that over DS + 1 (about what a clock
   * takes when the run is bound by WAN latency), and the run's measured time per clock.
   */
  readonly mirrorClock?: { readonly pathLatencyMs: number; readonly throughHubs: boolean; readonly modelClockMs: number; readonly clockMs: number | null };
  readonly events: number;
  /** Why the run stopped: target, max-iterations, max-virtual-time. */
  readonly stoppedBy: string;
  /** Set when the model went non-finite: "diverged at clock N: ..." (see divergence.ts); the run failed. */
  readonly diverged?: string | null;
  /** Checker verdicts over the trace: name -> null when it held, else the first violation. */
  readonly checks: Readonly<Record<string, string | null>>;
  readonly wallTimeS: number;
  /** The scripted faults' windows on the run's clock, for reports to shade (absent: none known). */
  readonly faultWindows?: readonly FaultWindow[];
  /** Memory: the protocol state the roles hold at the end, its estimate from the layout, and the process's peak RSS. */
  readonly memory?: RunMemory;
}

/** Bytes of a run's protocol state (replicas, accumulators, residuals, caches) beside its process's peak RSS. */
export interface RunMemory {
  readonly protocolStateBytes: number;
  readonly estimatedStateBytes: number;
  readonly peakRssBytes: number;
}

/** A fault's time window in seconds on the run's clock (`endS` null: it never heals). */
export interface FaultWindow {
  readonly startS: number;
  readonly endS: number | null;
  readonly label: string;
}

export interface RunResult {
  readonly summary: RunSummary;
  readonly series: readonly MetricsPoint[];
}

export interface Progress {
  readonly virtualTimeS: number;
  readonly iteration: number;
  readonly maxIterations: number | null;
  readonly objective: number | null;
}
