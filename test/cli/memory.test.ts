// A run that cannot fit in memory is refused before it starts, from the scenario alone: `gaia
// simulate` (the issue's case: mf-diloco-ec2-11 with 100 million users, once killed after 81 s at
// 5 GB), `gaia scenarios validate` (an error, exit 2) and `gaia launch` (every node process on
// this machine); exit 2, the estimate and what to change in the message, no stack trace, fast.
// Runs packages/cli/bin/run.js (the build; cli.test.ts rebuilds it).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "packages/cli/bin/run.js");

function gaia(env: Record<string, string>, ...args: string[]): { status: number | null; stderr: string; stdout: string; wallS: number } {
  const started = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", GAIA_MAX_MEMORY: "", ...env }, timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, wallS: (performance.now() - started) / 1000 };
}

const noStack = (text: string): void => assert.ok(!/\n\s+at .+:\d+:\d+\)?\n/.test(text), text);

describe("memory refusal", () => {
  test("simulate: 100 million users is refused at once with the estimate and what to change", () => {
    const r = gaia({ GAIA_MAX_MEMORY: "64GB" }, "simulate", "mf-diloco-ec2-11", "--set", "workload.users=100000000", "--quiet");
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /needs about [\d.]+ GB of memory, more than 64\.0 GB \(GAIA_MAX_MEMORY\)/);
    assert.ok(r.stderr.includes("workload.users: 100000000 gives a 100001000x16 table (6.40 GB a replica)"), r.stderr);
    assert.ok(r.stderr.includes("to fit: reduce workload.users"), r.stderr);
    noStack(r.stderr);
    // Node's start and the CLI's load take most of it; the run itself would take minutes.
    assert.ok(r.wallS < 10, `refused in ${r.wallS.toFixed(2)} s`);
  });

  test("simulate: --max-memory wins over GAIA_MAX_MEMORY; a bad size is exit 2", () => {
    const r = gaia({ GAIA_MAX_MEMORY: "1TB" }, "simulate", "quickstart", "--max-memory", "20MB", "--quiet");
    assert.equal(r.status, 2, r.stderr);
    assert.ok(r.stderr.includes("more than 20.0 MB (--max-memory)"), r.stderr);
    const bad = gaia({}, "simulate", "quickstart", "--max-memory", "lots");
    assert.equal(bad.status, 2);
    assert.ok(bad.stderr.includes('--max-memory: expected bytes or a size such as 8GB or 512MiB, got "lots"'), bad.stderr);
    noStack(bad.stderr);
  });

  test("scenarios validate: an error naming the workload, exit 2; fits under the machine's memory by default", () => {
    const r = gaia({}, "scenarios", "validate", "mf-diloco-ec2-11", "--max-memory", "100MB");
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /mf-diloco-ec2-11\.yaml: workload: a run of it needs about [\d.]+ MB of memory, more than 100 MB/);
    assert.equal(gaia({}, "scenarios", "validate", "mf-diloco-ec2-11").status, 0);
  });

  test("launch: the total of every node process on this machine is checked before any starts", () => {
    const r = gaia({ GAIA_MAX_MEMORY: "500MB" }, "launch", "--cluster", "clusters/local-3dc.yaml", "--json");
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /the launch \(\d+ processes on this machine\) needs about/);
    assert.equal(r.stdout, "", "no node started, nothing printed");
    noStack(r.stderr);
  });
});
