/**
 * `npm run soak`: a 3-data-center `gaia launch` (one worker, one shard and one hub per data
 * center, on loopback) under random faults of every role, against an undisturbed run of the same
 * cluster.
 *
 * Faults, one every 10-30 s (seeded; the seed is printed), each on a node drawn from every worker,
 * shard and hub: `kill -9` from outside the launcher (the supervisor restarts the node; the soak
 * raises its restart limit), SIGSTOP then SIGCONT after 2-8 s, or a partition of the node for
 * 2-8 s (the runtime's `cut` command: every connection of the node is dropped and refused until
 * the time is up; its reliable links resend after). The soak runs for `--duration` of training
 * (stop.maxVirtualTime); the reference then runs the same cluster, without faults, to the same
 * iteration count (traced too, so the trace costs both alike). Reported: throughput (iterations per training second) against the
 * reference's, the final objective against the reference's, the launch's checkers and the trace
 * check that no update was lost or doubled (bench/lib/soak-verdict.ts). Written to
 * <out>/soak.json and soak.md, and printed. Exits 1 when a bar is missed.
 *
 *   npm run soak -- [--duration 10m] [--seed N] [--cluster FILE] [--ci] [--out DIR]
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Rng } from "@gaia/core";
import { launchCluster, loadCluster, type Launch, type LaunchResult } from "@gaia/net";
import { checkUpdates, judgeSoak, type SoakTraceEvent } from "./lib/soak-verdict.js";

const usage = "usage: npm run soak -- [--duration 10m] [--seed N] [--cluster FILE] [--ci] [--out DIR]";

function fail(message: string): never {
  process.stderr.write(`Error: ${message}\n${usage}\n`);
  process.exit(2);
}

const { values: args } = (() => {
  try {
    return parseArgs({ options: { duration: { type: "string" }, seed: { type: "string" }, cluster: { type: "string" }, ci: { type: "boolean", default: false }, out: { type: "string" }, "min-gap": { type: "string" }, "max-gap": { type: "string" } } });
  } catch (error) {
    return fail((error as Error).message);
  }
})();

const durationS = (() => {
  const text = args.duration ?? (args.ci ? "40s" : "10m");
  try {
    const m = /^(\d+(?:\.\d+)?)(s|m)$/.exec(text);
    if (m === null) throw new Error();
    return Number(m[1]) * (m[2] === "m" ? 60 : 1);
  } catch {
    return fail(`--duration ${text}: not a duration (e.g. 40s, 10m)`);
  }
})();
if (!(durationS >= 10)) fail(`--duration must be at least 10s (got ${args.duration})`);
const seed = args.seed !== undefined ? Number(args.seed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(seed) || seed < 0) fail(`--seed ${args.seed}: not a non-negative integer`);
const gapS = { min: Number(args["min-gap"] ?? (args.ci ? 8 : 10)), max: Number(args["max-gap"] ?? (args.ci ? 12 : 30)) };
if (!(gapS.min > 0 && gapS.max >= gapS.min)) fail(`--min-gap/--max-gap: need 0 < min <= max (got ${gapS.min}, ${gapS.max})`);

const out = args.out ?? join("bench", "results", "soak");
mkdirSync(out, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "gaia-soak-"));

/** The bundled soak cluster: 3 data centers, explicit hubs (one per data center), checkpoints. */
function clusterText(maxIterations: number, maxTimeS: number): string {
  const base = args.cluster !== undefined ? readFileSync(args.cluster, "utf8") : readFileSync(join("clusters", "local-3dc-hubs.yaml"), "utf8");
  const name = `soak-${maxIterations}`;
  return `${base.replace(/^name:.*$/m, `name: ${name}`).replace(/^stop:[\s\S]*$/m, "")}
stop:
  maxIterations: ${maxIterations}
  maxVirtualTime: ${maxTimeS}s
  evalEvery: 10
`;
}

function writeClusterFile(label: string, maxIterations: number, maxTimeS: number): string {
  const file = join(work, `${label}.yaml`);
  const text = clusterText(maxIterations, maxTimeS).replace(/^(\s*checkpoint:\s*\{)([^}]*)\}/m, (_m, head: string, body: string) => `${head}${body.includes("dir:") ? body : ` dir: ${join(work, `${label}-checkpoints`)},${body}`}}`);
  writeFileSync(file, text);
  return file;
}

interface Injected {
  readonly atS: number;
  readonly kind: "kill-9" | "sigstop" | "partition";
  readonly node: string;
  readonly forS: number;
}

async function soakRun(): Promise<{ result: LaunchResult; faults: Injected[]; restarts: number }> {
  const file = writeClusterFile("soak", 100_000_000, durationS);
  const launch: Launch = await launchCluster(loadCluster(file), {
    trace: true,
    timeoutS: durationS + 180,
    supervision: { maxRestarts: 1000 },
    onLog: (node, line) => node === "launcher" && process.stderr.write(`  [launcher] ${line}\n`),
  });
  const rng = new Rng(seed).child("soak");
  const faults: Injected[] = [];
  let done = false;
  const finished = launch.result.finally(() => (done = true));
  const nodes = launch.plan.layout.nodes;
  const sleep = (s: number): Promise<void> => new Promise((r) => setTimeout(r, s * 1000));
  void (async () => {
    while (launch.faultClockS === null && !done) await sleep(0.2);
    while (!done) {
      await sleep(gapS.min + rng.float() * (gapS.max - gapS.min));
      if (done || launch.trainingS > durationS - 5) break;
      const node = nodes[Math.floor(rng.float() * nodes.length)]!;
      const kinds = ["kill-9", "sigstop", "partition"] as const;
      const kind = kinds[Math.floor(rng.float() * kinds.length)]!;
      const forS = kind === "kill-9" ? 0 : 2 + rng.float() * 6;
      const pid = launch.pidOf(node);
      if (pid === null) continue;
      const atS = launch.trainingS;
      faults.push({ atS, kind, node, forS });
      process.stderr.write(`  [soak] ${atS.toFixed(1)} s: ${kind} ${node}${forS > 0 ? ` for ${forS.toFixed(1)} s` : ""}\n`);
      if (kind === "kill-9") process.kill(pid, "SIGKILL");
      else if (kind === "partition") launch.cutLinks(node, Math.round(forS * 1000));
      else {
        process.kill(pid, "SIGSTOP");
        await sleep(forS);
        try {
          process.kill(pid, "SIGCONT");
        } catch {
          // It died meanwhile (the run ended): nothing to resume.
        }
      }
    }
  })();
  const result = await finished;
  return { result, faults, restarts: result.summary.supervision?.restarts ?? 0 };
}

async function referenceRun(iterations: number): Promise<LaunchResult> {
  const file = writeClusterFile("reference", iterations, durationS * 3);
  const launch = await launchCluster(loadCluster(file), { trace: true, timeoutS: durationS * 3 + 180 });
  return launch.result;
}

const t0 = Date.now();
process.stderr.write(`soak: seed ${seed}, ${durationS} s of training, a fault every ${gapS.min}-${gapS.max} s; output ${out}\n`);
const soak = await soakRun();
const iterations = soak.result.summary.iterations;
process.stderr.write(`soak: ${iterations} iterations in ${(soak.result.summary.trainingTimeS ?? 0).toFixed(1)} s; reference run to ${iterations} iterations...\n`);
const reference = await referenceRun(iterations);
const updates = checkUpdates((soak.result.trace ?? []) as readonly SoakTraceEvent[]);
const checks: Record<string, string | null> = { ...soak.result.summary.checks, "updates-once": updates.verdict };
const figures = (r: LaunchResult): { iterations: number; trainingTimeS: number; finalObjective: number } => ({ iterations: r.summary.iterations, trainingTimeS: r.summary.trainingTimeS ?? 0, finalObjective: r.summary.objective });
const verdict = judgeSoak(figures(soak.result), figures(reference), checks);
const byKind: Record<string, number> = {};
for (const f of soak.faults) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
const report = {
  seed,
  durationS,
  faultGapS: gapS,
  wallS: (Date.now() - t0) / 1000,
  faults: { total: soak.faults.length, byKind, list: soak.faults },
  restarts: soak.restarts,
  frozenReports: soak.result.summary.supervision?.frozen ?? 0,
  soak: figures(soak.result),
  reference: figures(reference),
  throughputRatio: verdict.throughputRatio,
  objectiveGap: verdict.objectiveGap,
  updates,
  checks,
  passed: verdict.passed,
  failures: verdict.failures,
};
const table = [
  `| soak (seed ${seed}) | value |`,
  "|---|---|",
  `| training time | ${(soak.result.summary.trainingTimeS ?? 0).toFixed(1)} s (asked ${durationS} s) |`,
  `| faults | ${soak.faults.length} (${Object.entries(byKind).map(([k, n]) => `${k} ${n}`).join(", ")}); restarts ${soak.restarts} |`,
  `| throughput | ${(verdict.throughputRatio * 100).toFixed(1)}% of undisturbed (${(report.soak.iterations / report.soak.trainingTimeS).toFixed(2)} vs ${(report.reference.iterations / report.reference.trainingTimeS).toFixed(2)} it/s) |`,
  `| final objective | ${report.soak.finalObjective.toPrecision(6)} vs ${report.reference.finalObjective.toPrecision(6)} (${(verdict.objectiveGap * 100).toFixed(3)}%) |`,
  `| updates | ${updates.applied} applied, ${updates.resent} resent after restores, ${updates.lost} lost, ${updates.doubled} doubled |`,
  ...Object.entries(checks).map(([k, v]) => `| check ${k} | ${v ?? "held"} |`),
  `| verdict | ${verdict.passed ? "PASS" : `FAIL: ${verdict.failures.join("; ")}`} |`,
].join("\n");
writeFileSync(join(out, "soak.json"), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(out, "soak.md"), `${table}\n`);
process.stdout.write(`${table}\n\nwritten: ${join(out, "soak.json")}, ${join(out, "soak.md")}\n`);
process.exit(verdict.passed ? 0 : 1);
