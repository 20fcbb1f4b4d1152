// Hubs on the real runtime: four EC2 regions with `hubs: auto` form Gaia's groups
// {virginia*, california} and {tokyo*, seoul} (10 processes: a worker and a shard per data center,
// and two hubs). Shards send their significant updates to their group's hub, which sums them and
// forwards one message to the other hub, which fans out. The run reaches its iterations, the
// simulator's checkers hold on the runtime's trace, every data center's replica agrees, and the
// hubs carried the cross-group traffic.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchCluster, loadCluster } from "@gaia/net";
import { writeCluster } from "./support.js";

test("hubs: auto on 4 EC2 regions: groups formed, traffic through the hubs, checkers hold, replicas agree", { timeout: 110_000 }, async () => {
  const file = writeCluster({ name: "hubs4", sync: "asp", dataCenters: ["virginia", "california", "tokyo", "seoul"], maxIterations: 40, evalEvery: 10, syncExtra: "  hubs: auto", checkpointEveryMs: 1000 });
  const launch = await launchCluster(loadCluster(file), { trace: true, onLog: (node, line) => process.stderr.write(`[${node}] ${line}\n`) });
  assert.deepEqual(
    launch.plan.layout.hubs.map((h) => h.id),
    ["virginia/hub", "tokyo/hub"],
  );
  const { summary, replicaSpread, counters, trace } = await launch.result;
  assert.equal(summary.iterations, 40);
  for (const [name, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${name}: ${verdict}`);
  assert.ok(replicaSpread <= 1e-4, `spread ${replicaSpread}`);
  // Cross-group bytes leave only from the hubs: virginia/hub -> tokyo/hub and back.
  const hubSent = (id: string, peer: string): number => counters.get(id)?.[`bytes_sent_total{peer="${peer}"}`] ?? 0;
  assert.ok(hubSent("virginia/hub", "tokyo/hub") > 0 && hubSent("tokyo/hub", "virginia/hub") > 0, "hubs exchanged updates");
  assert.ok(hubSent("california/s0", "virginia/hub") > 0, "a member shard sends to its hub");
  for (const shard of ["virginia/s0", "california/s0", "tokyo/s0", "seoul/s0"]) {
    const peers = Object.keys(counters.get(shard) ?? {}).filter((k) => k.startsWith("bytes_sent_total{")).map((k) => /peer="(.*)"/.exec(k)![1]!);
    assert.ok(!peers.some((p) => p.endsWith("/s0")), `${shard} sends to no other shard directly (${peers.join(", ")})`);
  }
  assert.ok(trace!.some((e) => e.type === "mirror-applied"), "mirror updates were applied");
});
