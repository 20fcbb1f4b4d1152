// Proves that `gaia calibrate` measures a workload's per-sample compute cost and writes it as a
// calibration file, that bad flags give one clear line and exit 2, and that a scenario's
// `compute.calibration` turns the file's figure into the run's msPerSample (scaled to the job's
// size), with clear errors when it cannot. It runs packages/cli/bin/run.js, so it builds first
// (`tsc -b packages/cli`, a no-op when the build is current).
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScenarioText, ScenarioError } from "@gaia/sim";
import { calibratedMsPerSample, declaredMsPerSample } from "@gaia/workloads";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "packages/cli/bin/run.js");
const work = mkdtempSync(join(tmpdir(), "gaia-calibrate-"));
const calibrationFile = join(work, "calibration.json");

function gaia(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

before(() => {
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  const build = spawnSync(process.execPath, [tsc, "-b", "packages/cli"], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) process.stderr.write(`note: tsc -b packages/cli failed; testing the existing build\n${build.stdout}`);
});

const scenario = (compute: string, workload = "{ kind: mf }"): string =>
  `topology: { preset: virginia-california, machinesPerDataCenter: 1 }\nworkload: ${workload}\ncompute: ${compute}\nstop: { maxIterations: 2 }\n`;

describe("gaia calibrate", () => {
  test("--workload mf --seconds 0.2 --json: one JSON object with the figure, and the same object in --out", () => {
    const run = gaia("calibrate", "--workload", "mf", "--seconds", "0.2", "--json", "--out", calibrationFile);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim().split("\n").length, 1);
    const printed = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.equal(printed["format"], "gaia-calibration/1");
    assert.equal(printed["out"], calibrationFile, "the absolute path (the test's is absolute already)");
    assert.equal(printed["secondsPerCase"], 0.2);
    const figures = printed["figures"] as Record<string, unknown>[];
    assert.equal(figures.length, 1);
    const mf = figures[0]!;
    assert.equal(mf["kind"], "mf");
    assert.equal(mf["backend"], null);
    for (const field of ["steps", "samplesPerStep", "msPerStep", "wallMsPerStep", "samplesPerSecond", "msPerSample", "declaredMsPerSample", "evaluateMs"]) {
      assert.equal(typeof mf[field], "number", field);
      assert.ok((mf[field] as number) > 0, `${field} > 0`);
    }
    assert.equal(mf["samplesPerStep"], 500, "the default mf batch");
    assert.ok(Math.abs((mf["samplesPerSecond"] as number) * (mf["msPerSample"] as number) - 1000) < 1e-6, "samples/s and ms/sample agree");
    const written = JSON.parse(readFileSync(calibrationFile, "utf8")) as Record<string, unknown>;
    assert.deepEqual(written["figures"], figures);
  });

  test("the table: a header and one row per case, and where it wrote", () => {
    const out = join(work, "table.json");
    const run = gaia("calibrate", "--workload", "lda", "--seconds", "0.1", "--out", out);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^workload +backend +samples\/step +ms\/step +samples\/s +ms\/sample +declared\nlda +- +\d+/);
    assert.ok(run.stdout.includes(`wrote ${out}`));
    assert.ok(run.stdout.includes(`compute: { calibration: ${out} }`), "a path that works from any scenario file");
    assert.match(run.stderr, /^measuring lda, 0\.1 s of steps per case\.\.\.$/m, "it says what it does before the wait");
  });

  test("a relative --out is printed absolute, so it pastes into a scenario anywhere", () => {
    const run = spawnSync(process.execPath, [bin, "calibrate", "--workload", "mf", "--seconds", "0.05", "--out", "rel/cal.json"], { cwd: work, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.stdout.includes(`compute: { calibration: ${join(work, "rel/cal.json")} }`), run.stdout);
  });

  test("declared choices and a bad --seconds: oclif's one message, exit 2", () => {
    for (const [args, message] of [
      [["--workload", "svm"], "Expected --workload=svm to be one of: mf, lda, mnist"],
      [["--backend", "tpu"], "Expected --backend=tpu to be one of: auto, gpu, node, wasm, cpu"],
    ] as const) {
      const run = gaia("calibrate", ...args, "--out", join(work, "never.json"));
      assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.ok(run.stderr.includes(message), run.stderr);
      assert.ok(!run.stderr.includes("USAGE"), "no usage dump");
    }
    const help = gaia("calibrate", "--help");
    assert.match(help.stdout, /--workload=<option>.*\n.*<options: mf\|lda\|mnist>/);
  });

  test("an unknown workload or backend, an absent backend, a bad --seconds: one line on stderr, exit 2", () => {
    for (const [args, message] of [
      [["--workload", "mnist", "--backend", "gpu"], "backend gpu needs @tensorflow/tfjs-node-gpu"],
      [["--seconds", "soon"], '--seconds must be a number of seconds > 0, got "soon"'],
      [["--seconds", "0"], '--seconds must be a number of seconds > 0, got "0"'],
      [["--workload", "mf", "--backend", "wasm"], "--backend applies to mnist only"],
    ] as const) {
      const run = gaia("calibrate", ...args, "--out", join(work, "never.json"));
      assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.equal(run.stdout, "");
      const lines = run.stderr.trim().split("\n").filter((line) => !line.startsWith("measuring "));
      assert.equal(lines.length, 1, run.stderr);
      assert.ok(lines[0]!.startsWith("Error: ") && lines[0]!.includes(message), run.stderr);
    }
  });
});

describe("compute.calibration in a scenario", () => {
  test("the calibrated ms per sample becomes compute.msPerSample, scaled by the job's declared cost", () => {
    const calibration = JSON.parse(readFileSync(calibrationFile, "utf8")) as { figures: { msPerSample: number }[] };
    const measured = calibration.figures[0]!.msPerSample;
    const same = parseScenarioText(scenario("{ calibration: calibration.json }"), join(work, "same.yaml"));
    assert.equal(same.compute.msPerSample, measured);
    const bigger = parseScenarioText(scenario("{ calibration: calibration.json }", "{ kind: mf, rank: 32 }"), join(work, "bigger.yaml"));
    const ratio = declaredMsPerSample({ kind: "mf", rank: 32 }) / declaredMsPerSample({ kind: "mf" });
    assert.ok(Math.abs(bigger.compute.msPerSample! - measured * ratio) < 1e-12);
    assert.equal(calibratedMsPerSample(calibration, { kind: "mf", rank: 32 }).msPerSample, bigger.compute.msPerSample);
  });

  const issueOf = (text: string, file: string): string => {
    try {
      parseScenarioText(text, join(work, file));
    } catch (error) {
      assert.ok(error instanceof ScenarioError, String(error));
      return error.message;
    }
    assert.fail("the scenario should not load");
  };

  test("errors name compute.calibration and say what is wrong", () => {
    assert.match(issueOf(scenario("{ calibration: calibration.json, msPerSample: 0.1 }"), "both.yaml"), /both\.yaml:3:\d+: compute\.calibration: give msPerSample or calibration, not both/);
    assert.match(issueOf(scenario("{ calibration: missing.json }"), "missing.yaml"), /compute\.calibration: cannot read the calibration .*missing\.json: no such file/);
    assert.match(issueOf(scenario("{ calibration: calibration.json }", "{ kind: lda }"), "lda.yaml"), /compute\.calibration: .*calibration\.json: the calibration has no figure for lda \(it has: mf\); run gaia calibrate --workload lda/);
    writeFileSync(join(work, "broken.json"), "{ figures: ");
    assert.match(issueOf(scenario("{ calibration: broken.json }"), "broken.yaml"), /compute\.calibration: cannot read the calibration .*broken\.json: not JSON/);
    writeFileSync(join(work, "other.json"), '{ "rows": [] }');
    assert.match(issueOf(scenario("{ calibration: other.json }"), "other.yaml"), /compute\.calibration: .*other\.json: not a calibration file/);
  });
});
