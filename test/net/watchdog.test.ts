// A cluster never hangs without saying why: a shard killed and never restarted stalls the run, and
// within the watchdog period every node that waits says on what ("no progress for T: waiting on
// read replies ... from virginia/s0; no connection to virginia/s0"); the launch's timeout repeats it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchCluster, loadCluster } from "@gaia/net";
import { sleep, whenIteration, writeCluster } from "./support.js";

test("watchdog: a shard that never comes back is named by the workers that wait on it", { timeout: 90_000 }, async () => {
  const file = writeCluster({ name: "watchdog", sync: "bsp", dataCenters: ["virginia", "california"], maxIterations: 1000 });
  const progress = { iteration: 0 };
  const logs: string[] = [];
  const launch = await launchCluster(loadCluster(file), { watchdogS: 3, timeoutS: 30, onProgress: (p) => (progress.iteration = p.iteration), onLog: (node, line) => node === "launcher" && logs.push(line) });
  await whenIteration(launch, progress, 5);
  launch.kill("virginia/s0");
  const killedAt = logs.length;
  // Reports from before the kill (a slow start under load) do not count.
  const named = (): string | undefined => logs.slice(killedAt).find((l) => l.startsWith("california/w0: no progress for") && l.includes("virginia/s0"));
  const start = Date.now();
  while (named() === undefined) {
    assert.ok(Date.now() - start < 15_000, `no watchdog report naming virginia/s0:\n${logs.join("\n")}`);
    await sleep(100);
  }
  const report = named()!;
  process.stderr.write(`watchdog report: ${report}\n`);
  assert.match(report, /waiting on read replies for clock \d+ from .*virginia\/s0/);
  assert.match(report, /(no connection to|nothing heard from) virginia\/s0/);
  launch.abort("test over");
  await assert.rejects(launch.result, /test over/);
});
