// The unix-socket carrier under `gaia launch`: with `lanCarrier: unix`, each data center's worker
// and shard talk over a unix-domain socket and the data centers over WebSocket; the run is the same
// run: every checker holds on its trace, the replicas agree, and it ends where the simulator ends.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { launchCluster, loadCluster } from "@gaia/net";
import { runSimulation } from "@gaia/sim";
import { writeCluster } from "./support.js";

test("BSP over the unix-socket carrier inside each data center ends where the simulator ends", { timeout: 110_000 }, async () => {
  const probe = writeCluster({ name: "unix2", sync: "bsp", dataCenters: ["virginia", "california"], maxIterations: 15, evalEvery: 15, wan: false });
  const socketDir = join(dirname(probe), "sockets");
  const file = writeCluster({ name: "unix2", sync: "bsp", dataCenters: ["virginia", "california"], maxIterations: 15, evalEvery: 15, wan: false, clusterExtra: `  lanCarrier: unix\n  socketDir: ${socketDir}` });
  mkdirSync(socketDir, { recursive: true });
  const cluster = loadCluster(file);
  assert.equal(cluster.lanCarrier, "unix");
  const launch = await launchCluster(cluster, { trace: true, onLog: (node, line) => process.stderr.write(`[${node}] ${line}\n`) });
  const real = await launch.result;
  const simulated = await runSimulation(cluster.scenario, { recordTrace: false });
  // Inside each data center the worker and its shard connected over the carrier (data and control).
  for (const dc of ["virginia", "california"]) {
    const counters = real.counters.get(`${dc}/w0`) ?? {};
    const unix = Object.entries(counters).filter(([k]) => k.startsWith("unix_connections_total")).reduce((n, [, v]) => n + v, 0);
    assert.ok(unix >= 2, `${dc}/w0: ${unix} unix connections (${JSON.stringify(counters).slice(0, 300)})`);
  }
  assert.equal(real.summary.iterations, 15);
  assert.equal(real.replicaSpread, 0);
  for (const [name, verdict] of Object.entries(real.summary.checks)) assert.equal(verdict, null, `${name}: ${verdict}`);
  const [r, s] = [real.summary.objective, simulated.summary.objective];
  assert.ok(Math.abs(r - s) <= 1e-2 * s, `runtime ${r} vs simulator ${s}`);
});
