import { fullSetups, runCase, defaultKnobs, convergenceOf } from "./lib/runs.js";
const variants: Record<string, Record<string, unknown>> = JSON.parse(process.argv[2]!);
for (const [name, extra] of Object.entries(variants)) {
  const setup = { ...fullSetups.mf, msPerSample: null, spec: { ...fullSetups.mf.spec, ...extra }, evalEvery: 5 };
  const r = await runCase({ workload: "mf", topology: "ec2-11", mode: "lan", setup, knobs: defaultKnobs, target: null, maxVirtualTimeS: null, maxIterations: 500, seed: 1, regime: "accelerator" });
  const c = convergenceOf(r.result.series.filter((p) => p.iteration >= 0), r.direction);
  console.log(name, JSON.stringify(c), r.result.series.filter((_, i) => i % 10 === 0).map((p) => `${p.iteration}:${p.objective.toFixed(4)}`).join(" "), r.result.summary.wallTimeS.toFixed(1));
}
