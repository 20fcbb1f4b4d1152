/**
 * bench:wan: Gaia's WAN efficiency against the Baseline, measured side by side in one run.
 *
 * For each workload on ec2-11 (the full setups of bench/lib/runs.ts: compute ~0.3 s per step,
 * 22 workers, seed 1): LAN runs its `lanIterations`; its final objective relaxed by 1% is the
 * target. Then the Baseline BSP and Gaia (threshold auto, hubs auto) with f32 and int8 values run
 * to that target (at most 3x LAN's iterations). It prints, per workload, time to target, WAN bytes,
 * the ratio of Gaia's bytes to the Baseline's, the filter's bytes per value and significant share,
 * and the trace checkers' verdicts; `--json FILE` writes the rows.
 *
 * Flags: --workloads mf,lda,mnist  --quick (tiny setups)  --json FILE
 *        --fixed-thresholds 0.01,0.03,0.1  (also run Gaia int8 with these fixed constant thresholds)
 */
import { writeFileSync } from "node:fs";
import { defaultKnobs, fullSetups, quickSetups, runCase, targetFrom, firstReaching, type CaseSpec, type Mode, type WorkloadName } from "./lib/runs.js";

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes("--quick");
const workloads = (flag("--workloads") ?? "mf,lda,mnist").split(",") as WorkloadName[];
const setups = quick ? quickSetups : fullSetups;
const seed = 1;

interface Variant {
  readonly label: string;
  readonly mode: Mode;
  readonly encoding?: "f32" | "int8";
  /** A fixed threshold (constant schedule) instead of threshold auto. */
  readonly threshold?: number;
}
const fixed = (flag("--fixed-thresholds") ?? "").split(",").filter((t) => t !== "").map(Number);
if (fixed.some((t) => !(t > 0))) {
  process.stderr.write("--fixed-thresholds needs positive numbers, e.g. 0.01,0.03,0.1\n");
  process.exit(2);
}
const variants: readonly Variant[] = [
  { label: "bsp", mode: "bsp" },
  { label: "gaia f32", mode: "asp", encoding: "f32" },
  { label: "gaia int8", mode: "asp", encoding: "int8" },
  ...fixed.map((threshold): Variant => ({ label: `gaia int8 ${threshold}`, mode: "asp", encoding: "int8", threshold })),
];

const rows: Record<string, unknown>[] = [];
for (const workload of workloads) {
  const setup = setups[workload];
  const base = { workload, topology: "ec2-11" as const, setup, knobs: defaultKnobs, maxVirtualTimeS: null, seed };
  const lan = await runCase({ ...base, mode: "lan", target: null, maxIterations: setup.lanIterations });
  const target = targetFrom(lan.direction, lan.result.summary.objective, 0.01);
  process.stderr.write(`${workload}: LAN ${lan.result.summary.objective.toFixed(4)} after ${setup.lanIterations} iterations; target ${target.toFixed(4)}\n`);
  let bspBytes = 0;
  for (const v of variants) {
    const c: CaseSpec = { ...base, mode: v.mode, knobs: { ...defaultKnobs, ...(v.encoding ? { encoding: v.encoding } : {}), ...(v.threshold !== undefined ? { threshold: v.threshold, thresholdSchedule: "constant" as const } : {}) }, target, maxIterations: 3 * setup.lanIterations };
    const r = await runCase(c);
    const s = r.result.summary;
    const reached = firstReaching(r.result.series, r.direction, target);
    if (v.mode === "bsp") bspBytes = s.wanBytes;
    const failed = Object.entries(s.checks).filter(([, verdict]) => verdict !== null);
    const row = {
      workload,
      variant: v.label,
      timeToTargetS: reached?.virtualTimeS ?? null,
      iterations: s.iterations,
      objective: s.objective,
      target,
      wanBytes: s.wanBytes,
      bytesVsBsp: bspBytes > 0 ? s.wanBytes / bspBytes : null,
      bytesPerValue: s.filter?.bytesPerValue ?? null,
      significantShare: s.filter?.significantShare ?? null,
      heldBack: s.filter?.heldBack ?? null,
      barriers: s.filter?.barriers ?? null,
      checks: failed.length === 0 ? "held" : failed.map(([name, verdict]) => `${name}: ${verdict}`).join("; "),
    };
    rows.push(row);
    process.stderr.write(`  ${v.label.padEnd(10)} time ${row.timeToTargetS === null ? "not reached" : `${row.timeToTargetS.toFixed(1)} s`}  WAN ${(s.wanBytes / 1e6).toFixed(1)} MB  x${row.bytesVsBsp?.toFixed(3) ?? "-"} of BSP  ${row.bytesPerValue === null ? "" : `${row.bytesPerValue.toFixed(2)} B/value, ${(100 * row.significantShare!).toFixed(1)}% significant`}  checks ${row.checks}\n`);
  }
}
const out = flag("--json");
if (out) writeFileSync(out, JSON.stringify({ seed, setups: quick ? "quick" : "full", rows }, null, 2) + "\n");
console.table(rows.map((r) => ({ workload: r["workload"], variant: r["variant"], "time to target (s)": r["timeToTargetS"], "WAN MB": Number(((r["wanBytes"] as number) / 1e6).toFixed(1)), "x BSP bytes": r["bytesVsBsp"], "B/value": r["bytesPerValue"], checks: r["checks"] })));
