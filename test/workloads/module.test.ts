// A workload module of one's own (kind: module) runs like the bundled workloads: the example module
// trains under every sync model in the simulator with every checker holding, its trace hash is a
// function of the scenario and seed, its deltas are applied exactly once in every replica under
// faults (the conservation checker, as for the bundled workloads), and every way a module or its
// options can be wrong is a placed error (file:line:col, exit 2), while an error the module raises
// while training names the workload, the role and the clock (exit 1), never a bare stack.
import { after, describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { loadScenarioAsync, runSimulation, ScenarioError, type Fault, type SyncModel } from "@gaia/sim";
import { createWorkload, WorkloadError } from "@gaia/workloads";
import { params, seedTitle } from "../support/fc.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const example = join(root, "examples/logistic-regression/scenario.yaml");
const bin = join(root, "packages/cli/bin/run.js");
// Inside the repository, so that a module's `import "@gaia/workloads"` resolves as a user's would.
mkdirSync(join(root, "runs"), { recursive: true });
const work = mkdtempSync(join(root, "runs/.module-test-"));
after(() => rmSync(work, { recursive: true, force: true }));

const set = (path: string, value: unknown): { path: string[]; value: unknown } => ({ path: path.split("."), value });

/** A module in the work folder: `body` is the job's worker step (a sum of ones into one row). */
function writeModule(name: string, text: string): string {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
}

const tinyModule = (step: string, extra = ""): string => `
import { defineWorkload, Type } from "@gaia/workloads";
export default defineWorkload({
  name: "tiny",
  description: "a tiny test workload",
  options: Type.Object({ rows: Type.Integer({ minimum: 1, default: 4 }) }, { additionalProperties: false }),
  setup(o) {
    ${extra}
    return {
      tables: { t: { rows: o.rows, cols: 2 } },
      objective: { name: "sum", direction: "maximize" },
      worker: () => ({ rowsFor: () => null, step(clock, rows) { ${step}; return { rows, deltas: new Float32Array(rows.length * 2).fill(1), samples: 1 }; } }),
      evaluate: (params) => params.reduce((a, b) => a + b, 0),
    };
  },
});
`;

function writeScenario(name: string, workload: string, extra = ""): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(
    path,
    `name: ${name}
seed: 3
topology: { preset: virginia-california, machinesPerDataCenter: 1 }
workload:
${workload}
sync: { model: asp }
stop: { maxIterations: 6 }
${extra}`,
  );
  return path;
}

const placed = async (file: string): Promise<string> => {
  try {
    await loadScenarioAsync(file);
  } catch (error) {
    assert.ok(error instanceof ScenarioError, `a ScenarioError, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`${file} should be refused`);
};

function gaia(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const noStack = (text: string): void => assert.ok(!/\n\s+at .+:\d+:\d+\)?\n/.test(text), `no stack trace:\n${text}`);

before(() => {
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  spawnSync(process.execPath, [tsc, "-b", "packages/cli"], { cwd: root, encoding: "utf8" });
});

describe("workload modules in the simulator", () => {
  for (const model of ["lan", "bsp", "ssp", "asp", "diloco"] as SyncModel[]) {
    test(`the example module trains under ${model}, every checker holding`, async () => {
      const scenario = await loadScenarioAsync(example, { sync: model, set: [set("stop.maxIterations", 80), set("stop.target.objective", 0.1)] });
      assert.equal(scenario.workload.kind, "module");
      const { summary } = await runSimulation(scenario);
      assert.equal(summary.workload, "logistic-regression");
      assert.equal(summary.objectiveName, "log-loss");
      for (const [name, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${model}: ${name}: ${verdict}`);
      assert.equal(summary.diverged, null);
      // Log-loss starts at ln 2 = 0.693 with zero weights.
      // DiLoCo averages its workers' progress every few clocks, so it moves slower per clock.
      assert.ok(summary.objective < (model === "diloco" ? 0.65 : 0.6), `${model}: log-loss ${summary.objective} after 80 clocks`);
    });
  }

  test("on 2 compute threads (each loading the module itself) the run and its trace hash are the in-process run's", async () => {
    const scenario = await loadScenarioAsync(example, { set: [set("stop.maxIterations", 30)] });
    const [inProcess, threaded] = [await runSimulation(scenario), await runSimulation(scenario, { threads: 2 })];
    assert.equal(threaded.threads.used, 2, threaded.threads.note ?? "");
    assert.equal(threaded.summary.traceHash, inProcess.summary.traceHash);
    assert.equal(threaded.summary.objective, inProcess.summary.objective);
  });

  test("the same scenario and seed give the same trace hash; another seed another", async () => {
    const run = async (seed: number): Promise<string> => (await runSimulation(await loadScenarioAsync(example, { seed, set: [set("stop.maxIterations", 30)] }))).summary.traceHash;
    const [a, b, c] = [await run(5), await run(5), await run(6)];
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  test(seedTitle("a module's deltas are applied exactly once in every replica, under faults and every sync model"), async () => {
    const base = await loadScenarioAsync(example, { set: [set("stop.maxIterations", 12), set("workload.options.samples", 2000), set("workload.options.features", 300)] });
    const fault = fc.oneof(
      fc.record({ kind: fc.constant("partition" as const), atS: fc.integer({ min: 0, max: 20 }).map((t) => t / 100), forS: fc.integer({ min: 1, max: 30 }).map((t) => t / 100), between: fc.constant(["virginia", "california"] as [string, string]), oneWay: fc.boolean() }),
      fc.record({ kind: fc.constant("lossy" as const), atS: fc.constant(0), forS: fc.constant(0.3), link: fc.constant("all" as const), loss: fc.constantFrom(0, 0.2), duplicate: fc.constantFrom(0, 0.2), reorder: fc.constantFrom(0, 0.3) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<SyncModel>("bsp", "ssp", "asp"), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.array(fault, { maxLength: 2 }), async (model, seed, faults) => {
        const scenario = { ...base, seed, sync: { ...base.sync, model }, faults: faults as Fault[] };
        const { summary } = await runSimulation(scenario);
        for (const [name, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${model}, seed ${seed}: ${name}: ${verdict}`);
      }),
      params(8),
    );
  });

  test("a module's own significance function decides what Gaia's filter sends, and the significance checker holds the run to it", async () => {
    // The tiny job adds 1 to every value each clock. The paper's relative score, 1 / value, falls
    // below 0.3 once a value passes 3; an absolute score, |accumulated|, stays at 1 or more.
    writeModule("relative.ts", tinyModule(""));
    writeModule("absolute.ts", tinyModule("").replace("objective: {", "significance: (accumulated: number) => Math.abs(accumulated),\n      objective: {"));
    const run = async (module: string) => {
      const scenario = await loadScenarioAsync(writeScenario(`score-${module}`, `  kind: module\n  path: ./${module}.ts`), { set: [set("sync.significance", { threshold: 0.3 }), set("stop.maxIterations", 12)] });
      return (await runSimulation(scenario)).summary;
    };
    const [relative, absolute] = [await run("relative"), await run("absolute")];
    for (const summary of [relative, absolute]) for (const [name, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `${name}: ${verdict}`);
    assert.equal(absolute.filter!.sent, absolute.filter!.accumulated, "every accumulated update scores 1 or more: all are sent");
    assert.ok(relative.filter!.sent < relative.filter!.accumulated / 2, `relative: ${relative.filter!.sent} of ${relative.filter!.accumulated} sent`);
  });

  test("a .js module works as a .ts one does, and createWorkload loads a module by itself", async () => {
    const js = writeModule("tiny.mjs", tinyModule(""));
    const workload = await createWorkload({ kind: "module", path: js, options: { rows: 3 } }, { seed: 1, dataCenters: ["a", "b"], workersPerDataCenter: 1 });
    assert.equal(workload.kind, "tiny");
    assert.equal(workload.rows, 3);
    assert.equal(workload.cols, 2);
    const { summary } = await runSimulation(await loadScenarioAsync(writeScenario("tiny-js", `  kind: module\n  path: ./tiny.mjs`)));
    assert.equal(summary.workload, "tiny");
    assert.equal(summary.checks["conservation"], null);
  });
});

describe("workload modules: errors", () => {
  test("options are checked against the module's schema, at their line and column", async () => {
    const text = await placed(writeScenario("bad-options", `  kind: module\n  path: ${example.replace("scenario.yaml", "workload.ts")}\n  options:\n    features: many\n    batchSise: 10`));
    assert.match(text, /bad-options\.yaml:8:15: workload\.options\.features: must be integer, got "many"/);
    assert.match(text, /bad-options\.yaml:9:\d+: workload\.options\.batchSise: unknown option for workload logistic-regression \(known: features, .*batchSize/);
    const cross = await placed(writeScenario("cross", `  kind: module\n  path: ${example.replace("scenario.yaml", "workload.ts")}\n  options: { features: 5, activePerSample: 6 }`));
    assert.match(cross, /workload\.options\.activePerSample: must be <= features \(5\), got 6/);
  });

  test("a missing module names the path it resolved; a bad one says why it cannot load", async () => {
    assert.match(await placed(writeScenario("missing", `  kind: module\n  path: ./nowhere.ts`)), new RegExp(`missing\\.yaml:6:9: workload\\.path: no such file: ${join(work, "nowhere.ts").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
    writeModule("syntax.ts", "export default defineWorkload({ name: ");
    assert.match(await placed(writeScenario("syntax", `  kind: module\n  path: ./syntax.ts`)), /workload\.path: cannot load the workload module .*syntax\.ts: /);
    writeModule("nothing.ts", "export const answer = 42;\n");
    assert.match(await placed(writeScenario("nothing", `  kind: module\n  path: ./nothing.ts`)), /workload\.path: .*nothing\.ts exports no workload definition: export default defineWorkload/);
    writeModule("notes.txt", "hello");
    assert.match(await placed(writeScenario("txt", `  kind: module\n  path: ./notes.txt`)), /workload\.path: a workload module is a \.ts, \.mts, \.js, \.mjs file/);
    assert.match(await placed(writeScenario("extra", `  kind: module\n  path: ./nothing.ts\n  rank: 3`)), /workload\.rank: unknown field "rank" \(known: kind, path, options\)/);
  });

  test("through the CLI: a bad module or options exit 2 with one placed message", () => {
    const run = gaia("simulate", writeScenario("cli-bad", `  kind: module\n  path: ./nowhere.ts`), "--quiet");
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /cli-bad\.yaml:6:9: workload\.path: no such file/);
    noStack(run.stderr);
    writeModule("refuses.ts", tinyModule("", `throw new WorkloadError("data file ./ratings.csv: no such file");`).replace("import { defineWorkload, Type }", "import { defineWorkload, Type, WorkloadError }"));
    const refused = gaia("simulate", writeScenario("cli-refuses", `  kind: module\n  path: ./refuses.ts`), "--quiet");
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /workload tiny: setup: data file \.\/ratings\.csv: no such file/);
    noStack(refused.stderr);
  });

  test("an error the module raises while training names the workload, the role and the clock (exit 1)", async () => {
    writeModule("boom.ts", tinyModule(`if (clock === 3) throw new Error("boom")`));
    const file = writeScenario("boom", `  kind: module\n  path: ./boom.ts`);
    await assert.rejects(runSimulation(await loadScenarioAsync(file)), (error: unknown) => {
      assert.ok(error instanceof WorkloadError);
      assert.match(error.message, /^workload tiny: worker (virginia|california)\/w0, clock 3, step: boom$/);
      assert.equal(error.during, "run");
      return true;
    });
    const run = gaia("simulate", file, "--quiet");
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /the simulation failed: workload tiny: worker (virginia|california)\/w0, clock 3, step: boom/);
    noStack(run.stderr);
  });
});
