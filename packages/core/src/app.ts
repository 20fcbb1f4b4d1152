/**
 * The interface every ML program implements (matrix factorization, LDA, image classification).
 *
 * The shared model is one table of `rows x cols` float32 values; a program maps its parameters
 * onto rows (MF: user and item factors; LDA: word-topic counts plus a totals row; a neural net:
 * its flattened weights in rows of `cols`). The core's worker role never runs ML math itself: it
 * emits a `compute` effect, and the driver (simulator or runtime) calls `WorkerProgram.step` and
 * feeds back the result. Everything here must be deterministic given the seeded `Rng` streams.
 */
import type { Rng } from "./rng.js";
import type { Schedule } from "./schedule.js";

export interface WorkerPlacement {
  /** Index of the worker's data center in the run's data-center list. */
  readonly dataCenterIndex: number;
  readonly dataCenterCount: number;
  /** Index of the worker inside its data center. */
  readonly workerIndex: number;
  readonly workersPerDataCenter: number;
  /** dataCenterIndex * workersPerDataCenter + workerIndex */
  readonly globalWorkerIndex: number;
  readonly globalWorkerCount: number;
}

/**
 * What a step returns belongs to the worker from then on: the program must not change these arrays
 * afterwards (a push carries views of them, which the simulator delivers later). `deltas` must be
 * fresh memory the program keeps no reference to: the simulator's compute threads move it to the
 * main thread (rows the program hands back again, such as a fixed all-rows array, are copied).
 */
export interface StepResult {
  /** Sorted row ids the deltas belong to. */
  readonly rows: Uint32Array;
  /** rows.length * cols deltas, row-major. */
  readonly deltas: Float32Array;
  /** How many training samples the step processed (drives the compute cost model). */
  readonly samples: number;
}

export interface WorkerProgram {
  /**
   * Rows this worker needs to read for `clock` (sorted, unique), or null for all rows. Called once
   * per clock, before `step` for the same clock.
   */
  rowsFor(clock: number): Uint32Array | null;
  /**
   * One iteration (a minibatch or a pass over the worker's partition) from the values read.
   * `rows` is what `rowsFor` returned (all rows when it returned null); `values` holds their
   * current values, row-major, and is the program's only during this call: the worker may read the
   * next clock's values into the same memory (copy what must outlive the step).
   */
  step(clock: number, rows: Uint32Array, values: Float32Array): StepResult;
  /**
   * How many samples `step(clock, ...)` will process, known before the step: a function of the
   * clock and the program's placement only, never of earlier steps. Optional; with it, the
   * simulator can schedule a step's completion when it hands the step to a compute thread, and
   * run several workers' steps at once (`gaia simulate --threads`). A step whose `samples` differ
   * from it is an error there.
   */
  samplesFor?(clock: number): number;
}

export interface Evaluation {
  /** The objective the stop condition and the reports use. */
  readonly objective: number;
  /** Extra figures (accuracy, loss, log-likelihood), reported beside the objective. */
  readonly metrics: Readonly<Record<string, number>>;
}

export interface Workload {
  readonly kind: string;
  readonly rows: number;
  readonly cols: number;
  /** "minimize" (RMSE, loss) or "maximize" (log-likelihood, accuracy). */
  readonly direction: "minimize" | "maximize";
  /** Name of the objective for people: "rmse", "log-likelihood", "loss". */
  readonly objectiveName: string;
  /** Initial parameter values, identical in every replica. */
  initParams(): Float32Array;
  createWorker(placement: WorkerPlacement, rng: Rng): WorkerProgram;
  /** Objective of a full parameter table (rows * cols values). */
  evaluate(params: Float32Array): Evaluation;
  /** Cost-model hint: typical virtual compute milliseconds per sample on a node of speed 1. */
  readonly costMsPerSample: number;
  /**
   * The learning-rate schedule the workers follow (absent for programs without one, such as LDA),
   * so that the significance threshold can follow it ("learning-rate" threshold schedule).
   */
  readonly learningRate?: Schedule;
  /**
   * The program's own measure of how significant an accumulated update is against its value
   * (default the paper's |accumulated / value|); the significance filter and its checker use it.
   */
  readonly significance?: (accumulated: number, value: number) => number;
}

/** Whether objective `a` is at least as good as target `b` for the given direction. */
export function reaches(direction: "minimize" | "maximize", objective: number, target: number): boolean {
  return direction === "minimize" ? objective <= target : objective >= target;
}
