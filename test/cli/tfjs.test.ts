// `gaia simulate` on kind: tfjs: the CSV example trains to its target from any working directory
// (the data path is relative to the scenario file); a malformed or missing data file and a bad
// option exit 2 with the file, line and field, never a stack trace; so do `gaia launch` and
// `gaia run`. A missing file is found when the scenario is loaded (also by `scenarios validate`). Runs the built CLI (packages/cli/bin/run.js) after
// `tsc -b packages/cli`, as test/cli/cli.test.ts does.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "packages/cli/bin/run.js");
const work = mkdtempSync(join(tmpdir(), "gaia-cli-tfjs-"));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function gaiaIn(cwd: string, ...args: string[]): Run {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function assertNoStackTrace(run: Run): void {
  assert.ok(!/\n\s+at .+:\d+:\d+\)?\n/.test(run.stdout + run.stderr), `no stack trace:\n${run.stderr}`);
}

const scenario = (workload: string): string =>
  [
    "name: tfjs-cli",
    "topology: { preset: virginia-california, machinesPerDataCenter: 1 }",
    "workload:",
    "  kind: tfjs",
    "  backend: cpu",
    "  layers: [{ dense: 4 }, { dense: 2 }]",
    workload,
    "sync: { model: asp, withinDataCenter: bsp, significance: { threshold: 0.01 }, mirrorClockBound: 1 }",
    "stop: { maxIterations: 4 }",
  ].join("\n");

before(() => {
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  const build = spawnSync(process.execPath, [tsc, "-b", "packages/cli"], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) process.stderr.write(`note: tsc -b packages/cli failed; testing the existing build\n${build.stdout}`);
});

describe("gaia simulate, kind: tfjs", () => {
  test("examples/tfjs-csv reaches accuracy 0.9, run from another folder", () => {
    const run = gaiaIn(work, "simulate", join(root, "examples/tfjs-csv/scenario.yaml"), "--json", "--out", join(work, "example"));
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { workload: string; reachedTarget: boolean; objectiveName: string; objective: number };
    assert.equal(summary.reachedTarget, true);
    assert.equal(summary.objectiveName, "accuracy");
    assert.ok(summary.objective >= 0.85, `final accuracy ${summary.objective}`);
  });

  test("a malformed CSV exits 2 with file:line and the field", () => {
    const csv = join(work, "bad.csv");
    writeFileSync(csv, "a,b,y\n1,2,0\n3,abc,1\n");
    writeFileSync(join(work, "bad-csv.yaml"), scenario("  data: { csv: ./bad.csv, label: y }"));
    const run = gaiaIn(root, "simulate", join(work, "bad-csv.yaml"), "--out", join(work, "bad-csv"));
    assert.equal(run.status, 2, run.stderr);
    assert.ok(run.stderr.includes(`${csv}:3: field "b": expected a number, got "abc"`), run.stderr);
    assert.ok(!run.stderr.includes("the simulation failed"), run.stderr);
    assertNoStackTrace(run);
  });

  test("a missing data file exits 2 at its file:line:col and names its absolute path", () => {
    writeFileSync(join(work, "missing.yaml"), scenario("  data: { idx: { images: ./data/x-idx3-ubyte, labels: ./data/y-idx1-ubyte } }"));
    const run = gaiaIn(root, "simulate", join(work, "missing.yaml"), "--out", join(work, "missing"));
    assert.equal(run.status, 2, run.stderr);
    assert.ok(run.stderr.includes(`missing.yaml:7:26: workload.data.idx.images: no such file: ${join(work, "data/x-idx3-ubyte")} (a relative path is read from the scenario file's folder)`), run.stderr);
    assert.ok(run.stderr.includes(`workload.data.idx.labels: no such file: ${join(work, "data/y-idx1-ubyte")}`), run.stderr);
    assertNoStackTrace(run);
    const validate = gaiaIn(root, "scenarios", "validate", join(work, "missing.yaml"));
    assert.equal(validate.status, 2, validate.stderr);
    assert.ok(validate.stderr.includes("workload.data.idx.images: no such file"), validate.stderr);
  });

  test("gaia launch and gaia run exit 2 on a missing or malformed data file", () => {
    writeFileSync(join(work, "bad.csv"), "a,b,y\n1,2,0\n3,abc,1\n");
    for (const [file, expected] of [["./absent.csv", `cluster.yaml:8:16: workload.data.csv: no such file: ${join(work, "absent.csv")}`], ["./bad.csv", `${join(work, "bad.csv")}:3: field "b": expected a number, got "abc"`]] as const) {
      writeFileSync(join(work, "cluster.yaml"), ["cluster: { secret: tfjs-cli-change-me, host: 127.0.0.1, basePort: 47970 }", scenario(`  data: { csv: ${file}, label: y }`)].join("\n"));
      for (const args of [["launch", "--cluster", join(work, "cluster.yaml"), "--out", join(work, "launch"), "--force"], ["run", "--cluster", join(work, "cluster.yaml"), "--node", "virginia/w0"]]) {
        const run = gaiaIn(root, ...args);
        assert.equal(run.status, 2, `${args[0]} ${file}: ${run.stderr}`);
        assert.ok(run.stderr.includes(expected), `${args[0]} ${file}: ${run.stderr}`);
        assertNoStackTrace(run);
      }
    }
  });

  test("a bad option exits 2 at its file:line:col", () => {
    writeFileSync(join(work, "bad-option.yaml"), scenario("  data: { csv: ./bad.csv, label: y }\n  loss: hinge"));
    const run = gaiaIn(root, "simulate", join(work, "bad-option.yaml"), "--out", join(work, "bad-option"));
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /bad-option\.yaml:8:9: workload\.loss: must be one of categorical, mse, not "hinge"/);
    assertNoStackTrace(run);
  });
});
