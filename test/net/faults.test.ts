// `gaia launch` applies a cluster file's scripted faults at their wall-clock times: a two-second
// partition between two data centers (frames held by the emulated WAN, or dropped and resent by
// the reliable links), a shard crashed with SIGKILL and restarted from its checkpoint, a one-way
// cut, a bandwidth drop and a slow worker. Each run must still complete with every replica in
// agreement (an update lost or applied twice would make them differ) and the simulator's trace
// checkers holding on the runtime's trace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchCluster, loadCluster } from "@gaia/net";
import { writeCluster } from "./support.js";

const log = (node: string, line: string): void => void process.stderr.write(`[${node}] ${line}\n`);

test("a 2 s partition with a shard crashed and restarted inside it, from the cluster file: the run completes, replicas agree, checkers hold", { timeout: 110_000 }, async () => {
  const file = writeCluster({
    name: "faults",
    sync: "asp",
    dataCenters: ["virginia", "california"],
    maxIterations: 150,
    checkpointEveryMs: 200,
    extra: `faults:
  - { at: 0.5s, partition: [virginia, california], for: 2s }
  - { at: 1.5s, crash: california/s0, restartAfter: 500ms }
`,
  });
  const faults: { atS: number; text: string }[] = [];
  const clocks: { wallS: number; iteration: number }[] = [];
  const launch = await launchCluster(loadCluster(file), {
    trace: true,
    onLog: log,
    onFault: (text, atS) => faults.push({ text, atS }),
    onProgress: (p) => clocks.push({ wallS: p.wallS, iteration: p.iteration }),
  });
  const { summary, replicaSpread, trace } = await launch.result;
  const texts = faults.map((f) => f.text);
  // A restart waits for the killed process's exit, so on a loaded machine it may follow the heal.
  assert.deepEqual(
    [...texts].sort(),
    ["crashed california/s0 (SIGKILL)", "cut california->virginia", "cut virginia->california", "healed california->virginia", "healed virginia->california", "restarted california/s0 from its checkpoint"],
  );
  assert.ok(texts.indexOf("cut virginia->california") < texts.indexOf("crashed california/s0 (SIGKILL)"), texts.join("; "));
  assert.ok(texts.indexOf("crashed california/s0 (SIGKILL)") < texts.indexOf("restarted california/s0 from its checkpoint"), texts.join("; "));
  const healAtS = faults.find((f) => f.text === "healed virginia->california")!.atS;
  assert.ok(healAtS >= 2.4 && healAtS < 4, `healed after about 2 s (at ${healAtS} s)`);
  assert.ok(launch.restored.has("california/s0"), "the crashed shard came back from its checkpoint");
  assert.equal(summary.iterations, 150, `ran to the end (faults at ${JSON.stringify(faults)})`);
  for (const [name, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${name}: ${verdict}`);
  assert.ok(replicaSpread <= 1e-4, `spread ${replicaSpread}`);
  assert.ok(trace!.some((e) => e.type === "crash") && trace!.some((e) => e.type === "restart"));
  // The crash falls inside the partition, where the mirror clock holds reads at the shard: reads
  // pending at the crash are in its checkpoint and served after the restore; their wait is measured on the run's
  // clock, which the restarted process shares, so it is never negative nor longer than the run.
  const waits = trace!.flatMap((e) => (e.type === "read-served" ? [e.waitedMs] : []));
  assert.ok(waits.length > 0 && waits.every((w) => w >= 0 && w <= summary.wallTimeS * 1000), `read waits in [0, run]: min ${Math.min(...waits)}, max ${Math.max(...waits)}`);
  // While the WAN was cut, ASP's mirror clock (DS = 1) held the workers back.
  const blocked = summary.blockedS.mirrorClock;
  assert.ok(blocked > 0.5, `reads waited on the mirror clock during the partition (${blocked} s)`);
});

test("drop mode, a one-way cut, a bandwidth drop and a slow worker: frames resent after the heal, replicas agree", { timeout: 110_000 }, async () => {
  const file = writeCluster({
    name: "faults-drop",
    sync: "asp",
    dataCenters: ["virginia", "california"],
    maxIterations: 120,
    wanCutMode: "drop",
    extra: `faults:
  - { at: 0.3s, partition: [virginia, california], oneWay: true, for: 1.5s }
  - { at: 0.3s, bandwidth: { link: all, factor: 0.5 }, for: 3s }
  - { at: 0.3s, slow: virginia/w0, factor: 3, for: 2s }
`,
  });
  const faults: string[] = [];
  const launch = await launchCluster(loadCluster(file), { trace: true, onLog: log, onFault: (text) => faults.push(text) });
  const { summary, replicaSpread, counters } = await launch.result;
  assert.ok(faults.includes("cut virginia->california") && faults.includes("healed virginia->california"), faults.join("; "));
  assert.ok(!faults.includes("cut california->virginia"), "one way only");
  assert.ok(faults.includes("virginia/w0 computes x3.00 slower") && faults.includes("virginia/w0 computes x1.00 slower"), faults.join("; "));
  assert.equal(summary.iterations, 120);
  for (const [name, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${name}: ${verdict}`);
  assert.ok(replicaSpread <= 1e-4, `spread ${replicaSpread}`);
  const shard = counters.get("virginia/s0") ?? {};
  const dropped = Object.entries(shard).filter(([k]) => k.startsWith("wan_cut_frames_dropped_total")).reduce((a, [, v]) => a + v, 0);
  assert.ok(dropped > 0, "frames into the cut were dropped (and resent after the heal)");
  const worker = counters.get("virginia/w0") ?? {};
  assert.ok((worker["compute_sleep_seconds_total"] ?? 0) > 0, "the slow worker slept");
});

test("a crash without restartAfter is refused before anything starts, with the fault's path", async () => {
  const file = writeCluster({ name: "faults-bad", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 10, extra: "faults:\n  - { at: 1s, crash: virginia/w0 }\n" });
  await assert.rejects(launchCluster(loadCluster(file)), /faults\[0\].*needs restartAfter/s);
});
