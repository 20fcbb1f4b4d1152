/**
 * Builds a workload from a scenario's `workload:` section (split from index.ts so that modules of
 * this package, such as calibrate.ts, can build workloads without importing the package index).
 * Every kind, bundled or a module, goes through its definition (registry.ts, define.ts).
 */
import type { WorkloadContext } from "./context.js";
import { instantiate, type DefinedWorkload } from "./define.js";
import { WorkloadError } from "./errors.js";
import { loadWorkloadModule } from "./modules.js";
import { definitionOf, modulePath, moduleKind, validateWorkloadSpec } from "./registry.js";

const backends = ["auto", "gpu", "node", "wasm", "cpu"];

/**
 * Builds the workload a `workload:` section describes, partitioned over `ctx.dataCenters` x
 * `ctx.workersPerDataCenter` workers, deterministically from `ctx.seed`. Throws a WorkloadError
 * that lists every bad field (with its path) for a bad spec. A module's path is read from
 * `ctx.baseDir` when relative; the module is loaded if it is not yet.
 */
export async function createWorkload(spec: { readonly kind: string } & Readonly<Record<string, unknown>>, ctx: WorkloadContext): Promise<DefinedWorkload> {
  if (spec?.kind === moduleKind && typeof spec["path"] === "string") await loadWorkloadModule(modulePath(spec["path"], ctx));
  const problems = validateWorkloadSpec(spec, ctx);
  if (problems.length > 0) {
    throw new WorkloadError(`bad workload section:\n${problems.map((p) => `  workload${p.path}: ${p.message}`).join("\n")}`, problems);
  }
  if (ctx.dataCenters.length === 0) throw new WorkloadError("the run has no data centers");
  if (!Number.isInteger(ctx.workersPerDataCenter) || ctx.workersPerDataCenter < 1) throw new WorkloadError(`workersPerDataCenter must be an integer >= 1, got ${ctx.workersPerDataCenter}`);
  if (ctx.dataCenters.length > 65_535) throw new WorkloadError(`at most 65535 data centers, got ${ctx.dataCenters.length}`);
  if (ctx.backend !== undefined && !backends.includes(ctx.backend)) throw new WorkloadError(`backend must be one of ${backends.join(", ")}, got ${String(ctx.backend)}`);
  const found = definitionOf(spec, ctx);
  if ("problems" in found) throw new WorkloadError(`bad workload section: ${found.problems.map((p) => `workload${p.path}: ${p.message}`).join("; ")}`, found.problems);
  return instantiate(found.definition, found.options as Record<string, unknown>, ctx);
}
