import { defaultKnobs, fullSetups, runCase } from "./lib/runs.js";
const setup = fullSetups.lda;
for (const encoding of (process.argv[2] ?? "f32").split(",") as ("f32"|"int8")[]) {
  const r = await runCase({ workload: "lda", topology: "ec2-11", setup, knobs: { ...defaultKnobs, encoding }, maxVirtualTimeS: null, seed: 1, mode: (process.argv[3] ?? "asp") as "asp", target: -5.7042, maxIterations: 360 });
  const s = r.result.summary;
  console.log(encoding, s.virtualTimeS.toFixed(1), s.iterations, s.objective, (s.wanBytes/1e6).toFixed(1), s.stoppedBy, JSON.stringify(s.checks));
}
