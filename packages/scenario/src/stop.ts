/**
 * Every run ends. A scenario that sets neither `stop.maxIterations` nor `stop.maxVirtualTime` gets
 * the default cap below (a target alone may never be reached: a run would go on forever), and is
 * marked `defaultCap` so that `gaia scenarios validate` warns about it and a run that reaches the
 * cap says so, naming the target it did not reach (and fails: what was asked for did not happen).
 * The cap is in iterations as well as virtual time, because virtual time can pass slowly in wall
 * time (two hours of a small job's virtual time are hundreds of thousands of clocks).
 */
import type { RunSummary } from "./result.js";
import type { StopSpec } from "./scenario.js";

export const defaultStopCap = { maxIterations: 1000, maxVirtualTimeS: 7200 } as const;

const capText = `${defaultStopCap.maxIterations} iterations or ${defaultStopCap.maxVirtualTimeS / 3600} h`;

/** The validate warning of a scenario without stop limits, or null when it sets one. */
export function defaultCapWarning(stop: StopSpec): string | null {
  if (stop.defaultCap !== true) return null;
  return `stop: neither maxIterations nor maxVirtualTime is set; the run stops at the default cap (${capText})${stop.targetObjective !== null ? ` if it does not reach the target objective ${stop.targetObjective} before` : ""}`;
}

/**
 * How a run that stopped at the default cap reads: `stoppedBy` says "default-cap", `message` says
 * where it stopped and names the target it did not reach; `failed` when there was a target (what
 * was asked for did not happen). Null when the run did not stop at the cap.
 */
export function defaultCapStop(stop: StopSpec, summary: RunSummary): { readonly stoppedBy: "default-cap"; readonly message: string; readonly failed: boolean } | null {
  if (stop.defaultCap !== true || !["max-iterations", "max-virtual-time", "default-cap"].includes(summary.stoppedBy)) return null;
  const failed = stop.targetObjective !== null && !summary.reachedTarget;
  const unmet = failed ? ` without reaching the target objective ${stop.targetObjective} (${summary.objectiveName} ${summary.objective.toPrecision(4)} at the end)` : "";
  return { stoppedBy: "default-cap", message: `the run stopped at the default cap (${capText}; the scenario sets neither stop.maxIterations nor stop.maxVirtualTime) at iteration ${summary.iterations}${unmet}`, failed };
}
