/**
 * Learning rates: a base rate times one of core's schedules (constant, inverse-sqrt, step). The
 * workers of a run all follow the same schedule over their own clock, and the workload exposes the
 * schedule so that the significance threshold can follow it (Gaia's "learning-rate" option).
 */
import { parseSchedule, scheduleFactor, type Schedule } from "@gaia/core";
import { WorkloadError } from "./errors.js";

export type { Schedule } from "@gaia/core";
export { constantSchedule, scheduleFactor } from "@gaia/core";

/** The learning rate at `clock` (0-based) for base rate `base` under `schedule`. */
export function learningRateAt(base: number, schedule: Schedule, clock: number): number {
  return base * scheduleFactor(schedule, clock);
}

/** Parses a schedule from a spec field (`constant`, `inverse-sqrt`, `{kind: step, every, factor}`). */
export function parseLearningRateSchedule(value: unknown, path = "/lrSchedule"): Schedule {
  try {
    return parseSchedule(value);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new WorkloadError(`workload${path}: ${message}`, [{ path, message }]);
  }
}
