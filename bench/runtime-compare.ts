/**
 * Gaia against the paper's two references on the REAL runtime (not a test): every node its own
 * process on this machine, over loopback, with the WAN between data centers emulated by each
 * sender's shaper (bandwidth and one-way latency of the EC2 preset, scaled).
 *
 *   npm run bench:runtime [-- --quick] [-- --reps N] [-- --bandwidth-scales 1,0.1] [-- --out-dir DIR] [-- --no-docs]
 *
 * Method. Three EC2 regions (virginia, california, sao-paulo), one worker and one shard each,
 * train the same matrix factorization. First LAN (all six processes in one data center, no WAN)
 * runs a fixed number of iterations; its final objective, relaxed by 1% of its magnitude, is the
 * target. Then LAN again, Baseline BSP (one model sharded over all three data centers, workers
 * reading and writing remote shards over the WAN) and Gaia (ASP: BSP inside each data center,
 * threshold auto: the budgeted filter over a constant 1% floor, f32 values, DS = 1, selective
 * barrier auto) run to that
 * target, each capped in wall time and iterations. Time to target is measured from the moment
 * every node is up (process start-up is excluded); WAN bytes are the frame bytes the nodes sent
 * across data centers over the whole run. Runs are sequential, so they do not share the CPU.
 * BSP and Gaia run once per bandwidth scale (the EC2 rates as they are, and a scarcer WAN); LAN
 * has no WAN, so its runs serve every scale.
 *
 * Writes <out-dir>/runtime.json and docs/runtime-results.md (the table between its generated
 * markers is rewritten; the rest of the file is kept).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { reaches } from "@gaia/core";
import { launchCluster, loadCluster } from "@gaia/net";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

type Mode = "lan" | "bsp" | "asp";
const modeNames: Record<Mode, string> = { lan: "LAN", bsp: "Baseline (BSP)", asp: "Gaia (ASP)" };

interface Options {
  quick: boolean;
  bandwidthScales: number[];
  reps: number;
  outDir: string;
  docs: boolean;
}

function fail(message: string): never {
  console.error(`bench:runtime: ${message}`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { quick: false, bandwidthScales: [1, 0.1], reps: 1, outDir: join(root, "bench/results"), docs: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--quick") options.quick = true;
    else if (arg === "--no-docs") options.docs = false;
    else if (arg === "--bandwidth-scales") {
      const scales = (argv[++i] ?? "").split(",").map(Number);
      if (scales.length === 0 || !scales.every((x) => x > 0 && x <= 100)) fail("--bandwidth-scales needs positive numbers, comma-separated (e.g. 1,0.1)");
      options.bandwidthScales = scales;
    } else if (arg === "--reps") {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1 || n > 10) fail("--reps needs a whole number from 1 to 10");
      options.reps = n;
    } else if (arg === "--out-dir") {
      const dir = argv[++i];
      if (dir === undefined) fail("--out-dir needs a directory");
      options.outDir = resolve(dir);
    } else fail(`unknown argument ${arg} (known: --quick, --reps N, --bandwidth-scales LIST, --out-dir DIR, --no-docs)`);
  }
  return options;
}

/** The setting every run shares; only `sync.model` and the stop condition change. */
const setting = {
  dataCenters: ["virginia", "california", "sao-paulo"],
  workload: { kind: "mf", users: 2000, items: 500, ratings: 40_000, rank: 16, batchSize: 2000, learningRate: 0.03, popularityExponent: 0.3 },
  /**
   * Emulated compute: each step takes batch x this (workers sleep after the real step, which is
   * far faster), so a step costs about what its traffic takes on the emulated WAN, the paper's
   * regime. The real step is a few milliseconds: six processes would not fit two cores otherwise.
   */
  msPerSample: 0.05,
  /** One-way latencies x this. */
  latencyScale: 1,
  lanIterations: 60,
  evalEvery: 5,
  tolerance: 0.01,
  /** Caps of a run to the target: x LAN's iterations, and wall seconds. */
  iterationCapFactor: 4,
  wallCapS: 120,
};

interface Row {
  readonly mode: Mode;
  /** The emulated WAN's bandwidth x this (null for LAN, which has no WAN). */
  readonly bandwidthScale: number | null;
  readonly rep: number;
  readonly reachedTarget: boolean;
  /** Seconds from every node up to the evaluation that reached the target (null: never). */
  readonly timeToTargetS: number | null;
  readonly iterations: number;
  readonly objective: number;
  readonly wanBytes: number;
  readonly wanBytesByLink: Readonly<Record<string, number>>;
  readonly blockedS: { readonly ssp: number; readonly mirrorClock: number; readonly barrier: number };
  readonly startupS: number;
  readonly wallS: number;
  readonly stoppedBy: string;
  readonly replicaSpread: number;
}

let portBlock = 0;

interface Stop {
  readonly maxIterations: number;
  readonly target: number | null;
  readonly maxWallS: number;
  readonly bandwidthScale: number;
}

function clusterFile(dir: string, mode: Mode, stop: Stop): string {
  const w = setting.workload;
  const basePort = 31000 + (process.pid % 200) * 40 + (portBlock++ % 4) * 10;
  const text = `name: runtime-${mode}
seed: 5
cluster:
  secret: bench-runtime-secret
  host: 127.0.0.1
  basePort: ${basePort}
  wanEmulation: { enabled: true, bandwidthScale: ${stop.bandwidthScale}, latencyScale: ${setting.latencyScale} }
  emulateCompute: true
  checkpoint: { enabled: false, dir: ${join(dir, "ckpt")} }
topology:
  preset: ec2-11
  dataCenters: [${setting.dataCenters.join(", ")}]
  machinesPerDataCenter: 1
  shardsPerDataCenter: 1
workload: { kind: ${w.kind}, users: ${w.users}, items: ${w.items}, ratings: ${w.ratings}, rank: ${w.rank}, batchSize: ${w.batchSize}, learningRate: ${w.learningRate}, popularityExponent: ${w.popularityExponent} }
compute: { msPerSample: ${setting.msPerSample} }
sync:
  model: ${mode}
  withinDataCenter: bsp
  significance: { threshold: auto }
  mirrorClockBound: 1
  selectiveBarrier: auto
stop:
  maxIterations: ${stop.maxIterations}
  maxVirtualTime: ${stop.maxWallS}s
  evalEvery: ${setting.evalEvery}
${stop.target !== null ? `  target: { objective: ${stop.target} }` : ""}
`;
  const file = join(dir, `${mode}-${portBlock}.yaml`);
  writeFileSync(file, text);
  return file;
}

async function run(mode: Mode, rep: number, stop: Stop): Promise<Row> {
  try {
    return await runOnce(mode, rep, stop);
  } catch (error) {
    // A failed run is a row that did not reach the target, with the reason; the bench goes on.
    const reason = error instanceof Error ? error.message : String(error);
    console.error(`${modeNames[mode]} rep ${rep}: the run failed: ${reason}`);
    const none = { ssp: 0, mirrorClock: 0, barrier: 0 };
    return { mode, bandwidthScale: mode === "lan" ? null : stop.bandwidthScale, rep, reachedTarget: false, timeToTargetS: null, iterations: 0, objective: Number.NaN, wanBytes: 0, wanBytesByLink: {}, blockedS: none, startupS: 0, wallS: 0, stoppedBy: `failed: ${reason}`, replicaSpread: Number.NaN };
  }
}

async function runOnce(mode: Mode, rep: number, stop: Stop): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), `gaia-runtime-${mode}-`));
  const launch = await launchCluster(loadCluster(clusterFile(dir, mode, stop)), {
    onLog: (node, line) => {
      if (/error|exception/i.test(line)) process.stderr.write(`[${mode} ${node}] ${line.slice(0, 300)}\n`);
    },
    timeoutS: stop.maxWallS + 90,
  });
  const { summary, series, replicaSpread } = await launch.result;
  // A launch's series is on its training clock: start-up (summary.startupS) is already excluded.
  const startupS = summary.startupS ?? 0;
  const target = stop.target;
  let timeToTargetS: number | null = null;
  if (target !== null) {
    const hit = series.find((p) => p.objective !== null && reaches("minimize", p.objective, target));
    if (hit) timeToTargetS = hit.virtualTimeS;
  }
  return {
    mode,
    bandwidthScale: mode === "lan" ? null : stop.bandwidthScale,
    rep,
    reachedTarget: target === null ? true : timeToTargetS !== null,
    timeToTargetS,
    iterations: summary.iterations,
    objective: summary.objective,
    wanBytes: summary.wanBytes,
    wanBytesByLink: summary.wanBytesByLink,
    blockedS: summary.blockedS,
    startupS,
    wallS: summary.wallTimeS,
    stoppedBy: summary.stoppedBy,
    replicaSpread,
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const fmtS = (s: number | null): string => (s === null || Number.isNaN(s) ? "—" : s < 10 ? s.toFixed(2) : s.toFixed(1));
const fmtMB = (b: number): string => (b / 1e6).toFixed(b < 1e7 ? 2 : 1);

function table(rows: readonly Row[], target: number, bandwidthScale: number): string {
  rows = rows.filter((r) => r.bandwidthScale === null || r.bandwidthScale === bandwidthScale);
  const lines = [
    `| system (WAN bandwidth x${bandwidthScale}) | reached target (${target.toFixed(4)}) | time to target (s) | vs LAN | Gaia speedup | iterations | WAN MB | blocked on mirror clock / barrier (s) | final objective |`,
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  const by = (mode: Mode): Row[] => rows.filter((r) => r.mode === mode);
  const time = (mode: Mode): number => median(by(mode).map((r) => r.timeToTargetS ?? Number.NaN));
  for (const mode of ["lan", "bsp", "asp"] as const) {
    const rs = by(mode);
    if (rs.length === 0) continue;
    const t = time(mode);
    const vsLan = mode === "lan" ? "1.00x" : Number.isFinite(t) && Number.isFinite(time("lan")) ? `${(t / time("lan")).toFixed(2)}x` : "—";
    const speedup = mode === "asp" && Number.isFinite(t) && Number.isFinite(time("bsp")) ? `${(time("bsp") / t).toFixed(2)}x over BSP` : "";
    lines.push(
      `| ${modeNames[mode]} | ${rs.filter((r) => r.reachedTarget).length}/${rs.length} | ${rs.map((r) => fmtS(r.timeToTargetS)).join(", ")} | ${vsLan} | ${speedup} | ${rs.map((r) => r.iterations).join(", ")} | ${rs.map((r) => fmtMB(r.wanBytes)).join(", ")} | ${rs.map((r) => `${fmtS(r.blockedS.mirrorClock)} / ${fmtS(r.blockedS.barrier)}`).join(", ")} | ${rs.map((r) => r.objective.toFixed(4)).join(", ")} |`,
    );
  }
  return lines.join("\n");
}

const options = parseArgs(process.argv.slice(2));
if (options.quick) {
  setting.lanIterations = 30;
  setting.wallCapS = 45;
}
const load = loadavg()[0]!;
console.log(`bench:runtime: ${setting.dataCenters.join(", ")}; MF ${setting.workload.users}x${setting.workload.items}, rank ${setting.workload.rank}, batch ${setting.workload.batchSize} at ${setting.msPerSample} ms/sample; bandwidth x${options.bandwidthScales.join(", x")}, latency x${setting.latencyScale}; load average ${load.toFixed(2)} on ${cpus().length} cores`);

const reference = await run("lan", 0, { maxIterations: setting.lanIterations, target: null, maxWallS: setting.wallCapS, bandwidthScale: 1 });
if (!reference.reachedTarget || Number.isNaN(reference.objective)) fail(`the LAN reference run failed (${reference.stoppedBy})`);
const target = reference.objective + setting.tolerance * Math.abs(reference.objective);
console.log(`LAN reference: ${reference.iterations} iterations, objective ${reference.objective.toFixed(4)} -> target ${target.toFixed(4)}`);

const rows: Row[] = [];
for (let rep = 1; rep <= options.reps; rep++) {
  const cases: [Mode, number][] = [["lan", 1], ...options.bandwidthScales.flatMap((scale): [Mode, number][] => [["bsp", scale], ["asp", scale]])];
  for (const [mode, bandwidthScale] of cases) {
    const row = await run(mode, rep, { maxIterations: setting.lanIterations * setting.iterationCapFactor, target, maxWallS: setting.wallCapS, bandwidthScale });
    rows.push(row);
    console.log(
      `${modeNames[mode].padEnd(15)} ${mode === "lan" ? "" : `bandwidth x${bandwidthScale} `}rep ${rep}: ${row.reachedTarget ? `target in ${fmtS(row.timeToTargetS)} s` : `no target (${row.stoppedBy})`}, ${row.iterations} iterations, WAN ${fmtMB(row.wanBytes)} MB, start-up ${row.startupS.toFixed(1)} s, objective ${row.objective.toFixed(4)}, replica spread ${row.replicaSpread.toExponential(1)}`,
    );
  }
}
const loadAfter = loadavg()[0]!;

mkdirSync(options.outDir, { recursive: true });
const result = {
  generatedAt: new Date().toISOString(),
  machine: { cores: cpus().length, loadAverageBefore: load, loadAverageAfter: loadAfter },
  setting: { ...setting, bandwidthScales: options.bandwidthScales, reps: options.reps },
  reference: { iterations: reference.iterations, objective: reference.objective },
  target,
  rows,
};
writeFileSync(join(options.outDir, "runtime.json"), JSON.stringify(result, null, 2) + "\n");
const rendered = options.bandwidthScales.map((scale) => table(rows, target, scale)).join("\n\n");
console.log(`\n${rendered}\n\nwrote ${join(options.outDir, "runtime.json")}`);

if (options.docs) {
  const doc = join(root, "docs/runtime-results.md");
  const begin = "<!-- runtime-table:begin (generated by npm run bench:runtime) -->";
  const end = "<!-- runtime-table:end -->";
  const block = `${begin}\n${rendered}\n\nRun ${result.generatedAt.slice(0, 16).replace("T", " ")} UTC, ${options.reps} repetition(s); load average ${load.toFixed(2)} before and ${loadAfter.toFixed(2)} after, on ${cpus().length} cores. LAN reference: ${reference.iterations} iterations to objective ${reference.objective.toFixed(4)}.\n${end}`;
  const text = existsSync(doc) ? readFileSync(doc, "utf8") : `# Real-runtime results\n\n${begin}\n${end}\n`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  writeFileSync(doc, i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text}\n${block}\n`);
  console.log(`wrote ${doc}`);
}
