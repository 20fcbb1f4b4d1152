import { defaultKnobs, fullSetups, runCase, targetFrom, firstReaching, type GaiaKnobs } from "./lib/runs.js";
const setup = fullSetups.mf;
const base = { workload: "mf" as const, topology: "ec2-11" as const, setup, knobs: defaultKnobs, maxVirtualTimeS: null, seed: 1 };
const lan = await runCase({ ...base, mode: "lan", target: null, maxIterations: setup.lanIterations });
const target = targetFrom(lan.direction, lan.result.summary.objective, 0.01);
console.log("target", target);
const variants: [string, "bsp" | "asp", Partial<GaiaKnobs>][] = [
  ["bsp", "bsp", {}],
  ["auto int8", "asp", { encoding: "int8" }],
  ["auto int8 const", "asp", { encoding: "int8", thresholdSchedule: "constant" }],
  ["0.01 const int8", "asp", { encoding: "int8", threshold: 0.01, thresholdSchedule: "constant" }],
  ["0.03 const int8", "asp", { encoding: "int8", threshold: 0.03, thresholdSchedule: "constant" }],
  ["0.1 const int8", "asp", { encoding: "int8", threshold: 0.1, thresholdSchedule: "constant" }],
];
let bsp = 0;
for (const [label, mode, k] of variants) {
  const t0 = Date.now();
  const r = await runCase({ ...base, mode, knobs: { ...defaultKnobs, ...k }, target, maxIterations: 3 * setup.lanIterations });
  const s = r.result.summary;
  if (mode === "bsp") bsp = s.wanBytes;
  const reached = firstReaching(r.result.series, r.direction, target);
  console.log(label.padEnd(18), "t", reached?.virtualTimeS?.toFixed(1) ?? "NOT", "it", s.iterations, "obj", s.objective.toFixed(4), "MB", (s.wanBytes / 1e6).toFixed(1), "x", (s.wanBytes / bsp).toFixed(3), "sig", s.filter?.significantShare?.toFixed(3), "B/v", s.filter?.bytesPerValue?.toFixed(2), "checks", Object.values(s.checks).every((v) => v === null) ? "held" : JSON.stringify(s.checks), `${((Date.now() - t0) / 1000).toFixed(0)}s wall`);
}
