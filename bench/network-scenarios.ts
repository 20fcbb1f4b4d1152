// Runs every bundled scenario (scenarios/*.yaml) and prints one JSON row per run: what the
// network model changes in bundled results (not a test). Used by docs/network.md:
//   - run it on two checkouts (before and after a network change) and compare the rows;
//   - --variants runs each ASP scenario under max-min and cm02, and with the control channel
//     dedicated or shared with data, to measure what those choices change.
//   node --conditions=source --import tsx bench/network-scenarios.ts [--variants] [--only a,b] [--out FILE]
import { readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadScenario, runSimulation, type RunOptions, type Scenario } from "@gaia/sim";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const only = arg("only")?.split(",");
const out = arg("out");
const variants = process.argv.includes("--variants");

const files = readdirSync(join(root, "scenarios"))
  .filter((f) => f.endsWith(".yaml"))
  .filter((f) => only === undefined || only.includes(f.replace(/\.yaml$/, "")))
  .sort();

interface Variant {
  readonly label: string;
  readonly scenario: (s: Scenario) => Scenario;
  readonly options: RunOptions;
}

const base: Variant = { label: "default", scenario: (s) => s, options: {} };
const withSharing = (sharing: "max-min" | "cm02"): ((s: Scenario) => Scenario) => (s) => ({ ...s, network: { sharing, nicMbps: s.network?.nicMbps ?? s.topology.lanBandwidthMbps, nics: s.network?.nics ?? {}, wanCaps: s.network?.wanCaps ?? {} } });
const extra: Variant[] = [
  { label: "cm02", scenario: withSharing("cm02"), options: {} },
  { label: "control-shared", scenario: (s) => s, options: { network: { controlChannel: "shared" } } as RunOptions },
];

const rows: unknown[] = [];
for (const file of files) {
  const scenario = loadScenario(join(root, "scenarios", file));
  for (const v of variants && scenario.sync.model === "asp" ? [base, ...extra] : [base]) {
    const { summary } = await runSimulation(v.scenario(scenario), { recordTrace: false, ...v.options });
    const row = {
      scenario: file.replace(/\.yaml$/, ""),
      variant: v.label,
      virtualTimeS: summary.virtualTimeS,
      iterations: summary.iterations,
      objective: summary.objective,
      reachedTarget: summary.reachedTarget,
      timeToTargetS: summary.timeToTargetS,
      wanBytes: summary.wanBytes,
      blockedS: summary.blockedS,
      stoppedBy: summary.stoppedBy,
      failedChecks: Object.entries(summary.checks).filter(([, verdict]) => verdict !== null).map(([name]) => name),
      traceHash: summary.traceHash,
      events: summary.events,
      wallTimeS: summary.wallTimeS,
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
if (out !== undefined) writeFileSync(out, `${JSON.stringify(rows, null, 2)}\n`);

// --before FILE --docs: write the comparison tables into docs/network.md.
const beforeFile = arg("before");
if (beforeFile !== undefined && process.argv.includes("--docs")) {
  const { readFileSync } = await import("node:fs");
  const { replaceBlock } = await import("./lib/runs.js");
  type Row = { scenario: string; variant: string; virtualTimeS: number; iterations: number; objective: number; reachedTarget: boolean; timeToTargetS: number | null; wanBytes: number; blockedS: { ssp: number; mirrorClock: number; barrier: number }; stoppedBy: string; failedChecks: string[]; traceHash: string };
  const before = JSON.parse(readFileSync(beforeFile, "utf8")) as Row[];
  const after = rows as Row[];
  const s = (x: number): string => (x >= 100 ? x.toFixed(1) : x >= 10 ? x.toFixed(2) : x.toFixed(3));
  const pct = (a: number, b: number): string => (a === b ? "=" : `${b > a ? "+" : ""}${(((b - a) / a) * 100).toFixed(2)}%`);
  const blocked = (r: Row): number => r.blockedS.ssp + r.blockedS.mirrorClock + r.blockedS.barrier;
  const mb = (x: number): string => (x / 1e6).toFixed(2);
  const lines = [
    "| scenario | time to target, s (before -> after) | virtual time, s | iterations | WAN MB | blocked, worker-s | checks | trace hash |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const b of before) {
    const a = after.find((r) => r.scenario === b.scenario && r.variant === "default");
    if (a === undefined) continue;
    const ttt = b.timeToTargetS === null && a.timeToTargetS === null ? "not reached (no target)" : `${b.timeToTargetS === null ? "-" : s(b.timeToTargetS)} -> ${a.timeToTargetS === null ? "-" : s(a.timeToTargetS)} (${b.timeToTargetS !== null && a.timeToTargetS !== null ? pct(b.timeToTargetS, a.timeToTargetS) : "?"})`;
    lines.push(
      `| ${b.scenario} | ${ttt} | ${s(b.virtualTimeS)} -> ${s(a.virtualTimeS)} (${pct(b.virtualTimeS, a.virtualTimeS)}) | ${b.iterations} -> ${a.iterations} | ${mb(b.wanBytes)} -> ${mb(a.wanBytes)} | ${s(blocked(b))} -> ${s(blocked(a))} | ${a.failedChecks.length === 0 ? "all held" : a.failedChecks.join(", ")} | ${b.traceHash} -> ${a.traceHash} |`,
    );
  }
  let doc = readFileSync(join(root, "docs/network.md"), "utf8");
  doc = replaceBlock(doc, "scenarios", `_Generated by \`bench/network-scenarios.ts --before\` (seed of each file)._\n\n${lines.join("\n")}`);
  const control = [
    "| scenario | variant | time to target, s | virtual time, s | barrier-blocked, worker-s | mirror-clock-blocked, worker-s | trace hash |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of after.filter((x) => x.variant !== "default" || after.some((y) => y.scenario === x.scenario && y.variant !== "default"))) {
    control.push(`| ${r.scenario} | ${r.variant} | ${r.timeToTargetS === null ? "-" : s(r.timeToTargetS)} | ${s(r.virtualTimeS)} | ${s(r.blockedS.barrier)} | ${s(r.blockedS.mirrorClock)} | ${r.traceHash} |`);
  }
  if (control.length > 2) doc = replaceBlock(doc, "control", `_Generated by \`bench/network-scenarios.ts --variants\`: "default" is max-min with the dedicated control channel; "cm02" the other sharing model; "control-shared" control messages as flows._\n\n${control.join("\n")}`);
  writeFileSync(join(root, "docs/network.md"), doc);
  console.log("wrote docs/network.md");
}
