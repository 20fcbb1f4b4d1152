// Conformance: the same small scenario under BSP (the paper's Baseline: one model sharded over
// every data center) runs on the real runtime and in the simulator, for a fixed number of clocks.
// Under BSP a read of clock c sees every update of clock c-1, but may also see some updates of
// clock c that happened to arrive first, and float sums are taken in arrival order; so the final
// tables differ slightly with timing. Both must end at the same objective within 1%, below the target, and the
// simulator's trace checkers must hold on the runtime's trace. (Intermediate evaluations are taken
// at different moments by the two drivers, so only the final table is compared.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchCluster, loadCluster } from "@gaia/net";
import { runSimulation } from "@gaia/sim";
import { writeCluster } from "./support.js";

/** Relative tolerance on the objective between the runtime and the simulator. */
const tolerance = 1e-2;

const target = 0.7;

test("BSP on 3 data centers trains to the objective, and ends where the simulator ends", { timeout: 110_000 }, async () => {
  const file = writeCluster({ name: "bsp3", sync: "bsp", dataCenters: ["virginia", "california", "oregon"], maxIterations: 45, evalEvery: 15, wan: false });
  const cluster = loadCluster(file);
  const launch = await launchCluster(cluster, { trace: true, onLog: (node, line) => process.stderr.write(`[${node}] ${line}\n`) });
  const real = await launch.result;
  const simulated = await runSimulation(cluster.scenario, { recordTrace: false });

  assert.equal(real.summary.iterations, 45);
  assert.equal(real.replicaSpread, 0);
  for (const [name, verdict] of Object.entries(real.summary.checks)) assert.equal(verdict, null, `${name}: ${verdict}`);
  assert.ok(real.summary.objective <= target, `runtime objective ${real.summary.objective} above the target ${target}`);
  const [r, s] = [real.summary.objective, simulated.summary.objective];
  assert.ok(Math.abs(r - s) <= tolerance * s, `runtime ${r} vs simulator ${s}`);
});
