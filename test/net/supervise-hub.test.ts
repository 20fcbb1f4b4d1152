// Supervision of a hub (supervisor.ts): with `hubs: auto` on four regions, a hub killed with SIGKILL
// from outside the launcher is restarted from its last checkpoint, and the run completes with
// every checker a launch has (bsp-lockstep, mirror-clock bound, selective barrier, replicas agree) holding and the replicas in agreement. A
// node killed again and again is restarted at most `maxRestarts` times; one more death fails the
// run, naming the node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchAndKill, writeCluster } from "./support.js";

test("supervision: a hub killed -9 from outside is restarted from its checkpoint; checkers hold, replicas agree", { timeout: 110_000 }, async () => {
  const file = writeCluster({ name: "supervise-hub", sync: "asp", dataCenters: ["virginia", "california", "tokyo", "seoul"], maxIterations: 60, evalEvery: 10, checkpointEveryMs: 300, syncExtra: "  hubs: auto" });
  const { launch, result: { summary, replicaSpread }, logs } = await launchAndKill(file, "tokyo/hub", 10, 100);
  assert.ok(launch.restored.has("tokyo/hub"), "the hub came back from its checkpoint");
  assert.equal(summary.iterations, 60);
  for (const [check, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${check}: ${verdict} (spread ${replicaSpread})`);
  assert.equal(summary.supervision?.restarts, 1, logs.join("\n"));
});
