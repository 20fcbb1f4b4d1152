/**
 * fast-check settings shared by every property test: one seed decides the run. CI pins it through
 * GAIA_SEED; locally a fresh seed is drawn and printed, so any failure can be replayed with
 * `GAIA_SEED=<seed> npm run test:unit -- <file>`.
 */
import type { Parameters } from "fast-check";

const fromEnv = Number.parseInt(process.env["GAIA_SEED"] ?? "", 10);
export const seed: number = Number.isFinite(fromEnv) ? fromEnv : (Date.now() ^ (process.pid << 8)) >>> 0;
const runsFromEnv = Number.parseInt(process.env["GAIA_RUNS"] ?? "", 10);

/** Property parameters with the pinned seed; `runs` is scaled by GAIA_RUNS when set. */
export function params<T>(runs: number, extra: Parameters<T> = {}): Parameters<T> {
  return { seed, numRuns: Number.isFinite(runsFromEnv) ? runsFromEnv : runs, includeErrorInReport: true, ...extra };
}

export const seedTitle = (title: string): string => `${title} [seed ${seed}]`;
