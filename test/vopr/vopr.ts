/**
 * The vopr: random fault schedules by the ten thousand, as TigerBeetle's VOPR runs them. One root
 * seed decides every schedule (schedule i's seed is `scheduleSeed(root, i)`), each schedule is a
 * tiny job under random faults (test/support/fault-schedule.ts) judged by every checker, and a
 * failure prints its schedule seed with a replay line that reruns exactly that schedule from
 * (seed, commit).
 *
 *   npm run vopr -- --schedules 10000 --seed 7 --jobs 2
 *   npm run vopr -- --replay 123456789 --commit <sha>
 *   npm run vopr -- --nightly                       (1,000,000 schedules)
 *
 * Defaults: 10,000 schedules under CI (the seed from GAIA_SEED), else 1,000 with a fresh seed;
 * jobs 2 (child processes, each running every `jobs`-th schedule). Progress goes to stderr every few
 * seconds; the last line has the counts, wall time and rate. Exit 1 on any failure.
 */
import { execFileSync, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { drawSchedule, modelOf, runSchedule, scheduleSummary } from "../support/fault-schedule.js";

/** Schedule i's seed under root seed `root`: a 32-bit mix, so neighbouring schedules share nothing. */
export function scheduleSeed(root: number, index: number): number {
  let h = (Math.imul(root >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

export interface Failure {
  readonly seed: number;
  readonly summary: string;
  readonly verdict: string;
}

/** What a batch of schedules came to. */
export interface Batch {
  readonly done: number;
  readonly failures: readonly Failure[];
  readonly byModel: Readonly<Record<string, number>>;
}

/** Runs schedules `index = offset, offset + stride, ...` below `count`, in this process. */
export async function runBatch(root: number, count: number, offset = 0, stride = 1, onProgress?: (b: Batch) => void): Promise<Batch> {
  const failures: Failure[] = [];
  const byModel: Record<string, number> = {};
  let done = 0;
  let reported = Date.now();
  for (let i = offset; i < count; i += stride) {
    const seed = scheduleSeed(root, i);
    const s = drawSchedule(seed);
    const { verdict } = await runSchedule(s);
    done++;
    byModel[modelOf(s)] = (byModel[modelOf(s)] ?? 0) + 1;
    if (verdict !== null) failures.push({ seed, summary: scheduleSummary(s), verdict });
    if (onProgress !== undefined && (verdict !== null || Date.now() - reported >= 1000)) {
      onProgress({ done, failures: [...failures], byModel: { ...byModel } });
      failures.length = 0;
      done = 0;
      for (const k of Object.keys(byModel)) delete byModel[k];
      reported = Date.now();
    }
  }
  return { done, failures, byModel };
}

const gitHead = (): { commit: string; dirty: boolean } => {
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() !== "";
    return { commit, dirty };
  } catch {
    return { commit: "unknown", dirty: false };
  }
};

/** Failures printed in full; a broken rule usually fails many schedules, and the first few say it. */
const shownFailures = 20;

export const replayLine = (seed: number, commit: string): string => `npm run vopr -- --replay ${seed} --commit ${commit}`;

interface Args {
  readonly schedules: number;
  readonly seed: number;
  readonly jobs: number;
  readonly replay: number | null;
  readonly commit: string | null;
}

function parseArgs(argv: readonly string[]): Args {
  const value = (name: string): string | null => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return null;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new Error(`--${name} needs a value`);
    return v;
  };
  const integer = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number >= 0, not ${v}`);
    return n;
  };
  const known = new Set(["--schedules", "--seed", "--jobs", "--replay", "--commit", "--nightly"]);
  for (const a of argv) if (a.startsWith("--") && !known.has(a)) throw new Error(`unknown option ${a} (known: ${[...known].join(", ")})`);
  const ci = process.env["CI"] === "true";
  const seedText = value("seed") ?? process.env["GAIA_SEED"] ?? "";
  const schedulesText = value("schedules");
  const replayText = value("replay");
  return {
    schedules: schedulesText !== null ? integer("schedules", schedulesText) : argv.includes("--nightly") ? 1_000_000 : ci ? 10_000 : 1_000,
    seed: seedText !== "" ? integer("seed", seedText) >>> 0 : (Date.now() ^ (process.pid << 8)) >>> 0,
    jobs: Math.max(1, integer("jobs", value("jobs") ?? "2")),
    replay: replayText === null ? null : integer("replay", replayText),
    commit: value("commit"),
  };
}

async function replay(seed: number, commit: string | null): Promise<number> {
  const head = gitHead();
  if (commit !== null && commit !== head.commit) console.error(`vopr: warning: replaying at ${head.commit}, not at ${commit}; the schedule is the same, the code may not be`);
  if (head.dirty) console.error("vopr: warning: the working tree has uncommitted changes");
  const s = drawSchedule(seed);
  const { verdict, traceHash } = await runSchedule(s);
  console.log(`schedule ${seed}: ${scheduleSummary(s)}`);
  console.log(verdict === null ? `verdict: ok (trace hash ${traceHash})` : `verdict: FAILED: ${verdict}`);
  return verdict === null ? 0 : 1;
}

/** A child process: runs its share of the schedules and reports to the parent. */
async function child(): Promise<void> {
  const { root, count, offset, stride } = JSON.parse(process.env["GAIA_VOPR_SHARE"]!) as { root: number; count: number; offset: number; stride: number };
  const last = await runBatch(root, count, offset, stride, (b) => process.send!({ kind: "batch", batch: b }));
  process.send!({ kind: "batch", batch: last });
  process.send!({ kind: "done" }, () => process.exit(0));
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`vopr: ${(e as Error).message}`);
    return 2;
  }
  if (args.replay !== null) return replay(args.replay, args.commit);
  const head = gitHead();
  const jobs = Math.min(args.jobs, Math.max(1, args.schedules));
  console.error(`vopr: ${args.schedules} schedules, seed ${args.seed}, jobs ${jobs}, commit ${head.commit}${head.dirty ? " (uncommitted changes)" : ""}`);
  const started = Date.now();
  let done = 0;
  const failures: Failure[] = [];
  const byModel: Record<string, number> = {};
  const add = (b: Batch): void => {
    done += b.done;
    for (const f of b.failures) {
      failures.push(f);
      if (failures.length <= shownFailures) console.error(`vopr: FAILED schedule ${f.seed}: ${f.verdict}\n  ${f.summary}\n  replay: ${replayLine(f.seed, head.commit)}`);
    }
    for (const [m, n] of Object.entries(b.byModel)) byModel[m] = (byModel[m] ?? 0) + n;
  };
  let lastProgress = started;
  const progress = (): void => {
    if (Date.now() - lastProgress < 5000) return;
    lastProgress = Date.now();
    const s = (Date.now() - started) / 1000;
    console.error(`vopr: ${done} / ${args.schedules} schedules, ${(done / s).toFixed(0)}/s, ${failures.length} failure(s), ${s.toFixed(0)} s`);
  };
  const self = fileURLToPath(import.meta.url);
  const exits = Array.from({ length: jobs }, (_, k) =>
    new Promise<number>((resolve) => {
      const share = { root: args.seed, count: args.schedules, offset: k, stride: jobs };
      const p = fork(self, [], { env: { ...process.env, GAIA_VOPR_SHARE: JSON.stringify(share) }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
      let finished = false;
      p.on("message", (m: { kind: "batch"; batch: Batch } | { kind: "done" }) => {
        if (m.kind === "done") finished = true;
        else {
          add(m.batch);
          progress();
        }
      });
      p.on("exit", (code) => resolve(finished ? 0 : (code ?? 1)));
    }),
  );
  const codes = await Promise.all(exits);
  const wallS = (Date.now() - started) / 1000;
  const models = Object.entries(byModel).sort().map(([m, n]) => `${m} ${n}`).join(", ");
  const crashed = codes.filter((c) => c !== 0).length;
  console.log(`vopr: ${done} of ${args.schedules} schedules, ${failures.length} failure(s)${crashed > 0 ? `, ${crashed} job(s) died` : ""}, seed ${args.seed}, ${wallS.toFixed(1)} s wall, ${(done / wallS).toFixed(0)} schedules/s on ${jobs} job(s) (${models})`);
  for (const f of failures.slice(0, shownFailures)) console.log(`FAILED ${f.seed}: ${f.verdict}\n  ${f.summary}\n  ${replayLine(f.seed, head.commit)}`);
  if (failures.length > shownFailures) console.log(`... and ${failures.length - shownFailures} more failure(s)`);
  return failures.length === 0 && crashed === 0 && done === args.schedules ? 0 : 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.env["GAIA_VOPR_SHARE"] !== undefined) await child();
  else process.exitCode = await main();
}
