// Proves that bench:methods reads its flags strictly (node:util parseArgs): an unknown flag, a flag
// without its value and a bad value each exit 2 with one line that names the flag, no stack trace.
// (Each case exits before any run starts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const repo = resolve(import.meta.dirname, "../..");
const runBench = (args: readonly string[]) => spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", "bench/methods.ts", ...args], { cwd: repo, encoding: "utf8", timeout: 60_000 });

const cases: readonly (readonly [readonly string[], string])[] = [
  [["--bogus"], "Unknown option '--bogus'"],
  [["--seed"], "'--seed <value>' argument missing"],
  [["--methods", "diloco-10-f20"], `"diloco-10-f20" needs 1 < F <= H fragments`],
  [["--skew", "2"], "--skew needs a number in [0, 1]"],
];

for (const [args, message] of cases) {
  test(`bench:methods ${args.join(" ")}: exit 2, "${message}"`, () => {
    const run = runBench(args);
    assert.equal(run.status, 2, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
    assert.ok(run.stderr.includes(message), run.stderr);
    assert.equal(run.stderr.trim().split("\n").length, 1, "one line");
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });
}
