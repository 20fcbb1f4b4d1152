/**
 * A minimal in-process trainer for workload tests: every worker of every data center reads from
 * and writes to one shared table, in clock order, with no network and no staleness.
 */
import { Rng, type WorkerPlacement, type WorkerProgram, type Workload } from "@gaia/core";

export const placements = (dataCenters: number, workersPerDataCenter: number): WorkerPlacement[] =>
  Array.from({ length: dataCenters * workersPerDataCenter }, (_, g) => ({
    dataCenterIndex: Math.floor(g / workersPerDataCenter),
    dataCenterCount: dataCenters,
    workerIndex: g % workersPerDataCenter,
    workersPerDataCenter,
    globalWorkerIndex: g,
    globalWorkerCount: dataCenters * workersPerDataCenter,
  }));

export interface Trainer {
  readonly table: Float32Array;
  readonly workers: readonly WorkerProgram[];
  /** Runs `clocks` iterations of every worker; returns the wall milliseconds per worker step. */
  run(clocks: number): number;
  clock: number;
}

export function trainer(workload: Workload, dataCenters: number, workersPerDataCenter: number, seed = 1): Trainer {
  const table = workload.initParams();
  const cols = workload.cols;
  const allRows = Uint32Array.from({ length: workload.rows }, (_, k) => k);
  const root = new Rng(seed).child("test-trainer");
  const workers = placements(dataCenters, workersPerDataCenter).map((p) => workload.createWorker(p, root.child(`worker:${p.globalWorkerIndex}`)));
  const state = {
    table,
    workers,
    clock: 0,
    run(clocks: number): number {
      const started = performance.now();
      let steps = 0;
      for (let c = 0; c < clocks; c++, state.clock++) {
        for (const worker of workers) {
          const rows = worker.rowsFor(state.clock) ?? allRows;
          const values = new Float32Array(rows.length * cols);
          for (let k = 0; k < rows.length; k++) values.set(table.subarray(rows[k]! * cols, (rows[k]! + 1) * cols), k * cols);
          const result = worker.step(state.clock, rows, values);
          for (let k = 0; k < result.rows.length; k++) {
            const base = result.rows[k]! * cols;
            for (let j = 0; j < cols; j++) table[base + j] = table[base + j]! + result.deltas[k * cols + j]!;
          }
          steps++;
        }
      }
      return (performance.now() - started) / Math.max(1, steps);
    },
  };
  return state;
}
