// A node whose connections are all cut for two seconds (no dialing, incoming refused) resumes
// once they are back: its links resend what was not acknowledged, and the run completes with
// every replica in agreement.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchCluster, loadCluster } from "@gaia/net";
import { whenIteration, writeCluster } from "./support.js";

test("a node cut off for two seconds resumes and the run completes", { timeout: 110_000 }, async () => {
  const file = writeCluster({ name: "cut", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 50 });
  const progress = { iteration: 0 };
  const launch = await launchCluster(loadCluster(file), { onProgress: (p) => (progress.iteration = p.iteration) });
  await whenIteration(launch, progress, 10);
  const cutAt = Date.now();
  launch.cutLinks("california/s0", 2000);
  const { summary, replicaSpread, counters } = await launch.result;
  assert.ok(Date.now() - cutAt >= 2000);
  assert.equal(summary.iterations, 50);
  assert.equal(summary.checks["replicas-agree"], null, `spread ${replicaSpread}`);
  const reconnects = Object.entries(counters.get("california/s0") ?? {}).filter(([k]) => k.startsWith("connections_total")).reduce((a, [, v]) => a + v, 0);
  assert.ok(reconnects > 4, `california/s0 reconnected (${reconnects} connections)`);
});
