// The simulator never ends silently on a cap: a run stopped by the event cap, by events that do
// not advance virtual time (a livelock at one instant), or by running out of events before its
// workers finish, says so in a failed "liveness" check (so `gaia simulate` exits 1), and its
// stoppedBy names the cause. A run that finishes has no liveness verdict.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createToyWorkload, runSimulation } from "@gaia/sim";
import { miniScenario } from "./scenarios.js";

const workload = () => createToyWorkload({ seed: 1, rows: 6, cols: 1, nnz: 1, batch: 1, samplesPerWorker: 4 });

describe("simulator liveness verdicts", () => {
  test("a run that finishes has no liveness verdict", async () => {
    const r = await runSimulation(miniScenario({ maxIterations: 5 }), { workload: workload() });
    assert.equal(r.summary.stoppedBy, "max-iterations");
    assert.equal(r.summary.checks["liveness"], undefined);
  });

  test("the event cap is a failed liveness check, not a quiet stop", async () => {
    const r = await runSimulation(miniScenario({ maxIterations: 50 }), { workload: workload(), maxEvents: 300 });
    assert.equal(r.summary.stoppedBy, "max-events");
    assert.match(r.summary.checks["liveness"] ?? "", /^stopped by the event cap \(300 events\) at virtual time [0-9.]+ s$/);
  });

  test("events that do not advance virtual time stop the run as no-progress", async () => {
    // Compute costs nothing here, so many events share an instant: a threshold of 5 trips.
    const r = await runSimulation(miniScenario({ maxIterations: 50, msPerSample: 0 }), { workload: workload(), noProgressEvents: 5 });
    assert.equal(r.summary.stoppedBy, "no-progress");
    assert.match(r.summary.checks["liveness"] ?? "", /^no progress: \d+ events at virtual time [0-9.e-]+ s without time advancing$/);
  });
});
