// Proves that `gaia launch` says what it does while the nodes start and prints every node's address
// and metrics URL; that its report and --json speak of wall-clock time, training time apart from
// start-up; that it numbers run folders instead of replacing one; that --set changes the cluster
// file for every node; that a launched run compares with a simulated one; and that Ctrl-C keeps
// the run so far (written to --out, marked interrupted, exit 130) with its checkpoints under --out
// and no temporary checkpoint file left. Runs the built CLI on a 2-data-center cluster on loopback.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeCluster } from "../net/support.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "packages/cli/bin/run.js");

before(() => {
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  spawnSync(process.execPath, [tsc, "-b", "packages/cli"], { cwd: root, encoding: "utf8" });
});

test("gaia launch: node addresses and metrics ports, wall-clock labels, numbered run folders", { timeout: 150_000 }, () => {
  const file = writeCluster({ name: "cli-launch", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 20, evalEvery: 5 });
  const cwd = mkdtempSync(join(tmpdir(), "gaia-cli-launch-"));
  const launch = (...extra: string[]): { status: number | null; stdout: string; stderr: string } => {
    const run = spawnSync(process.execPath, [bin, "launch", "--cluster", file, ...extra], { cwd, encoding: "utf8", timeout: 120_000 });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  const first = launch();
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /^starting the nodes of .* on this machine\.\.\.$/m);
  assert.match(first.stderr, /^4 node processes: 2 workers, 2 shards; waiting for every node to listen and connect$/m);
  for (const node of ["virginia/w0", "virginia/s0", "california/w0", "california/s0"]) {
    assert.match(first.stderr, new RegExp(`^  ${node} +ws://127\\.0\\.0\\.1:(\\d+)  metrics http://127\\.0\\.0\\.1:\\1/metrics$`, "m"), node);
  }
  assert.match(first.stdout, /^wall-clock time +\S/m);
  assert.doesNotMatch(first.stdout, /virtual time/);
  const report = readFileSync(join(cwd, "runs/cli-launch-11-launch/report.html"), "utf8");
  assert.match(report, /over wall-clock time/);
  assert.doesNotMatch(report, /virtual time/);

  const second = launch("--json");
  assert.equal(second.status, 0, second.stderr);
  const summary = JSON.parse(second.stdout) as { clock: string; virtualTimeS?: number; trainingTimeS: number; startupS: number; wallClockTimeS: number; outDir: string };
  assert.equal(summary.clock, "wall");
  assert.equal(summary.virtualTimeS, undefined, "wall time is not reported as virtual time");
  assert.ok(summary.startupS > 0 && summary.trainingTimeS > 0);
  assert.ok(Math.abs(summary.wallClockTimeS - summary.startupS - summary.trainingTimeS) < 1e-6, "the wall clock is start-up + training");
  assert.equal(summary.outDir, "runs/cli-launch-11-launch.2", "the second run is numbered");
  assert.ok(existsSync(join(cwd, summary.outDir, "summary.json")));
  // launch writes metrics.csv beside metrics.jsonl, one line more (its header).
  const jsonl = readFileSync(join(cwd, summary.outDir, "metrics.jsonl"), "utf8").trim().split("\n");
  assert.equal(readFileSync(join(cwd, summary.outDir, "metrics.csv"), "utf8").trim().split("\r\n").length, jsonl.length + 1);
  // Each row carries the bytes of each WAN link so far, as a simulated run's do (the report's per-link chart).
  const points = jsonl.map((line) => JSON.parse(line) as { wanBytes: number; wanBytesByLink?: Record<string, number> });
  const last = points.at(-1)!;
  assert.deepEqual(Object.keys(last.wanBytesByLink ?? {}).sort(), ["california->virginia", "virginia->california"]);
  assert.ok(last.wanBytes > 0 && Math.abs(Object.values(last.wanBytesByLink!).reduce((a, b) => a + b, 0) - last.wanBytes) < 1, "the links sum to the total");
  assert.match(readFileSync(join(cwd, summary.outDir, "report.html"), "utf8"), /cumulative WAN traffic by link/);
  // summary.json is the same object as --json: the wall-clock length is in it, not only on stdout.
  const written = JSON.parse(readFileSync(join(cwd, summary.outDir, "summary.json"), "utf8")) as { wallClockTimeS: number; atEnd: { timeS: number } };
  assert.equal(written.wallClockTimeS, summary.wallClockTimeS);
  assert.equal(written.atEnd.timeS, summary.trainingTimeS, "the end is on the training clock");
});

/** Every file under `dir` whose name ends with `suffix`. */
function filesEndingWith(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).filter((name) => name.endsWith(suffix));
}

test("gaia launch --set: every node runs the changed file; a launched run compares with a simulated one", { timeout: 150_000 }, () => {
  const file = writeCluster({ name: "cli-set", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 20, evalEvery: 5, checkpointDir: false });
  const cwd = mkdtempSync(join(tmpdir(), "gaia-cli-set-"));
  const gaia = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const run = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", timeout: 120_000 });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  const bad = gaia("launch", "--cluster", file, "--set", "stop.maxIterations");
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /^Error: --set stop\.maxIterations: write --set path=value/m);
  const invalid = gaia("launch", "--cluster", file, "--set", "stop.maxIterations=-3");
  assert.equal(invalid.status, 2, invalid.stderr);
  assert.match(invalid.stderr, /stop\.maxIterations/);
  assert.doesNotMatch(invalid.stderr, /\n\s+at /, "no stack trace");

  // The workers stop at maxIterations themselves: 12 iterations only if every node read the --set.
  const launched = gaia("launch", "--cluster", file, "--set", "stop.maxIterations=12", "--set", "stop.evalEvery=4", "--out", "launched", "--json");
  assert.equal(launched.status, 0, launched.stderr);
  const summary = JSON.parse(launched.stdout) as { iterations: number; trainingTimeS: number; atEnd: { timeS: number } };
  assert.equal(summary.iterations, 12);
  const rows = readFileSync(join(cwd, "launched/metrics.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { iteration: number; virtualTimeS: number });
  assert.deepEqual(rows.map((r) => r.iteration), [0, 4, 8, 12]);
  // Checkpoints go under the output folder when the file names none, not under the repo's runs/.
  assert.ok(filesEndingWith(join(cwd, "launched/checkpoints"), ".ckpt").length === 2, "each shard's checkpoint under launched/checkpoints");
  assert.ok(!existsSync(join(cwd, "runs/checkpoints")), "nothing under runs/checkpoints");

  const simulated = gaia("simulate", file, "--set", "stop.maxIterations=12", "--set", "stop.evalEvery=4", "--out", "simulated", "--json", "--quiet");
  assert.equal(simulated.status, 0, simulated.stderr);
  const compared = gaia("compare", "launched", "simulated", "--out", "compared", "--json");
  assert.equal(compared.status, 0, compared.stderr);
  const table = JSON.parse(compared.stdout) as { moment: string; rows: { label: string; timeS: number; iteration: number }[] };
  assert.equal(table.rows.length, 2);
  // The launched run's time is its training time (its axis in the report), not the launch's wall clock.
  assert.equal(table.rows[0]!.timeS, summary.atEnd.timeS);
  assert.equal(summary.atEnd.timeS, summary.trainingTimeS);
  assert.ok(existsSync(join(cwd, "compared/compare.html")));
});

test("Ctrl-C on gaia launch: the run so far is written to --out, marked interrupted; exit 130; no temporary checkpoint left", { timeout: 150_000 }, async () => {
  const file = writeCluster({ name: "cli-int", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 100_000, evalEvery: 5, checkpointDir: false, checkpointEveryMs: 50 });
  const cwd = mkdtempSync(join(tmpdir(), "gaia-cli-int-"));
  // Its own process group, as a shell gives a command: Ctrl-C sends SIGINT to the whole group, the nodes included.
  const child = spawn(process.execPath, [bin, "launch", "--cluster", file, "--out", "out"], { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no training progress:\n${stderr}`)), 90_000);
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/^iteration (\d{2,}) +training/m.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    process.kill(-child.pid!, "SIGINT");
    const code = await exited;
    assert.equal(code, 130, stderr);
  } finally {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // The group has exited.
    }
  }
  assert.match(stderr, /^interrupted \(Ctrl-C \(SIGINT\)\): the run so far is in out$/m);
  assert.match(stdout, /^interrupted +Ctrl-C \(SIGINT\)$/m);
  const summary = JSON.parse(readFileSync(join(cwd, "out/summary.json"), "utf8")) as { interrupted: boolean; interruptReason: string; stoppedBy: string; iterations: number; startupS: number; trainingTimeS: number };
  assert.equal(summary.interrupted, true);
  assert.equal(summary.interruptReason, "Ctrl-C (SIGINT)");
  assert.equal(summary.stoppedBy, "interrupted");
  assert.ok(summary.iterations >= 10 && summary.startupS > 0 && summary.trainingTimeS > 0);
  const rows = readFileSync(join(cwd, "out/metrics.jsonl"), "utf8").trim().split("\n");
  assert.ok(rows.length >= 3, `the evaluations so far are kept (${rows.length} rows)`);
  assert.ok(existsSync(join(cwd, "out/report.html")));
  assert.ok(filesEndingWith(join(cwd, "out/checkpoints"), ".ckpt").length === 2, "checkpoints under out/checkpoints");
  assert.deepEqual(filesEndingWith(cwd, ".ckpt.tmp"), [], "no temporary checkpoint file");
  assert.ok(!existsSync(join(cwd, "runs")), "nothing under runs/");
});
