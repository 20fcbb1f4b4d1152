// The lan sync model on the real runtime: the scenario's two data centers become one ("lan"),
// with every worker and shard in it (lan/w0, lan/w1, lan/s0, lan/s1); no byte crosses a WAN, and
// the run trains to its target like one data center of the simulator.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchCluster, loadCluster } from "@gaia/net";
import { writeCluster } from "./support.js";

test("lan: every node in one data center, no WAN bytes, the target is reached, checkers hold", { timeout: 110_000 }, async () => {
  const file = writeCluster({ name: "lan2", sync: "lan", dataCenters: ["virginia", "california"], maxIterations: 200, target: 0.6 });
  const launch = await launchCluster(loadCluster(file), { trace: true, onLog: (node, line) => process.stderr.write(`[${node}] ${line}\n`) });
  assert.deepEqual([...launch.plan.layout.nodes].sort(), ["lan/s0", "lan/s1", "lan/w0", "lan/w1"]);
  assert.equal(launch.plan.aliasOf.get("lan/w1"), "california/w0");
  const { summary } = await launch.result;
  assert.equal(summary.stoppedBy, "target");
  assert.ok(summary.reachedTarget, `objective ${summary.objective}`);
  assert.equal(summary.wanBytes, 0);
  assert.deepEqual(summary.wanBytesByLink, {});
  for (const [name, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${name}: ${verdict}`);
});
