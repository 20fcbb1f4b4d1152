// Compute threads (`gaia simulate --threads N`, RunOptions.threads) change where worker steps and
// evaluations run, never the run: the MF scenarios, cut to a few iterations, give the same trace
// hash, objective and WAN bytes at 1 (in-process), 2 and 4 threads under lan, bsp, ssp and asp,
// with stragglers and with a partition (threads-workloads.test.ts: lda, mnist, diloco). A result
// consumed at the wrong virtual time (scripts/mutations.mjs: threads-consume-early) fails here.
// Also: the in-process fallback, a bad count, errors from a thread, and a workload that fails.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createToyWorkload, runSimulation, ComputeThreads, type Scenario } from "@gaia/sim";
import { sameAtEveryThreadCount, scenario } from "./threads-support.js";

describe("compute threads leave the run unchanged (mf)", () => {
  for (const c of [
    { file: "quickstart.yaml", iterations: 25 },
    { file: "quickstart.yaml", iterations: 15, sync: "lan" },
    { file: "quickstart.yaml", iterations: 15, sync: "bsp" },
    { file: "quickstart.yaml", iterations: 15, sync: "ssp" },
    { file: "stragglers.yaml", iterations: 30 },
    { file: "partition-heal.yaml", iterations: 30 },
  ] as const) sameAtEveryThreadCount(c);
});

describe("compute threads: fallbacks and errors", () => {
  test("a workload passed in runs in-process, with a note saying why", async () => {
    const s = scenario("quickstart.yaml", 5);
    const r = await runSimulation(s, { threads: 2, workload: createToyWorkload({ rows: 64, cols: 4, seed: 1 }), recordTrace: false });
    assert.equal(r.threads.used, 1);
    assert.ok(r.threads.computeWallS > 0);
    assert.match(r.threads.note ?? "", /workload passed in.*cannot be rebuilt in a thread/);
  });

  test("a bad thread count is refused", async () => {
    await assert.rejects(runSimulation(scenario("quickstart.yaml", 5), { threads: 0 }), /threads must be an integer >= 1, got 0/);
  });

  test("an error in a thread's step comes back with the worker and clock, and the threads end", async () => {
    const s = scenario("quickstart.yaml", 5);
    const pool = new ComputeThreads(2, { workload: s.workload, seed: s.seed, dataCenters: s.topology.dataCenters, workersPerDataCenter: s.topology.workersPerDataCenter });
    try {
      const placement = { dataCenterIndex: 0, dataCenterCount: s.topology.dataCenters.length, workerIndex: 0, workersPerDataCenter: s.topology.workersPerDataCenter, globalWorkerIndex: 0, globalWorkerCount: s.topology.dataCenters.length * s.topology.workersPerDataCenter };
      pool.assign(1, [{ node: "x/w0", placement, rng: "program:x/w0" }]);
      await pool.ready();
      // Three rows but the values of one: the MF program refuses them.
      const job = pool.step(1, "x/w0", 7, Uint32Array.of(0, 1, 2), new Float32Array(8));
      assert.throws(() => pool.take(job), (e: Error) => /x\/w0's step at clock 7 failed on compute thread 1: workload mf: worker virginia\/w0, clock 7, step: mf step: 8 values for 3 rows/.test(e.message) && /in compute thread 1/.test(e.stack ?? ""));
      const unknown = pool.step(0, "x/w0", 1, Uint32Array.of(0), new Float32Array(8));
      assert.throws(() => pool.take(unknown), /x\/w0's step at clock 1 failed on compute thread 0: no program for x\/w0/);
    } finally {
      await pool.close();
    }
    assert.throws(() => pool.step(0, "x/w0", 1, Uint32Array.of(0), new Float32Array(8)), /closed/);
  });

  test("a workload that cannot be built ends the run with its error (the threads are closed)", async () => {
    const s = scenario("mnist-3dc.yaml", 2);
    const bad = { ...s, workload: { ...s.workload, backend: "node" } } as Scenario;
    await assert.rejects(runSimulation(bad, { threads: 2 }), /backend node needs/);
  });
});
