// Workload compute benchmark (not a test): wall time of one worker step for each ML program, and
// for the MNIST models on each available TensorFlow.js backend side by side (wasm vs cpu, plus
// tfjs-node where installed). Prints samples/s and the suggested costMsPerSample (measured ms per
// sample on this host, in CPU time) next to the figure each workload currently declares, the cost of one
// evaluation, and MF data generation throughput. Writes bench/results/workloads.json.
//   npm run bench:workloads [-- --seconds 1.5 --quick]
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { Rng, type Workload } from "@gaia/core";
import { createWorkload, selectBackend, type Backend } from "@gaia/workloads";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const secondsPerCase = arg("seconds", 1.5);
const quick = process.argv.includes("--quick");

interface Case {
  readonly name: string;
  readonly spec: { kind: string } & Record<string, unknown>;
  readonly backend?: Backend;
}

interface Figure {
  readonly name: string;
  readonly backend: string | null;
  readonly steps: number;
  readonly samplesPerStep: number;
  /** CPU milliseconds per step (wall milliseconds in wallMsPerStep). */
  readonly msPerStep: number;
  readonly wallMsPerStep: number;
  readonly samplesPerSecond: number;
  readonly suggestedCostMsPerSample: number;
  readonly declaredCostMsPerSample: number;
  readonly evaluateMs: number;
}

const available = async (backend: Backend): Promise<boolean> => {
  try {
    await selectBackend(backend);
    return true;
  } catch {
    return false;
  }
};

const tfBackends: Backend[] = [];
for (const backend of ["node", "wasm", "cpu"] as const) if (await available(backend)) tfBackends.push(backend);

const cases: Case[] = [
  { name: "mf rank 16 (default)", spec: { kind: "mf" } },
  { name: "mf rank 32", spec: { kind: "mf", rank: 32, users: 20_000, items: 2000, ratings: 200_000 } },
  { name: "lda 10 topics (default)", spec: { kind: "lda" } },
  { name: "lda 50 topics", spec: { kind: "lda", topics: 50, vocabulary: 5000, documents: 2000 } },
];
for (const model of quick ? ["softmax"] : ["softmax", "mlp", "cnn"]) {
  for (const backend of tfBackends) cases.push({ name: `mnist ${model}`, spec: { kind: "mnist", model }, backend });
}

/**
 * Times worker steps of one worker that holds all the data, on a table that it keeps updating.
 * Times are process CPU time (the machine may be shared; every kernel here is single-threaded),
 * with the wall time kept beside them.
 */
function measure(workload: Workload): { steps: number; samples: number; ms: number; wallMs: number; evaluateMs: number } {
  const placement = { dataCenterIndex: 0, dataCenterCount: 1, workerIndex: 0, workersPerDataCenter: 1, globalWorkerIndex: 0, globalWorkerCount: 1 };
  const worker = workload.createWorker(placement, new Rng(1).child("bench"));
  const table = workload.initParams();
  const cols = workload.cols;
  const allRows = Uint32Array.from({ length: workload.rows }, (_, k) => k);
  let clock = 0;
  const step = (): number => {
    const rows = worker.rowsFor(clock) ?? allRows;
    const values = new Float32Array(rows.length * cols);
    for (let k = 0; k < rows.length; k++) values.set(table.subarray(rows[k]! * cols, (rows[k]! + 1) * cols), k * cols);
    const result = worker.step(clock++, rows, values);
    for (let k = 0; k < result.rows.length; k++) {
      const base = result.rows[k]! * cols;
      for (let j = 0; j < cols; j++) table[base + j] = table[base + j]! + result.deltas[k * cols + j]!;
    }
    return result.samples;
  };
  for (let k = 0; k < 3; k++) step();
  let steps = 0;
  let samples = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  while (performance.now() - start < secondsPerCase * 1000 || steps < 3) {
    samples += step();
    steps++;
  }
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  workload.evaluate(table); // warm-up: the first call also compiles, and LDA scores the true topics once
  const evaluateStart = process.cpuUsage();
  workload.evaluate(table);
  const evaluate = process.cpuUsage(evaluateStart);
  return { steps, samples, ms: (cpu.user + cpu.system) / 1000, wallMs, evaluateMs: (evaluate.user + evaluate.system) / 1000 };
}

const figures: Figure[] = [];
const row = (...cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(26) : c.padStart(i === 1 ? 11 : 13))).join(" ");
console.log(`host: ${cpus()[0]?.model ?? "?"} x ${cpus().length}, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}; tfjs backends here: ${tfBackends.join(", ")}`);
console.log(row("workload", "backend", "samples/step", "cpu ms/step", "samples/s", "ms/sample", "declared", "evaluate ms"));
for (const c of cases) {
  const workload = await createWorkload(c.spec, { seed: 1, dataCenters: ["bench"], workersPerDataCenter: 1, ...(c.backend !== undefined ? { backend: c.backend } : {}) });
  const m = measure(workload);
  const backend = (workload as { backend?: string }).backend ?? null;
  const figure: Figure = {
    name: c.name,
    backend,
    steps: m.steps,
    samplesPerStep: m.samples / m.steps,
    msPerStep: m.ms / m.steps,
    wallMsPerStep: m.wallMs / m.steps,
    samplesPerSecond: (m.samples / m.ms) * 1000,
    suggestedCostMsPerSample: m.ms / m.samples,
    declaredCostMsPerSample: workload.costMsPerSample,
    evaluateMs: m.evaluateMs,
  };
  figures.push(figure);
  console.log(
    row(
      c.name,
      backend ?? "-",
      figure.samplesPerStep.toFixed(0),
      figure.msPerStep.toFixed(3),
      figure.samplesPerSecond.toFixed(0),
      figure.suggestedCostMsPerSample.toPrecision(3),
      figure.declaredCostMsPerSample.toPrecision(3),
      figure.evaluateMs.toFixed(1),
    ),
  );
}

const ratings = quick ? 200_000 : 2_000_000;
const generationStart = process.cpuUsage();
await createWorkload({ kind: "mf", users: 100_000, items: 10_000, ratings, rank: 16 }, { seed: 1, dataCenters: ["a", "b", "c"], workersPerDataCenter: 2 });
const generation = process.cpuUsage(generationStart);
const generationS = (generation.user + generation.system) / 1e6;
console.log(`mf data generation: ${ratings} ratings in ${generationS.toFixed(2)} s CPU = ${((ratings / generationS) / 1e6).toFixed(2)} M ratings/s (12 bytes per rating)`);

mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
const output = {
  date: new Date().toISOString(),
  host: { cpu: cpus()[0]?.model ?? null, cores: cpus().length, node: process.version, loadAverage1m: loadavg()[0] },
  secondsPerCase,
  tfBackends,
  figures,
  mfGeneration: { ratings, seconds: generationS, ratingsPerSecond: ratings / generationS },
};
writeFileSync(new URL("./results/workloads.json", import.meta.url), `${JSON.stringify(output, null, 2)}\n`);
console.log("wrote bench/results/workloads.json");
