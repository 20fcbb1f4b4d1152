// Simulator engine benchmark (not a test): Gaia's ASP with hubs on the 11 EC2 regions x 2
// workers, with trivial compute (a one-column toy model, one sample per step), so the time goes
// to the event queue, the network model, the roles and the trace hash. Reports events per wall
// second and peak RSS; the target is >= 1M events/s. Also measures the bare event queue.
//   npm run bench:engine [-- --iterations 3000 --invariants]
import { performance } from "node:perf_hooks";
import { createToyWorkload, Engine, ec2HubGroups, presetTopology, runSimulation, type Scenario } from "@gaia/sim";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const iterations = arg("iterations", 2000);
const checkInvariants = process.argv.includes("--invariants");

let peakRss = process.memoryUsage().rss;
const sample = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
const sampler = setInterval(sample, 20);

function queueOnly(events: number): number {
  const engine = new Engine();
  let fired = 0;
  const tick = (): void => {
    fired++;
    if (fired < events) engine.after((fired * 7919) % 13, tick);
  };
  for (let i = 0; i < 1000; i++) engine.at(i, tick);
  const start = performance.now();
  engine.run();
  return engine.events / ((performance.now() - start) / 1000);
}

const topology = presetTopology("ec2-11")!;
const scenario: Scenario = {
  name: "engine-bench",
  description: "",
  seed: 1,
  topology: { ...topology, preset: "ec2-11", workersPerDataCenter: 2, shardsPerDataCenter: 1 },
  workload: { kind: "toy" },
  sync: { model: "asp", staleness: 0, threshold: 0.01, thresholdSchedule: { kind: "inverse-sqrt" }, mirrorClockBound: 2, selectiveBarrier: "auto", hubGroups: ec2HubGroups },
  compute: { msPerSample: 20, speeds: {}, stragglers: null, jitter: 0.1 },
  faults: [],
  randomFaults: null,
  stop: { maxIterations: iterations, maxVirtualTimeS: null, targetObjective: null, evalEvery: 100 },
};
const workload = createToyWorkload({ seed: 1, rows: 22, cols: 1, nnz: 1, batch: 1, samplesPerWorker: 4 });

const queueRate = queueOnly(3_000_000);
const result = await runSimulation(scenario, { workload, checkInvariants, recordTrace: false, onProgress: sample });
sample();
clearInterval(sampler);
const { summary, stats } = result;
const rate = summary.events / summary.wallTimeS;
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
console.log(`event queue alone:        ${(queueRate / 1e6).toFixed(2)} M events/s`);
console.log(`simulation (11 DCs x 2):  ${summary.events} events in ${summary.wallTimeS.toFixed(2)} s = ${(rate / 1e6).toFixed(2)} M events/s (invariants ${checkInvariants ? "on" : "off"}; target >= 1 M)`);
console.log(`  ${stats.messages} messages, ${summary.iterations} iterations, ${summary.virtualTimeS.toFixed(1)} virtual s, trace ${summary.traceHash}`);
console.log(`  checks: ${Object.entries(summary.checks).map(([k, v]) => `${k}=${v === null ? "ok" : v}`).join(", ")}`);
console.log(`peak RSS:                 ${mb(peakRss)}`);
