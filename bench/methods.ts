/**
 * Gaia and DiLoCo on the same WAN, the same job and the same seed (not a test):
 *
 *   npm run bench:methods [-- --workload mf,mnist,lda] [-- --topology ec2-11,virginia-california,singapore-sao-paulo]
 *                         [-- --methods lan,bsp,asp,asp-int8,diloco-10,diloco-10-int8,...] [-- --iterations N]
 *                         [-- --regime cpu|accelerator|N] [-- --skew S] [-- --tag NAME] [-- --seed N] [-- --out-dir DIR] [-- --no-docs]
 *                         [-- --inner-scale X] [-- --outer-optimizer sgd|nesterov] [-- --outer-lr X] [-- --momentum X]
 *                         [-- --reuse FILE.json] [-- --render-from FILE.json]
 *
 * Flags are read by node:util parseArgs (strict): an unknown flag, a missing or bad value exits 2
 * with a message that names it.
 *
 * Jobs: bench:paper's small setups (the fullSetups jobs at their calibrated compute cost) in its
 * default compute regime (accelerator), 2 machines per region on ec2-11 and 11 on each two-region
 * pair, so every topology trains the same 22-worker job.
 *
 * Methods: LAN (every machine in one data center), Baseline-BSP, Gaia (ASP, hubs auto) with f32 and
 * int8 mirror updates, and DiLoCo with H in {10, 50, 100}, f32 and int8 pseudo-gradients (top-k
 * with --methods diloco-H-topk; streaming DiLoCo with F fragments as diloco-H-fF, and tau overlap
 * clocks as diloco-H-fF-oT). Rows record the peak WAN bytes of one clock (the simulator's
 * wanBytesPeakPerClock), which streaming spreads over the period. DiLoCo's inner learning rate is the job's times min(D, 6), D the
 * number of data centers (--inner-scale to set it): the job's rate is tuned for the sum of all 22
 * workers' steps, a region's replica sums only its own, and the outer step averages the regions
 * (DiLoCo's outer Nesterov, rate 0.7, momentum 0.9; --outer-optimizer, --outer-lr, --momentum). LDA's counts need a plain sum, so its DiLoCo rows use sgd, rate 1, reduce sum.
 *
 * DiLoCo's objective is that of its global state (the last outer step), not of a region's local
 * progress since: a region's replica mid-round is a model of its own data alone.
 *
 * Target: 99% of the way from LAN's first evaluation to its converged objective (bench:paper's
 * rule: less than 0.5% better over the last 20% of its iterations). Every method runs the same
 * number of iterations (LAN's converged iteration x 2 by default, --iterations to set it) and
 * stops early at the target; rows give the time to it, WAN bytes, cost, the final objective, and
 * every checker verdict (for DiLoCo: identical global state after every outer step). The bench
 * exits 1 when a checker is violated.
 *
 * Writes <out-dir>/methods.json, methods.md, methods-<workload>-<topology>[-clocks].svg (objective
 * against virtual time, and against clocks) and the "methods"
 * block of docs/results.md (with --tag T: methods-T.json, ..., block "methods-T").
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseScenarioText, runSimulation, type MetricsPoint, type Scenario } from "@gaia/sim";
import { lineChart } from "./lib/charts.js";
import { convergenceOf, firstReaching, fullSetups, machinesPerDataCenter, progressTarget, replaceBlock, topologyNames, type TopologyName, type WorkloadName, type WorkloadSetup } from "./lib/runs.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** bench:paper's small setups (see bench/paper.ts). */
const smallSetups: Readonly<Record<WorkloadName, WorkloadSetup>> = {
  mf: { ...fullSetups.mf, spec: { ...fullSetups.mf.spec, ratings: 300_000, learningRate: 0.05, regularization: 0.05 }, msPerSample: null, lanIterations: 800, evalEvery: 5 },
  lda: { ...fullSetups.lda, spec: { ...fullSetups.lda.spec, batchSize: 20 }, msPerSample: null, lanIterations: 800, evalEvery: 5 },
  mnist: { ...fullSetups.mnist, msPerSample: null, lanIterations: 800, evalEvery: 5 },
};

/**
 * DiLoCo's inner learning rate is the job's x min(D, this). Measured on MF ec2-11 (H = 10, 100
 * iterations): x11 diverges at iteration ~50, x8 converges at H = 10 but diverges at H = 100, x6 holds at both.
 */
const defaultInnerScaleMax = 6;

type Method = string; // lan | bsp | asp | asp-int8 | diloco-H[-int8|-topk]
const defaultMethods: readonly Method[] = ["lan", "bsp", "asp", "asp-int8", "diloco-10", "diloco-10-int8", "diloco-50", "diloco-50-int8", "diloco-100", "diloco-100-int8"];
const workloadList: readonly WorkloadName[] = ["mf", "mnist", "lda"];

interface Options {
  workloads: WorkloadName[];
  topologies: TopologyName[];
  methods: Method[];
  iterations: number | null;
  regime: "cpu" | "accelerator" | number;
  seed: number;
  outDir: string;
  docs: boolean;
  /** DiLoCo's inner learning rate = the job's x this (null: the number of data centers). */
  innerScale: number | null;
  /** A skewed (non-IID) partition with this skew (MF by user group, MNIST by label), or null: IID. */
  skew: number | null;
  /** Take LAN, BSP and ASP rows (and LAN's convergence) from this saved <base>.json; run only the DiLoCo methods. */
  reuse: string | null;
  /** Redraw the charts, <base>.md and the docs block from this saved <base>.json instead of running. */
  renderFrom: string | null;
  /** Suffix of the output files and the docs block (methods-<tag>.json, block methods-<tag>), "" for none. */
  tag: string;
  outerOptimizer: "sgd" | "nesterov";
  outerLearningRate: number;
  momentum: number;
}

function fail(message: string): never {
  console.error(`bench:methods: ${message}`);
  process.exit(2);
}

/** lan | bsp | asp | asp-int8 | diloco-H[-fF[-oT]][-int8|-topk]: m[2] H, m[3] F (streaming), m[4] tau (overlap clocks), m[5] the codec. */
const methodPattern = /^(lan|bsp|asp|asp-int8|diloco-(\d+)(?:-f(\d+)(?:-o(\d+))?)?(-int8|-topk)?)$/;
const methodNames = "lan, bsp, asp, asp-int8, diloco-H, diloco-H-int8, diloco-H-topk, and streaming diloco-H-fF[-oT][-int8|-topk] (F fragments, 1 < F <= H; T overlap clocks <= H, default floor(H / F))";

const flags = {
  workload: { type: "string" },
  topology: { type: "string" },
  methods: { type: "string" },
  iterations: { type: "string" },
  regime: { type: "string" },
  seed: { type: "string" },
  "out-dir": { type: "string" },
  "no-docs": { type: "boolean" },
  skew: { type: "string" },
  reuse: { type: "string" },
  "render-from": { type: "string" },
  tag: { type: "string" },
  "inner-scale": { type: "string" },
  "outer-optimizer": { type: "string" },
  "outer-lr": { type: "string" },
  momentum: { type: "string" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

function parseOptions(argv: readonly string[]): Options {
  let values: { -readonly [K in keyof typeof flags]?: (typeof flags)[K]["type"] extends "boolean" ? boolean : string };
  try {
    ({ values } = parseArgs({ args: [...argv], options: flags, strict: true, allowPositionals: false }));
  } catch (error) {
    // node:util's messages name the flag ("Unknown option '--x'", "Option '--seed <value>' argument missing").
    fail(`${(error as Error).message} (known: ${Object.keys(flags).map((f) => `--${f}`).join(", ")})`);
  }
  const o: Options = { workloads: ["mf", "mnist"], topologies: [...topologyNames], methods: [...defaultMethods], iterations: null, regime: "accelerator", seed: 1, outDir: join(root, "bench/results"), docs: true, innerScale: null, skew: null, tag: "", renderFrom: null, reuse: null, outerOptimizer: "nesterov", outerLearningRate: 0.7, momentum: 0.9 };
  const positive = (flag: string, value: string): number => {
    const v = Number(value);
    if (!(v > 0 && Number.isFinite(v))) fail(`--${flag} needs a positive number`);
    return v;
  };
  const list = (value: string): string[] => value.split(",").map((s) => s.trim());
  const v = values;
  if (v.workload !== undefined) o.workloads = list(v.workload).map((w) => (workloadList.includes(w as WorkloadName) ? (w as WorkloadName) : fail(`--workload: unknown "${w}" (known: ${workloadList.join(", ")})`)));
  if (v.topology !== undefined) o.topologies = list(v.topology).map((t) => (topologyNames.includes(t as TopologyName) ? (t as TopologyName) : fail(`--topology: unknown "${t}" (known: ${topologyNames.join(", ")})`)));
  if (v.methods !== undefined) {
    o.methods = list(v.methods).map((m) => {
      const match = methodPattern.exec(m);
      if (match === null) fail(`--methods: unknown "${m}" (known: ${methodNames})`);
      if (match[3] !== undefined && !(Number(match[3]) > 1 && Number(match[3]) <= Number(match[2]))) fail(`--methods: "${m}" needs 1 < F <= H fragments`);
      if (match[4] !== undefined && !(Number(match[4]) <= Number(match[2]))) fail(`--methods: "${m}" needs overlap clocks T <= H`);
      return m;
    });
    if (!o.methods.includes("lan")) o.methods.unshift("lan"); // LAN defines the target
  }
  if (v.iterations !== undefined) {
    const n = Number(v.iterations);
    if (!(Number.isInteger(n) && n >= 10)) fail("--iterations needs an integer >= 10");
    o.iterations = n;
  }
  if (v.regime !== undefined) {
    if (v.regime === "cpu" || v.regime === "accelerator") o.regime = v.regime;
    else if (Number(v.regime) > 0) o.regime = Number(v.regime);
    else fail("--regime needs cpu, accelerator or a positive factor");
  }
  if (v.seed !== undefined) {
    const n = Number(v.seed);
    if (v.seed.trim() === "" || !Number.isInteger(n)) fail("--seed needs an integer");
    o.seed = n;
  }
  if (v["out-dir"] !== undefined) o.outDir = resolve(v["out-dir"]);
  if (v["no-docs"] === true) o.docs = false;
  if (v.skew !== undefined) {
    const n = Number(v.skew);
    if (v.skew.trim() === "" || !(n >= 0 && n <= 1)) fail("--skew needs a number in [0, 1]");
    o.skew = n;
  }
  if (v.reuse !== undefined) o.reuse = resolve(v.reuse);
  if (v["render-from"] !== undefined) o.renderFrom = resolve(v["render-from"]);
  if (v.tag !== undefined) {
    if (!/^[a-z0-9-]+$/.test(v.tag)) fail("--tag needs a name of lowercase letters, digits and dashes");
    o.tag = v.tag;
  }
  if (v["inner-scale"] !== undefined) o.innerScale = positive("inner-scale", v["inner-scale"]);
  if (v["outer-optimizer"] !== undefined) {
    if (v["outer-optimizer"] !== "sgd" && v["outer-optimizer"] !== "nesterov") fail("--outer-optimizer needs sgd or nesterov");
    o.outerOptimizer = v["outer-optimizer"];
  }
  if (v["outer-lr"] !== undefined) o.outerLearningRate = positive("outer-lr", v["outer-lr"]);
  if (v.momentum !== undefined) {
    const n = Number(v.momentum);
    if (v.momentum.trim() === "" || !(n >= 0 && n < 1)) fail("--momentum needs a number in [0, 1)");
    o.momentum = n;
  }
  return o;
}

function scenarioOf(workload: WorkloadName, topology: TopologyName, method: Method, o: Options, stop: { iterations: number; target: number | null }): Scenario {
  const setup = smallSetups[workload];
  const dataCenters = topology === "ec2-11" ? 11 : 2;
  const m = methodPattern.exec(method)!;
  const H = m[2] === undefined ? null : Number(m[2]);
  const plainSum = workload === "lda";
  const job = o.skew === null ? setup.spec : { ...setup.spec, partition: "skewed", skew: o.skew };
  const spec = H !== null && typeof job["learningRate"] === "number" ? { ...job, learningRate: (job["learningRate"] as number) * (o.innerScale ?? Math.min(dataCenters, defaultInnerScaleMax)) } : job;
  const sync =
    H !== null
      ? { model: "diloco", withinDataCenter: "bsp", diloco: { localClocks: H, ...(plainSum ? { outerOptimizer: "sgd", outerLearningRate: 1, reduce: "sum" } : { outerOptimizer: o.outerOptimizer, outerLearningRate: o.outerLearningRate, ...(o.outerOptimizer === "nesterov" ? { momentum: o.momentum } : {}) }), encoding: m[5] === "-int8" ? "int8" : m[5] === "-topk" ? "topk" : "f32", ...(m[3] !== undefined ? { fragments: Number(m[3]) } : {}), ...(m[4] !== undefined ? { overlapClocks: Number(m[4]) } : {}) } }
      : method === "lan" || method === "bsp"
        ? { model: method }
        : { model: "asp", withinDataCenter: "bsp", significance: { threshold: "auto", encoding: method === "asp-int8" ? "int8" : "f32" }, mirrorClockBound: 1, selectiveBarrier: "auto", hubs: "auto" };
  const doc = {
    name: `${workload}-${topology}-${method}`,
    seed: o.seed,
    topology: { preset: topology, machinesPerDataCenter: machinesPerDataCenter(topology) },
    workload: spec,
    sync,
    compute: { regime: o.regime },
    stop: { ...(stop.target !== null ? { target: { objective: stop.target } } : {}), maxIterations: stop.iterations, evalEvery: setup.evalEvery },
  };
  return parseScenarioText(JSON.stringify(doc), `${doc.name}.json`);
}

export interface MethodRow {
  readonly workload: WorkloadName;
  readonly topology: TopologyName;
  readonly method: Method;
  readonly localClocks: number | null;
  /** Streaming DiLoCo's F (1: blocking DiLoCo; null: not DiLoCo; absent in rows saved before streaming). */
  readonly fragments?: number | null;
  readonly encoding: string;
  readonly timeToTargetS: number | null;
  readonly targetObjective: number;
  readonly wanBytes: number;
  /** The most WAN bytes of one clock of the slowest worker while every worker trains (absent in rows saved before it was measured). */
  readonly wanBytesPeakPerClock?: number;
  readonly costUsd: number;
  readonly finalObjective: number;
  readonly objectiveName: string;
  readonly iterations: number;
  readonly virtualTimeS: number;
  readonly blockedOuterStepS: number;
  readonly stoppedBy: string;
  /** The divergence verdict, or null. */
  readonly diverged: string | null;
  readonly checks: Readonly<Record<string, string | null>>;
  readonly checksHeld: boolean;
  readonly wallS: number;
  readonly series: readonly { readonly t: number; readonly it: number; readonly obj: number }[];
}

async function runOne(workload: WorkloadName, topology: TopologyName, method: Method, o: Options, stop: { iterations: number; target: number | null }) {
  const scenario = scenarioOf(workload, topology, method, o, stop);
  const { createWorkload } = await import("@gaia/workloads");
  const job = await createWorkload(scenario.workload, { seed: scenario.seed, dataCenters: scenario.topology.dataCenters, workersPerDataCenter: scenario.topology.workersPerDataCenter });
  const result = await runSimulation(scenario, { workload: job, recordTrace: false, checkInvariants: false });
  return { result, direction: job.direction, scenario };
}

const fmtS = (s: number | null): string => (s === null ? "not reached" : `${s.toFixed(s < 10 ? 2 : 1)} s`);
const fmtB = (b: number): string => (b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${(b / 1e3).toFixed(1)} kB`);
const perClock = (r: MethodRow): number => r.wanBytes / Math.max(1, r.iterations);
const fmtX = (v: number | null): string => (v === null || !Number.isFinite(v) ? "-" : v >= 100 ? `${v.toFixed(0)}x` : `${v.toFixed(1)}x`);

/** Writes the rows so far: <base>.json, and with `charts` the charts, <base>.md and the docs block. */
async function writeOutputs(o: Options, base: string, rows: readonly MethodRow[], runS: number, charts: boolean, generatedBy = `npm run bench:methods -- ${process.argv.slice(2).join(" ")}`.trim()): Promise<void> {
  if (o.renderFrom === null) writeFileSync(join(o.outDir, `${base}.json`), `${JSON.stringify({ generatedBy, regime: o.regime, seed: o.seed, skew: o.skew, wallS: runS, rows }, null, 1)}\n`);
  if (!charts) return;

  const sections: string[] = [];
  for (const workload of o.workloads) {
    for (const topology of o.topologies) {
      const group = rows.filter((r) => r.workload === workload && r.topology === topology);
      if (group.length === 0) continue;
      const bsp = group.find((r) => r.method === "bsp");
      const svgName = `${base}-${workload}-${topology}.svg`;
      const svg = await lineChart({ title: `${workload} on ${topology}: ${group[0]!.objectiveName} against virtual time`, xLabel: "virtual time (s)", yLabel: group[0]!.objectiveName, series: group.map((r) => ({ name: r.method, points: r.series.map((p) => ({ x: p.t, y: p.obj })) })) });
      writeFileSync(join(o.outDir, svgName), svg);
      const clockSvgName = `${base}-${workload}-${topology}-clocks.svg`;
      const clockSvg = await lineChart({ title: `${workload} on ${topology}: ${group[0]!.objectiveName} against clocks`, xLabel: "clocks of the slowest worker", yLabel: group[0]!.objectiveName, series: group.map((r) => ({ name: r.method, points: r.series.map((p) => ({ x: p.it, y: p.obj })) })) });
      writeFileSync(join(o.outDir, clockSvgName), clockSvg);
      const lines = [
        `#### ${workload} on ${topology} (target ${group[0]!.objectiveName} ${group[0]!.targetObjective.toFixed(4)})`,
        "",
        "| method | time to target | WAN bytes | BSP bytes / these | WAN bytes per clock | BSP's per clock / these | peak WAN bytes in one clock | cost | final objective | iterations | blocked on outer step (worker-s) | checks |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ...group.map((r) => `| ${r.method} | ${fmtS(r.timeToTargetS)} | ${fmtB(r.wanBytes)} | ${r.method === "lan" ? "-" : fmtX(bsp && r.wanBytes > 0 ? bsp.wanBytes / r.wanBytes : null)} | ${r.method === "lan" ? "-" : fmtB(perClock(r))} | ${r.method === "lan" ? "-" : fmtX(bsp && r.wanBytes > 0 ? perClock(bsp) / perClock(r) : null)} | ${r.method === "lan" || r.wanBytesPeakPerClock === undefined ? "-" : fmtB(r.wanBytesPeakPerClock)} | $${r.costUsd.toFixed(4)} | ${r.diverged !== null ? `diverged at clock ~${r.iterations}` : r.finalObjective.toFixed(4)} | ${r.iterations} | ${r.blockedOuterStepS.toFixed(1)} | ${r.checksHeld ? `all ${Object.keys(r.checks).length} held` : Object.entries(r.checks).filter(([, v]) => v !== null).map(([k]) => k).join(", ")} |`),
        "",
        `![${workload} on ${topology} against virtual time](../bench/results/${svgName}) ![${workload} on ${topology} against clocks](../bench/results/${clockSvgName})`,
      ];
      sections.push(lines.join("\n"));
    }
  }
  const block = [`Generated by \`${generatedBy}\` (seed ${o.seed}, regime ${o.regime}, ${runS.toFixed(0)} s wall).`, "", ...sections.flatMap((s) => [s, ""])].join("\n");
  writeFileSync(join(o.outDir, `${base}.md`), `${block}\n`);
  if (o.docs) {
    const path = join(root, "docs/results.md");
    writeFileSync(path, replaceBlock(readFileSync(path, "utf8"), base, block));
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  mkdirSync(o.outDir, { recursive: true });
  const rows: MethodRow[] = [];
  const base = o.tag === "" ? "methods" : `methods-${o.tag}`;
  const started = performance.now();
  const saved: MethodRow[] = o.reuse === null ? [] : (JSON.parse(readFileSync(o.reuse, "utf8")) as { rows: MethodRow[] }).rows;
  if (o.renderFrom !== null) {
    const saved = JSON.parse(readFileSync(o.renderFrom, "utf8")) as { rows: MethodRow[]; wallS: number; generatedBy: string; regime: Options["regime"]; seed: number; skew: number | null };
    o.regime = saved.regime;
    o.seed = saved.seed;
    o.skew = saved.skew;
    o.workloads = [...new Set(saved.rows.map((r) => r.workload))];
    o.topologies = [...new Set(saved.rows.map((r) => r.topology))];
    await writeOutputs(o, base, saved.rows, saved.wallS, true, saved.generatedBy);
    return;
  }
  for (const workload of o.workloads) {
    for (const topology of o.topologies) {
      const setup = smallSetups[workload];
      // LAN first, uncapped by a target, to find where it converges.
      const lanIterations = o.iterations ?? setup.lanIterations;
      const savedLan = saved.find((r) => r.workload === workload && r.topology === topology && r.method === "lan");
      const lan = savedLan === undefined ? await runOne(workload, topology, "lan", o, { iterations: lanIterations, target: null }) : null;
      const direction = workload === "lda" ? "maximize" : "minimize";
      const lanSeries = lan !== null ? lan.result.series : savedLan!.series.map((p) => ({ virtualTimeS: p.t, iteration: p.it, objective: p.obj }) as MetricsPoint);
      const convergence = convergenceOf(lanSeries, direction);
      const target = progressTarget(convergence, 0.99);
      const iterations = o.iterations ?? Math.max(100, 2 * convergence.iteration);
      console.error(`${workload} on ${topology}: LAN converged at iteration ${convergence.iteration} (${convergence.objective.toFixed(4)}); target ${target.toFixed(4)}; every method runs up to ${iterations} iterations`);
      for (const method of o.methods) {
        const old = method.startsWith("diloco") ? undefined : saved.find((r) => r.workload === workload && r.topology === topology && r.method === method);
        if (old !== undefined) {
          rows.push(old);
          console.error(`  ${method.padEnd(16)} reused from ${o.reuse}`);
          continue;
        }
        const r = method === "lan" ? lan! : await runOne(workload, topology, method, o, { iterations, target });
        const s = r.result.summary;
        const reached = firstReaching(r.result.series, r.direction, target);
        const [, , H, F] = methodPattern.exec(method)!;
        const row: MethodRow = {
          workload,
          topology,
          method,
          localClocks: H === undefined ? null : Number(H),
          fragments: F === undefined ? (H === undefined ? null : 1) : Number(F),
          encoding: method.endsWith("-int8") ? "int8" : method.endsWith("-topk") ? "topk" : "f32",
          timeToTargetS: reached?.virtualTimeS ?? null,
          targetObjective: target,
          wanBytes: s.wanBytes,
          wanBytesPeakPerClock: r.result.stats.wanBytesPeakPerClock,
          costUsd: s.costUsd,
          finalObjective: s.objective,
          objectiveName: s.objectiveName,
          iterations: s.iterations,
          virtualTimeS: s.virtualTimeS,
          blockedOuterStepS: s.blockedS.outerStep ?? 0,
          stoppedBy: s.stoppedBy,
          diverged: s.diverged ?? null,
          checks: s.checks,
          checksHeld: Object.values(s.checks).every((v) => v === null),
          wallS: s.wallTimeS,
          series: r.result.series.map((p) => ({ t: p.virtualTimeS, it: p.iteration, obj: p.objective })),
        };
        rows.push(row);
        await writeOutputs(o, base, rows, (performance.now() - started) / 1000, false);
        console.error(`  ${method.padEnd(16)} time to target ${fmtS(row.timeToTargetS).padEnd(12)} WAN ${fmtB(row.wanBytes).padEnd(9)} final ${row.diverged !== null ? "diverged" : row.finalObjective.toFixed(4)} it ${row.iterations} checks ${row.checksHeld ? "held" : "VIOLATED"} (${row.wallS.toFixed(1)} s wall)`);
      }
      await writeOutputs(o, base, rows, (performance.now() - started) / 1000, true);
    }
  }
  await writeOutputs(o, base, rows, (performance.now() - started) / 1000, true);
  const violated = rows.filter((r) => !r.checksHeld);
  if (violated.length > 0) {
    console.error(`bench:methods: checker violations in ${violated.map((r) => `${r.workload}/${r.topology}/${r.method}`).join(", ")}`);
    process.exit(1);
  }
}

await main();
