// Proves that `gaia launch` says what it does while the nodes start and prints every node's address
// and metrics URL; that its report and --json speak of wall-clock time; and that it numbers run
// folders instead of replacing one. Runs the built CLI on a 2-data-center cluster on loopback.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
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
  const summary = JSON.parse(second.stdout) as { clock: string; virtualTimeS: number; wallClockTimeS: number; outDir: string };
  assert.equal(summary.clock, "wall");
  assert.equal(summary.wallClockTimeS, summary.virtualTimeS);
  assert.equal(summary.outDir, "runs/cli-launch-11-launch.2", "the second run is numbered");
  assert.ok(existsSync(join(cwd, summary.outDir, "summary.json")));
  // launch writes metrics.csv beside metrics.jsonl, one line more (its header).
  const jsonl = readFileSync(join(cwd, summary.outDir, "metrics.jsonl"), "utf8").trim().split("\n");
  assert.equal(readFileSync(join(cwd, summary.outDir, "metrics.csv"), "utf8").trim().split("\r\n").length, jsonl.length + 1);
  // summary.json is the same object as --json: the wall-clock length is in it, not only on stdout.
  const written = JSON.parse(readFileSync(join(cwd, summary.outDir, "summary.json"), "utf8")) as { wallClockTimeS: number; atEnd: { timeS: number } };
  assert.equal(written.wallClockTimeS, summary.wallClockTimeS);
  assert.equal(written.atEnd.timeS, summary.wallClockTimeS);
});
