// Proves that the bundled per-workload scenarios (scenarios/lda-3dc.yaml, scenarios/mnist-3dc.yaml)
// reach the targets they state, with every trace checker holding, as `gaia simulate FILE` runs them.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadScenario, runSimulation } from "@gaia/sim";

const scenariosDir = fileURLToPath(new URL("../../scenarios/", import.meta.url));

describe("bundled workload scenarios reach their targets", () => {
  for (const [name, kind] of [
    ["lda-3dc", "lda"],
    ["mnist-3dc", "mnist"],
  ] as const) {
    test(`${name}: ${kind} over three data centers under ASP reaches stop.target; checkers hold`, async () => {
      const scenario = loadScenario(join(scenariosDir, `${name}.yaml`));
      assert.equal(scenario.workload.kind, kind);
      assert.equal(scenario.topology.dataCenters.length, 3);
      assert.equal(scenario.sync.model, "asp");
      assert.ok(scenario.stop.targetObjective !== null);
      const { summary } = await runSimulation(scenario);
      assert.equal(summary.reachedTarget, true, `${name}: ${summary.objectiveName} ${summary.objective} after ${summary.iterations} iterations, target ${summary.targetObjective}`);
      assert.equal(summary.stoppedBy, "target");
      for (const [checker, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `checker ${checker}: ${verdict}`);
    });
  }
});
