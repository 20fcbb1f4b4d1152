/**
 * The simulator's cost against its physical limit (not a test):
 *
 *   npm run bench:sim-cost [-- --only mf,lda,mnist] [-- --modes lan,bsp,asp] [-- --iterations 2]
 *
 * For each paper-size workload (bench/paper-size.ts's setups, ec2-11, seed 1, accelerator regime)
 * under each mode, one process runs the job for a few iterations and measures, side by side:
 *
 *   run wall    the simulation's wall time (runSimulation, without the replay below)
 *   limit wall  what no simulator of this run can avoid: the workers' programs (rowsFor and step,
 *               timed as they run, through a wrapped workload) plus every replica's decode and apply of exactly the
 *               bodies it received: each push a shard receives (rows x cols additions) and each
 *               mirror update or flush (decodeUpdate, then the additions), replayed alone, as it is
 *               delivered, into a scratch table of the shard's size (a tap on the driver's
 *               deliveries). Hubs' work, the significance filter, encoding, the network model, the
 *               checkers and evaluations are the simulator's own cost, so they count in the run only.
 *
 * Prints run / limit per (workload, mode) with the load average, and writes
 * bench/results/sim-cost.json (entries of the runs made replace the saved ones of the same
 * workload and mode, so the command can be sharded with --only and --modes).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { decodeUpdate, ShardRole, type Message, type NodeId, type Role, type Workload, type WorkerProgram } from "@gaia/core";
import { runSimulation } from "@gaia/sim";
import { buildScenario, defaultKnobs, modes, paperSetups, workloadNames, type CaseSpec, type Mode, type WorkloadName } from "./lib/runs.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const here = fileURLToPath(import.meta.url);
const resultsPath = join(root, "bench/results/sim-cost.json");

interface Measurement {
  readonly workload: WorkloadName;
  readonly mode: Mode;
  readonly parameters: number;
  readonly iterations: number;
  readonly runWallS: number;
  readonly limitWallS: number;
  readonly stepS: number;
  readonly decodeApplyS: number;
  readonly runOverLimit: number;
  readonly runWallSPerIteration: number;
  readonly bodies: number;
  readonly entries: number;
  readonly traceHash: string;
  readonly loadAverage: readonly number[];
}

function fail(message: string): never {
  console.error(`bench:sim-cost: ${message}`);
  process.exit(2);
}

/** The workload with every worker's program calls (rowsFor, step) timed into `clock.stepMs`. */
function timedWorkload(w: Workload, clock: { stepMs: number }): Workload {
  const wrapped = Object.create(w) as Workload;
  return Object.assign(wrapped, {
    createWorker: (placement: Parameters<Workload["createWorker"]>[0], rng: Parameters<Workload["createWorker"]>[1]): WorkerProgram => {
      const program = w.createWorker(placement, rng);
      return {
        rowsFor: (c: number) => {
          const started = performance.now();
          const rows = program.rowsFor(c);
          clock.stepMs += performance.now() - started;
          return rows;
        },
        step: (c: number, rows: Uint32Array, values: Float32Array) => {
          const started = performance.now();
          const result = program.step(c, rows, values);
          clock.stepMs += performance.now() - started;
          return result;
        },
      };
    },
  });
}

async function measureOne(workload: WorkloadName, mode: Mode, iterations: number): Promise<Measurement> {
  const c: CaseSpec = { workload, topology: "ec2-11", mode, setup: paperSetups[workload], knobs: defaultKnobs, target: null, maxVirtualTimeS: null, maxIterations: iterations, seed: 1, regime: "accelerator" };
  const scenario = buildScenario(c);
  const { createWorkload } = await import("@gaia/workloads");
  const base = await createWorkload(scenario.workload, { seed: scenario.seed, dataCenters: scenario.topology.dataCenters, workersPerDataCenter: scenario.topology.workersPerDataCenter });
  const clock = { stepMs: 0, replayMs: 0, bodies: 0, entries: 0 };
  const scratch = new Map<number, Float32Array>();
  const cols = base.cols;
  const tap = (_to: NodeId, msg: Message, role: Role): void => {
    if (!(role instanceof ShardRole)) return;
    if (msg.kind !== "push" && msg.kind !== "mirror-update" && msg.kind !== "mirror-flush") return;
    const size = role.values().length;
    let table = scratch.get(size);
    if (table === undefined) scratch.set(size, (table = new Float32Array(size)));
    const started = performance.now();
    if (msg.kind === "push") {
      const start = role.range.start;
      for (let i = 0; i < msg.rows.length; i++) {
        const offset = (msg.rows[i]! - start) * cols;
        for (let k = 0; k < cols; k++) table[offset + k]! += msg.deltas[i * cols + k]!;
      }
      clock.entries += msg.deltas.length;
    } else {
      const { indices, deltas } = decodeUpdate(msg.body, size);
      for (let i = 0; i < indices.length; i++) table[indices[i]!]! += deltas[i]!;
      clock.entries += indices.length;
    }
    clock.replayMs += performance.now() - started;
    clock.bodies++;
  };
  const started = performance.now();
  const result = await runSimulation(scenario, { workload: timedWorkload(base, clock), recordTrace: false, checkInvariants: false, onDelivered: tap });
  const totalMs = performance.now() - started;
  const s = result.summary;
  const runWallS = (totalMs - clock.replayMs) / 1000;
  const limitWallS = (clock.stepMs + clock.replayMs) / 1000;
  return {
    workload,
    mode,
    parameters: base.rows * base.cols,
    iterations: s.iterations,
    runWallS,
    limitWallS,
    stepS: clock.stepMs / 1000,
    decodeApplyS: clock.replayMs / 1000,
    runOverLimit: runWallS / limitWallS,
    runWallSPerIteration: runWallS / Math.max(1, s.iterations),
    bodies: clock.bodies,
    entries: clock.entries,
    traceHash: s.traceHash,
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--one") {
    console.log(JSON.stringify(await measureOne(argv[1] as WorkloadName, argv[2] as Mode, Number(argv[3]))));
    return;
  }
  let workloads: WorkloadName[] = [...workloadNames];
  let runModes: Mode[] = ["lan", "bsp", "asp"];
  let iterations = 2;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--only") workloads = (argv[++i] ?? "").split(",") as WorkloadName[];
    else if (arg === "--modes") runModes = (argv[++i] ?? "").split(",") as Mode[];
    else if (arg === "--iterations") iterations = Number(argv[++i]);
    else fail(`unknown option "${arg}" (known: --only, --modes, --iterations)`);
  }
  for (const w of workloads) if (!workloadNames.includes(w)) fail(`unknown workload ${w} (known: ${workloadNames.join(", ")})`);
  for (const m of runModes) if (!modes.includes(m)) fail(`unknown mode ${m} (known: ${modes.join(", ")})`);
  if (!(Number.isInteger(iterations) && iterations >= 1)) fail("--iterations needs a positive integer");
  const saved: Measurement[] = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, "utf8")) as Measurement[]) : [];
  const out: Measurement[] = [];
  console.log("| workload | sync | iterations | run wall s | limit wall s (steps + decode/apply) | run / limit | run s / iteration | load average |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const w of workloads) {
    for (const m of runModes) {
      const child = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", here, "--one", w, m, String(iterations)], { cwd: root, encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
      const line = child.stdout.trim().split("\n").pop() ?? "";
      if (child.status !== 0 || !line.startsWith("{")) fail(`${w} ${m} failed:\n${child.stderr}`);
      const r = JSON.parse(line) as Measurement;
      out.push(r);
      console.log(`| ${w} | ${m} | ${r.iterations} | ${r.runWallS.toFixed(2)} | ${r.limitWallS.toFixed(2)} (${r.stepS.toFixed(2)} + ${r.decodeApplyS.toFixed(2)}) | ${r.runOverLimit.toFixed(1)} | ${r.runWallSPerIteration.toFixed(2)} | ${r.loadAverage.join(" ")} |`);
      const merged = [...saved.filter((s) => !out.some((o) => o.workload === s.workload && o.mode === s.mode)), ...out];
      writeFileSync(resultsPath, JSON.stringify(merged, null, 2) + "\n");
    }
  }
}

await main();
