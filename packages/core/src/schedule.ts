/**
 * Schedules over the clock t (0-based iterations): learning rates, and the significance threshold
 * that may follow them. The convergence proof in the Gaia paper uses step eta/sqrt(t) and hard
 * threshold v/sqrt(t); `inverse-sqrt` here is 1/sqrt(t+1) so that t = 0 is well defined.
 */

export type Schedule =
  | { readonly kind: "constant" }
  | { readonly kind: "inverse-sqrt" }
  | { readonly kind: "step"; readonly every: number; readonly factor: number };

export const constantSchedule: Schedule = { kind: "constant" };

/** The multiplier the schedule applies to its base value at clock t. */
export function scheduleFactor(schedule: Schedule, clock: number): number {
  switch (schedule.kind) {
    case "constant":
      return 1;
    case "inverse-sqrt":
      return 1 / Math.sqrt(clock + 1);
    case "step":
      return Math.pow(schedule.factor, Math.floor(clock / Math.max(1, schedule.every)));
  }
}

export function parseSchedule(value: unknown): Schedule {
  if (value === undefined || value === "constant") return constantSchedule;
  if (value === "inverse-sqrt") return { kind: "inverse-sqrt" };
  if (typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "step") {
    const v = value as { every?: unknown; factor?: unknown };
    if (typeof v.every === "number" && typeof v.factor === "number") return { kind: "step", every: v.every, factor: v.factor };
  }
  if (typeof value === "object" && value !== null) {
    const kind = (value as { kind?: unknown }).kind;
    if (kind === "constant" || kind === "inverse-sqrt") return { kind };
  }
  throw new RangeError(`unknown schedule ${JSON.stringify(value)}: use constant, inverse-sqrt or {kind: step, every, factor}`);
}
