import { fullSetups, paperSetups, runCase, defaultKnobs, type Mode, type WorkloadName } from "./lib/runs.js";
const [w, mode, iters, regime] = process.argv.slice(2) as [WorkloadName, Mode, string, string];
let peak = 0;
const t0 = performance.now();
const r = await runCase({ workload: w, topology: "ec2-11", mode, setup: paperSetups[w], knobs: defaultKnobs, target: null, maxVirtualTimeS: null, maxIterations: Number(iters), seed: 1, regime: regime === "cpu" || regime === "accelerator" ? regime : Number(regime), workerCache: process.argv[6] !== "nocache", ...(process.argv[7] ? { setup: fullSetups[w] } : {}) }, () => { peak = Math.max(peak, process.memoryUsage().rss); });
peak = Math.max(peak, process.memoryUsage().rss);
const s = r.result.summary;
console.log(JSON.stringify({ w, mode, it: s.iterations, vt: s.virtualTimeS, wall: (performance.now() - t0) / 1000, simWall: s.wallTimeS, rssMB: peak / 2 ** 20, wanMB: s.wanBytes / 1e6, obj: r.result.series.map((p) => +p.objective.toPrecision(5)), checks: s.checks, msPerSample: r.msPerSample }));
