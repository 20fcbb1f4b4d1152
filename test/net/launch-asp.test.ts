// A 3-data-center cluster on loopback (6 processes, WAN emulated from the EC2 preset) trains MF
// under Gaia's ASP to the target objective; the simulator's trace checkers hold on the runtime's
// trace, and every data center's replica agrees at the end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchCluster, loadCluster } from "@gaia/net";
import { mirrorPathLatencyMs } from "@gaia/scenario";
import { writeCluster } from "./support.js";

test("ASP on 3 data centers reaches the target; checkers hold; replicas agree", { timeout: 110_000 }, async () => {
  const file = writeCluster({ name: "asp3", sync: "asp", dataCenters: ["virginia", "california", "oregon"], maxIterations: 200, target: 0.6 });
  const cluster = loadCluster(file);
  const launch = await launchCluster(cluster, { trace: true, onLog: (node, line) => process.stderr.write(`[${node}] ${line}\n`) });
  const { summary, trace, series } = await launch.result;
  assert.equal(summary.stoppedBy, "target");
  // The metrics rows go forward: the final state is not dated behind the last evaluation.
  for (let i = 1; i < series.length; i++) assert.ok(series[i]!.iteration > series[i - 1]!.iteration, `row ${i}: iteration ${series[i]!.iteration} after ${series[i - 1]!.iteration}`);
  assert.ok(summary.reachedTarget, `objective ${summary.objective}`);
  assert.ok(summary.objective <= 0.6);
  for (const [name, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${name}: ${verdict}`);
  assert.ok(Object.keys(summary.checks).includes("staleness") || Object.keys(summary.checks).length > 1, `checks ran: ${Object.keys(summary.checks)}`);
  assert.ok(trace && trace.some((e) => e.type === "mirror-applied"), "mirror updates crossed the WAN");
  assert.ok(summary.wanBytes > 0);
  assert.equal(Object.keys(summary.wanBytesByLink).length, 6);
  // The mirror clock's latency model, as the simulator's summary gives it: the emulated WAN's
  // slowest one-way link over DS + 1, and a measured clock that cannot run much below it.
  const m = summary.mirrorClock;
  assert.ok(m, "an ASP run over the emulated WAN reports its mirror clock");
  assert.equal(m.pathLatencyMs, mirrorPathLatencyMs(cluster.scenario));
  assert.ok(m.pathLatencyMs > 0 && !m.throughHubs);
  assert.equal(m.modelClockMs, m.pathLatencyMs / 2);
  assert.ok(m.clockMs !== null && m.clockMs >= 0.8 * m.modelClockMs, `clock ${m.clockMs} ms against the model's ${m.modelClockMs} ms`);
});
