// A shard killed with SIGKILL mid-run (a real 2-data-center cluster: 4 processes, ASP, WAN
// emulated) and started again restores its checkpoint, rejoins, and the run completes with every
// replica in agreement: an update lost or applied twice would make the replicas differ.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchCluster, loadCluster } from "@gaia/net";
import { sleep, whenIteration, writeCluster } from "./support.js";

test("a shard killed with SIGKILL and restarted restores, rejoins, and the replicas agree", { timeout: 110_000 }, async () => {
  const file = writeCluster({ name: "crash", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 60, checkpointEveryMs: 200, ratings: 12000 });
  const progress = { iteration: 0 };
  const launch = await launchCluster(loadCluster(file), { onProgress: (p) => (progress.iteration = p.iteration), onLog: (node, line) => process.stderr.write(`[${node}] ${line}\n`) });
  await whenIteration(launch, progress, 15);
  launch.kill("virginia/s0");
  await sleep(700);
  launch.restart("virginia/s0");
  const { summary, replicaSpread, counters } = await launch.result;
  assert.ok(launch.restored.has("virginia/s0"), "the shard came back from its checkpoint");
  assert.equal(summary.iterations, 60);
  assert.equal(summary.checks["replicas-agree"], null, `spread ${replicaSpread}`);
  assert.ok(replicaSpread <= 1e-4);
  const restarted = counters.get("virginia/s0") ?? {};
  assert.ok((restarted["checkpoints_total"] ?? 0) > 0, "the restarted shard keeps checkpointing");
});
