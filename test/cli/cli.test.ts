// Proves that the built `gaia` CLI validates scenarios, reports bad input with one clear message and
// a non-zero exit (never a stack trace), and that `gaia simulate --json` prints exactly one JSON
// summary on stdout and writes the promised files. It runs packages/cli/bin/run.js, so it needs the
// build: `npm test` runs `tsc -b` first, and this file runs `tsc -b packages/cli` (a no-op when the
// build is current) before it starts.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "packages/cli/bin/run.js");
const work = mkdtempSync(join(tmpdir(), "gaia-cli-"));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function gaia(...args: string[]): Run {
  return gaiaIn(root, ...args);
}

function gaiaIn(cwd: string, ...args: string[]): Run {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function assertNoStackTrace(run: Run): void {
  assert.ok(!/\n\s+at .+:\d+:\d+\)?\n/.test(run.stdout + run.stderr), `no stack trace:\n${run.stderr}`);
}

before(() => {
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  const build = spawnSync(process.execPath, [tsc, "-b", "packages/cli"], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) process.stderr.write(`note: tsc -b packages/cli failed; testing the existing build\n${build.stdout}`);
});

describe("gaia scenarios", () => {
  test("validate: every bundled scenario is ok", () => {
    const files = ["quickstart", "mf-ec2-11", "mf-virginia-california", "mf-singapore-sao-paulo", "partition-heal", "starvation", "stragglers"].map((name) => `scenarios/${name}.yaml`);
    const run = gaia("scenarios", "validate", ...files);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim().split("\n").filter((line) => line.startsWith("ok  ")).length, files.length);
  });

  test("validate: a bad file is reported with file:line:column and path; exit 2", () => {
    const bad = join(work, "bad.yaml");
    writeFileSync(bad, "topology:\n  preset: virginia-california\nworkload: { kind: mf }\nfaults:\n  - { at: 10s, isolate: tokyo }\n");
    const run = gaia("scenarios", "validate", "scenarios/quickstart.yaml", bad);
    assert.equal(run.status, 2);
    assert.match(run.stdout, /^ok {2}scenarios\/quickstart\.yaml/);
    assert.ok(run.stderr.includes(`${bad}:5:25: faults[0].isolate: unknown data center "tokyo"`), run.stderr);
    assert.ok(run.stderr.includes("1 of 2 file(s) invalid"));
    assertNoStackTrace(run);
  });

  test("validate: cluster files are checked by the same code, their cluster section included (no false errors), and their mistakes read alike", () => {
    const ok = gaia("scenarios", "validate", "clusters/local-3dc.yaml", "clusters/local-3dc-faults.yaml", "--json");
    assert.equal(ok.status, 0, ok.stderr);
    const results = JSON.parse(ok.stdout) as { kind: string; valid: boolean; problems: unknown[] }[];
    assert.deepEqual(results.map((r) => [r.kind, r.valid, r.problems.length]), [["cluster", true, 0], ["cluster", true, 0]]);
    const bad = join(work, "bad-cluster.yaml");
    writeFileSync(bad, readFileSync(join(root, "clusters/local-3dc.yaml"), "utf8").replace("  basePort:", "  basePortt:").replace("{ enabled: true,", "{ enabeld: true,"));
    const run = gaia("scenarios", "validate", bad);
    assert.equal(run.status, 2);
    assert.ok(run.stderr.includes(`${bad}:11:3: cluster.basePortt: unknown field "basePortt" (did you mean "basePort"?)`), run.stderr);
    assert.ok(run.stderr.includes(`${bad}:12:19: cluster.wanEmulation.enabeld: unknown field "enabeld" (did you mean "enabled"?)`), run.stderr);
    assertNoStackTrace(run);
  });

  test("list: the bundled scenarios with their descriptions", () => {
    const run = gaia("scenarios", "list");
    assert.equal(run.status, 0, run.stderr);
    for (const name of ["quickstart", "mf-ec2-11", "partition-heal", "starvation", "stragglers"]) assert.match(run.stdout, new RegExp(`^${name} +scenarios/${name}\\.yaml +\\S`, "m"));
    assert.ok(!run.stdout.includes("INVALID"));
  });

  test("schema: prints the JSON Schema", () => {
    const run = gaia("scenarios", "schema");
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, readFileSync(join(root, "scenarios/scenario.schema.json"), "utf8"));
    const cluster = gaia("scenarios", "schema", "--cluster");
    assert.equal(cluster.stdout, readFileSync(join(root, "clusters/cluster.schema.json"), "utf8"));
  });
});

describe("gaia simulate: bad input", () => {
  test("streaming DiLoCo: the bundled file validates; more fragments than local clocks is one clear message, exit 2", () => {
    assert.equal(gaia("scenarios", "validate", "scenarios/mf-streaming-diloco-ec2-11.yaml").status, 0);
    const bad = join(work, "fragments.yaml");
    writeFileSync(bad, "topology:\n  preset: virginia-california\nworkload: { kind: mf }\nsync:\n  model: diloco\n  diloco: { localClocks: 4, fragments: 8 }\n");
    const run = gaia("simulate", bad);
    assert.equal(run.status, 2);
    assert.ok(run.stderr.includes(`${bad}:6:40: sync.diloco.fragments: fragments (8) must be at most localClocks (4)`), run.stderr);
    assertNoStackTrace(run);
  });

  test("an invalid scenario: one clear message, exit 2", () => {
    const bad = join(work, "typo.yaml");
    writeFileSync(bad, "topology:\n  preset: ec2-12\nworkload: { kind: mf }\n");
    const run = gaia("simulate", bad);
    assert.equal(run.status, 2);
    assert.equal(run.stdout, "");
    assert.ok(run.stderr.includes(`${bad}:2:11: topology.preset: must be one of ec2-11`), run.stderr);
    assertNoStackTrace(run);
  });

  test("a missing file, a bad flag value, a missing argument: exit 2, no stack trace", () => {
    for (const args of [["simulate", join(work, "nope.yaml")], ["simulate", "scenarios/quickstart.yaml", "--sync", "gaia"], ["simulate", "scenarios/quickstart.yaml", "--seed", "-4"], ["simulate"]]) {
      const run = gaia(...args);
      assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.ok(run.stderr.length > 0);
      assertNoStackTrace(run);
    }
  });
});

describe("gaia simulate --threads", () => {
  test("a bad count: one clear message, exit 2, no stack trace", () => {
    for (const value of ["0", "-1", "two", "1.5", "5000"]) {
      const run = gaia("simulate", "scenarios/quickstart.yaml", "--threads", value);
      assert.equal(run.status, 2, `--threads ${value}: ${run.stderr}`);
      assert.match(run.stderr, new RegExp(`--threads ${value.replace(".", "\\.")}: expected a whole number of threads from 1 to 1024`));
      assertNoStackTrace(run);
    }
  });

  test("1 and 2 threads: the same trace hash, from the built CLI (its thread entry is in the build)", () => {
    const hashes = ["1", "2"].map((threads) => {
      const run = gaia("simulate", "scenarios/quickstart.yaml", "--set", "stop.maxIterations=20", "--threads", threads, "--json", "--out", join(work, `threads-${threads}`));
      assert.equal(run.status, 0, run.stderr);
      return (JSON.parse(run.stdout) as { traceHash: string }).traceHash;
    });
    assert.ok(hashes[0]!.length > 0);
    assert.equal(hashes[1], hashes[0]);
  });
});

describe("gaia simulate scenarios/quickstart.yaml", () => {
  test("--json prints one summary object and nothing else; the files are written; the same seed repeats", () => {
    const out = join(work, "quickstart");
    const run = gaia("simulate", "scenarios/quickstart.yaml", "--json", "--out", out);
    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.equal(run.stdout.trim().split("\n").length, 1);
    const failedChecks = Object.values(summary["checks"] as Record<string, string | null>).filter((v) => v !== null);
    assert.equal(run.status, failedChecks.length === 0 ? 0 : 1, run.stderr);
    assert.equal(summary["name"], "quickstart");
    assert.equal(summary["seed"], 42);
    assert.equal(summary["sync"], "asp");
    for (const field of ["virtualTimeS", "iterations", "objective", "wanBytes", "costUsd"]) assert.equal(typeof summary[field], "number", field);
    assert.ok((summary["virtualTimeS"] as number) > 0);
    assert.ok((summary["iterations"] as number) > 0);
    assert.ok((summary["wanBytes"] as number) > 0);
    assert.equal(typeof summary["reachedTarget"], "boolean");
    assert.ok(summary["timeToTargetS"] === null || typeof summary["timeToTargetS"] === "number");
    assert.match(summary["traceHash"] as string, /^[0-9a-f]+$/);
    for (const file of ["metrics.jsonl", "metrics.csv", "summary.json", "report.html"]) assert.ok(existsSync(join(out, file)), file);
    const written = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as Record<string, unknown>;
    assert.equal(written["traceHash"], summary["traceHash"]);
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n");
    assert.ok(lines.length > 0);
    for (const line of lines) JSON.parse(line);
    // metrics.csv: a header, then the same rows.
    assert.equal(readFileSync(join(out, "metrics.csv"), "utf8").trim().split("\r\n").length, lines.length + 1);

    const again = gaia("simulate", "scenarios/quickstart.yaml", "--json", "--out", join(work, "again"));
    const repeat = JSON.parse(again.stdout) as Record<string, unknown>;
    assert.equal(repeat["traceHash"], summary["traceHash"], "same scenario and seed, same trace");
    assert.equal(repeat["objective"], summary["objective"]);
  });

  test("--sync bsp --seed 7 runs the baseline and names the output directory after both", () => {
    const run = gaiaIn(work, "simulate", join(root, "scenarios/quickstart.yaml"), "--sync", "bsp", "--seed", "7", "--quiet");
    assert.equal(run.stdout, "");
    const summary = JSON.parse(readFileSync(join(work, "runs/quickstart-7-bsp/summary.json"), "utf8")) as Record<string, unknown>;
    assert.equal(summary["sync"], "bsp");
    assert.equal(summary["seed"], 7);
    assert.ok(run.status === 0 || run.stderr.includes("trace check"), run.stderr);
  });
});

describe("gaia run --restore", () => {
  const cluster = (name: string, checkpoint: string): string => {
    const text = readFileSync(join(root, "clusters/local-3dc.yaml"), "utf8").replace(/checkpoint: \{[^}]*\}/, `checkpoint: ${checkpoint}`).replace(/basePort: \d+/, "basePort: 48700");
    const file = join(work, name);
    writeFileSync(file, text);
    return file;
  };

  test("with checkpoints disabled, or with no checkpoint on disk, is an error (exit 2), not a silent fresh start", () => {
    const disabled = gaia("run", "--cluster", cluster("no-checkpoints.yaml", "{ enabled: false }"), "--node", "virginia/s0", "--restore");
    assert.equal(disabled.status, 2, disabled.stderr);
    assert.match(disabled.stderr, /--restore: virginia\/s0 keeps no checkpoints \(checkpoint\.enabled is false/);
    const missing = gaia("run", "--cluster", cluster("empty-dir.yaml", `{ dir: ${join(work, "no-such-checkpoints")} }`), "--node", "virginia/s0", "--restore");
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, /--restore: no checkpoint of virginia\/s0 in /);
    assertNoStackTrace(disabled);
    assertNoStackTrace(missing);
  });
});
