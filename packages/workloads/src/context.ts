/** What a workload is built for: the run's seed and its data centers and workers. */
export type Backend = "auto" | "gpu" | "node" | "wasm" | "cpu";

export interface WorkloadContext {
  readonly seed: number;
  readonly dataCenters: readonly string[];
  readonly workersPerDataCenter: number;
  /** TensorFlow.js backend for image workloads; overrides the spec's `backend` when given. */
  readonly backend?: Backend;
  /** The folder relative paths of the workload section are read from (the scenario file's). */
  readonly baseDir?: string;
}
