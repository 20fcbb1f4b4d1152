/** What a workload is built for: the run's seed and its data centers and workers. */
export type Backend = "auto" | "gpu" | "node" | "wasm" | "cpu";

export interface WorkloadContext {
  readonly seed: number;
  readonly dataCenters: readonly string[];
  readonly workersPerDataCenter: number;
  /** TensorFlow.js backend for image workloads; overrides the spec's `backend` when given. */
  readonly backend?: Backend;
  /** Folder that relative data paths (`workload.data.path`) are taken from: the scenario file's; default the working directory. */
  readonly baseDir?: string;
}
