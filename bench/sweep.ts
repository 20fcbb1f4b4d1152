/**
 * Sensitivity sweep of Gaia on the ec2-11 MF setup of bench/paper.ts (not a test):
 *
 *   npm run bench:sweep [-- --quick] [-- --workload mf] [-- --out-dir DIR] [-- --no-docs] [-- --charts-only]
 *
 * One LAN run defines the target (its final objective relaxed by 1%), as in bench:paper. Then:
 * - significance threshold 0.1% .. 10% (DS 1, full bandwidth);
 * - DS (the mirror-clock bound) 0 .. 4 (threshold 1%);
 * - every WAN link's bandwidth scaled 0.25x .. 4x, Gaia and Baseline-BSP.
 * Writes <out-dir>/sweep.json, sweep-*.svg and the sweep block of docs/results.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { lineChart } from "./lib/charts.js";
import { defaultKnobs, fullSetups, quickSetups, replaceBlock, runCase, targetFrom, toRow, workloadNames, type CaseSpec, type GaiaKnobs, type Mode, type Row, type TopologyName, type WorkloadName } from "./lib/runs.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const tolerance = 0.01;

function fail(message: string): never {
  console.error(`bench:sweep: ${message}`);
  process.exit(2);
}

const argv = process.argv.slice(2);
let quick = false;
let docs = true;
let workload: WorkloadName = "mf";
let outDir = join(root, "bench/results");
let chartsOnly = false;
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i]!;
  if (arg === "--quick") quick = true;
  else if (arg === "--no-docs") docs = false;
  else if (arg === "--charts-only") chartsOnly = true;
  else if (arg === "--workload") {
    const value = argv[++i];
    if (value === undefined || !(workloadNames as readonly string[]).includes(value)) fail(`--workload needs one of ${workloadNames.join(", ")}`);
    workload = value as WorkloadName;
  } else if (arg === "--out-dir") {
    const value = argv[++i];
    if (value === undefined) fail("--out-dir needs a directory");
    outDir = resolve(value);
  } else fail(`unknown option "${arg}" (known: --quick, --workload, --out-dir, --no-docs, --charts-only)`);
}
if (quick && !argv.includes("--out-dir")) outDir = join(root, "bench/results/quick");
if (quick) docs = false;
mkdirSync(outDir, { recursive: true });

const topology: TopologyName = quick ? "virginia-california" : "ec2-11";
const setup = (quick ? quickSetups : fullSetups)[workload];
const thresholds = quick ? [0.001, 0.01, 0.1] : [0.001, 0.003, 0.01, 0.03, 0.1];
const bounds = quick ? [0, 1, 2] : [0, 1, 2, 4];
const scales = quick ? [0.25, 1, 4] : [0.25, 0.5, 1, 2, 4];

interface SweepRow extends Row {
  readonly parameter: "threshold" | "mirrorClockBound" | "bandwidthScale" | "none";
  readonly value: number;
}

if (chartsOnly) {
  // Redraw the charts from the saved rows, running nothing.
  const saved = JSON.parse(readFileSync(join(outDir, "sweep.json"), "utf8")) as { workload: string; topology: string; lanTimeToTargetS: number; rows: SweepRow[] };
  const files = await writeSweepCharts(saved.rows, saved.lanTimeToTargetS, saved.workload, saved.topology);
  console.log(`wrote ${files.map((f) => join(outDir, f)).join(", ")}`);
  process.exit(0);
}

const started = performance.now();
const rows: SweepRow[] = [];
const base = { workload, topology, setup, seed: 1 };
const lanCase: CaseSpec = { ...base, mode: "lan", knobs: defaultKnobs, target: null, maxVirtualTimeS: null, maxIterations: setup.lanIterations };
const lan = await runCase(lanCase);
const target = targetFrom(lan.direction, lan.result.summary.objective, tolerance);
const lanRow = toRow(lanCase, lan, target, setup.lanIterations);
rows.push({ ...lanRow, parameter: "none", value: 0 });
const capS = 10 * lan.result.summary.virtualTimeS;

const run = async (mode: Mode, knobs: GaiaKnobs, parameter: SweepRow["parameter"], value: number): Promise<SweepRow> => {
  const c: CaseSpec = { ...base, mode, knobs, target, maxVirtualTimeS: capS, maxIterations: 4 * setup.lanIterations };
  const row: SweepRow = { ...toRow(c, await runCase(c), target, setup.lanIterations), parameter, value };
  rows.push(row);
  const t = row.timeToTargetS === null ? "not reached" : `${row.timeToTargetS.toFixed(1)} s`;
  console.log(`${parameter}=${value} ${mode.padEnd(4)} ${t.padStart(12)}  WAN ${(row.wanBytes / 1e6).toFixed(0)} MB  blocked ${row.blockedS.toFixed(0)} s  wall ${row.wallS.toFixed(1)} s  (total ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  return row;
};

console.log(`sweep: ${workload} on ${topology}; LAN time to target ${lanRow.timeToTargetS?.toFixed(1)} s, target ${target.toPrecision(5)}`);
for (const threshold of thresholds) await run("asp", { ...defaultKnobs, threshold }, "threshold", threshold);
for (const mirrorClockBound of bounds) await run("asp", { ...defaultKnobs, mirrorClockBound }, "mirrorClockBound", mirrorClockBound);
for (const bandwidthScale of scales) {
  await run("asp", { ...defaultKnobs, bandwidthScale }, "bandwidthScale", bandwidthScale);
  await run("bsp", { ...defaultKnobs, bandwidthScale }, "bandwidthScale", bandwidthScale);
}

const lanTime = lanRow.timeToTargetS!;
const relative = (r: SweepRow): number | null => (r.timeToTargetS === null ? null : r.timeToTargetS / lanTime);
const chartFiles = await writeSweepCharts(rows, lanTime, workload, topology);
writeFileSync(join(outDir, "sweep.json"), JSON.stringify({ workload, topology, tolerance, target, lanTimeToTargetS: lanTime, rows }, null, 2) + "\n");

const fmt = (r: SweepRow): string => (r.timeToTargetS === null ? "not reached" : `${r.timeToTargetS.toFixed(1)} s (${relative(r)!.toFixed(2)}x LAN)`);
const lines = [
  `_Generated by \`npm run bench:sweep\` (${workload} on ${topology}, ${rows.length} runs, ${((performance.now() - started) / 60000).toFixed(1)} min wall). LAN reaches the target ${target.toPrecision(5)} in ${lanTime.toFixed(1)} s. Raw rows: [bench/results/sweep.json](../bench/results/sweep.json)._`,
  "",
  "| parameter | value | sync | time to target | WAN bytes | cost (USD) | blocked (worker-s) | final objective |",
  "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rows.filter((r) => r.parameter !== "none").map((r) => `| ${r.parameter} | ${r.value} | ${r.sync} | ${fmt(r)} | ${(r.wanBytes / 1e6).toFixed(0)} MB | ${r.costUsd.toFixed(4)} | ${r.blockedS.toFixed(0)} | ${r.finalObjective.toPrecision(5)} |`),
  "",
  ...chartFiles.map((name) => `![${name}](../bench/results/${name})`),
];
if (docs) {
  const path = join(root, "docs/results.md");
  let doc = "# Results\n";
  try {
    doc = readFileSync(path, "utf8");
  } catch {
    // first run: start the document
  }
  writeFileSync(path, replaceBlock(doc, "sweep", lines.join("\n")));
  console.log(`updated ${path}`);
}
console.log(`wrote ${join(outDir, "sweep.json")} (${rows.length} rows) in ${((performance.now() - started) / 1000).toFixed(0)} s`);

/** The sweep's charts, written into `outDir`; returns their file names. */
async function writeSweepCharts(rows: readonly SweepRow[], lanTime: number, workload: string, topology: string): Promise<string[]> {
  const relative = (r: SweepRow): number | null => (r.timeToTargetS === null ? null : r.timeToTargetS / lanTime);
  const pick = (parameter: SweepRow["parameter"], mode: Mode): SweepRow[] => rows.filter((r) => r.parameter === parameter && r.sync === mode);
  const charts: Record<string, Promise<string>> = {
    "sweep-threshold.svg": lineChart({
      title: `Significance threshold (${workload}, ${topology}, DS ${defaultKnobs.mirrorClockBound})`,
      xLabel: "threshold (log scale)",
      yLabel: "time / LAN time",
      logX: true,
      series: [
        { name: "Gaia time / LAN", points: pick("threshold", "asp").map((r) => ({ x: r.value, y: relative(r) })) },
        { name: "WAN GB", unit: "WAN GB", points: pick("threshold", "asp").map((r) => ({ x: r.value, y: r.wanBytes / 1e9 })) },
      ],
    }),
    "sweep-ds.svg": lineChart({
      title: `Mirror-clock bound DS (${workload}, ${topology}, threshold 1%)`,
      xLabel: "DS (clocks)",
      yLabel: "time / LAN time",
      series: [
        { name: "Gaia time / LAN", points: pick("mirrorClockBound", "asp").map((r) => ({ x: r.value, y: relative(r) })) },
        { name: "WAN GB", unit: "WAN GB", points: pick("mirrorClockBound", "asp").map((r) => ({ x: r.value, y: r.wanBytes / 1e9 })) },
      ],
    }),
    "sweep-bandwidth.svg": lineChart({
      title: `WAN bandwidth scaled (${workload}, ${topology})`,
      xLabel: "bandwidth scale (log scale)",
      yLabel: "time to target / LAN time",
      logX: true,
      series: [
        { name: "Gaia", points: pick("bandwidthScale", "asp").map((r) => ({ x: r.value, y: relative(r) })) },
        { name: "Baseline-BSP", points: pick("bandwidthScale", "bsp").map((r) => ({ x: r.value, y: relative(r) })) },
      ],
    }),
  };
  for (const [name, svg] of Object.entries(charts)) writeFileSync(join(outDir, name), await svg);
  return Object.keys(charts);
}
