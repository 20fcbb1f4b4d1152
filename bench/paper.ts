/**
 * Reproduces the Gaia paper's headline comparison in the simulator (not a test):
 *
 *   npm run bench:paper [-- --quick] [-- --only mf,lda] [-- --topology ec2-11] [-- --out-dir DIR] [-- --no-docs] [-- --charts-only]
 *
 * For every workload and topology it first runs LAN (all 22 machines in one data center) for a
 * fixed number of iterations; LAN's final objective, relaxed by `tolerance` (1%) of its magnitude,
 * is the convergence target. Then Baseline-BSP, Baseline-SSP and Gaia (ASP with hubs auto and
 * none) run to that target, capped at 10x LAN's virtual time and 4x its iterations. Every run
 * records time to target, WAN bytes, egress cost, time blocked and the final objective.
 *
 * Writes <out-dir>/paper.json (rows), paper-table.json and paper-table.md (comparisons with the
 * paper's numbers), paper-*.svg, and the generated blocks of docs/results.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { barChart } from "./lib/svg.js";
import {
  defaultKnobs,
  fullSetups,
  machinesPerDataCenter,
  modes,
  quickSetups,
  replaceBlock,
  runCase,
  targetFrom,
  toRow,
  topologyNames,
  workloadNames,
  type CaseSpec,
  type Mode,
  type Row,
  type TopologyName,
  type WorkloadName,
} from "./lib/runs.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const tolerance = 0.01;
const capFactor = 10;
const iterationCapFactor = 4;

interface Options {
  quick: boolean;
  workloads: WorkloadName[];
  topologies: TopologyName[];
  outDir: string;
  docs: boolean;
  seed: number;
  /** Redraw the charts from the out dir's paper-table.json, without running anything. */
  chartsOnly: boolean;
}

function fail(message: string): never {
  console.error(`bench:paper: ${message}`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { quick: false, workloads: [...workloadNames], topologies: [...topologyNames], outDir: join(root, "bench/results"), docs: true, seed: 1, chartsOnly: false };
  const list = <T extends string>(flag: string, value: string | undefined, known: readonly T[]): T[] => {
    if (value === undefined || value.startsWith("--")) fail(`${flag} needs a value (one or more of ${known.join(", ")}, comma-separated)`);
    const items = value.split(",").map((s) => s.trim());
    for (const item of items) if (!(known as readonly string[]).includes(item)) fail(`${flag}: unknown "${item}" (known: ${known.join(", ")})`);
    return items as T[];
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    switch (arg) {
      case "--quick":
        options.quick = true;
        break;
      case "--only":
        options.workloads = list(arg, argv[++i], workloadNames);
        break;
      case "--topology":
        options.topologies = list(arg, argv[++i], topologyNames);
        break;
      case "--out-dir": {
        const value = argv[++i];
        if (value === undefined) fail("--out-dir needs a directory");
        options.outDir = resolve(value);
        break;
      }
      case "--seed": {
        const value = Number(argv[++i]);
        if (!Number.isInteger(value)) fail("--seed needs an integer");
        options.seed = value;
        break;
      }
      case "--no-docs":
        options.docs = false;
        break;
      case "--charts-only":
        options.chartsOnly = true;
        break;
      default:
        fail(`unknown option "${arg}" (known: --quick, --only, --topology, --out-dir, --seed, --no-docs, --charts-only)`);
    }
  }
  // A quick run is a smoke test: it never rewrites the published results unless asked to.
  if (options.quick && !argv.includes("--out-dir")) options.outDir = join(root, "bench/results/quick");
  if (options.quick) options.docs = false;
  return options;
}

let peakRssBytes = process.memoryUsage().rss;
const sampleMemory = (): void => {
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss);
};

const fmtS = (s: number | null): string => (s === null ? "not reached" : `${s.toFixed(1)} s`);

export interface Comparison {
  readonly workload: WorkloadName;
  readonly topology: TopologyName;
  readonly objectiveName: string;
  readonly lanTimeS: number | null;
  /** Gaia (hubs auto) time / Baseline time, per baseline; null when Gaia did not reach the target. */
  readonly speedupOverBsp: Ratio;
  readonly speedupOverSsp: Ratio;
  readonly speedupNoHubsOverBsp: Ratio;
  /** Gaia time / LAN time. */
  readonly gaiaOverLan: number | null;
  readonly gaiaNoHubsOverLan: number | null;
  /** Baseline-BSP bytes (cost) / Gaia bytes (cost). */
  readonly wanBytesReductionVsBsp: number | null;
  readonly costReductionVsBsp: number | null;
  /** Gaia's objective after LAN's iterations vs LAN's final: (gaia - lan) / |lan|, signed so that > 0 is worse. */
  readonly objectiveGapAtLanIterations: number | null;
  /** Same for the objective where Gaia's run stopped (at the target, or the cap). */
  readonly objectiveGapFinal: number;
}

/** A ratio, or a lower bound when the slower run never reached the target within its cap. */
export interface Ratio {
  readonly value: number | null;
  readonly lowerBound: boolean;
}

function ratio(slower: Row | undefined, faster: Row | undefined): Ratio {
  if (slower === undefined || faster === undefined || faster.timeToTargetS === null) return { value: null, lowerBound: false };
  if (slower.timeToTargetS === null) return { value: slower.virtualTimeS / faster.timeToTargetS, lowerBound: true };
  return { value: slower.timeToTargetS / faster.timeToTargetS, lowerBound: false };
}

const gap = (row: Row, objective: number, lan: number): number => ((row.direction === "minimize" ? 1 : -1) * (objective - lan)) / Math.abs(lan);

export function compare(rows: readonly Row[]): Comparison[] {
  const out: Comparison[] = [];
  for (const w of workloadNames) {
    for (const t of topologyNames) {
      const find = (m: Mode): Row | undefined => rows.find((r) => r.workload === w && r.topology === t && r.sync === m);
      const lan = find("lan");
      const gaia = find("asp");
      const bsp = find("bsp");
      if (lan === undefined || gaia === undefined) continue;
      const noHubs = find("asp-nohubs");
      out.push({
        workload: w,
        topology: t,
        objectiveName: lan.objectiveName,
        lanTimeS: lan.timeToTargetS,
        speedupOverBsp: ratio(bsp, gaia),
        speedupOverSsp: ratio(find("ssp"), gaia),
        speedupNoHubsOverBsp: ratio(bsp, noHubs),
        gaiaOverLan: gaia.timeToTargetS !== null && lan.timeToTargetS !== null ? gaia.timeToTargetS / lan.timeToTargetS : null,
        gaiaNoHubsOverLan: noHubs?.timeToTargetS != null && lan.timeToTargetS !== null ? noHubs.timeToTargetS / lan.timeToTargetS : null,
        wanBytesReductionVsBsp: bsp && gaia.wanBytes > 0 ? bsp.wanBytes / gaia.wanBytes : null,
        costReductionVsBsp: bsp && gaia.costUsd > 0 ? bsp.costUsd / gaia.costUsd : null,
        objectiveGapAtLanIterations: gaia.objectiveAtLanIterations === null ? null : gap(gaia, gaia.objectiveAtLanIterations, lan.finalObjective),
        objectiveGapFinal: gap(gaia, gaia.finalObjective, lan.finalObjective),
      });
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
    "| workload | topology | Gaia vs BSP | Gaia vs SSP | Gaia no-hubs vs BSP | Gaia / LAN | no-hubs / LAN | WAN bytes BSP / Gaia | cost BSP / Gaia | objective gap at LAN iterations | objective gap at stop |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const c of comparisons) {
    lines.push(
      `| ${c.workload} | ${c.topology} | ${x(c.speedupOverBsp)} | ${x(c.speedupOverSsp)} | ${x(c.speedupNoHubsOverBsp)} | ${xn(c.gaiaOverLan)} | ${xn(c.gaiaNoHubsOverLan)} | ${xn(c.wanBytesReductionVsBsp)} | ${xn(c.costReductionVsBsp)} | ${pct(c.objectiveGapAtLanIterations)} | ${pct(c.objectiveGapFinal)} |`,
    );
  }
  lines.push(`| **paper** | 11 EC2 regions + emulation | ${paperNumbers.speedupOverBaselines} | ${paperNumbers.speedupOverBaselines} | | ${paperNumbers.gaiaOverLan} | | ${paperNumbers.wanBytesReduction} | ${paperNumbers.costReduction} | ${paperNumbers.objective} | |`);
  return lines.join("\n");
}

export function rowsTable(rows: readonly Row[]): string {
  const lines = [
    "| workload | topology | sync | time to target | WAN bytes | cost (USD) | blocked (worker-s) | final objective | target | iterations | stopped by |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.workload} | ${r.topology} | ${r.sync} | ${fmtS(r.timeToTargetS)} | ${(r.wanBytes / 1e6).toFixed(1)} MB | ${r.costUsd.toFixed(4)} | ${r.blockedS.toFixed(1)} | ${r.finalObjective.toPrecision(5)} | ${r.targetObjective.toPrecision(5)} | ${r.iterations} | ${r.stoppedBy} |`,
    );
  }
  return lines.join("\n");
}

export interface TargetsVerdict {
  readonly text: string;
  readonly met: boolean;
}

/** The issue's targets on ec2-11: Gaia within 1.25x of LAN, >= 1.8x over BSP, objective within 1%. */
export function verdicts(comparisons: readonly Comparison[]): TargetsVerdict[] {
  const out: TargetsVerdict[] = [];
  for (const c of comparisons.filter((c) => c.topology === "ec2-11")) {
    const lan = c.gaiaOverLan;
    out.push({ met: lan !== null && lan <= 1.25, text: `${c.workload}: Gaia / LAN = ${xn(lan)} (target <= 1.25x)` });
    const s = c.speedupOverBsp.value;
    out.push({ met: s !== null && s >= 1.8, text: `${c.workload}: Gaia vs BSP = ${x(c.speedupOverBsp)} (target >= 1.8x)` });
    const f = c.objectiveGapFinal;
    out.push({ met: Math.abs(f) <= 0.01, text: `${c.workload}: final objective ${pct(f)} from LAN's (target within 1%)` });
    const g = c.objectiveGapAtLanIterations;
    out.push({ met: g !== null && g <= 0.01, text: `${c.workload}: (stricter, ours) objective after as many iterations as LAN made ${pct(g)} from LAN's (within 1%)` });
  }
  return out;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.chartsOnly) {
    const saved = JSON.parse(readFileSync(join(options.outDir, "paper-table.json"), "utf8")) as { comparisons: Comparison[] };
    console.log(`wrote ${(await writeCharts(options.outDir, saved.comparisons)).map((f) => join(options.outDir, f)).join(", ")}`);
    return;
  }
  const setups = options.quick ? quickSetups : fullSetups;
  mkdirSync(options.outDir, { recursive: true });
  const sampler = setInterval(sampleMemory, 50);
  const rows: Row[] = [];
  const total = options.workloads.length * options.topologies.length * modes.length;
  let index = 0;
  const started = performance.now();
  const perf: { wallS: number; virtualS: number; events: number }[] = [];

  for (const workload of options.workloads) {
    const setup = setups[workload];
    for (const topology of options.topologies) {
      const base: Omit<CaseSpec, "mode" | "target" | "maxVirtualTimeS" | "maxIterations"> = { workload, topology, setup, knobs: defaultKnobs, seed: options.seed };
      const log = (mode: Mode, row: Row): void => {
        index++;
        const elapsed = (performance.now() - started) / 1000;
        console.log(
          `[${index}/${total}] ${workload} ${topology} ${mode.padEnd(10)} ${fmtS(row.timeToTargetS).padStart(12)}  obj ${row.finalObjective.toPrecision(5)}  WAN ${(row.wanBytes / 1e6).toFixed(0)} MB  it ${row.iterations}  wall ${row.wallS.toFixed(1)} s  (total ${elapsed.toFixed(0)} s)`,
        );
      };

      const lanCase: CaseSpec = { ...base, mode: "lan", target: null, maxVirtualTimeS: null, maxIterations: setup.lanIterations };
      const lan = await runCase(lanCase, sampleMemory);
      const target = targetFrom(lan.direction, lan.result.summary.objective, tolerance);
      const lanRow = toRow(lanCase, lan, target, setup.lanIterations);
      rows.push(lanRow);
      log("lan", lanRow);
      if (workload === "mf" && topology === "ec2-11") perf.push({ wallS: lanRow.wallS, virtualS: lanRow.virtualTimeS, events: lanRow.events });

      const capS = capFactor * lan.result.summary.virtualTimeS;
      let hubsRow: Row | null = null;
      for (const mode of modes.slice(1)) {
        // Hubs auto gives no hubs for two data centers: the no-hubs run would repeat the hubs run.
        if (mode === "asp-nohubs" && hubsRow !== null && topology !== "ec2-11") {
          const row: Row = { ...hubsRow, sync: "asp-nohubs" };
          rows.push(row);
          log(mode, row);
          continue;
        }
        const c: CaseSpec = { ...base, mode, target, maxVirtualTimeS: capS, maxIterations: iterationCapFactor * setup.lanIterations };
        const result = await runCase(c, sampleMemory);
        const row = toRow(c, result, target, setup.lanIterations);
        rows.push(row);
        if (mode === "asp") hubsRow = row;
        log(mode, row);
        if (workload === "mf" && topology === "ec2-11") perf.push({ wallS: row.wallS, virtualS: row.virtualTimeS, events: row.events });
      }
      writeFileSync(join(options.outDir, "paper.json"), JSON.stringify(rows, null, 2) + "\n");
    }
  }
  clearInterval(sampler);
  sampleMemory();

  const comparisons = compare(rows);
  const simPerf = perf.length === 0 ? null : summarizePerf(perf, peakRssBytes);
  const wallS = (performance.now() - started) / 1000;
  writeFileSync(join(options.outDir, "paper.json"), JSON.stringify(rows, null, 2) + "\n");
  writeFileSync(
    join(options.outDir, "paper-table.json"),
    JSON.stringify({ tolerance, capFactor, iterationCapFactor, seed: options.seed, quick: options.quick, paper: paperNumbers, comparisons, verdicts: verdicts(comparisons), simulatorPerformance: simPerf, benchWallS: wallS }, null, 2) + "\n",
  );
  const charts = await writeCharts(options.outDir, comparisons);
  const tables = renderResults(rows, comparisons, simPerf, options, wallS, charts);
  writeFileSync(join(options.outDir, "paper-table.md"), tables + "\n");
  if (options.docs) {
    const path = join(root, "docs/results.md");
    let doc = "";
    try {
      doc = readFileSync(path, "utf8");
    } catch {
      doc = "# Results\n";
    }
    writeFileSync(path, replaceBlock(doc, "paper", tables));
    console.log(`updated ${path}`);
  }
  console.log("");
  console.log(comparisonTable(comparisons));
  for (const v of verdicts(comparisons)) console.log(`${v.met ? "MET     " : "NOT MET "} ${v.text}`);
  if (simPerf) console.log(`simulator: ${simPerf.wallSPerSimulatedHour.toFixed(0)} wall s per simulated hour, ${simPerf.eventsPerS.toFixed(0)} events/s, peak RSS ${(simPerf.peakRssBytes / 2 ** 20).toFixed(0)} MB`);
  console.log(`wrote ${options.outDir}/paper.json (${rows.length} rows) in ${wallS.toFixed(0)} s`);
}

export interface SimulatorPerformance {
  readonly runs: number;
  readonly wallS: number;
  readonly virtualS: number;
  readonly events: number;
  readonly wallSPerSimulatedHour: number;
  readonly eventsPerS: number;
  readonly peakRssBytes: number;
}

function summarizePerf(perf: readonly { wallS: number; virtualS: number; events: number }[], peak: number): SimulatorPerformance {
  const wallS = perf.reduce((s, p) => s + p.wallS, 0);
  const virtualS = perf.reduce((s, p) => s + p.virtualS, 0);
  const events = perf.reduce((s, p) => s + p.events, 0);
  return { runs: perf.length, wallS, virtualS, events, wallSPerSimulatedHour: wallS / (virtualS / 3600), eventsPerS: events / wallS, peakRssBytes: peak };
}

async function writeCharts(outDir: string, comparisons: readonly Comparison[]): Promise<string[]> {
  const files: string[] = [];
  const write = async (name: string, svg: Promise<string>): Promise<void> => {
    writeFileSync(join(outDir, name), await svg);
    files.push(name);
  };
  const label = (c: Comparison): string => `${c.workload} ${c.topology === "ec2-11" ? "ec2-11" : c.topology === "virginia-california" ? "V-C" : "SG-SP"}`;
  await write(
    "paper-speedup.svg",
    barChart({
      title: "Gaia's speedup over the Baseline (time to the same target)",
      yLabel: "speedup (x)",
      series: ["vs BSP", "vs SSP", "no hubs vs BSP"],
      groups: comparisons.map((c) => ({ label: label(c), values: [c.speedupOverBsp.value, c.speedupOverSsp.value, c.speedupNoHubsOverBsp.value] })),
      references: [
        { value: 1.8, label: "paper's lower bound 1.8x" },
        { value: 1, label: "1x" },
      ],
    }),
  );
  await write(
    "paper-lan-ratio.svg",
    barChart({
      title: "Gaia's time to target as a ratio of LAN's",
      yLabel: "Gaia time / LAN time",
      series: ["hubs auto", "no hubs"],
      groups: comparisons.map((c) => ({ label: label(c), values: [c.gaiaOverLan, c.gaiaNoHubsOverLan] })),
      references: [
        { value: 1.4, label: "paper's upper bound 1.40x" },
        { value: 1.25, label: "our target 1.25x" },
      ],
    }),
  );
  await write(
    "paper-wan.svg",
    barChart({
      title: "Baseline-BSP / Gaia: WAN bytes and egress cost (above 1: Gaia sends less)",
      yLabel: "reduction (x)",
      series: ["WAN bytes", "cost"],
      groups: comparisons.map((c) => ({ label: label(c), values: [c.wanBytesReductionVsBsp, c.costReductionVsBsp] })),
      references: [{ value: 1, label: "1x" }],
    }),
  );
  return files;
}

function renderResults(rows: readonly Row[], comparisons: readonly Comparison[], simPerf: SimulatorPerformance | null, options: Options, wallS: number, charts: readonly string[]): string {
  const lines: string[] = [];
  lines.push(`_Generated by \`npm run bench:paper\`${options.quick ? " --quick" : ""} (seed ${options.seed}, ${rows.length} runs, ${(wallS / 60).toFixed(1)} min wall). Raw rows: [bench/results/paper.json](../bench/results/paper.json)._`);
  lines.push("");
  lines.push("### Gaia against the Baseline and LAN, beside the paper");
  lines.push("");
  lines.push(comparisonTable(comparisons));
  lines.push("");
  lines.push("Ratios are of virtual times to the target. `>= Nx` means the Baseline did not reach the target before its cap, so the ratio is a lower bound. Objective gap: how much worse (positive) Gaia's objective is than LAN's final one, relative to its magnitude.");
  lines.push("");
  lines.push("### Targets on ec2-11");
  lines.push("");
  for (const v of verdicts(comparisons)) lines.push(`- ${v.met ? "met" : "**not met**"}: ${v.text}`);
  lines.push("");
  for (const chart of charts) lines.push(`![${chart}](../bench/results/${chart})`);
  lines.push("");
  lines.push("### Every run");
  lines.push("");
  lines.push(rowsTable(rows));
  lines.push("");
  if (simPerf !== null) {
    lines.push("### Simulator performance (the ec2-11 MF runs)");
    lines.push("");
    lines.push(`- ${simPerf.runs} runs, ${simPerf.events.toLocaleString("en-US")} events, ${simPerf.virtualS.toFixed(0)} virtual s in ${simPerf.wallS.toFixed(1)} wall s`);
    lines.push(`- **${simPerf.wallSPerSimulatedHour.toFixed(0)} wall seconds per simulated hour**, **${Math.round(simPerf.eventsPerS).toLocaleString("en-US")} events/s**`);
    lines.push(`- peak RSS of the whole benchmark process: **${(simPerf.peakRssBytes / 2 ** 20).toFixed(0)} MB**`);
    lines.push(`- machine: ${process.platform} ${process.arch}, Node ${process.version}, shared with other jobs while it ran`);
  }
  lines.push("");
  lines.push(`Setups (workload spec, msPerSample, LAN iterations): ${options.workloads.map((w) => `\`${w}\`: ${JSON.stringify((options.quick ? quickSetups : fullSetups)[w])}`).join("; ")}. Machines per data center: ${options.topologies.map((t) => `${t} ${machinesPerDataCenter(t)}`).join(", ")}.`);
  return lines.join("\n");
}

await main();
