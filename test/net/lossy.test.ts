// Lossy faults run on the runtime: frames to a data center are lost, doubled and reordered below the
// reliable links (seeded), and the links repair it (duplicates dropped, gaps refilled by fast
// retransmit): the run completes, every checker holds and the replicas agree.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchCluster, loadCluster } from "@gaia/net";
import { writeCluster } from "./support.js";

test("lossy faults on every WAN link (loss 0.2, duplicate 0.2, reorder 0.3): the run completes, checkers hold, replicas agree", { timeout: 110_000 }, async () => {
  const file = writeCluster({
    name: "lossy",
    sync: "asp",
    dataCenters: ["virginia", "california", "oregon"],
    maxIterations: 80,
    extra: "faults:\n  - { at: 500ms, lossy: { link: all, loss: 0.2, duplicate: 0.2, reorder: 0.3 }, for: 4s }\n",
  });
  const faults: string[] = [];
  const launch = await launchCluster(loadCluster(file), { trace: true, timeoutS: 90, onFault: (text) => faults.push(text), onLog: (node, line) => process.stderr.write(`[${node}] ${line}\n`) });
  const { summary, counters } = await launch.result;
  assert.ok(faults.some((f) => f.includes("lossy (loss 0.20")), faults.join("; "));
  assert.ok(faults.some((f) => f.includes("no longer lossy")), faults.join("; "));
  assert.equal(summary.iterations, 80);
  for (const [check, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${check}: ${verdict}`);
  const effects = { lost: 0, duplicated: 0, reordered: 0 };
  for (const c of counters.values()) for (const effect of Object.keys(effects) as (keyof typeof effects)[]) effects[effect] += c[`lossy_frames_total{effect="${effect}"}`] ?? 0;
  assert.ok(effects.lost > 0 && effects.duplicated > 0 && effects.reordered > 0, JSON.stringify(effects));
});
