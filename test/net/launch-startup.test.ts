// Proves that a launch keeps its start-up (spawning the node processes, loading modules, building
// the workload, listening) out of its training time: the first evaluation (iteration 0, the initial
// model) is at time 0 of the metrics' axis, start-up is reported apart, time to target is training
// time, and the three add up to the wall clock. Also that a launch without faults counts no
// reconnect, though its nodes start at once and their first dials race each other's listeners.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchCluster, loadCluster } from "@gaia/net";
import { writeCluster } from "./support.js";

test("launch: time is training time, start-up apart; no reconnects without faults", { timeout: 120_000 }, async () => {
  const file = writeCluster({ name: "startup", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 200, target: 0.6, evalEvery: 5 });
  const launch = await launchCluster(loadCluster(file), { onLog: (node, line) => process.stderr.write(`[${node}] ${line}\n`) });
  const { summary, series, counters } = await launch.result;
  assert.ok(summary.reachedTarget, `target reached (objective ${summary.objective})`);
  const startupS = summary.startupS!;
  const trainingS = summary.trainingTimeS!;
  const wallS = summary.wallClockTimeS!;
  assert.ok(startupS > 0, `start-up is measured (${startupS} s)`);
  assert.ok(!("virtualTimeS" in summary), "a launch has no virtual time: its run time is trainingTimeS");
  assert.ok(Math.abs(startupS + trainingS - wallS) < 1e-6, `start-up ${startupS} + training ${trainingS} = wall clock ${wallS}`);
  assert.equal(series[0]!.iteration, 0);
  // Before every node is up nothing trains: the initial model is evaluated at time 0, not after the start-up.
  assert.ok(series[0]!.virtualTimeS < 0.25, `the first metrics row is at ${series[0]!.virtualTimeS} s of training, start-up ${startupS} s`);
  assert.ok(summary.timeToTargetS! <= wallS - startupS + 0.01, `time to target ${summary.timeToTargetS} s is training time (wall ${wallS} s, start-up ${startupS} s)`);
  assert.equal(summary.atTarget!.timeS, summary.timeToTargetS);
  assert.equal(summary.atEnd!.timeS, trainingS);
  assert.ok(series.every((p, i) => i === 0 || p.virtualTimeS >= series[i - 1]!.virtualTimeS), "the time axis only grows");
  assert.ok(series.at(-1)!.virtualTimeS <= trainingS);

  let connections = 0;
  for (const [node, values] of counters) {
    for (const [key, value] of Object.entries(values)) {
      if (key.startsWith("reconnects_total")) assert.equal(value, 0, `${node} ${key}: no connection was lost`);
      if (key.startsWith("connections_total")) connections += value;
    }
  }
  assert.ok(connections > 0, "the counters were reported");
});
