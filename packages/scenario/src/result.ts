/**
 * What one simulated (or launched) run reports. `gaia simulate --json` prints a `RunSummary`;
 * the JSONL metrics file holds one `MetricsPoint` per line; the HTML report plots `series`.
 */

import type { FilterStats } from "@gaia/core";

export interface MetricsPoint {
  /** Seconds on the run's clock: virtual time, or on a launched run wall seconds since training started (start-up excluded). */
  readonly virtualTimeS: number;
  /** Completed clocks of the slowest worker. */
  readonly iteration: number;
  readonly objective: number;
  readonly metrics: Readonly<Record<string, number>>;
  /** Cumulative WAN bytes so far. */
  readonly wanBytes: number;
  /** Cumulative WAN bytes so far on each directed link ("source->target"); the simulator's runs. */
  readonly wanBytesByLink?: Readonly<Record<string, number>>;
  readonly costUsd: number;
  /** Cumulative worker-seconds clocks spent blocked on reads, by reason (each worker's clock waits as long as its slowest read). */
  readonly blockedS: { readonly ssp: number; readonly mirrorClock: number; readonly barrier: number; readonly outerStep?: number };
  /** The significance filter so far (ASP runs). */
  readonly filter?: FilterStats;
}

/**
 * A run's figures at one moment: when it reached its target, or when it ended. Time to target and
 * WAN bytes to target are read at the same evaluation, so traffic sent after the target (while the
 * workers stop and the network drains) does not count against the target.
 */
export interface RunMoment {
  readonly iteration: number;
  /** Seconds on the run's clock (virtual, or wall on a real run). */
  readonly timeS: number;
  readonly objective: number;
  readonly wanBytes: number;
  readonly costUsd: number;
  readonly blockedS: MetricsPoint["blockedS"];
}

/** The moment of a metrics point. */
export function momentOf(point: MetricsPoint): RunMoment {
  return { iteration: point.iteration, timeS: point.virtualTimeS, objective: point.objective, wanBytes: point.wanBytes, costUsd: point.costUsd, blockedS: point.blockedS };
}

/**
 * A summary's figures at its target: `atTarget`, or for a summary written before it existed, the
 * series point at `timeToTargetS`; null when the target was not reached (or is not known).
 */
export function atTargetOf(summary: RunSummary, series: readonly MetricsPoint[] = []): RunMoment | null {
  if (summary.atTarget !== undefined) return summary.atTarget;
  if (!summary.reachedTarget || summary.timeToTargetS === null) return null;
  const point = series.find((p) => p.virtualTimeS === summary.timeToTargetS);
  return point === undefined ? null : momentOf(point);
}

/** A summary's figures at the end of the run (its top-level fields). */
export function atEndOf(summary: RunSummary): RunMoment {
  return summary.atEnd ?? { iteration: summary.iterations, timeS: runTimeOf(summary), objective: summary.objective, wanBytes: summary.wanBytes, costUsd: summary.costUsd, blockedS: summary.blockedS };
}

/** A run's length on its clock: a simulated run's virtual time, a launched run's training time. */
export function runTimeOf(summary: RunSummary): number {
  return summary.virtualTimeS ?? summary.trainingTimeS ?? 0;
}

export interface RunSummary {
  readonly name: string;
  readonly seed: number;
  readonly sync: string;
  readonly workload: string;
  readonly topology: string;
  /** A simulated run's length in virtual seconds (a launched run has `trainingTimeS` instead; `runTimeOf` reads either). */
  readonly virtualTimeS?: number;
  /**
   * A launched run (`gaia launch`): wall seconds from the training start (every node up, or the
   * first worker clock if earlier) to the end. Its series, `timeToTargetS`, `atTarget` and `atEnd`
   * are on this clock; start-up is `startupS`, and the whole launch `wallClockTimeS`.
   */
  readonly trainingTimeS?: number;
  /** A launched run's start-up: wall seconds from the launch until training started. */
  readonly startupS?: number;
  /** What the run's times measure: simulated time, or wall-clock time on a real run. */
  readonly clock?: "virtual" | "wall";
  readonly iterations: number;
  readonly objective: number;
  readonly objectiveName: string;
  readonly targetObjective: number | null;
  readonly reachedTarget: boolean;
  readonly timeToTargetS: number | null;
  /** The figures at the evaluation that reached the target; null when it was not reached (absent in older summaries). */
  readonly atTarget?: RunMoment | null;
  /** The figures at the end of the run, after the workers stopped and the network drained: the same as the top-level virtualTimeS (trainingTimeS), iterations, objective, wanBytes, costUsd and blockedS. */
  readonly atEnd?: RunMoment;
  /** A real run's wall-clock length, start-up included (`gaia launch`: startupS + trainingTimeS). */
  readonly wallClockTimeS?: number;
  /** A launched run stopped by Ctrl-C (or SIGTERM): what exists was collected and written; `interruptReason` says why. */
  readonly interrupted?: boolean;
  readonly interruptReason?: string;
  /** WAN bytes at the end of the run (atEnd.wanBytes); the bytes to target are atTarget.wanBytes. */
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
  /** A launched run: the nodes the launcher restarted after unexpected deaths, and the ones it found frozen. */
  readonly supervision?: SupervisionSummary;
}

/** One thing the launcher's supervisor did or saw, at `atS` on the run's clock. */
export interface SupervisionEvent {
  readonly atS: number;
  readonly node: string;
  /**
   * restart: died unexpectedly and restarted; gave-up: died once too often; frozen / resumed:
   * heartbeats stopped / came back; retrying / recovered: the node retries a failure by itself
   * (a checkpoint write out of file descriptors) / it succeeded again.
   */
  readonly kind: "restart" | "gave-up" | "frozen" | "resumed" | "retrying" | "recovered";
  readonly text: string;
}

/** The supervisor's counts over a launched run, with every event in order. */
export interface SupervisionSummary {
  readonly restarts: number;
  readonly frozen: number;
  readonly events: readonly SupervisionEvent[];
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
