// A run that cannot fit in memory is refused before it starts, from the scenario alone: `gaia
// simulate` (the issue's case: mf-diloco-ec2-11 with 100 million users, once killed after 81 s at
// 5 GB), `gaia sweep` (a point that cannot fit, or --jobs runs that together cannot, before any
// run starts), `gaia scenarios validate` (an error, exit 2; an ok line carries the estimate) and
// `gaia launch` (every node process on this machine); exit 2, the estimate and what to change in
// the message, no stack trace, fast. A bundled scenario is not refused, and its summary reports
// the protocol state beside the peak RSS. Runs packages/cli/bin/run.js, built first by `tsc -b
// packages/cli` (a no-op when the build is current).
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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
  before(() => {
    const build = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/cli"], { cwd: root, encoding: "utf8" });
    assert.equal(build.status, 0, `tsc -b packages/cli: ${build.stdout}`);
  });

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

  test("simulate: a bundled scenario is not refused under this machine's memory; its summary holds the state and the peak RSS", () => {
    const out = mkdtempSync(join(tmpdir(), "gaia-memory-"));
    try {
      const r = gaia({}, "simulate", "quickstart", "--json", "--out", join(out, "run"), "--set", "stop.maxIterations=10");
      assert.equal(r.status, 0, r.stderr);
      const summary = JSON.parse(r.stdout) as { memory: { protocolStateBytes: number; estimatedStateBytes: number; peakRssBytes: number } };
      assert.ok(summary.memory.protocolStateBytes > 0 && summary.memory.peakRssBytes > summary.memory.protocolStateBytes, JSON.stringify(summary.memory));
      const written = JSON.parse(readFileSync(join(out, "run", "summary.json"), "utf8")) as { memory: unknown };
      assert.deepEqual(written.memory, summary.memory);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test("sweep: a point that cannot fit is refused before any run starts, naming the point", () => {
    const out = mkdtempSync(join(tmpdir(), "gaia-memory-"));
    try {
      const r = gaia({ GAIA_MAX_MEMORY: "64GB" }, "sweep", "mf-diloco-ec2-11", "--vary", "workload.users=4000,100000000", "--out", join(out, "sweep"), "--quiet");
      assert.equal(r.status, 2, r.stderr);
      assert.ok(r.stderr.includes("the run at the sweep's point workload.users=100000000 needs about"), r.stderr);
      assert.ok(r.stderr.includes("to fit: reduce workload.users"), r.stderr);
      assert.ok(!existsSync(join(out, "sweep", "runs")), "no run started");
      noStack(r.stderr);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test("sweep: --jobs runs that together exceed the limit are refused with the --jobs that fits", () => {
    const out = mkdtempSync(join(tmpdir(), "gaia-memory-"));
    try {
      // quickstart's estimate is about 151 MB a run: 3 at a time exceed 400 MB, 2 do not.
      const r = gaia({}, "sweep", "quickstart", "--seeds", "1..3", "--jobs", "3", "--max-memory", "400MB", "--out", join(out, "sweep"), "--quiet");
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /3 runs at a time \(--jobs 3\) need about 45\d MB of memory, more than 400 MB \(--max-memory\)/);
      assert.ok(r.stderr.includes("to fit: --jobs 2"), r.stderr);
      assert.ok(!existsSync(join(out, "sweep", "runs")), "no run started");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test("scenarios validate: an ok line carries the estimate and the limit", () => {
    const r = gaia({ GAIA_MAX_MEMORY: "8GB" }, "scenarios", "validate", "quickstart", "mnist-3dc");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ok {2}\S+quickstart\.yaml \(quickstart: 2 data center\(s\), mf, asp; needs about 15\d MB of memory \(protocol state [\d.]+ kB\), under 8\.00 GB \(GAIA_MAX_MEMORY\)\)$/m);
    assert.match(r.stdout, /mnist-3dc\.yaml .*needs about [\d.]+ MB of memory/);
  });
});
