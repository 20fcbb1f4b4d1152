// A worker killed with SIGKILL mid-run and started again (it has lost its clock and its link state)
// rejoins from its shards' state: the shards' links start over for its new incarnation, it resumes
// at the clock its shards stand at, and the run completes with every replica in agreement. Before,
// the old links dropped its first messages as duplicates and the whole cluster hung.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchCluster, loadCluster } from "@gaia/net";
import { sleep, whenIteration, writeCluster } from "./support.js";

test("a worker killed with SIGKILL and restarted rejoins from its shards; the run completes and the replicas agree", { timeout: 110_000 }, async () => {
  const file = writeCluster({ name: "restart-worker", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 60, ratings: 12000 });
  const progress = { iteration: 0 };
  const launch = await launchCluster(loadCluster(file), { timeoutS: 90, onProgress: (p) => (progress.iteration = p.iteration), onLog: (node, line) => process.stderr.write(`[${node}] ${line}\n`) });
  await whenIteration(launch, progress, 15);
  launch.kill("virginia/w0");
  await sleep(500);
  launch.restart("virginia/w0");
  const { summary, replicaSpread, counters } = await launch.result;
  assert.ok(launch.restored.has("virginia/w0"), "the worker came back and rejoined");
  assert.equal(summary.iterations, 60);
  assert.equal(summary.checks["replicas-agree"], null, `spread ${replicaSpread}`);
  const shard = counters.get("virginia/s0") ?? {};
  assert.ok(Object.entries(shard).some(([key, n]) => key.startsWith("peer_restarts_total") && n > 0), "the shard's links to the worker started over");
  const remote = Object.entries(shard).filter(([key]) => key.startsWith("remote_errors_total") || key.startsWith("role_remote_errors_total"));
  assert.deepEqual(remote, [], "no message was refused on the way");
});

test("scripted faults: a worker and a shard crash (SIGKILL) and restart in one run; the checkers hold and the replicas agree", { timeout: 110_000 }, async () => {
  const file = writeCluster({
    name: "restart-roles",
    sync: "asp",
    dataCenters: ["virginia", "california", "oregon"],
    maxIterations: 120,
    checkpointEveryMs: 300,
    extra: "faults:\n  - { at: 1s, crash: oregon/w0, restartAfter: 700ms }\n  - { at: 2500ms, crash: california/s0, restartAfter: 700ms }\n  - { at: 3500ms, crash: virginia/w0, restartAfter: 300ms }\n",
  });
  const faults: string[] = [];
  const launch = await launchCluster(loadCluster(file), { trace: true, timeoutS: 90, onFault: (text) => faults.push(text), onLog: (node, line) => process.stderr.write(`[${node}] ${line}\n`) });
  const { summary, replicaSpread } = await launch.result;
  assert.deepEqual(faults.filter((f) => f.startsWith("restarted")).length, 3, faults.join("; "));
  assert.ok(launch.restored.has("oregon/w0") && launch.restored.has("virginia/w0") && launch.restored.has("california/s0"));
  assert.equal(summary.iterations, 120);
  for (const [check, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${check}: ${verdict} (spread ${replicaSpread})`);
});

test("scripted faults with hubs: a worker, a shard and a hub crash (SIGKILL) and restart in one run; the checkers hold and the replicas agree", { timeout: 110_000 }, async () => {
  const file = writeCluster({
    name: "restart-hub",
    sync: "asp",
    dataCenters: ["virginia", "california", "tokyo", "seoul"],
    maxIterations: 60,
    evalEvery: 10,
    checkpointEveryMs: 300,
    syncExtra: "  hubs: auto",
    extra: "faults:\n  - { at: 1s, crash: seoul/w0, restartAfter: 500ms }\n  - { at: 2s, crash: tokyo/hub, restartAfter: 700ms }\n  - { at: 3500ms, crash: california/s0, restartAfter: 500ms }\n",
  });
  const faults: string[] = [];
  const launch = await launchCluster(loadCluster(file), { trace: true, timeoutS: 100, onFault: (text) => faults.push(text), onLog: (node, line) => process.stderr.write(`[${node}] ${line}\n`) });
  const { summary, replicaSpread } = await launch.result;
  assert.equal(faults.filter((f) => f.startsWith("restarted")).length, 3, faults.join("; "));
  assert.ok(launch.restored.has("seoul/w0") && launch.restored.has("tokyo/hub") && launch.restored.has("california/s0"), [...launch.restored].join(", "));
  assert.equal(summary.iterations, 60);
  for (const [check, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${check}: ${verdict} (spread ${replicaSpread})`);
});
