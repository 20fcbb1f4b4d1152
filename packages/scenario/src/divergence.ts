/**
 * Divergence as a result: when the model goes non-finite, a run stops with a verdict people can act
 * on ("diverged at clock N", the first non-finite table row, and what most often causes it), the
 * same in the simulator and on the runtime. A worker reports its own non-finite update (the core's
 * `diverged` trace event); a replica found non-finite at an evaluation is reported the same way.
 */
import { firstNonFinite } from "@gaia/core";
import type { Scenario } from "./scenario.js";

export interface Divergence {
  readonly clock: number;
  /** The first table row that holds a non-finite value, and that value. */
  readonly row: number;
  readonly value: number;
  /** The worker whose update it was, or null when a replica was found non-finite. */
  readonly worker: string | null;
}

/** The first non-finite row of a table of `cols` columns, or null when every value is finite. */
export function firstNonFiniteRow(values: Float32Array, cols: number): { readonly row: number; readonly value: number } | null {
  const i = firstNonFinite(values);
  return i < 0 ? null : { row: Math.floor(i / Math.max(1, cols)), value: values[i]! };
}

/** The bundled scenarios' learning rates are tuned for this many summed workers (2 data centers x 2). */
const referenceWorkers = 4;

/**
 * A step that keeps the summed update about as large as at the reference size: measured on
 * quickstart, stragglers and mf-virginia-california widened to all 11 regions (22 workers), the
 * default 0.05 diverges and 0.05 x 4 / 22 = 0.009 converges; a smaller run gets a tenth.
 */
const suggestedRate = (lr: number, workers: number): number => Number((workers > referenceWorkers ? (lr * referenceWorkers) / workers : lr / 10).toPrecision(2));

/** Text of the verdict; `summedWorkers` is how many workers' updates every replica sums per clock. */
export function divergenceVerdict(d: Divergence, scenario: Scenario, summedWorkers: number): string {
  const where = d.worker !== null ? `the update of ${d.worker}` : "the replica";
  const lr = (scenario.workload as { readonly learningRate?: unknown }).learningRate;
  const hint =
    typeof lr === "number"
      ? `learning rate ${lr} with the updates of ${summedWorkers} worker(s) summed into every replica each clock; try workload.learningRate: ${suggestedRate(lr, summedWorkers)}${summedWorkers > referenceWorkers ? ` (${lr} x ${referenceWorkers} / ${summedWorkers}: the steps of every worker add up, and the bundled scenarios are tuned for ${referenceWorkers})` : ""}, or fewer workers`
      : `the updates of ${summedWorkers} worker(s) are summed into every replica each clock; try a smaller step or fewer workers`;
  return `diverged at clock ${d.clock}: row ${d.row} of ${where} is ${String(d.value)} (the first value that is not finite or is beyond ±1e30); ${hint}`;
}
