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
