// Parity: DiLoCo on the real runtime (3 data centers on loopback, one worker and one shard each)
// and in the simulator. With one worker per data center every inner step sees exactly its own
// previous push, and every outer step is the same float arithmetic on the same decoded bytes, so
// the runtime must end at the simulator's objective (to float rounding of the evaluation), with the
// outer-step checker holding on the runtime's trace (identical global state after every round).
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchCluster, loadCluster } from "@gaia/net";
import { runSimulation } from "@gaia/sim";
import { writeCluster } from "./support.js";

test("DiLoCo on 3 data centers: identical global state after every outer step, and the simulator's objective", { timeout: 60_000 }, async () => {
  const file = writeCluster({
    name: "diloco3",
    sync: "diloco",
    dataCenters: ["virginia", "california", "oregon"],
    maxIterations: 10,
    evalEvery: 5,
    wan: false,
    syncExtra: "  diloco: { localClocks: 5, outerOptimizer: nesterov, outerLearningRate: 0.7, momentum: 0.9, encoding: int8 }",
  });
  const cluster = loadCluster(file);
  const launch = await launchCluster(cluster, { trace: true, onLog: (node, line) => process.stderr.write(`[${node}] ${line}\n`) });
  const real = await launch.result;
  const simulated = await runSimulation(cluster.scenario, { recordTrace: false });

  assert.equal(real.summary.iterations, 10);
  assert.equal(real.replicaSpread, 0);
  assert.ok("outer-step-identical" in real.summary.checks, `checks: ${Object.keys(real.summary.checks).join(", ")}`);
  for (const [name, verdict] of Object.entries(real.summary.checks)) assert.equal(verdict, null, `${name}: ${verdict}`);
  for (const [name, verdict] of Object.entries(simulated.summary.checks)) assert.equal(verdict, null, `simulator ${name}: ${verdict}`);
  assert.equal(real.trace!.filter((e) => e.type === "outer-step").length, 3 * 2, "2 rounds in each of 3 data centers");
  assert.ok(real.summary.wanBytes > 0);
  const [r, s] = [real.summary.objective, simulated.summary.objective];
  assert.ok(Math.abs(r - s) <= 1e-9 * Math.abs(s), `runtime ${r} vs simulator ${s}`);
});
