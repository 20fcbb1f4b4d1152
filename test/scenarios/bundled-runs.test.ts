// Every bundled scenario, run as shipped (its own sync model and the loader's defaults), finishes
// without diverging, keeps every checker, and reaches its target when it names one. A default that
// destabilizes a bundled job (int8 values made the default did, in stragglers) fails here.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadScenario, runSimulation } from "@gaia/sim";

const scenariosDir = join(dirname(fileURLToPath(import.meta.url)), "../../scenarios");
const files = readdirSync(scenariosDir).filter((f) => f.endsWith(".yaml")).sort();

describe("bundled scenarios run as shipped", () => {
  for (const file of files) {
    test(`${file}: no divergence, every checker holds, the target (if any) is reached`, async () => {
      const scenario = loadScenario(join(scenariosDir, file));
      const r = await runSimulation(scenario, { recordTrace: false });
      assert.equal(r.summary.diverged, null, `diverged: ${JSON.stringify(r.summary.diverged)}`);
      for (const [check, verdict] of Object.entries(r.summary.checks)) assert.equal(verdict, null, `${check}: ${verdict}`);
      if (scenario.stop.targetObjective !== null) assert.equal(r.summary.reachedTarget, true, `target ${scenario.stop.targetObjective} not reached (objective ${r.summary.objective} after ${r.summary.iterations} iterations)`);
      else assert.equal(r.summary.iterations, scenario.stop.maxIterations);
    });
  }
});
