/**
 * Builds a workload from a scenario's `workload:` section (split from index.ts so that modules of
 * this package, such as calibrate.ts, can build workloads without importing the package index).
 */
import type { Workload } from "@gaia/core";
import type { Backend, WorkloadContext } from "./context.js";
import { WorkloadError } from "./errors.js";
import { parseLearningRateSchedule } from "./learning-rate.js";
import { LdaWorkload, type LdaSpec } from "./lda.js";
import { MfWorkload, type MfSpec } from "./mf.js";
import { createMnist, type MnistSpec } from "./mnist.js";
import { validateWorkloadSpec, withDefaults } from "./spec.js";
import { ldaFromData } from "./data/bag-of-words.js";
import { mfFromData } from "./data/ratings.js";
import type { BagOfWordsDataSpec, RatingsDataSpec } from "./data/spec.js";

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
    case "mf": {
      const mf: MfSpec = { ...(full as unknown as MfSpec), lrSchedule: parseLearningRateSchedule(full["lrSchedule"]) };
      return full["data"] === undefined ? new MfWorkload(mf, ctx) : mfFromData(mf, full["data"] as RatingsDataSpec, ctx);
    }
    case "lda":
      return full["data"] === undefined ? new LdaWorkload(full as unknown as LdaSpec, ctx) : ldaFromData(full as unknown as LdaSpec, full["data"] as BagOfWordsDataSpec, ctx);
    case "mnist":
      return createMnist({ ...(full as unknown as MnistSpec), lrSchedule: parseLearningRateSchedule(full["lrSchedule"]) }, ctx);
    default:
      throw new WorkloadError(`unknown workload kind ${JSON.stringify(full.kind)}`);
  }
}
