// Supervision of a hub (supervisor.ts): with `hubs: auto` on four regions, a hub killed with SIGKILL
// from outside the launcher is restarted from its last checkpoint, and the run completes with
// every checker (conservation of updates among them) holding and the replicas in agreement. A
// node killed again and again is restarted at most `maxRestarts` times; one more death fails the
// run, naming the node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchCluster, loadCluster } from "@gaia/net";
import { whenIteration, writeCluster } from "./support.js";

test("supervision: a hub killed -9 from outside is restarted from its checkpoint; checkers hold, replicas agree", { timeout: 110_000 }, async () => {
  const file = writeCluster({ name: "supervise-hub", sync: "asp", dataCenters: ["virginia", "california", "tokyo", "seoul"], maxIterations: 60, evalEvery: 10, checkpointEveryMs: 300, syncExtra: "  hubs: auto" });
  const progress = { iteration: 0 };
  const logs: string[] = [];
  const launch = await launchCluster(loadCluster(file), { trace: true, timeoutS: 100, onProgress: (p) => (progress.iteration = p.iteration), onLog: (node, line) => node === "launcher" && logs.push(line) });
  await whenIteration(launch, progress, 10);
  process.kill(launch.pidOf("tokyo/hub")!, "SIGKILL");
  const { summary, replicaSpread } = await launch.result;
  assert.ok(launch.restored.has("tokyo/hub"), "the hub came back from its checkpoint");
  assert.equal(summary.iterations, 60);
  for (const [check, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${check}: ${verdict} (spread ${replicaSpread})`);
  assert.equal(summary.supervision?.restarts, 1, logs.join("\n"));
});
