/**
 * Compute threads, measured (not a test): the paper-size jobs of bench/paper-size.ts on ec2-11 (the
 * MLP 784-1260-10 on mnist, ~1M weights; MF 10M; LDA 2M) for a few iterations at 1 thread
 * (in-process) and at 2 threads (`runSimulation(..., { threads })`), side by side in one process:
 *
 *   npm run bench:threads [-- --only mnist,mf,lda] [-- --modes lan,asp] [-- --iterations 10] [-- --threads 2] [-- --repeat 2]
 *
 * Per (workload, mode) it prints the wall time at each count, the ratio, whether the trace hashes
 * are identical (they must be), and the Amdahl bound: the fraction of the 1-thread run's wall time
 * spent in worker steps and evaluations (the rest is the simulator's own work on the main thread,
 * which threads do not spread), and 1 / (serial + compute / threads). The load average and the
 * CPU seconds each run got (process-wide, every thread) are printed with the figures: on shared
 * cores, the cores a run actually used (CPU / wall) bound its ratio. Exits 1 when a hash differs.
 */
import { availableParallelism, loadavg } from "node:os";
import { runSimulation } from "@gaia/sim";
import { buildScenario, defaultKnobs, modes, paperSetups, workloadNames, type CaseSpec, type Mode, type WorkloadName } from "./lib/runs.js";

function fail(message: string): never {
  console.error(`bench:threads: ${message}`);
  process.exit(2);
}

const argv = process.argv.slice(2);
let workloads: WorkloadName[] = ["mnist", "mf", "lda"];
let runModes: Mode[] = ["lan", "asp"];
let iterations = 10;
let threads = 2;
let repeat = 1;
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i]!;
  if (arg === "--only") workloads = (argv[++i] ?? "").split(",") as WorkloadName[];
  else if (arg === "--modes") runModes = (argv[++i] ?? "").split(",") as Mode[];
  else if (arg === "--iterations") iterations = Number(argv[++i]);
  else if (arg === "--threads") threads = Number(argv[++i]);
  else if (arg === "--repeat") repeat = Number(argv[++i]);
  else fail(`unknown option "${arg}" (known: --only, --modes, --iterations, --threads, --repeat)`);
}
for (const w of workloads) if (!workloadNames.includes(w)) fail(`unknown workload ${w}`);
for (const m of runModes) if (!modes.includes(m)) fail(`unknown mode ${m}`);
if (!(Number.isInteger(iterations) && iterations >= 1)) fail("--iterations needs a positive integer");
if (!(Number.isInteger(threads) && threads >= 2)) fail("--threads needs an integer >= 2");
if (!(Number.isInteger(repeat) && repeat >= 1)) fail("--repeat needs a positive integer");

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(" ");
console.log(`bench:threads: ${iterations} iterations, 1 against ${threads} threads, ${availableParallelism()} cores, load average ${load()}`);
let differ = false;
for (const workload of workloads) {
  for (const mode of runModes) {
    const c: CaseSpec = { workload, topology: "ec2-11", mode, setup: { ...paperSetups[workload], evalEvery: 5 }, knobs: defaultKnobs, target: null, maxVirtualTimeS: null, maxIterations: iterations, seed: 1, regime: "accelerator" };
    for (let r = 0; r < repeat; r++) {
      const runs = [];
      for (const count of [1, threads]) {
        const started = performance.now();
        const cpu = process.cpuUsage();
        const result = await runSimulation(buildScenario(c), { threads: count, recordTrace: false, checkInvariants: false });
        const wallS = (performance.now() - started) / 1000;
        const used = process.cpuUsage(cpu);
        const cpuS = (used.user + used.system) / 1e6;
        if (result.threads.used !== count) fail(`${workload} ${mode}: ${count} threads asked for, ${result.threads.used} used: ${result.threads.note}`);
        runs.push({ count, wallS, cpuS, hash: result.summary.traceHash, computeWallS: result.threads.computeWallS, iterations: result.summary.iterations });
      }
      const [one, many] = runs as [(typeof runs)[0], (typeof runs)[0]];
      const same = one.hash === many.hash;
      differ ||= !same;
      const computeFraction = one.computeWallS / one.wallS;
      const bound = 1 / (1 - computeFraction + computeFraction / threads);
      console.log(
        `${workload} ${mode} (${one.iterations} it): 1 thread ${one.wallS.toFixed(2)} s, ${threads} threads ${many.wallS.toFixed(2)} s, ${(one.wallS / many.wallS).toFixed(2)}x; ` +
          `hashes ${same ? `identical (${one.hash})` : `DIFFER (${one.hash} against ${many.hash})`}; ` +
          `steps + evaluations ${(100 * computeFraction).toFixed(0)}% of the 1-thread wall (Amdahl bound ${bound.toFixed(2)}x), main thread waiting ${many.computeWallS.toFixed(2)} s at ${threads}; ` +
          `CPU ${one.cpuS.toFixed(1)} s / ${many.cpuS.toFixed(1)} s (cores used ${(one.cpuS / one.wallS).toFixed(2)} / ${(many.cpuS / many.wallS).toFixed(2)}); load average ${load()}`,
      );
    }
  }
}
if (differ) process.exit(1);
