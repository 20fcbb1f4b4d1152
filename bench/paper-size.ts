/**
 * The paper-size jobs on ec2-11, measured (not a test):
 *
 *   npm run bench:paper-size [-- --only mf,lda,mnist] [-- --modes lan,bsp,ssp,asp] [-- --iterations 5]
 *                            [-- --regime cpu|accelerator|N] [-- --no-docs]
 *
 * Each (workload, mode) runs in its own process for a few iterations with 11 full replicas (asp) or
 * the Baseline's one sharded copy (bsp, ssp), so that its peak memory is its own. Per run it reports
 * wall time, peak RSS beside the protocol state the roles held (replicas, accumulators, residuals,
 * caches: summary.memory) and the memory estimated from the scenario before the run (@gaia/scenario
 * memory.ts; what `gaia simulate` refuses a run by), virtual time per iteration, WAN bytes per
 * iteration, and the ratio of one step's WAN transfer time to its compute time:
 *
 *   transfer = max over directed WAN links of (bytes the link carried per iteration / its bandwidth)
 *   compute  = samples of one worker step x msPerSample (calibrated cost x the regime's factor)
 *
 * A ratio far above 1 means the run is bound by WAN bandwidth, the paper's regime for the Baseline.
 * Writes bench/results/paper-size.json and the paper-size block of docs/results.md.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { estimateMemory } from "@gaia/scenario";
import { buildScenario, defaultKnobs, modes, paperSetups, replaceBlock, runCase, workloadNames, type CaseSpec, type Mode, type WorkloadName } from "./lib/runs.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const here = fileURLToPath(import.meta.url);

interface Measurement {
  readonly workload: WorkloadName;
  readonly mode: Mode;
  readonly regime: string;
  readonly parameters: number;
  readonly iterations: number;
  readonly wallS: number;
  readonly wallSPerIteration: number;
  readonly peakRssMb: number;
  /** Bytes of protocol state the roles held at the end (summary.memory.protocolStateBytes). */
  readonly protocolStateBytes: number;
  /** The estimate of that state, and of the whole run, from the scenario alone. */
  readonly estimatedStateBytes: number;
  readonly estimatedBytes: number;
  /** Peak RSS over the protocol state. */
  readonly rssOverState: number;
  /** Peak RSS <= 1.5 x the protocol state + 300 MB. */
  readonly withinBound: boolean;
  readonly virtualSPerIteration: number;
  readonly wanBytesPerIteration: number;
  readonly computeMsPerStep: number;
  readonly transferMsPerStep: number;
  readonly transferOverCompute: number;
  readonly checksHeld: boolean;
  readonly objectives: readonly number[];
}

function fail(message: string): never {
  console.error(`bench:paper-size: ${message}`);
  process.exit(2);
}

const parseRegime = (v: string): "cpu" | "accelerator" | number => (v === "cpu" || v === "accelerator" ? v : Number(v) > 0 ? Number(v) : fail(`bad regime ${v}`));

async function measureOne(workload: WorkloadName, mode: Mode, iterations: number, regime: "cpu" | "accelerator" | number): Promise<Measurement> {
  const c: CaseSpec = { workload, topology: "ec2-11", mode, setup: paperSetups[workload], knobs: defaultKnobs, target: null, maxVirtualTimeS: null, maxIterations: iterations, seed: 1, regime };
  const started = performance.now();
  const r = await runCase(c);
  const wallS = (performance.now() - started) / 1000;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const s = r.result.summary;
  const scenarioForEstimate = buildScenario(c);
  const estimate = estimateMemory(scenarioForEstimate, { workerCache: c.workerCache ?? true });
  const protocolStateBytes = s.memory?.protocolStateBytes ?? 0;
  // One worker step's samples, from a probe of worker 0 on the initial parameters.
  const scenario = buildScenario(c);
  const { createWorkload } = await import("@gaia/workloads");
  const w = await createWorkload(scenario.workload, { seed: scenario.seed, dataCenters: scenario.topology.dataCenters, workersPerDataCenter: scenario.topology.workersPerDataCenter });
  const probe = w.createWorker({ dataCenterIndex: 0, dataCenterCount: scenario.topology.dataCenters.length, workerIndex: 0, workersPerDataCenter: scenario.topology.workersPerDataCenter, globalWorkerIndex: 0, globalWorkerCount: scenario.topology.dataCenters.length * scenario.topology.workersPerDataCenter }, new (await import("@gaia/core")).Rng(1).child("probe"));
  const rows = probe.rowsFor(0) ?? Uint32Array.from({ length: w.rows }, (_, i) => i);
  const initial = w.initParams();
  const values = new Float32Array(rows.length * w.cols);
  rows.forEach((row, i) => values.set(initial.subarray(row * w.cols, (row + 1) * w.cols), i * w.cols));
  const computeMsPerStep = probe.step(0, rows, values).samples * r.msPerSample;
  const bandwidth = new Map(scenario.topology.links.map((l) => [`${l.source}->${l.target}`, (l.bandwidthMbps * 1e6) / 8 / 1000]));
  let transferMsPerStep = 0;
  for (const [link, bytes] of Object.entries(s.wanBytesByLink)) {
    const perMs = bandwidth.get(link);
    if (perMs !== undefined) transferMsPerStep = Math.max(transferMsPerStep, bytes / Math.max(1, s.iterations) / perMs);
  }
  return {
    workload,
    mode,
    regime: String(regime),
    parameters: w.rows * w.cols,
    iterations: s.iterations,
    wallS,
    wallSPerIteration: wallS / Math.max(1, s.iterations),
    peakRssMb,
    protocolStateBytes,
    estimatedStateBytes: estimate.state.total,
    estimatedBytes: estimate.totalBytes,
    rssOverState: (peakRssMb * 2 ** 20) / Math.max(1, protocolStateBytes),
    withinBound: peakRssMb * 2 ** 20 <= 1.5 * protocolStateBytes + 300e6,
    virtualSPerIteration: s.virtualTimeS / Math.max(1, s.iterations),
    wanBytesPerIteration: s.wanBytes / Math.max(1, s.iterations),
    computeMsPerStep,
    transferMsPerStep,
    transferOverCompute: transferMsPerStep / computeMsPerStep,
    checksHeld: Object.values(s.checks).every((v) => v === null),
    objectives: r.result.series.map((p) => p.objective),
  };
}

function render(ms: readonly Measurement[], iterations: number): string {
  const lines = [
    `_Generated by \`npm run bench:paper-size\` (ec2-11, seed 1, ${iterations} iterations per run, each run in its own process; the machine's 2 cores were shared with other jobs). Raw: [bench/results/paper-size.json](../bench/results/paper-size.json)._`,
    "",
    "| workload | parameters | sync | regime | virtual s / iteration | WAN MB / iteration | compute ms / step | WAN transfer ms / step | transfer / compute | wall s / iteration | protocol state | estimated (state / run) | peak RSS | RSS / state | checks |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const m of ms) {
    lines.push(
      `| ${m.workload} | ${(m.parameters / 1e6).toFixed(2)}M | ${m.mode} | ${m.regime} | ${m.virtualSPerIteration.toFixed(3)} | ${(m.wanBytesPerIteration / 1e6).toFixed(1)} | ${m.computeMsPerStep.toPrecision(3)} | ${m.transferMsPerStep.toPrecision(3)} | ${m.mode === "lan" ? "n/a (no WAN)" : `${m.transferOverCompute.toFixed(0)}x`} | ${m.wallSPerIteration.toFixed(2)} | ${(m.protocolStateBytes / 1e6).toFixed(0)} MB | ${(m.estimatedStateBytes / 1e6).toFixed(0)} / ${(m.estimatedBytes / 1e6).toFixed(0)} MB | ${((m.peakRssMb * 2 ** 20) / 1e6).toFixed(0)} MB | ${m.rssOverState.toFixed(2)}x${m.withinBound ? "" : " (over 1.5x + 300 MB)"} | ${m.checksHeld ? "held" : "**violated**"} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--one") {
    const m = await measureOne(argv[1] as WorkloadName, argv[2] as Mode, Number(argv[3]), parseRegime(argv[4]!));
    console.log(JSON.stringify(m));
    return;
  }
  let workloads: WorkloadName[] = [...workloadNames];
  let runModes: Mode[] = ["lan", "bsp", "ssp", "asp"];
  let iterations = 5;
  let regime = "accelerator";
  let docs = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--only") workloads = (argv[++i] ?? "").split(",") as WorkloadName[];
    else if (arg === "--modes") runModes = (argv[++i] ?? "").split(",") as Mode[];
    else if (arg === "--iterations") iterations = Number(argv[++i]);
    else if (arg === "--regime") regime = String(parseRegime(argv[++i] ?? ""));
    else if (arg === "--no-docs") docs = false;
    else fail(`unknown option "${arg}" (known: --only, --modes, --iterations, --regime, --no-docs)`);
  }
  for (const w of workloads) if (!workloadNames.includes(w)) fail(`unknown workload ${w}`);
  for (const m of runModes) if (!modes.includes(m)) fail(`unknown mode ${m}`);
  if (!(Number.isInteger(iterations) && iterations >= 1)) fail("--iterations needs a positive integer");
  const out: Measurement[] = [];
  for (const w of workloads) {
    for (const m of runModes) {
      const child = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", here, "--one", w, m, String(iterations), regime], { cwd: root, encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
      const line = child.stdout.trim().split("\n").pop() ?? "";
      if (child.status !== 0 || !line.startsWith("{")) fail(`${w} ${m} failed:\n${child.stderr}`);
      const measured = JSON.parse(line) as Measurement;
      out.push(measured);
      console.log(`${w} ${m}: ${measured.virtualSPerIteration.toFixed(3)} virtual s/it, transfer/compute ${measured.transferOverCompute.toFixed(0)}x, ${measured.wallSPerIteration.toFixed(2)} wall s/it, peak ${measured.peakRssMb.toFixed(0)} MiB, state ${(measured.protocolStateBytes / 2 ** 20).toFixed(0)} MiB (estimated ${(measured.estimatedStateBytes / 2 ** 20).toFixed(0)}; run ${(measured.estimatedBytes / 2 ** 20).toFixed(0)}), RSS/state ${measured.rssOverState.toFixed(2)}${measured.withinBound ? "" : " OVER 1.5x+300MB"}`);
      writeFileSync(join(root, "bench/results/paper-size.json"), JSON.stringify(out, null, 2) + "\n");
    }
  }
  const text = render(out, iterations);
  console.log(text);
  if (docs) {
    const path = join(root, "docs/results.md");
    writeFileSync(path, replaceBlock(readFileSync(path, "utf8"), "paper-size", text));
  }
  if (out.some((m) => !m.checksHeld)) process.exit(1);
}

await main();
