// Workload compute benchmark (not a test): wall time of one worker step for each ML program, and
// for the MNIST models on each available TensorFlow.js backend side by side (wasm vs cpu, plus
// tfjs-node where installed). Prints samples/s and the suggested costMsPerSample (measured ms per
// sample on this host, in CPU time) next to the figure each workload currently declares, the cost of one
// evaluation, and MF data generation throughput. Writes bench/results/workloads.json.
//   npm run bench:workloads [-- --seconds 1.5 --quick]
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { availableBackends, createWorkload, measureCase, type CalibrationCase } from "@gaia/workloads";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const secondsPerCase = arg("seconds", 1.5);
const quick = process.argv.includes("--quick");

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

const tfBackends = await availableBackends(["node", "wasm", "cpu"]);

const cases: CalibrationCase[] = [
  { name: "mf rank 16 (default)", spec: { kind: "mf" } },
  { name: "mf rank 32", spec: { kind: "mf", rank: 32, users: 20_000, items: 2000, ratings: 200_000 } },
  { name: "lda 10 topics (default)", spec: { kind: "lda" } },
  { name: "lda 50 topics", spec: { kind: "lda", topics: 50, vocabulary: 5000, documents: 2000 } },
];
for (const model of quick ? ["softmax"] : ["softmax", "mlp", "cnn"]) {
  for (const backend of tfBackends) cases.push({ name: `mnist ${model}`, spec: { kind: "mnist", model }, backend });
}

const figures: Figure[] = [];
const row = (...cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(26) : c.padStart(i === 1 ? 11 : 13))).join(" ");
console.log(`host: ${cpus()[0]?.model ?? "?"} x ${cpus().length}, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}; tfjs backends here: ${tfBackends.join(", ")}`);
console.log(row("workload", "backend", "samples/step", "cpu ms/step", "samples/s", "ms/sample", "declared", "evaluate ms"));
for (const c of cases) {
  // The measuring is shared with `gaia calibrate` (packages/workloads/src/calibrate.ts).
  const measured = await measureCase(c, secondsPerCase);
  const backend = measured.backend;
  const figure: Figure = {
    name: c.name,
    backend,
    steps: measured.steps,
    samplesPerStep: measured.samplesPerStep,
    msPerStep: measured.msPerStep,
    wallMsPerStep: measured.wallMsPerStep,
    samplesPerSecond: measured.samplesPerSecond,
    suggestedCostMsPerSample: measured.msPerSample,
    declaredCostMsPerSample: measured.declaredMsPerSample,
    evaluateMs: measured.evaluateMs,
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
