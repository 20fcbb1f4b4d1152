/**
 * @gaia/workloads: the ML programs a Gaia run trains (matrix factorization, LDA, MNIST with
 * TensorFlow.js), built from a scenario's `workload:` section behind core's `Workload` interface.
 */
import type { Workload } from "@gaia/core";
import type { Backend, WorkloadContext } from "./context.js";
import { WorkloadError } from "./errors.js";
import { parseLearningRateSchedule } from "./learning-rate.js";
import { LdaWorkload, type LdaSpec } from "./lda.js";
import { MfWorkload, type MfSpec } from "./mf.js";
import { createMnist, type MnistSpec } from "./mnist.js";
import type { PartitionStats } from "./partition.js";
import { validateWorkloadSpec, withDefaults } from "./spec.js";

export type { Backend, WorkloadContext } from "./context.js";
export { WorkloadError } from "./errors.js";
export { learningRateAt, parseLearningRateSchedule, constantSchedule, scheduleFactor, type Schedule } from "./learning-rate.js";
export { workloadKinds, workloadJsonSchema, validateWorkloadSpec, withDefaults, kindSpecs, type Problem, type FieldSpec, type KindSpec } from "./spec.js";
export { ownsGroup, groupsOf, type PartitionMode, type PartitionStats, type DataCenterPartition } from "./partition.js";
export { MfWorkload, mfCostMsPerSample, type MfSpec } from "./mf.js";
export { LdaWorkload, ldaCostMsPerSample, type LdaSpec } from "./lda.js";
export { MnistWorkload, mnistCostMsPerSample, loadDigits, sameConvolution, type MnistSpec, type MnistModel } from "./mnist.js";
export { selectBackend, loadTf, type Tf } from "./tf.js";

export type GaiaWorkload = MfWorkload | LdaWorkload | Awaited<ReturnType<typeof createMnist>>;

const backends: readonly Backend[] = ["auto", "gpu", "node", "wasm", "cpu"];

/**
 * Builds the workload a `workload:` section describes, partitioned over `ctx.dataCenters` x
 * `ctx.workersPerDataCenter` workers, deterministically from `ctx.seed`. Throws a WorkloadError
 * that lists every bad field (with its path) for a bad spec.
 */
export async function createWorkload(spec: { readonly kind: string } & Readonly<Record<string, unknown>>, ctx: WorkloadContext): Promise<GaiaWorkload & Workload> {
  const problems = validateWorkloadSpec(spec);
  if (problems.length > 0) {
    throw new WorkloadError(`bad workload section:\n${problems.map((p) => `  workload${p.path}: ${p.message}`).join("\n")}`, problems);
  }
  if (ctx.dataCenters.length === 0) throw new WorkloadError("the run has no data centers");
  if (!Number.isInteger(ctx.workersPerDataCenter) || ctx.workersPerDataCenter < 1) throw new WorkloadError(`workersPerDataCenter must be an integer >= 1, got ${ctx.workersPerDataCenter}`);
  if (ctx.dataCenters.length > 65_535) throw new WorkloadError(`at most 65535 data centers, got ${ctx.dataCenters.length}`);
  if (ctx.backend !== undefined && !backends.includes(ctx.backend)) throw new WorkloadError(`backend must be one of ${backends.join(", ")}, got ${String(ctx.backend)}`);
  const full = withDefaults(spec);
  switch (full.kind) {
    case "mf":
      return new MfWorkload({ ...(full as unknown as MfSpec), lrSchedule: parseLearningRateSchedule(full["lrSchedule"]) }, ctx);
    case "lda":
      return new LdaWorkload(full as unknown as LdaSpec, ctx);
    case "mnist":
      return createMnist({ ...(full as unknown as MnistSpec), lrSchedule: parseLearningRateSchedule(full["lrSchedule"]) }, ctx);
    default:
      throw new WorkloadError(`unknown workload kind ${JSON.stringify(full.kind)}`);
  }
}

/** How a workload's training data is spread over data centers and workers. */
export function partitionStats(workload: Workload): PartitionStats {
  const candidate = workload as Partial<{ partitionStats(): PartitionStats }>;
  if (typeof candidate.partitionStats !== "function") throw new WorkloadError(`workload ${workload.kind} does not report partition statistics`);
  return candidate.partitionStats();
}
