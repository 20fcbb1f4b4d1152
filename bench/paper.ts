/**
 * Reproduces the Gaia paper's headline comparison in the simulator (not a test):
 *
 *   npm run bench:paper [-- --size quick|small|paper] [-- --regime cpu|accelerator|N]
 *                       [-- --only mf,lda] [-- --topology ec2-11] [-- --modes lan,bsp,asp]
 *                       [-- --partition iid,skewed] [-- --sweep 0.01,0.1,1,10,100,1000] [-- --sweep-modes lan,bsp,asp]
 *                       [-- --ds-sweep 0,1,2,3]
 *                       [-- --lan-iterations N] [-- --no-main] [-- --reuse DIR --reuse-modes lan,bsp,ssp]
 *                       [-- --seed N] [-- --out-dir DIR] [-- --no-docs] [-- --quick] [-- --connection-order fifo]
 *
 * Targets at convergence. For every workload, topology and partition, LAN (all machines in one data
 * center) runs up to the setup's iteration cap; it has converged at the first evaluation where its
 * objective improved by less than 0.5% over the last 20% of its iterations, and its objective there
 * is the target. Two looser targets sit 90% and 99% of the way from LAN's first evaluation to it.
 * Baseline-BSP, Baseline-SSP (with the worker SSP cache), and Gaia (ASP, hubs auto and none) then
 * run to the target, capped at 1000x LAN's time to it and 4x its iterations; every row gives the time
 * to each target.
 *
 * Every run carries the trace checkers (staleness, mirror clock, barrier, conservation, no remote
 * errors); their verdicts are in every row, and the bench exits 1 when any is violated.
 *
 * Reuse: with --reuse DIR --reuse-modes lan,bsp,ssp, the rows of those modes come from DIR's saved
 * paper.json / paper-sweep.json (matched by workload, topology, partition, size and compute factor;
 * LAN's saved convergence gives the targets) and only the other modes run: for a change that can
 * only move some modes' rows, such as Gaia's codec. The seed must be the saved run's. Every case
 * the run asks for is checked before any runs: missing rows stop it at once, all of them listed
 * (name the saved topologies with --topology when the saved set covers fewer cases).
 *
 * Non-IID: with --partition iid,skewed (the default for the main runs), each case runs again with
 * a skewed partition (skew 0.8: MF by user group, LDA by topic, MNIST by label).
 *
 * Compute regime: the step cost is the workload's calibrated cost (small and paper sizes) times the
 * regime's factor (--regime, default accelerator). --sweep runs lan, bsp and asp on the first
 * topology at each factor of the list, for every workload, and charts Gaia's speedup over BSP and
 * its ratio to LAN against the factor (the crossover chart).
 *
 * Mirror-clock bound: --ds-sweep runs Gaia (asp, hubs auto) at each DS of the list, on every
 * workload and topology of the run (IID, at the run's regime), against the same LAN target and
 * BSP row as the main runs (reused with --reuse, or run), and writes paper-ds.json and the "ds"
 * block of docs/results.md (--modes without ssp leaves SSP out). The main runs use DS = 1; a saved
 * asp row is reused only at that DS.
 *
 * Connections: --connection-order fifo runs every mode with network.connectionOrder fifo (a
 * connection's messages transferred one after another, as on one TCP stream) instead of the
 * default shared flows; its rows go to bench/results/fifo (or --out-dir), never into the docs.
 *
 * Long tables: every row is written to the rows file as soon as its run ends; --resume skips the
 * rows already there (a LAN row brings its convergence, so the other modes need not rerun it).
 * --shard i/n runs every n-th case (workload x topology x partition), starting at the i-th, into
 * its own rows file paper-shard-i-of-n.json and nothing else, so shards can run as parallel
 * processes or on other machines into one folder; --render-from DIR then merges paper.json and
 * every paper-shard-*.json there into the table, charts and docs.
 *
 * Every row states how much compute a clock holds: the samples of one worker step, the share of a
 * worker's data that is, the virtual compute per clock, the slowest mirror path's one-way latency
 * (through the hubs, if any) and the ratio of the two.
 *
 * Writes <out-dir>/paper.json (rows), paper-table.json and paper-table.md, paper-*.svg, and the
 * generated blocks of docs/results.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs as parseFlags, type ParseArgsConfig } from "node:util";
import { readdirSync } from "node:fs";
import { acceleratorFactor, mirrorClockSummary, mirrorPathLatencyMs } from "@gaia/sim";
import { barChart, crossoverChart, logBarChart, objectiveChart } from "./lib/charts.js";
import {
  buildScenario,
  convergenceOf,
  defaultKnobs,
  firstReaching,
  fullSetups,
  machinesPerDataCenter,
  modes,
  paperSetups,
  progressTarget,
  quickSetups,
  replaceBlock,
  runCase,
  toRow,
  topologyNames,
  workloadNames,
  type CaseResult,
  type CaseSpec,
  type Convergence,
  type GaiaKnobs,
  type Mode,
  type Row,
  type TopologyName,
  type WorkloadName,
  type WorkloadSetup,
} from "./lib/runs.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const capFactor = 1000;
const iterationCapFactor = 4;
const skew = 0.8;
const looserFractions = [0.9, 0.99] as const;

type Size = "quick" | "small" | "paper";
type Partition = "iid" | "skewed";
type Regime = "cpu" | "accelerator" | number;

/**
 * The small setups: the jobs of fullSetups (25k-80k parameters) at their calibrated compute cost,
 * LAN capped at 800 iterations so that it can converge.
 */
const smallSetups: Readonly<Record<WorkloadName, WorkloadSetup>> = {
  // 300k ratings (not 100k) so that the 80k-parameter model converges instead of overfitting for thousands of iterations.
  mf: { ...fullSetups.mf, spec: { ...fullSetups.mf.spec, ratings: 300_000, learningRate: 0.05, regularization: 0.05 }, msPerSample: null, lanIterations: 800, evalEvery: 5 },
  lda: { ...fullSetups.lda, spec: { ...fullSetups.lda.spec, batchSize: 20 }, msPerSample: null, lanIterations: 800, evalEvery: 5 },
  mnist: { ...fullSetups.mnist, msPerSample: null, lanIterations: 800, evalEvery: 5 },
};

const setupsOf = (size: Size): Readonly<Record<WorkloadName, WorkloadSetup>> => (size === "quick" ? quickSetups : size === "small" ? smallSetups : paperSetups);

interface Options {
  size: Size;
  regime: Regime;
  workloads: WorkloadName[];
  topologies: TopologyName[];
  modes: Mode[];
  partitions: Partition[];
  sweep: number[] | null;
  /** Modes the sweep runs (lan first; default lan, bsp, asp). */
  sweepModes: Mode[];
  /** Mirror-clock bounds (DS) the DS sweep runs Gaia at (null: no DS sweep). */
  dsSweep: number[] | null;
  /** Overrides the setups' LAN iteration cap. */
  lanIterations: number | null;
  /** Render from saved rows (paper.json, paper-sweep.json in this directory) instead of running. */
  renderFrom: string | null;
  /** Take the rows of `reuseModes` from saved rows (paper.json, paper-sweep.json here) instead of running them. */
  reuse: string | null;
  reuseModes: Mode[];
  main: boolean;
  outDir: string;
  docs: boolean;
  seed: number;
  /** network.connectionOrder of every run (shared: the scenario default, which the published rows use). */
  connectionOrder: "shared" | "fifo";
  /** Skip the runs whose rows the rows file already holds. */
  resume: boolean;
  /** Run only this slice of the cases (1-based index of count), into a rows file of its own. */
  shard: { readonly index: number; readonly count: number } | null;
}

/** The file a run's main rows go to: paper.json, or the shard's own. */
const rowsFileOf = (options: Options): string => (options.shard === null ? "paper.json" : `paper-shard-${options.shard.index}-of-${options.shard.count}.json`);

function fail(message: string): never {
  console.error(`bench:paper: ${message}`);
  process.exit(2);
}

const regimeName = (r: Regime): string => (typeof r === "number" ? `${r}x` : r === "accelerator" ? `accelerator (${acceleratorFactor}x)` : "cpu (1x)");
const regimeFactor = (r: Regime): number => (typeof r === "number" ? r : r === "accelerator" ? acceleratorFactor : 1);

const defaultSweep = [0.01, 0.1, 1, 10, 100, 1000];

/** The flags, read by node:util parseArgs (strict): an unknown flag or a missing value exits 2. */
const flags = {
  size: { type: "string" },
  quick: { type: "boolean" },
  regime: { type: "string" },
  only: { type: "string" },
  topology: { type: "string" },
  modes: { type: "string" },
  partition: { type: "string" },
  sweep: { type: "string" },
  "sweep-modes": { type: "string" },
  "ds-sweep": { type: "string" },
  "lan-iterations": { type: "string" },
  "render-from": { type: "string" },
  reuse: { type: "string" },
  "reuse-modes": { type: "string" },
  "no-main": { type: "boolean" },
  "out-dir": { type: "string" },
  seed: { type: "string" },
  "no-docs": { type: "boolean" },
  "connection-order": { type: "string" },
  resume: { type: "boolean" },
  shard: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    size: "small",
    regime: "accelerator",
    workloads: [...workloadNames],
    topologies: [...topologyNames],
    modes: [...modes],
    partitions: ["iid", "skewed"],
    sweep: null,
    sweepModes: ["lan", "bsp", "asp"],
    dsSweep: null,
    lanIterations: null,
    renderFrom: null,
    reuse: null,
    reuseModes: [],
    main: true,
    outDir: join(root, "bench/results"),
    docs: true,
    seed: 1,
    connectionOrder: "shared",
    resume: false,
    shard: null,
  };
  // A bare --sweep (no list after it) sweeps the default factors.
  const args = argv.flatMap((arg, i) => (arg === "--sweep" && (argv[i + 1] === undefined || argv[i + 1]!.startsWith("--")) ? [`--sweep=${defaultSweep.join(",")}`] : [arg]));
  let v: ReturnType<typeof parseFlags<{ options: typeof flags; strict: true; allowPositionals: false }>>["values"];
  try {
    ({ values: v } = parseFlags({ args, options: flags, strict: true, allowPositionals: false }));
  } catch (error) {
    // node:util's messages name the flag ("Unknown option '--x'", "Option '--seed <value>' argument missing").
    fail(`${(error as Error).message} (known: ${Object.keys(flags).map((f) => `--${f}`).join(", ")})`);
  }
  const list = <T extends string>(flag: string, value: string, known: readonly T[]): T[] => {
    const items = value.split(",").map((s) => s.trim());
    for (const item of items) if (!(known as readonly string[]).includes(item)) fail(`--${flag}: unknown "${item}" (known: ${known.join(", ")})`);
    return items as T[];
  };
  const numbers = (flag: string, value: string): number[] => {
    const items = value.split(",").map(Number);
    if (value.trim() === "" || items.some((n) => !(n > 0))) fail(`--${flag} needs positive numbers, comma-separated`);
    return items;
  };
  if (v.quick === true) options.size = "quick";
  if (v.size !== undefined) options.size = list("size", v.size, ["quick", "small", "paper"] as const)[0]!;
  if (v.regime !== undefined) {
    if (v.regime === "cpu" || v.regime === "accelerator") options.regime = v.regime;
    else if (Number(v.regime) > 0) options.regime = Number(v.regime);
    else fail("--regime needs cpu, accelerator or a positive factor");
  }
  if (v.only !== undefined) options.workloads = list("only", v.only, workloadNames);
  if (v.topology !== undefined) options.topologies = list("topology", v.topology, topologyNames);
  if (v.modes !== undefined) {
    options.modes = list("modes", v.modes, modes);
    if (!options.modes.includes("lan")) options.modes.unshift("lan"); // LAN defines the targets
  }
  const partitionsGiven = v.partition !== undefined;
  if (v.partition !== undefined) options.partitions = list("partition", v.partition, ["iid", "skewed"] as const);
  if (v.sweep !== undefined) options.sweep = numbers("sweep", v.sweep);
  if (v["sweep-modes"] !== undefined) {
    options.sweepModes = list("sweep-modes", v["sweep-modes"], modes);
    if (!options.sweepModes.includes("lan")) options.sweepModes.unshift("lan");
  }
  if (v["ds-sweep"] !== undefined) {
    const items = v["ds-sweep"].split(",").map((d) => d.trim());
    if (items.some((d) => !/^\d+$/.test(d))) fail("--ds-sweep needs non-negative integers, comma-separated (e.g. 0,1,2,3)");
    options.dsSweep = [...new Set(items.map(Number))].sort((a, b) => a - b);
  }
  if (v["lan-iterations"] !== undefined) {
    const value = Number(v["lan-iterations"]);
    if (!(Number.isInteger(value) && value >= 10)) fail("--lan-iterations needs an integer >= 10");
    options.lanIterations = value;
  }
  if (v["render-from"] !== undefined) options.renderFrom = resolve(v["render-from"]);
  if (v.reuse !== undefined) options.reuse = resolve(v.reuse);
  if (v["reuse-modes"] !== undefined) options.reuseModes = list("reuse-modes", v["reuse-modes"], modes);
  if (v["no-main"] === true) options.main = false;
  if (v["out-dir"] !== undefined) options.outDir = resolve(v["out-dir"]);
  if (v.seed !== undefined) {
    const value = Number(v.seed);
    if (v.seed.trim() === "" || !Number.isInteger(value)) fail("--seed needs an integer");
    options.seed = value;
  }
  if (v["no-docs"] === true) options.docs = false;
  if ((options.reuse === null) !== (options.reuseModes.length === 0)) fail("--reuse DIR and --reuse-modes MODES go together");
  if (v.resume === true) options.resume = true;
  if (v.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(v.shard.trim());
    const [index, count] = m === null ? [NaN, NaN] : [Number(m[1]), Number(m[2])];
    if (!(index >= 1 && count >= 1 && index <= count)) fail(`--shard needs i/n with 1 <= i <= n (e.g. 2/4), got "${v.shard}"`);
    options.shard = { index, count };
  }
  if (options.shard !== null && (v.sweep !== undefined || v["ds-sweep"] !== undefined || v["render-from"] !== undefined)) fail("--shard slices the main table only: leave out --sweep, --ds-sweep and --render-from");
  if (v["connection-order"] !== undefined) options.connectionOrder = list("connection-order", v["connection-order"], ["shared", "fifo"] as const)[0]!;
  // FIFO connections are a variant of the network model: its rows go beside the published ones
  // (bench/results/fifo unless --out-dir says otherwise), never into them or into the docs.
  if (options.connectionOrder === "fifo") {
    if (options.reuse !== null) fail("--connection-order fifo cannot --reuse saved rows: they ran with shared connections");
    if (options.renderFrom !== null) fail("--connection-order fifo runs; it does not render saved rows");
    if (v["out-dir"] === undefined) options.outDir = join(root, "bench/results/fifo");
    options.docs = false;
  }
  // A quick run is a smoke test: IID only, and it never rewrites the published results unless asked to.
  if (options.size === "quick") {
    if (v["out-dir"] === undefined) options.outDir = join(root, "bench/results/quick");
    if (!partitionsGiven) options.partitions = ["iid"];
    if (v.regime === undefined) options.regime = "cpu";
    options.docs = false;
  }
  return options;
}

let peakRssBytes = process.memoryUsage().rss;
const sampleMemory = (): void => {
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss);
};

const fmtS = (s: number | null): string => (s === null ? "not reached" : `${s.toFixed(s < 10 ? 2 : 1)} s`);

/** One row of paper.json: the run's figures, its targets and times to them, and its checks. */
export interface PaperRow extends Row {
  readonly partition: Partition;
  readonly regime: string;
  readonly computeFactor: number;
  /** The per-sample cost charged: calibrated (or explicit) x factor. */
  readonly msPerSample: number;
  readonly size: Size;
  /** Gaia's mirror-clock bound DS, on Gaia's rows (rows saved before this field ran at DS = 1). */
  readonly mirrorClockBound?: number;
  /** network.connectionOrder, on rows that ran with fifo connections only (all others: shared). */
  readonly connectionOrder?: "fifo";
  /** LAN's convergence (the same on every row of a case). */
  readonly lanConvergence: Convergence;
  /** Targets: LAN's converged objective, and 90% / 99% of the way to it. */
  readonly targets: { readonly converged: number; readonly p90: number; readonly p99: number };
  readonly timeTo: { readonly converged: number | null; readonly p90: number | null; readonly p99: number | null };
  /** Checker verdicts: name -> null when it held, else the first violation. */
  readonly checks: Readonly<Record<string, string | null>>;
  readonly checksHeld: boolean;
  /** Objective against virtual time, for the charts (evaluation points). */
  readonly series: readonly { readonly t: number; readonly it: number; readonly obj: number }[];
  /** What one clock holds (rows saved before these fields have none). */
  readonly clock?: ClockFigures;
}

/** A clock's compute against the WAN's latency. */
export interface ClockFigures {
  /** Samples one worker step processes (ratings, tokens, digits). */
  readonly samplesPerStep: number;
  /** The share of a worker's training data that is. */
  readonly dataShare: number;
  /** Virtual compute milliseconds of one step (samples x the charged cost per sample). */
  readonly computeMs: number;
  /** One-way latency of the slowest mirror path (through the hubs, if any); 0 on a LAN. */
  readonly slowestPathMs: number;
  /** computeMs / slowestPathMs (null on a LAN). */
  readonly computeOverLatency: number | null;
}

/** Samples a step processes and the samples of one worker's partition, from a setup's spec (22 workers). */
function clockFigures(setup: WorkloadSetup, msPerSample: number, scenario: CaseResult["scenario"]): ClockFigures {
  const spec = setup.spec as Record<string, number | string>;
  const workers = scenario.topology.dataCenters.length * scenario.topology.workersPerDataCenter;
  const num = (key: string): number => Number(spec[key]);
  const [samplesPerStep, stepUnits, dataUnits] =
    spec["kind"] === "mf" ? [num("batchSize"), num("batchSize"), num("ratings")] : spec["kind"] === "lda" ? [num("batchSize") * num("docLength"), num("batchSize"), num("documents")] : [num("batchSize"), num("batchSize"), num("train")];
  const computeMs = samplesPerStep * msPerSample;
  const slowestPathMs = scenario.sync.model === "lan" || scenario.topology.dataCenters.length < 2 ? 0 : mirrorPathLatencyMs(scenario);
  return { samplesPerStep, dataShare: Math.min(1, stepUnits / (dataUnits / workers)), computeMs, slowestPathMs, computeOverLatency: slowestPathMs > 0 ? computeMs / slowestPathMs : null };
}

function paperRow(c: CaseSpec, r: CaseResult, lan: Convergence, partition: Partition, size: Size): PaperRow {
  const setup = c.setup;
  const targets = { converged: lan.objective, p90: progressTarget(lan, looserFractions[0]), p99: progressTarget(lan, looserFractions[1]) };
  const base = toRow(c, r, targets.converged, lan.iteration);
  const reach = (t: number): number | null => firstReaching(r.result.series, r.direction, t)?.virtualTimeS ?? null;
  const checks = r.result.summary.checks;
  return {
    ...base,
    partition,
    regime: regimeName(c.regime ?? "cpu"),
    computeFactor: regimeFactor(c.regime ?? "cpu"),
    msPerSample: r.msPerSample,
    size,
    ...(gaiaMode(c.mode) ? { mirrorClockBound: c.knobs.mirrorClockBound } : {}),
    // From the scenario the run was built from, so the mark says what the network model was given.
    ...(r.scenario.network?.connectionOrder === "fifo" ? { connectionOrder: "fifo" as const } : {}),
    lanConvergence: lan,
    targets,
    timeTo: { converged: reach(targets.converged), p90: reach(targets.p90), p99: reach(targets.p99) },
    checks,
    checksHeld: Object.values(checks).every((v) => v === null),
    series: r.result.series.map((p) => ({ t: p.virtualTimeS, it: p.iteration, obj: p.objective })),
    clock: clockFigures(setup, r.msPerSample, r.scenario),
  };
}

export interface Comparison {
  readonly workload: WorkloadName;
  readonly topology: TopologyName;
  readonly partition: Partition;
  readonly objectiveName: string;
  readonly lanTimeS: number | null;
  readonly lanConverged: boolean;
  /** Baseline time / Gaia (hubs auto) time, per baseline, at the converged target. */
  readonly speedupOverBsp: Ratio;
  readonly speedupOverSsp: Ratio;
  readonly speedupNoHubsOverBsp: Ratio;
  /** The same at the looser targets (90% and 99% of LAN's progress), against BSP. */
  readonly speedupOverBspP90: Ratio;
  readonly speedupOverBspP99: Ratio;
  /** Gaia time / LAN time. */
  readonly gaiaOverLan: number | null;
  readonly gaiaNoHubsOverLan: number | null;
  /** Baseline-BSP bytes (cost) / Gaia bytes (cost). */
  readonly wanBytesReductionVsBsp: number | null;
  readonly costReductionVsBsp: number | null;
  /** Gaia's final objective vs LAN's converged one: (gaia - lan) / |lan|, > 0 is worse. */
  readonly objectiveGapFinal: number | null;
}

/** A ratio, or a lower bound when the slower run never reached the target within its cap. */
export interface Ratio {
  readonly value: number | null;
  readonly lowerBound: boolean;
}

type TargetName = "converged" | "p90" | "p99";

function ratio(slower: PaperRow | undefined, faster: PaperRow | undefined, target: TargetName = "converged"): Ratio {
  if (slower === undefined || faster === undefined) return { value: null, lowerBound: false };
  const f = faster.timeTo[target];
  const s = slower.timeTo[target];
  if (f === null) return { value: null, lowerBound: false };
  if (s === null) return { value: slower.virtualTimeS / f, lowerBound: true };
  return { value: s / f, lowerBound: false };
}

/** A run's time to LAN's converged objective over LAN's own, or null when either did not reach it. */
const overLan = (row: PaperRow | undefined, lan: PaperRow): number | null => (row?.timeTo.converged != null && lan.timeTo.converged !== null ? row.timeTo.converged / lan.timeTo.converged : null);

const gap = (row: PaperRow, objective: number, lan: number): number => ((row.direction === "minimize" ? 1 : -1) * (objective - lan)) / Math.abs(lan);

export function compare(rows: readonly PaperRow[]): Comparison[] {
  const out: Comparison[] = [];
  for (const w of workloadNames) {
    for (const t of topologyNames) {
      for (const p of ["iid", "skewed"] as const) {
        const find = (m: Mode): PaperRow | undefined => rows.find((r) => r.workload === w && r.topology === t && r.partition === p && r.sync === m);
        const lan = find("lan");
        const gaia = find("asp");
        const bsp = find("bsp");
        if (lan === undefined || gaia === undefined) continue;
        const noHubs = find("asp-nohubs");
        const lanT = lan.timeTo.converged;
        out.push({
          workload: w,
          topology: t,
          partition: p,
          objectiveName: lan.objectiveName,
          lanTimeS: lanT,
          lanConverged: lan.lanConvergence.converged,
          speedupOverBsp: ratio(bsp, gaia),
          speedupOverSsp: ratio(find("ssp"), gaia),
          speedupNoHubsOverBsp: ratio(bsp, noHubs),
          speedupOverBspP90: ratio(bsp, gaia, "p90"),
          speedupOverBspP99: ratio(bsp, gaia, "p99"),
          gaiaOverLan: overLan(gaia, lan),
          gaiaNoHubsOverLan: overLan(noHubs, lan),
          wanBytesReductionVsBsp: bsp && gaia.wanBytes > 0 ? bsp.wanBytes / gaia.wanBytes : null,
          costReductionVsBsp: bsp && gaia.costUsd > 0 ? bsp.costUsd / gaia.costUsd : null,
          objectiveGapFinal: gap(gaia, gaia.finalObjective, lan.targets.converged),
        });
      }
    }
  }
  return out;
}

const x = (r: Ratio): string => (r.value === null ? "not reached" : `${r.lowerBound ? ">= " : ""}${r.value.toFixed(2)}x`);
const xn = (v: number | null): string => (v === null ? "n/a" : `${v.toFixed(2)}x`);
const pct = (v: number | null): string => (v === null ? "n/a" : `${v >= 0 ? "+" : ""}${(v * 100).toFixed(2)}%`);

/** The paper's numbers (shared/reference/gaia-results.md), shown beside ours. */
export const paperNumbers = {
  speedupOverBaselines: "1.8x - 53.5x",
  gaiaOverLan: "0.94x - 1.40x",
  costReduction: "2.6x - 59.0x (unverified)",
  wanBytesReduction: "not stated as a range; >95% of updates are insignificant at 1%",
  objective: "same convergence target",
};

export function comparisonTable(comparisons: readonly Comparison[]): string {
  const lines = [
    "| workload | topology | partition | Gaia vs BSP | Gaia vs SSP (cache) | no-hubs vs BSP | vs BSP at 90% / 99% | Gaia / LAN | no-hubs / LAN | WAN bytes BSP / Gaia | cost BSP / Gaia | final objective gap |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const c of comparisons) {
    lines.push(
      `| ${c.workload} | ${c.topology} | ${c.partition} | ${x(c.speedupOverBsp)} | ${x(c.speedupOverSsp)} | ${x(c.speedupNoHubsOverBsp)} | ${x(c.speedupOverBspP90)} / ${x(c.speedupOverBspP99)} | ${xn(c.gaiaOverLan)} | ${xn(c.gaiaNoHubsOverLan)} | ${xn(c.wanBytesReductionVsBsp)} | ${xn(c.costReductionVsBsp)} | ${pct(c.objectiveGapFinal)} |`,
    );
  }
  lines.push(`| **paper** | 11 EC2 regions + emulation | iid | ${paperNumbers.speedupOverBaselines} | ${paperNumbers.speedupOverBaselines} | | | ${paperNumbers.gaiaOverLan} | | ${paperNumbers.wanBytesReduction} | ${paperNumbers.costReduction} | ${paperNumbers.objective} |`);
  return lines.join("\n");
}

/** "12 ms / 61 ms = 0.20 (10% of a worker's data)": a step's compute against the slowest mirror path. */
const clockText = (c: ClockFigures | undefined): string =>
  c === undefined ? "-" : `${c.computeMs.toPrecision(3)} ms / ${c.slowestPathMs === 0 ? "LAN" : `${c.slowestPathMs.toFixed(0)} ms = ${c.computeOverLatency!.toPrecision(2)}`} (${(100 * c.dataShare).toPrecision(2)}% of a worker's data)`;

export function rowsTable(rows: readonly PaperRow[]): string {
  const lines = [
    "| workload | topology | partition | sync | to converged | to 90% | to 99% | WAN bytes | cost (USD) | blocked (worker-s) | final objective | target | iterations | stopped by | compute / latency a clock | checks |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    const bad = Object.entries(r.checks).filter(([, v]) => v !== null).map(([k]) => k);
    lines.push(
      `| ${r.workload} | ${r.topology} | ${r.partition} | ${r.sync} | ${fmtS(r.timeTo.converged)} | ${fmtS(r.timeTo.p90)} | ${fmtS(r.timeTo.p99)} | ${(r.wanBytes / 1e6).toFixed(1)} MB | ${r.costUsd.toFixed(4)} | ${r.blockedS.toFixed(1)} | ${r.finalObjective.toPrecision(5)} | ${r.targets.converged.toPrecision(5)} | ${r.iterations} | ${r.stoppedBy} | ${clockText(r.clock)} | ${bad.length === 0 ? `${Object.keys(r.checks).length} held` : `**violated: ${bad.join(", ")}**`} |`,
    );
  }
  return lines.join("\n");
}

export interface TargetsVerdict {
  readonly text: string;
  readonly met: boolean;
}

/**
 * The issue's "done when" (IID rows): on ec2-11, Gaia >= 2x over BSP and over SSP with the cache,
 * and within 1.25x of LAN; on singapore-sao-paulo, >= 10x over BSP.
 */
export function verdicts(comparisons: readonly Comparison[]): TargetsVerdict[] {
  const out: TargetsVerdict[] = [];
  for (const c of comparisons.filter((c) => c.partition === "iid")) {
    if (c.topology === "ec2-11") {
      out.push({ met: (c.speedupOverBsp.value ?? 0) >= 2, text: `${c.workload} ec2-11: Gaia vs BSP = ${x(c.speedupOverBsp)} (target >= 2x)` });
      out.push({ met: (c.speedupOverSsp.value ?? 0) >= 2, text: `${c.workload} ec2-11: Gaia vs SSP with cache = ${x(c.speedupOverSsp)} (target >= 2x)` });
      out.push({ met: c.gaiaOverLan !== null && c.gaiaOverLan <= 1.25, text: `${c.workload} ec2-11: Gaia / LAN = ${xn(c.gaiaOverLan)} (target <= 1.25x)` });
    }
    if (c.topology === "singapore-sao-paulo") out.push({ met: (c.speedupOverBsp.value ?? 0) >= 10, text: `${c.workload} singapore-sao-paulo: Gaia vs BSP = ${x(c.speedupOverBsp)} (target >= 10x)` });
    if (!c.lanConverged) out.push({ met: false, text: `${c.workload} ${c.topology}: LAN did not converge (0.5% over the last 20%) within its iteration cap; its last objective is the target` });
  }
  return out;
}

interface CaseOutcome {
  readonly rows: PaperRow[];
}

/** A saved results file of `dir`, or null when it is not there. */
function readSaved(dir: string, name: string): string | null {
  try {
    return readFileSync(join(dir, name), "utf8");
  } catch {
    return null;
  }
}

/** The rows a rows file holds (none when it does not exist; a file that is not rows stops the run). */
function savedRows(file: string): PaperRow[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  try {
    const rows = JSON.parse(text) as unknown;
    if (!Array.isArray(rows)) throw new Error("not a list of rows");
    return rows as PaperRow[];
  } catch (error) {
    fail(`${file}: ${(error as Error).message} (move it away, or run without --resume)`);
  }
}

/** The key a row is known by across rows files: its case, mode, DS and connections. */
const rowKey = (r: PaperRow): string => [r.workload, r.topology, r.partition, r.size, r.computeFactor, r.sync, gaiaMode(r.sync) ? (r.mirrorClockBound ?? defaultKnobs.mirrorClockBound) : "-", r.connectionOrder ?? "shared"].join("|");

/** paper.json and every shard's rows file in `dir`, each row once (a shard's row replaces paper.json's). */
function mergedRows(dir: string): PaperRow[] {
  const shards = readdirSync(dir).filter((name) => /^paper-shard-\d+-of-\d+\.json$/.test(name)).sort();
  const byKey = new Map<string, PaperRow>();
  for (const name of ["paper.json", ...shards]) for (const row of savedRows(join(dir, name))) byKey.set(rowKey(row), row);
  return [...byKey.values()];
}

const reusableRows = new Map<string, PaperRow[]>();
/** The saved rows of --reuse in `dir` (read once): the main runs' and the sweep's. */
function reusable(dir: string): PaperRow[] {
  const known = reusableRows.get(dir);
  if (known !== undefined) return known;
  const read = (name: string): string | null => readSaved(dir, name);
  const main = read("paper.json");
  const sweepText = read("paper-sweep.json");
  if (main === null && sweepText === null) fail(`--reuse: neither paper.json nor paper-sweep.json in ${dir}`);
  const rows = [...(main === null ? [] : (JSON.parse(main) as PaperRow[])), ...(sweepText === null ? [] : (JSON.parse(sweepText) as { rows: PaperRow[] }).rows)];
  reusableRows.set(dir, rows);
  return rows;
}

/**
 * The saved row of one case and mode (same workload, topology, partition, size and compute
 * factor), or why it cannot be reused.
 */
function savedCaseRow(options: Options, size: Size, workload: WorkloadName, topology: TopologyName, partition: Partition, regime: Regime, mode: Mode): PaperRow | string {
  const factor = regimeFactor(regime);
  const ds = defaultKnobs.mirrorClockBound;
  const atDs = (r: PaperRow): boolean => !gaiaMode(mode) || (r.mirrorClockBound ?? ds) === ds;
  const row = reusable(options.reuse!).find((r) => r.workload === workload && r.topology === topology && r.partition === partition && r.size === size && r.computeFactor === factor && r.sync === mode && atDs(r));
  if (row === undefined) return `--reuse: no saved ${mode} row for ${workload} ${topology} ${partition} ${size} at ${factor}x in ${options.reuse}`;
  const lanIterations = options.lanIterations ?? setupsOf(size)[workload].lanIterations;
  if (mode === "lan" && row.iterations > lanIterations) return `--reuse: the saved LAN row of ${workload} ${topology} ran ${row.iterations} iterations, above this run's cap ${lanIterations}`;
  return row;
}

/**
 * Before anything runs: every case the run asks for must have its reused modes saved, or the run
 * stops at once with the whole list (instead of after the cases before the first gap).
 */
function checkReuse(options: Options): void {
  if (options.reuse === null || options.renderFrom !== null) return;
  const problems: string[] = [];
  const check = (workload: WorkloadName, topology: TopologyName, partition: Partition, regime: Regime, modes: readonly Mode[]): void => {
    for (const mode of new Set<Mode>(["lan", ...modes])) {
      if (!options.reuseModes.includes(mode)) continue;
      const found = savedCaseRow(options, options.size, workload, topology, partition, regime, mode);
      if (typeof found === "string") problems.push(found.replace(/^--reuse: /, ""));
    }
  };
  if (options.main) for (const w of options.workloads) for (const t of options.topologies) for (const p of options.partitions) check(w, t, p, options.regime, options.modes);
  if (options.sweep !== null) for (const w of options.workloads) for (const f of options.sweep) check(w, options.topologies[0]!, "iid", f, options.sweepModes);
  if (options.dsSweep !== null) for (const w of options.workloads) for (const t of options.topologies) check(w, t, "iid", options.regime, dsModes(options).filter((m) => m !== "asp" || options.dsSweep!.includes(defaultKnobs.mirrorClockBound)));
  if (problems.length === 0) return;
  const shown = problems.slice(0, 12).map((p) => `  ${p}`);
  if (problems.length > 12) shown.push(`  ... and ${problems.length - 12} more`);
  fail(`--reuse: ${problems.length} of the rows this run would reuse are not saved (narrow it with --only, --topology or --partition):\n${shown.join("\n")}`);
}

/** Gaia's modes: the ones whose rows depend on Gaia's knobs (DS). */
const gaiaMode = (mode: Mode): boolean => mode === "asp" || mode === "asp-nohubs";

/** The modes of each DS point: LAN (the target), BSP, and SSP unless --modes leaves it out, then Gaia. */
const dsModes = (options: Options): Mode[] => ["lan", "bsp", ...(options.modes.includes("ssp") ? (["ssp"] as const) : []), "asp"];

/** Runs LAN, finds its convergence, then every other mode of the list to its target. */
async function runCaseSet(
  options: Options,
  size: Size,
  workload: WorkloadName,
  topology: TopologyName,
  partition: Partition,
  regime: Regime,
  caseModes: readonly Mode[],
  progress: (line: string) => void,
  knobs: GaiaKnobs = defaultKnobs,
  persist: (row: PaperRow) => void = () => undefined,
  resumed: readonly PaperRow[] = [],
): Promise<CaseOutcome> {
  const setup = options.lanIterations === null ? setupsOf(size)[workload] : { ...setupsOf(size)[workload], lanIterations: options.lanIterations };
  const base = { workload, topology, setup, knobs, seed: options.seed, regime, skew: partition === "skewed" ? skew : null, ...(options.connectionOrder === "fifo" ? { connectionOrder: "fifo" as const } : {}) } as const;
  const rows: PaperRow[] = [];
  const keep = (row: PaperRow): void => {
    rows.push(row);
    persist(row);
  };
  const lanCase: CaseSpec = { ...base, mode: "lan", target: null, maxVirtualTimeS: null, maxIterations: setup.lanIterations };
  // --resume: a row the rows file holds already (same case, mode, DS and connections) is not run again.
  const factor = regimeFactor(regime);
  const resumedRow = (mode: Mode): PaperRow | null =>
    resumed.find(
      (r) =>
        r.workload === workload &&
        r.topology === topology &&
        r.partition === partition &&
        r.size === size &&
        r.computeFactor === factor &&
        r.sync === mode &&
        (!gaiaMode(mode) || (r.mirrorClockBound ?? defaultKnobs.mirrorClockBound) === knobs.mirrorClockBound) &&
        (r.connectionOrder ?? "shared") === options.connectionOrder,
    ) ?? null;
  // Gaia's saved rows ran at the default knobs; the other modes do not read them.
  const savedRow = (mode: Mode): PaperRow | null => {
    if (!options.reuseModes.includes(mode)) return null;
    if (gaiaMode(mode) && knobs.mirrorClockBound !== defaultKnobs.mirrorClockBound) return null;
    const found = savedCaseRow(options, size, workload, topology, partition, regime, mode);
    if (typeof found === "string") fail(found);
    return found;
  };
  let lanRow = resumedRow("lan");
  let convergence: Convergence;
  if (lanRow !== null) {
    convergence = lanRow.lanConvergence;
    progress(describe(lanRow) + `  (resumed) converged at it ${convergence.iteration}`);
  } else if ((lanRow = savedRow("lan")) !== null) {
    convergence = lanRow.lanConvergence;
    progress(describe(lanRow) + `  (saved) converged at it ${convergence.iteration}`);
    persist(lanRow);
  } else {
    const lan = await runCase(lanCase, sampleMemory);
    convergence = convergenceOf(lan.result.series, lan.direction);
    lanRow = paperRow(lanCase, lan, convergence, partition, size);
    progress(describe(lanRow) + `  converged at it ${convergence.iteration}${convergence.converged ? "" : " (NOT converged: cap)"}`);
    persist(lanRow);
  }
  rows.push(lanRow);
  const capS = capFactor * Math.max(convergence.virtualTimeS, 1e-3);
  let hubsRow: PaperRow | null = null;
  for (const mode of caseModes) {
    if (mode === "lan") continue;
    const done = resumedRow(mode);
    if (done !== null) {
      rows.push(done);
      if (mode === "asp") hubsRow = done;
      progress(describe(done) + "  (resumed)");
      continue;
    }
    const saved = savedRow(mode);
    if (saved !== null) {
      keep(saved);
      if (mode === "asp") hubsRow = saved;
      progress(describe(saved) + "  (saved)");
      continue;
    }
    // Hubs auto gives no hubs for two data centers: the no-hubs run would repeat the hubs run.
    if (mode === "asp-nohubs" && hubsRow !== null && topology !== "ec2-11") {
      const row: PaperRow = { ...hubsRow, sync: "asp-nohubs" };
      keep(row);
      progress(describe(row) + "  (same run as asp: two regions have no hubs)");
      continue;
    }
    const c: CaseSpec = { ...base, mode, target: convergence.objective, maxVirtualTimeS: capS, maxIterations: iterationCapFactor * convergence.iteration };
    const result = await runCase(c, sampleMemory);
    const row = paperRow(c, result, convergence, partition, size);
    keep(row);
    if (mode === "asp") hubsRow = row;
    progress(describe(row));
  }
  return { rows };
}

const describe = (row: PaperRow): string =>
  `${row.workload} ${row.topology} ${row.partition} ${regimeShort(row.computeFactor)} ${row.sync.padEnd(10)} ${fmtS(row.timeTo.converged).padStart(12)}  obj ${row.finalObjective.toPrecision(5)}  WAN ${(row.wanBytes / 1e6).toFixed(0)} MB  it ${row.iterations}  wall ${row.wallS.toFixed(1)} s${row.checksHeld ? "" : "  CHECK VIOLATED"}`;
const regimeShort = (factor: number): string => `${factor}x`;

/** One point of the compute-regime sweep. */
export interface SweepPoint {
  readonly workload: WorkloadName;
  readonly topology: TopologyName;
  readonly factor: number;
  readonly lanS: number | null;
  readonly bspS: number | null;
  readonly aspS: number | null;
  readonly speedupOverBsp: Ratio;
  readonly gaiaOverLan: number | null;
  readonly checksHeld: boolean;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  checkReuse(options);
  mkdirSync(options.outDir, { recursive: true });
  const sampler = setInterval(sampleMemory, 50);
  const started = performance.now();
  const rows: PaperRow[] = [];
  const sweepRows: PaperRow[] = [];
  const sweep: SweepPoint[] = [];
  const caseCount = options.main ? options.workloads.length * options.topologies.length * options.partitions.length : 0;
  const sweepCount = options.sweep === null ? 0 : options.workloads.length * options.sweep.length;
  let done = 0;
  const progress = (label: string) => (line: string): void => {
    const elapsed = (performance.now() - started) / 1000;
    console.log(`[${label}] ${line}  (total ${elapsed.toFixed(0)} s)`);
  };

  if (options.renderFrom !== null) {
    // Saved results (e.g. a run cut short on a shared machine): render them as they are.
    const dir = options.renderFrom;
    const read = (name: string): string | null => readSaved(dir, name);
    if (options.main) rows.push(...mergedRows(dir));
    const savedSweep = read("paper-sweep.json");
    if (savedSweep !== null && options.sweep !== null) {
      const parsed = JSON.parse(savedSweep) as { points: SweepPoint[]; rows: PaperRow[] };
      sweep.push(...parsed.points);
      sweepRows.push(...parsed.rows);
    }
    options.partitions = [...new Set(rows.map((r) => r.partition))];
    options.workloads = workloadNames.filter((w) => rows.some((r) => r.workload === w) || sweep.some((p) => p.workload === w));
    options.topologies = topologyNames.filter((t) => rows.some((r) => r.topology === t));
  } else if (options.main) {
    const rowsFile = join(options.outDir, rowsFileOf(options));
    const resumed = options.resume ? savedRows(rowsFile) : [];
    if (options.resume) console.log(`--resume: ${resumed.length} row(s) in ${rowsFile}`);
    // Every row goes to the rows file as soon as its run ends; rows of cases this run does not
    // ask for (another --only, say) stay in it.
    const written: PaperRow[] = [...resumed];
    const persist = (row: PaperRow): void => {
      if (!written.includes(row)) written.push(row);
      writeFileSync(rowsFile, JSON.stringify(written, null, 2) + "\n");
    };
    let index = 0;
    for (const workload of options.workloads) {
      for (const topology of options.topologies) {
        for (const partition of options.partitions) {
          const mine = options.shard === null || index % options.shard.count === options.shard.index - 1;
          index++;
          if (!mine) continue;
          done++;
          const label = options.shard === null ? `case ${done}/${caseCount}` : `shard ${options.shard.index}/${options.shard.count} case ${done}/${Math.ceil((caseCount - options.shard.index + 1) / options.shard.count)}`;
          const outcome = await runCaseSet(options, options.size, workload, topology, partition, options.regime, options.modes, progress(label), defaultKnobs, persist, resumed);
          rows.push(...outcome.rows);
        }
      }
    }
    if (options.shard !== null) {
      clearInterval(sampler);
      const violatedRows = rows.filter((r) => !r.checksHeld).length;
      console.log(`shard ${options.shard.index}/${options.shard.count}: ${rows.length} row(s) in ${rowsFile}${violatedRows > 0 ? `, ${violatedRows} with a violated checker` : ""}; when every shard has run: npm run bench:paper -- --render-from ${options.outDir} --size ${options.size}`);
      process.exit(violatedRows > 0 ? 1 : 0);
    }
  }
  if (options.sweep !== null && options.renderFrom === null) {
    const topology = options.topologies[0]!;
    let k = 0;
    for (const workload of options.workloads) {
      for (const factor of options.sweep) {
        k++;
        const outcome = await runCaseSet(options, options.size, workload, topology, "iid", factor, options.sweepModes, progress(`sweep ${k}/${sweepCount}`));
        sweepRows.push(...outcome.rows);
        const find = (m: Mode): PaperRow | undefined => outcome.rows.find((r) => r.sync === m);
        const lan = find("lan")!;
        const bsp = find("bsp");
        const asp = find("asp") ?? find("asp-nohubs");
        sweep.push({
          workload,
          topology,
          factor,
          lanS: lan.timeTo.converged,
          bspS: bsp?.timeTo.converged ?? null,
          aspS: asp?.timeTo.converged ?? null,
          speedupOverBsp: ratio(bsp, asp),
          gaiaOverLan: overLan(asp, lan),
          checksHeld: outcome.rows.every((r) => r.checksHeld),
        });
        writeFileSync(join(options.outDir, "paper-sweep.json"), JSON.stringify({ points: sweep, rows: sweepRows }, null, 2) + "\n");
      }
    }
  }
  const dsPoints: DsPoint[] = [];
  const dsRows: PaperRow[] = [];
  if (options.dsSweep !== null && options.renderFrom === null) {
    const count = options.workloads.length * options.topologies.length * options.dsSweep.length;
    let k = 0;
    for (const workload of options.workloads) {
      for (const topology of options.topologies) {
        for (const ds of options.dsSweep) {
          k++;
          const knobs: GaiaKnobs = { ...defaultKnobs, mirrorClockBound: ds };
          const outcome = await runCaseSet(options, options.size, workload, topology, "iid", options.regime, dsModes(options), progress(`ds ${k}/${count}`), knobs);
          const find = (m: Mode): PaperRow | undefined => outcome.rows.find((r) => r.sync === m);
          const asp = find("asp")!;
          const ssp = find("ssp");
          // The summary's own model, for saved rows too (they carry no summary): the scenario's path.
          const scenario = buildScenario({ workload, topology, mode: "asp", setup: setupsOf(options.size)[workload], knobs, target: null, maxVirtualTimeS: null, maxIterations: 1, seed: options.seed, regime: options.regime });
          const model = mirrorClockSummary(scenario, asp.virtualTimeS, asp.iterations)!;
          dsRows.push({ ...asp, mirrorClockBound: ds });
          dsPoints.push({
            workload,
            topology,
            ds,
            aspS: asp.timeTo.converged,
            iterations: asp.iterations,
            wanBytes: asp.wanBytes,
            blockedS: asp.blockedByReasonS,
            speedupOverBsp: ratio(find("bsp"), asp),
            speedupOverSsp: ssp === undefined ? null : ratio(ssp, asp),
            gaiaOverLan: overLan(asp, find("lan")!),
            finalObjective: asp.finalObjective,
            target: asp.targets.converged,
            stoppedBy: asp.stoppedBy,
            clockMs: model.clockMs!,
            latencyModelClockMs: model.modelClockMs,
            checksHeld: asp.checksHeld,
          });
          writeFileSync(join(options.outDir, "paper-ds.json"), JSON.stringify({ points: dsPoints, rows: dsRows }, null, 2) + "\n");
        }
      }
    }
  } else if (options.dsSweep !== null) {
    const saved = readSaved(options.renderFrom!, "paper-ds.json");
    if (saved !== null) {
      const parsed = JSON.parse(saved) as { points: DsPoint[]; rows: PaperRow[] };
      dsPoints.push(...parsed.points);
      dsRows.push(...parsed.rows);
    }
  }
  clearInterval(sampler);
  sampleMemory();

  const comparisons = compare(rows);
  // Rendered from saved rows: the runs' own simulation wall times, summed.
  const wallS = options.renderFrom !== null ? [...rows, ...sweepRows].reduce((n, r) => n + r.wallS, 0) : (performance.now() - started) / 1000;
  if (options.main) writeFileSync(join(options.outDir, "paper.json"), JSON.stringify(rows, null, 2) + "\n");
  writeFileSync(
    join(options.outDir, "paper-table.json"),
    JSON.stringify({ size: options.size, regime: regimeName(options.regime), capFactor, iterationCapFactor, skew, seed: options.seed, paper: paperNumbers, comparisons, verdicts: verdicts(comparisons), sweep, peakRssBytes, benchWallS: wallS }, null, 2) + "\n",
  );
  const charts = options.main ? await writeCharts(options.outDir, rows, comparisons) : [];
  const sweepCharts = sweep.length > 0 ? await writeSweepCharts(options.outDir, sweep) : [];
  const tables = options.main ? renderResults(rows, comparisons, options, wallS, charts) : "";
  const sweepText = sweep.length > 0 ? renderSweep(sweep, options, sweepCharts) : "";
  const dsText = dsPoints.length > 0 ? renderDs(dsPoints, options) : "";
  writeFileSync(join(options.outDir, "paper-table.md"), [tables, sweepText, dsText].filter((t) => t !== "").join("\n\n") + "\n");
  if (options.docs) {
    const path = join(root, "docs/results.md");
    let doc = "";
    try {
      doc = readFileSync(path, "utf8");
    } catch {
      doc = "# Results\n";
    }
    if (options.main) doc = replaceBlock(doc, "paper", tables);
    if (sweep.length > 0) doc = replaceBlock(doc, "crossover", sweepText);
    if (dsPoints.length > 0) doc = replaceBlock(doc, "ds", dsText);
    writeFileSync(path, doc);
    console.log(`updated ${path}`);
  }
  console.log("");
  if (options.main) console.log(comparisonTable(comparisons));
  for (const v of verdicts(comparisons)) console.log(`${v.met ? "MET     " : "NOT MET "} ${v.text}`);
  console.log(`peak RSS ${(peakRssBytes / 2 ** 20).toFixed(0)} MB; wrote ${options.outDir} (${rows.length} rows, ${sweep.length} sweep points) in ${wallS.toFixed(0)} s`);
  const violated = [...rows, ...sweepRows, ...dsRows].filter((r) => !r.checksHeld);
  if (violated.length > 0) {
    for (const r of violated) console.error(`bench:paper: checker violated in ${r.workload} ${r.topology} ${r.partition} ${r.sync} (${r.computeFactor}x): ${JSON.stringify(Object.fromEntries(Object.entries(r.checks).filter(([, v]) => v !== null)))}`);
    process.exit(1);
  }
}

const topologyLabel = (t: TopologyName): string => (t === "ec2-11" ? "ec2-11" : t === "virginia-california" ? "V-C" : "SG-SP");

async function writeCharts(outDir: string, rows: readonly PaperRow[], comparisons: readonly Comparison[]): Promise<string[]> {
  const files: string[] = [];
  const write = (name: string, svg: string): void => {
    writeFileSync(join(outDir, name), svg);
    files.push(name);
  };
  const label = (c: Comparison): string => `${c.workload} ${topologyLabel(c.topology)}${c.partition === "skewed" ? " skew" : ""}`;
  // Objective against time, one chart per workload and topology (IID), every mode on it.
  for (const w of workloadNames) {
    for (const t of topologyNames) {
      const cases = rows.filter((r) => r.workload === w && r.topology === t && r.partition === "iid" && !(r.sync === "asp-nohubs" && t !== "ec2-11"));
      if (cases.length === 0) continue;
      const lan = cases.find((r) => r.sync === "lan")!;
      write(
        `paper-objective-${w}-${t}.svg`,
        await objectiveChart({
          title: `${w} on ${t}: ${lan.objectiveName} against virtual time`,
          xLabel: "virtual time (s)",
          yLabel: lan.objectiveName,
          series: cases.map((r) => ({ name: r.sync === "asp" ? "Gaia (hubs)" : r.sync === "asp-nohubs" ? "Gaia (no hubs)" : r.sync === "ssp" ? "SSP (cache)" : r.sync.toUpperCase(), points: r.series.map((p) => ({ x: p.t, y: p.obj })) })),
          references: [{ y: lan.targets.converged, label: "LAN converged" }],
        }),
      );
    }
  }
  write(
    "paper-speedup.svg",
    await barChart({
      title: "Gaia's speedup over the Baseline (time to LAN's converged objective)",
      yLabel: "speedup (x)",
      series: ["vs BSP", "vs SSP (cache)", "no hubs vs BSP"],
      groups: comparisons.map((c) => ({ label: label(c), values: [c.speedupOverBsp.value, c.speedupOverSsp.value, c.speedupNoHubsOverBsp.value] })),
      references: [
        { value: 2, label: "target 2x" },
        { value: 1, label: "1x" },
      ],
    }),
  );
  write(
    "paper-lan-ratio.svg",
    await barChart({
      title: "Gaia's time to target as a ratio of LAN's",
      yLabel: "Gaia time / LAN time",
      series: ["hubs auto", "no hubs"],
      groups: comparisons.map((c) => ({ label: label(c), values: [c.gaiaOverLan, c.gaiaNoHubsOverLan] })),
      references: [
        { value: 1.4, label: "paper's upper bound 1.40x" },
        { value: 1.25, label: "target 1.25x" },
      ],
    }),
  );
  const groups = [...new Set(rows.map((r) => `${r.workload}|${r.topology}|${r.partition}`))];
  write(
    "paper-wan.svg",
    await logBarChart({
      title: "WAN bytes per run (log scale)",
      yLabel: "bytes",
      series: ["BSP", "SSP (cache)", "Gaia (hubs)", "Gaia (no hubs)"],
      groups: groups.map((g) => {
        const [w, t, p] = g.split("|") as [WorkloadName, TopologyName, Partition];
        const find = (m: Mode): number | null => rows.find((r) => r.workload === w && r.topology === t && r.partition === p && r.sync === m)?.wanBytes ?? null;
        return { label: `${w} ${topologyLabel(t)}${p === "skewed" ? " skew" : ""}`, values: [find("bsp"), find("ssp"), find("asp"), find("asp-nohubs")] };
      }),
    }),
  );
  return files;
}

async function writeSweepCharts(outDir: string, sweep: readonly SweepPoint[]): Promise<string[]> {
  const byWorkload = workloadNames.filter((w) => sweep.some((p) => p.workload === w));
  writeFileSync(
    join(outDir, "paper-crossover.svg"),
    await crossoverChart({
      title: `Gaia's speedup over Baseline-BSP against the compute regime (${sweep[0]!.topology})`,
      xLabel: "compute cost factor (x the calibrated CPU cost; log)",
      yLabel: "BSP time / Gaia time (log)",
      series: byWorkload.map((w) => ({ name: w, points: sweep.filter((p) => p.workload === w && p.speedupOverBsp.value !== null).map((p) => ({ x: p.factor, y: p.speedupOverBsp.value! })) })),
      references: [
        { y: 1, label: "1x: Gaia no faster" },
        { y: 2, label: "2x" },
      ],
    }),
  );
  writeFileSync(
    join(outDir, "paper-crossover-lan.svg"),
    await crossoverChart({
      title: `Gaia's time to target / LAN's against the compute regime (${sweep[0]!.topology})`,
      xLabel: "compute cost factor (x the calibrated CPU cost; log)",
      yLabel: "Gaia time / LAN time (log)",
      series: byWorkload.map((w) => ({ name: w, points: sweep.filter((p) => p.workload === w && p.gaiaOverLan !== null).map((p) => ({ x: p.factor, y: p.gaiaOverLan! })) })),
      references: [
        { y: 1.25, label: "1.25x" },
        { y: 1, label: "LAN" },
      ],
    }),
  );
  return ["paper-crossover.svg", "paper-crossover-lan.svg"];
}

/** One point of the mirror-clock sweep: Gaia at one DS against the case's LAN, BSP and SSP. */
export interface DsPoint {
  readonly workload: WorkloadName;
  readonly topology: TopologyName;
  readonly ds: number;
  readonly aspS: number | null;
  readonly iterations: number;
  readonly wanBytes: number;
  readonly blockedS: { readonly ssp: number; readonly mirrorClock: number; readonly barrier: number };
  readonly speedupOverBsp: Ratio;
  /** null: the sweep had no SSP row (--modes without ssp). */
  readonly speedupOverSsp: Ratio | null;
  readonly gaiaOverLan: number | null;
  readonly finalObjective: number;
  readonly target: number;
  readonly stoppedBy: string;
  /** Virtual ms per clock over the whole run, and the mirror clock's latency model (mirrorPathLatencyMs / (DS + 1)). */
  readonly clockMs: number;
  readonly latencyModelClockMs: number;
  readonly checksHeld: boolean;
}

function renderDs(points: readonly DsPoint[], options: Options): string {
  const lines: string[] = [];
  lines.push(`_Generated by \`npm run bench:paper -- --ds-sweep ${[...new Set(points.map((p) => p.ds))].join(",")}\` (size ${options.size}, compute regime ${regimeName(options.regime)}, seed ${options.seed}, IID, Gaia with hubs auto; LAN's converged target and the BSP and SSP rows are the main runs'). Raw: [bench/results/paper-ds.json](../bench/results/paper-ds.json)._`);
  lines.push("");
  lines.push("| workload | topology | DS | Gaia to converged | iterations | stopped by | final objective (target) | clock: measured / latency model | WAN bytes | blocked: mirror clock / barrier (worker-s) | Gaia vs BSP | Gaia vs SSP (cache) | Gaia / LAN | checks |");
  lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const p of points) lines.push(`| ${p.workload} | ${p.topology} | ${p.ds}${p.ds === defaultKnobs.mirrorClockBound ? " (main runs)" : ""} | ${fmtS(p.aspS)} | ${p.iterations} | ${p.stoppedBy} | ${p.finalObjective.toPrecision(4)} (${p.target.toPrecision(4)}) | ${p.clockMs.toFixed(0)} / ${p.latencyModelClockMs.toFixed(0)} ms | ${(p.wanBytes / 1e6).toFixed(1)} MB | ${p.blockedS.mirrorClock.toFixed(0)} / ${p.blockedS.barrier.toFixed(0)} | ${x(p.speedupOverBsp)} | ${p.speedupOverSsp === null ? "-" : x(p.speedupOverSsp)} | ${xn(p.gaiaOverLan)} | ${p.checksHeld ? "held" : "**violated**"} |`);
  return lines.join("\n");
}

function renderSweep(sweep: readonly SweepPoint[], options: Options, charts: readonly string[]): string {
  const lines: string[] = [];
  lines.push(`_Generated by \`npm run bench:paper -- --sweep\` (size ${options.size}, seed ${options.seed}, topology ${sweep[0]!.topology}, IID; ${options.sweepModes.join(", ")} at each factor${options.lanIterations !== null ? `; LAN capped at ${options.lanIterations} iterations` : ""}). Raw: [bench/results/paper-sweep.json](../bench/results/paper-sweep.json)._`);
  lines.push("");
  lines.push("| workload | factor | LAN to converged | BSP | Gaia | Gaia vs BSP | Gaia / LAN | checks |");
  lines.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const p of sweep) lines.push(`| ${p.workload} | ${p.factor}x | ${fmtS(p.lanS)} | ${fmtS(p.bspS)} | ${fmtS(p.aspS)} | ${x(p.speedupOverBsp)} | ${xn(p.gaiaOverLan)} | ${p.checksHeld ? "held" : "**violated**"} |`);
  lines.push("");
  for (const chart of charts) lines.push(`![${chart}](../bench/results/${chart})`);
  return lines.join("\n");
}

function renderResults(rows: readonly PaperRow[], comparisons: readonly Comparison[], options: Options, wallS: number, charts: readonly string[]): string {
  const lines: string[] = [];
  lines.push(
    `_Generated by \`npm run bench:paper\` (size ${options.size}, compute regime ${regimeName(options.regime)}, seed ${options.seed}, partitions ${options.partitions.join(" and ")}${options.partitions.includes("skewed") ? ` (skew ${skew})` : ""}, ${rows.length} runs, ${(wallS / 60).toFixed(1)} min wall, ${options.renderFrom !== null ? "rendered from the saved rows" : `peak RSS ${(peakRssBytes / 2 ** 20).toFixed(0)} MB`}). Raw rows: [bench/results/paper.json](../bench/results/paper.json)._`,
  );
  lines.push("");
  lines.push("### Gaia against the Baseline and LAN, beside the paper");
  lines.push("");
  lines.push(comparisonTable(comparisons));
  lines.push("");
  lines.push(
    "Ratios are of virtual times to LAN's converged objective (LAN's first evaluation where it improved by less than 0.5% over the last 20% of its iterations); the 90% / 99% columns use the looser targets 90% and 99% of the way from LAN's first evaluation to that objective. `>= Nx` means the Baseline did not reach the target before its cap (1000x LAN's time, 4x its iterations), so the ratio is a lower bound. Objective gap: how much worse (positive) Gaia's final objective is than the target.",
  );
  lines.push("");
  lines.push("### The issue's targets");
  lines.push("");
  for (const v of verdicts(comparisons)) lines.push(`- ${v.met ? "met" : "**not met**"}: ${v.text}`);
  lines.push("");
  for (const chart of charts) lines.push(`![${chart}](../bench/results/${chart})`);
  lines.push("");
  lines.push("### Every run");
  lines.push("");
  lines.push(rowsTable(rows));
  lines.push("");
  const setups = setupsOf(options.size);
  lines.push(
    `Setups (workload spec, base msPerSample (null: calibrated), LAN iteration cap, evaluation interval): ${options.workloads.map((w) => `\`${w}\`: ${JSON.stringify(setups[w])}`).join("; ")}. Per-sample cost charged: ${[...new Set(rows.filter((r) => r.sync === "lan").map((r) => `${r.workload} ${r.msPerSample.toPrecision(3)} ms`))].join(", ")}. Machines per data center: ${options.topologies.map((t) => `${t} ${machinesPerDataCenter(t)}`).join(", ")}.`,
  );
  return lines.join("\n");
}

await main();
