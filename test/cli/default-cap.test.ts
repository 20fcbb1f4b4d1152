// Every run ends (stop.ts): a scenario with a target but neither stop.maxIterations nor
// stop.maxVirtualTime is valid with a warning, and a run of it whose target is out of reach stops at
// the default cap, reports "default-cap" as its stop and fails (exit 1) with a message naming the
// target; without a target, reaching the cap is a note and exit 0.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "packages/cli/bin/run.js");
const work = mkdtempSync(join(tmpdir(), "gaia-cap-"));

function gaia(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const scenario = (name: string, stop: string): string => {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nseed: 3\ntopology: { preset: virginia-california, machinesPerDataCenter: 1 }\nworkload: { kind: mf, users: 100, items: 50, ratings: 1500, rank: 4, batchSize: 100 }\nsync: { model: asp, mirrorClockBound: 1 }\nstop: ${stop}\n`);
  return file;
};

before(() => {
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  const build = spawnSync(process.execPath, [tsc, "-b", "packages/cli"], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) process.stderr.write(`note: tsc -b packages/cli failed; testing the existing build\n${build.stdout}`);
});

test("default cap: validate warns about a scenario without stop limits; a limit silences it", () => {
  const run = gaia("scenarios", "validate", scenario("warned", "{ target: { objective: 0.0001 }, evalEvery: 50 }"), "--json");
  assert.equal(run.status, 0, run.stderr);
  const [result] = JSON.parse(run.stdout) as { valid: boolean; warnings?: { path: string; message: string }[] }[];
  assert.equal(result!.valid, true);
  assert.equal(result!.warnings?.[0]?.path, "/stop");
  assert.match(result!.warnings![0]!.message, /neither maxIterations nor maxVirtualTime is set; the run stops at the default cap \(1000 iterations or 2 h\) if it does not reach the target objective 0\.0001/);
  const text = gaia("scenarios", "validate", scenario("limited", "{ target: { objective: 0.0001 }, maxIterations: 10 }"));
  assert.equal(text.status, 0, text.stderr);
  assert.doesNotMatch(text.stderr, /warning/);
});

test("default cap: an unreachable target without stop limits stops at the cap, exit 1, naming the target", () => {
  const out = join(work, "unreachable");
  const run = gaia("simulate", scenario("unreachable", "{ target: { objective: 0.0001 }, evalEvery: 50 }"), "--out", out, "--quiet");
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /^Error: the run stopped at the default cap \(1000 iterations or 2 h; the scenario sets neither stop\.maxIterations nor stop\.maxVirtualTime\) at iteration 1000 without reaching the target objective 0\.0001 \(rmse /m);
  const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as { stoppedBy: string; iterations: number; reachedTarget: boolean };
  assert.deepEqual([summary.stoppedBy, summary.iterations, summary.reachedTarget], ["default-cap", 1000, false]);
});

test("default cap: without a target, reaching the cap is a note, exit 0", () => {
  const run = gaia("simulate", scenario("untargeted", "{ evalEvery: 100 }"), "--out", join(work, "untargeted"), "--quiet");
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /^note: the run stopped at the default cap .* at iteration 1000$/m);
});
