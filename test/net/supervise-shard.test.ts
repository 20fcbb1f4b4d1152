// Supervision of a shard (supervisor.ts): a shard killed with SIGKILL from outside the launcher (as
// the OOM killer would) is restarted by the launcher from its last checkpoint, and the run
// completes with every checker a launch has (bsp-lockstep, mirror-clock bound, selective barrier, replicas agree) holding and the replicas in
// agreement: an update lost or applied twice would make them differ. The restart is counted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchAndKill, writeCluster } from "./support.js";

test("supervision: a shard killed -9 from outside is restarted from its checkpoint; checkers hold, replicas agree", { timeout: 110_000 }, async () => {
  const file = writeCluster({ name: "supervise-shard", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 60, checkpointEveryMs: 200, ratings: 12000 });
  const { launch, result: { summary, replicaSpread }, logs } = await launchAndKill(file, "virginia/s0", 15, 90);
  assert.ok(launch.restored.has("virginia/s0"), "the shard came back from its checkpoint");
  assert.equal(summary.iterations, 60);
  for (const [check, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${check}: ${verdict} (spread ${replicaSpread})`);
  assert.equal(summary.supervision?.restarts, 1, logs.join("\n"));
  assert.ok(logs.some((l) => l === "restarted virginia/s0 from its checkpoint"), logs.join("\n"));
});
