// Proves that a diverging run is a result, not a crash: the simulator stops it with the verdict
// "diverged at clock N", the first non-finite row and a hint, every role's invariants hold on the
// way, and the run drains (every replica agrees on the finite updates that were sent).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createToyWorkload, runSimulation } from "@gaia/sim";
import { miniScenario } from "./scenarios.js";

describe("divergence in the simulator", () => {
  for (const model of ["asp", "bsp", "lan"] as const) {
    test(`${model}: a learning rate of 40 stops the run with "diverged at clock N" and no invariant error`, async () => {
      const scenario = miniScenario({ model, maxIterations: 200 });
      const result = await runSimulation(scenario, { workload: createToyWorkload({ seed: 3, learningRate: 40 }) });
      const { summary } = result;
      assert.equal(summary.stoppedBy, "diverged");
      assert.match(summary.diverged ?? "", /^diverged at clock \d+: row \d+ of the update of \S+ is \S+ .*6 worker\(s\)/);
      assert.ok(summary.iterations < 200, `stopped early, at ${summary.iterations}`);
      assert.equal(result.stats.drained, true);
      assert.equal(summary.checks["no-remote-errors"], null);
    });
  }

  test("a stable learning rate does not trip the verdict", async () => {
    const result = await runSimulation(miniScenario({ maxIterations: 30 }), { workload: createToyWorkload({ seed: 3 }) });
    assert.equal(result.summary.diverged, null);
    assert.equal(result.summary.stoppedBy, "max-iterations");
  });
});
