// gaia sweep: the plan (seeds, --vary, slices), runs in parallel processes, resume, the report and
// results.csv, and `gaia sweep merge` of slices giving the same CSV as one whole run.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { Job } from "kubernetes-models/batch/v1";
import { PersistentVolumeClaim } from "kubernetes-models/v1";
import { parseAllDocuments } from "yaml";
import { params, seedTitle } from "../support/fc.js";
import { chartsOf } from "../support/report-check.js";
import { parseSeeds, parseVary, planHash, planPoints, slicePoints, type SweepSpec } from "@gaia/cli";
import { buildCli, gaiaWith, root, type Run } from "../support/cli.js";

const work = mkdtempSync(join(tmpdir(), "gaia-sweep-"));

const gaia = (...args: string[]): Run => gaiaWith({ timeoutMs: 300_000 }, ...args);

before(buildCli);

describe("the sweep's plan", () => {
  test("seeds: ranges and lists; bad ones say why", () => {
    assert.deepEqual(parseSeeds("1..5"), [1, 2, 3, 4, 5]);
    assert.deepEqual(parseSeeds("1,3, 7"), [1, 3, 7]);
    assert.deepEqual(parseSeeds("1..3,10"), [1, 2, 3, 10]);
    assert.throws(() => parseSeeds("5..1"), /runs backwards/);
    assert.throws(() => parseSeeds("1,1"), /listed twice/);
    assert.throws(() => parseSeeds("a"), /whole numbers/);
  });

  test("--vary: values are YAML, and commas inside lists do not split", () => {
    const a = parseVary("sync.mirrorClockBound=0,1,2");
    assert.deepEqual(a.values, [0, 1, 2]);
    const b = parseVary("topology.dataCenters=[virginia, california],[virginia]");
    assert.deepEqual(b.values, [["virginia", "california"], ["virginia"]]);
    assert.throws(() => parseVary("sync.mirrorClockBound"), /write --vary path=value1,value2/);
    assert.throws(() => parseVary("sync.mirrorClockBound=1,,2"), /an empty value/);
    assert.throws(() => parseVary("sync.mirrorClockBound=1,1"), /listed twice/);
  });

  test("the plan is the cartesian product, first axis slowest, seeds fastest", () => {
    const spec: SweepSpec = { scenario: join(root, "scenarios/quickstart.yaml"), set: [], axes: [parseVary("a.b=1,2"), parseVary("c=x,y,z")], syncs: ["bsp", "asp"], seeds: [1, 2] };
    const points = planPoints(spec);
    assert.equal(points.length, 2 * 3 * 2 * 2);
    assert.deepEqual(points.slice(0, 3).map((p) => [p.values, p.sync, p.seed]), [
      [{ "a.b": 1, c: "x" }, "bsp", 1],
      [{ "a.b": 1, c: "x" }, "bsp", 2],
      [{ "a.b": 1, c: "x" }, "asp", 1],
    ]);
    assert.equal(new Set(points.map((p) => p.id)).size, points.length, "folder names are unique");
    assert.equal(new Set(points.map((p) => p.group)).size, points.length / 2, "a group is a point without its seed");
    assert.equal(planHash(spec), planHash({ ...spec }));
    assert.notEqual(planHash(spec), planHash({ ...spec, seeds: [1, 3] }));
  });

  test(seedTitle("slices are disjoint, cover the plan, and are balanced"), () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 9 }), (seeds, count) => {
        const spec: SweepSpec = { scenario: "x.yaml", set: [], axes: [], syncs: [null], seeds: Array.from({ length: seeds }, (_, i) => i) };
        const points = planPoints(spec);
        const slices = Array.from({ length: count }, (_, i) => slicePoints(points, i, count));
        const indices = slices.flatMap((s) => s.map((p) => p.index)).sort((a, b) => a - b);
        assert.deepEqual(indices, points.map((p) => p.index));
        const sizes = slices.map((s) => s.length);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `balanced: ${sizes}`);
      }),
      params(200),
    );
  });
});

/** A fast point: quickstart cut to 12 iterations. */
const fast = ["--set", "stop.maxIterations=12", "--set", "stop.evalEvery=4"];

describe("gaia sweep quickstart", () => {
  const whole = join(work, "whole");
  let first: ReturnType<typeof gaia>;

  before(() => {
    first = gaia("sweep", "quickstart", "--seeds", "1..2", "--vary", "sync.mirrorClockBound=0,2", "--sync", "asp", ...fast, "--jobs", "2", "--out", whole);
  });

  test("one report, one CSV with a row per run, and each run's folder", () => {
    assert.equal(first.status, 0, first.stderr);
    const csv = readFileSync(join(whole, "results.csv"), "utf8").trimEnd().split("\r\n");
    assert.equal(csv.length, 1 + 4, "a header and 4 rows");
    const header = csv[0]!.split(",");
    for (const column of ["index", "sync.mirrorClockBound", "sync", "seed", "reached", "time_to_target_s", "wan_bytes_to_target", "objective_at_end", "checks", "trace_hash", "run_dir"]) assert.ok(header.includes(column), column);
    const cells = csv.slice(1).map((line) => Object.fromEntries(line.split(",").map((v, i) => [header[i]!, v])));
    assert.deepEqual(cells.map((c) => [c["sync.mirrorClockBound"], c["seed"]]), [["0", "1"], ["0", "2"], ["2", "1"], ["2", "2"]]);
    for (const c of cells) {
      assert.equal(c["checks"], "all held");
      assert.ok(existsSync(join(whole, c["run_dir"]!, "report.html")), `${c["run_dir"]} keeps its report`);
      // Each run is the same as `gaia simulate` of that point: its folder's summary has the row's hash.
      assert.equal(JSON.parse(readFileSync(join(whole, c["run_dir"]!, "summary.json"), "utf8")).traceHash, c["trace_hash"]);
    }
    assert.notEqual(cells[0]!["trace_hash"], cells[1]!["trace_hash"], "the seeds differ");
    const html = readFileSync(join(whole, "sweep.html"), "utf8");
    const charts = chartsOf(html);
    for (const name of ["sweep-time", "sweep-bytes", "sweep-objective"]) assert.ok(charts.has(name), name);
    assert.match(html, /mirrorClockBound=0/);
    assert.match(first.stdout, /mirrorClockBound=2\s+asp/);
    assert.match(first.stderr, /sweep: 4 runs, 2 at a time/);
  });

  test("the same run seeded alike is the same: gaia simulate of a point gives the row's trace hash", () => {
    const csv = readFileSync(join(whole, "results.csv"), "utf8").trimEnd().split("\r\n");
    const header = csv[0]!.split(",");
    const row = Object.fromEntries(csv[4]!.split(",").map((v, i) => [header[i]!, v]));
    const run = gaia("simulate", "quickstart", "--sync", "asp", "--seed", "2", "--set", "sync.mirrorClockBound=2", ...fast, "--json", "--out", join(work, "single"));
    assert.equal(run.status, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).traceHash, row["trace_hash"]);
  });

  test("--resume runs only what is missing; without it the folder is refused", () => {
    const refused = gaia("sweep", "quickstart", "--seeds", "1..2", "--vary", "sync.mirrorClockBound=0,2", "--sync", "asp", ...fast, "--out", whole);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /holds this sweep already; pass --resume/);
    const other = gaia("sweep", "quickstart", "--seeds", "1..3", "--sync", "asp", ...fast, "--out", whole, "--resume");
    assert.equal(other.status, 2);
    assert.match(other.stderr, /holds another sweep/);
    const before = readFileSync(join(whole, "results.csv"), "utf8");
    const victim = readdirSync(join(whole, "runs")).sort()[2]!;
    rmSync(join(whole, "runs", victim, "point.json"));
    const resumed = gaia("sweep", "quickstart", "--seeds", "1..2", "--vary", "sync.mirrorClockBound=0,2", "--sync", "asp", ...fast, "--out", whole, "--resume");
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, /resuming: 3 of 4 runs already done/);
    assert.match(resumed.stdout, /4 runs \(1 ran, 3 resumed\)/);
    assert.equal(readFileSync(join(whole, "results.csv"), "utf8"), before, "the same CSV");
  });

  test("two --index slices, merged, give the same CSV as the whole run", () => {
    const slices = [0, 1].map((i) => join(work, `slice-${i}`));
    for (const [i, dir] of slices.entries()) {
      const run = gaia("sweep", "quickstart", "--seeds", "1..2", "--vary", "sync.mirrorClockBound=0,2", "--sync", "asp", ...fast, "--index", String(i), "--count", "2", "--jobs", "1", "--out", dir);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(readFileSync(join(dir, "results.csv"), "utf8").trimEnd().split("\r\n").length, 1 + 2, `slice ${i} holds 2 runs`);
    }
    const partial = gaia("sweep", "merge", slices[0]!, "--out", join(work, "partial"));
    assert.equal(partial.status, 0, partial.stderr);
    assert.match(partial.stderr, /2 of the sweep's 4 runs are in none of the folders/);
    const merged = join(work, "merged");
    const run = gaia("sweep", "merge", ...slices, "--out", merged);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(readFileSync(join(merged, "results.csv"), "utf8"), readFileSync(join(whole, "results.csv"), "utf8"));
    for (const line of readFileSync(join(merged, "results.csv"), "utf8").trimEnd().split("\r\n").slice(1)) {
      assert.ok(existsSync(join(merged, line.split(",").at(-1)!, "summary.json")), "the merged folder holds every run's folder");
    }
    const foreign = gaia("sweep", "merge", slices[0]!, whole, join(work, "single-sweep-missing"), "--out", join(work, "bad"));
    assert.equal(foreign.status, 2);
    assert.match(foreign.stderr, /single-sweep-missing\/sweep\.json: no such file/);
  });
});

describe("gaia sweep: bad input is refused before any run", () => {
  for (const [args, message] of [
    [["--vary", "sync.mirrorClockBound=0,-1"], /at the sweep's point sync\.mirrorClockBound=-1/],
    [["--vary", "sync.mirrorClockBund=0,1"], /unknown field "mirrorClockBund"/],
    [["--seeds", "3..1"], /runs backwards/],
    [["--sync", "asp,gaia"], /unknown model "gaia"/],
    [["--index", "2", "--count", "2"], /slices are numbered 0 to 1/],
  ] as const) {
    test(args.join(" "), () => {
      const out = join(work, `bad-${args.join("").replace(/\W/g, "")}`);
      const run = gaia("sweep", "quickstart", ...args, ...fast, "--out", out);
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.ok(!existsSync(join(out, "runs")), "nothing ran");
    });
  }
});

describe("a sweep file", () => {
  test("scenario, seeds, sync, vary and set from a file; errors at file:line", () => {
    const file = join(work, "sweep.yaml");
    writeFileSync(file, `scenario: ${join(root, "scenarios/quickstart.yaml")}\nseeds: 1..2\nsync: [asp]\nvary:\n  sync.mirrorClockBound: [1]\nset:\n  stop.maxIterations: 12\n  stop.evalEvery: 4\n`);
    const out = join(work, "from-file");
    const run = gaia("sweep", file, "--out", out, "--quiet");
    assert.equal(run.status, 0, run.stderr);
    assert.equal(readFileSync(join(out, "results.csv"), "utf8").trimEnd().split("\r\n").length, 3);
    const bad = join(work, "bad-sweep.yaml");
    writeFileSync(bad, "scenario: quickstart\nseeds: 1..2\nvaries:\n  sync.mirrorClockBound: [1]\n");
    const refused = gaia("sweep", bad);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /bad-sweep\.yaml:3:1: unknown field "varies" of a sweep file/);
  });
});

describe("the sweep's Kubernetes manifests (docs/sweep.md)", () => {
  const objects = (file: string): Record<string, unknown>[] => parseAllDocuments(readFileSync(join(root, "examples/sweep", file), "utf8")).map((d) => d.toJS() as Record<string, unknown>);
  const check = (object: Record<string, unknown>): void => {
    if (object["kind"] === "Job") new Job(object as never).validate();
    else if (object["kind"] === "PersistentVolumeClaim") new PersistentVolumeClaim(object as never).validate();
    else assert.fail(`unexpected kind ${String(object["kind"])}`);
  };

  test("the Indexed Job and the merge Job validate against the Kubernetes API schemas, and run slices of the sweep file", () => {
    const slices = objects("indexed-job.yaml");
    const merge = objects("merge-job.yaml");
    for (const object of [...slices, ...merge]) check(object);
    const job = slices.find((o) => o["kind"] === "Job") as { spec: { completionMode: string; completions: number; template: { spec: { containers: { args: string[] }[] } } } };
    assert.equal(job.spec.completionMode, "Indexed");
    const command = job.spec.template.spec.containers[0]!.args.join(" ");
    assert.match(command, new RegExp(`--index "\\$JOB_COMPLETION_INDEX" --count ${job.spec.completions}\\b`));
    assert.ok(existsSync(join(root, command.match(/sweep (\S+\.yaml)/)![1]!)), "the sweep file it runs exists");
    // A wrong field fails: the check is not a formality.
    const broken = structuredClone(job) as unknown as { spec: { completions: unknown } };
    broken.spec.completions = "four";
    assert.throws(() => check(broken as unknown as Record<string, unknown>));
  });

  test("the sbatch script runs one slice per array task and merges after the array", () => {
    const script = readFileSync(join(root, "examples/sweep/sweep.sbatch"), "utf8");
    assert.match(script, /#SBATCH --array=0-3/);
    assert.match(script, /--index "\$SLURM_ARRAY_TASK_ID" --count "\$SLURM_ARRAY_TASK_COUNT"/);
    assert.match(script, /--dependency="afterok:\$SLURM_ARRAY_JOB_ID"/);
    assert.equal(spawnSync("bash", ["-n", join(root, "examples/sweep/sweep.sbatch")]).status, 0, "bash parses it");
  });
});
