// Supervision of a worker (supervisor.ts): a worker killed with SIGKILL from outside the launcher
// (as the OOM killer would) is restarted by the launcher, rejoins from its shards, and the run
// completes with every checker (conservation of updates among them) holding and the replicas in
// agreement; the restart is counted in the summary. A worker frozen with SIGSTOP is reported by
// name once its heartbeats stop, and again when SIGCONT brings it back. With --no-restart
// (`supervision.restart: false`) the same death fails the run, as before.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchCluster, loadCluster } from "@gaia/net";
import { sleep, until, whenIteration, writeCluster } from "./support.js";

test("supervision: a worker killed -9 from outside is restarted and rejoins; checkers hold, replicas agree; a SIGSTOP is reported by name", { timeout: 110_000 }, async () => {
  const file = writeCluster({ name: "supervise-worker", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 80, ratings: 12000 });
  const progress = { iteration: 0 };
  const logs: string[] = [];
  const launch = await launchCluster(loadCluster(file), { trace: true, timeoutS: 90, supervision: { heartbeatS: 1.5 }, onProgress: (p) => (progress.iteration = p.iteration), onLog: (node, line) => node === "launcher" && logs.push(line) });
  await whenIteration(launch, progress, 15);
  process.kill(launch.pidOf("virginia/w0")!, "SIGKILL");
  await whenIteration(launch, progress, 40);
  const frozen = launch.pidOf("california/w0")!;
  process.kill(frozen, "SIGSTOP");
  await until("the frozen worker to be reported", () => logs.some((l) => l.startsWith("california/w0 is not responding")), 15_000);
  process.kill(frozen, "SIGCONT");
  const { summary, replicaSpread } = await launch.result;
  assert.ok(launch.restored.has("virginia/w0"), "the worker came back and rejoined");
  assert.equal(summary.iterations, 80);
  for (const [check, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${check}: ${verdict} (spread ${replicaSpread})`);
  assert.equal(summary.supervision?.restarts, 1, logs.join("\n"));
  assert.equal(summary.supervision?.frozen, 1, logs.join("\n"));
  assert.deepEqual(summary.supervision?.events.filter((e) => e.kind !== "resumed").map((e) => [e.kind, e.node]), [["restart", "virginia/w0"], ["frozen", "california/w0"]]);
  assert.ok(logs.some((l) => l.startsWith("california/w0 responds again")), logs.join("\n"));
});

test("supervision: with restarts off, a worker killed -9 from outside fails the run, naming it", { timeout: 60_000 }, async () => {
  const file = writeCluster({ name: "supervise-off", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 400 });
  const progress = { iteration: 0 };
  const launch = await launchCluster(loadCluster(file), { timeoutS: 50, supervision: { restart: false }, onProgress: (p) => (progress.iteration = p.iteration) });
  await whenIteration(launch, progress, 5);
  process.kill(launch.pidOf("virginia/w0")!, "SIGKILL");
  await assert.rejects(launch.result, /node virginia\/w0 exited unexpectedly \(SIGKILL\); not restarted \(--no-restart\)/);
  await sleep(200);
});
