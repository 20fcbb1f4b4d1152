// The launcher follows a node's own retry instead of aborting: a shard whose checkpoint writes fail
// (here its checkpoint folder is replaced by a file, as EMFILE or a full disk would fail them) says
// "checkpoint write failing; retrying" and keeps its frames gated; the launcher logs and counts it
// and waits. Once writes succeed again the shard says so, and the run completes with every checker
// holding and the replicas in agreement.
import { test } from "node:test";
import assert from "node:assert/strict";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { launchCluster, loadCluster } from "@gaia/net";
import { sleep, until, whenIteration, writeCluster } from "./support.js";

test("a shard retrying failed checkpoint writes is followed, not aborted; the run completes and the replicas agree", { timeout: 110_000 }, async () => {
  const file = writeCluster({ name: "checkpoint-retry", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 60, checkpointEveryMs: 200 });
  const cluster = loadCluster(file);
  const dir = cluster.checkpoint.dir;
  const progress = { iteration: 0 };
  const logs: string[] = [];
  const launch = await launchCluster(cluster, { trace: true, timeoutS: 90, onProgress: (p) => (progress.iteration = p.iteration), onLog: (node, line) => node === "launcher" && logs.push(line) });
  await whenIteration(launch, progress, 10);
  renameSync(dir, `${dir}.away`);
  writeFileSync(dir, "not a folder");
  try {
    await until("a shard to say its checkpoint writes fail", () => logs.some((l) => /: checkpoint write failing \(.+\): .*; retrying \(the node retries; the launcher waits\)$/.test(l)), 30_000);
    await sleep(1000);
  } finally {
    rmSync(dir);
    renameSync(`${dir}.away`, dir);
  }
  const { summary, replicaSpread } = await launch.result;
  assert.equal(summary.iterations, 60);
  for (const [check, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${check}: ${verdict} (spread ${replicaSpread})`);
  const kinds = new Set(summary.supervision?.events.map((e) => e.kind));
  assert.ok(kinds.has("retrying") && kinds.has("recovered"), logs.join("\n"));
  assert.equal(summary.supervision?.restarts, 0);
});
