/**
 * `npm run bench:time-prediction`: the simulator's prediction of the runtime's time, per bundled
 * cluster file. Each file is simulated once (deterministic) and launched `--reps` times on real
 * processes (loopback, the WAN emulated as the file says). The figure is the time to target, or,
 * for a file without one, the time of the evaluation at its maxIterations; the runtime's is
 * training time (start-up apart). Beside it, the time a clock takes, broken down from the nodes'
 * own counters:
 *   - model: the mirror clock's latency model (the emulated WAN's part of a clock);
 *   - compute: a worker's steps (measured, plus any emulated-compute sleep);
 *   - commit: a shard's checkpoint writes (output commit: its sends wait for them);
 *   - blocked: a shard's reads held on the mirror clock (waiting on the WAN or a slower peer);
 *   - warm-up: how much longer the first 10 clocks took than 10 steady clocks.
 * Each row is written to <out>/time-prediction.json as its file finishes; `--resume` skips files
 * already there. The table goes to <out>/time-prediction.md and stdout.
 *
 *   npm run bench:time-prediction -- [--reps 3] [--only local-3dc] [--resume] [--out DIR]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { reaches } from "@gaia/core";
import { launchCluster, loadCluster } from "@gaia/net";
import { loadScenario, runSimulation, type MetricsPoint } from "@gaia/sim";

const { values: args } = parseArgs({ options: { reps: { type: "string", default: "3" }, only: { type: "string" }, resume: { type: "boolean", default: false }, out: { type: "string", default: join("bench", "results") } } });
const reps = Number(args.reps);
if (!Number.isInteger(reps) || reps < 1) {
  process.stderr.write(`Error: --reps ${args.reps}: not a positive integer\n`);
  process.exit(2);
}
const out = args.out!;
mkdirSync(out, { recursive: true });
const jsonFile = join(out, "time-prediction.json");

interface Launched {
  readonly figureS: number | null;
  readonly startupS: number;
  readonly clockMs: number;
  readonly warmupMs: number;
  readonly computeMs: number;
  readonly commitMs: number;
  readonly commitsPerClock: number;
  readonly blockedMs: number;
  readonly load: number;
}
interface Row {
  readonly file: string;
  readonly figure: string;
  readonly simS: number | null;
  readonly simClockMs: number;
  readonly modelClockMs: number;
  readonly modeledCommitMs: number | null;
  readonly runs: readonly Launched[];
  readonly medianS: number | null;
  readonly errorPct: number | null;
  readonly at: string;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** The figure: time to target, or the time of the evaluation at `iteration`. */
const figureOf = (series: readonly MetricsPoint[], target: number | null, iteration: number | null): number | null => {
  if (target !== null) return series.find((p) => p.objective !== null && reaches("minimize", p.objective, target))?.virtualTimeS ?? null;
  return series.find((p) => p.iteration === iteration)?.virtualTimeS ?? null;
};

/** How much longer the first 10 clocks took than 10 clocks at the rate of the rest of the run. */
const warmupMsOf = (series: readonly MetricsPoint[]): number => {
  const at = (i: number) => series.find((p) => p.iteration === i)?.virtualTimeS;
  const t10 = at(10);
  const last = series.filter((p) => p.iteration > 10).at(-2);
  if (t10 === undefined || last === undefined) return Number.NaN;
  const steady = (last.virtualTimeS - t10) / (last.iteration - 10);
  return (t10 - 10 * steady) * 1000;
};

const rows: Row[] = args.resume && existsSync(jsonFile) ? (JSON.parse(readFileSync(jsonFile, "utf8")) as Row[]) : [];
const files = readdirSync("clusters").filter((f) => f.endsWith(".yaml") && (args.only === undefined || f.startsWith(args.only)));
for (const name of files) {
  const file = join("clusters", name);
  if (rows.some((r) => r.file === file)) {
    console.log(`${file}: already measured (--resume)`);
    continue;
  }
  const scenario = loadScenario(file);
  const target = scenario.stop.targetObjective;
  const iteration = scenario.stop.maxIterations;
  const sim = await runSimulation(scenario);
  const simS = figureOf(sim.series, target, iteration);
  const runs: Launched[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const load = loadavg()[0]!;
    const cluster = loadCluster(file, { checkpointDir: mkdtempSync(join(tmpdir(), "gaia-time-")) });
    const launch = await launchCluster(cluster, { timeoutS: 600 });
    const { summary, series, counters } = await launch.result;
    const workers = [...counters].filter(([n]) => /\/w\d+$/.test(n)).map(([, c]) => c);
    const shards = [...counters].filter(([n]) => /\/s\d+$/.test(n)).map(([, c]) => c);
    const clocks = Math.max(1, summary.iterations);
    const per = (cs: Record<string, number>[], key: string) => (cs.length === 0 ? 0 : cs.reduce((a, c) => a + (c[key] ?? 0), 0) / cs.length);
    const writes = per(shards, "checkpoints_total");
    runs.push({
      figureS: figureOf(series, target, iteration),
      startupS: summary.startupS ?? 0,
      clockMs: summary.mirrorClock?.clockMs ?? Number.NaN,
      warmupMs: warmupMsOf(series),
      computeMs: ((per(workers, "compute_seconds_total") + per(workers, "compute_sleep_seconds_total")) * 1000) / clocks,
      commitMs: writes > 0 ? (per(shards, "checkpoint_seconds_total") * 1000) / writes : 0,
      commitsPerClock: writes / clocks,
      blockedMs: (per(shards, 'read_blocked_seconds_total{reason="mirror-clock"}') * 1000) / clocks,
      load,
    });
    console.log(`${file} rep ${rep + 1}/${reps}: ${JSON.stringify(runs.at(-1))}`);
  }
  const figures = runs.flatMap((r) => (r.figureS === null ? [] : [r.figureS]));
  const medianS = figures.length === runs.length ? median(figures) : null;
  rows.push({
    file,
    figure: target !== null ? `time to target ${target}` : `time to iteration ${iteration}`,
    simS,
    simClockMs: sim.summary.mirrorClock?.clockMs ?? Number.NaN,
    modelClockMs: sim.summary.mirrorClock?.modelClockMs ?? Number.NaN,
    modeledCommitMs: scenario.outputCommit?.commitMs ?? null,
    runs,
    medianS,
    errorPct: medianS !== null && simS !== null ? (100 * (medianS - simS)) / simS : null,
    at: new Date().toISOString(),
  });
  writeFileSync(jsonFile, JSON.stringify(rows, null, 2) + "\n");
}

const f = (x: number | null, d = 2) => (x === null || !Number.isFinite(x) ? "-" : x.toFixed(d));
const lines = [
  "| cluster file | figure | simulator | runtime (each launch) | median | error | clock: sim / runtime (ms) | model | compute | commit (ms x per clock) | blocked | warm-up (ms) | load |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rows.map((r) => {
    const m = (k: keyof Launched) => median(r.runs.map((x) => x[k] as number));
    return `| \`${r.file.replace("clusters/", "")}\` | ${r.figure} | ${f(r.simS)} s | ${r.runs.map((x) => f(x.figureS)).join(", ")} s | ${f(r.medianS)} s | ${r.errorPct === null ? "-" : `${r.errorPct >= 0 ? "+" : ""}${r.errorPct.toFixed(0)}%`} | ${f(r.simClockMs, 1)} / ${f(m("clockMs"), 1)} | ${f(r.modelClockMs, 1)} | ${f(m("computeMs"), 2)} | ${f(m("commitMs"), 1)} x ${f(m("commitsPerClock"), 1)} (modeled ${r.modeledCommitMs ?? "-"}) | ${f(m("blockedMs"), 1)} | ${f(m("warmupMs"), 0)} | ${r.runs.map((x) => x.load.toFixed(1)).join(", ")} |`;
  }),
];
writeFileSync(join(out, "time-prediction.md"), lines.join("\n") + "\n");
console.log(lines.join("\n"));
