// Runtime parity for a workload module of one's own: the example module (sparse logistic
// regression, examples/logistic-regression/workload.ts) runs under `gaia launch` on 3 data centers,
// every node process loading the module itself, under BSP and under Gaia's ASP, and ends where the
// simulator ends on the same cluster file (within 1%, as the bundled workloads' parity tests ask).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchCluster, loadClusterAsync } from "@gaia/net";
import { runSimulation } from "@gaia/sim";
import { writeCluster } from "./support.js";

const module = fileURLToPath(new URL("../../examples/logistic-regression/workload.ts", import.meta.url));
const tolerance = 1e-2;

for (const sync of ["bsp", "asp"] as const) {
  test(`a workload module under ${sync} on 3 data centers ends where the simulator ends`, { timeout: 150_000 }, async () => {
    const file = writeCluster({
      name: `module-${sync}`,
      sync,
      dataCenters: ["virginia", "california", "oregon"],
      maxIterations: 40,
      evalEvery: 10,
      wan: false,
      workload: `  kind: module\n  path: ${join(module)}\n  options: { features: 500, samples: 6000, activePerSample: 8, batchSize: 100 }`,
    });
    const cluster = await loadClusterAsync(file);
    const launch = await launchCluster(cluster, { trace: true, onLog: (node, line) => process.stderr.write(`[${node}] ${line}\n`) });
    const real = await launch.result;
    const simulated = await runSimulation(cluster.scenario, { recordTrace: false });
    assert.equal(real.summary.workload, "logistic-regression");
    assert.equal(real.summary.objectiveName, "log-loss");
    assert.equal(real.summary.iterations, 40);
    // Replicas sum mirrors' updates in arrival order under ASP: equal up to float rounding.
    assert.ok(real.replicaSpread <= 1e-4, `spread ${real.replicaSpread}`);
    for (const [name, verdict] of Object.entries(real.summary.checks)) assert.equal(verdict, null, `${name}: ${verdict}`);
    const [r, s] = [real.summary.objective, simulated.summary.objective];
    assert.ok(r < 0.66, `runtime log-loss ${r} after 40 clocks (ln 2 = 0.693 at the start)`);
    assert.ok(Math.abs(r - s) <= tolerance * s, `runtime ${r} vs simulator ${s}`);
  });
}
