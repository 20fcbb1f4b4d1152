/**
 * Runs a sweep: every point of the plan (or of one `--index I --count N` slice) as a `gaia simulate`
 * child process, `--jobs` at a time. Each run keeps its folder (runs/<point>/, with its own report),
 * and its row is written there (point.json) as soon as it ends, so an interrupted sweep resumes
 * where it stopped (`--resume`). At the end: results.csv, sweep.json and sweep.html for what ran.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ScenarioError, estimable, estimateMemory, formatBytes, loadScenarioAsync, memoryProblem, renderSweepHtml, valueText, sweepCsv, sweepRow, type MemoryLimit, type RunSummary, type SweepRow } from "@gaia/sim";
import { InputError, parseSet } from "../inputs.js";
import { planHash, planPoints, slicePoints, type Point, type SweepSpec } from "./plan.js";

const gaiaBin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "run.js");

/** What sweep.json holds: the plan, and the rows of the runs that ended. */
export interface SweepRecord {
  readonly version: 1;
  readonly planHash: string;
  readonly title: string;
  readonly scenario: string;
  readonly set: readonly string[];
  readonly fields: readonly string[];
  readonly axes: readonly { readonly path: string; readonly values: readonly unknown[] }[];
  readonly syncs: readonly (string | null)[];
  readonly seeds: readonly (number | null)[];
  readonly total: number;
  /** The slices this record holds: [{ index, count }], or null for the whole sweep. */
  readonly slices: readonly { readonly index: number; readonly count: number }[] | null;
  readonly rows: readonly SweepRow[];
  /** Runs that failed (no row), with why. */
  readonly failed: readonly { readonly index: number; readonly id: string; readonly error: string }[];
}

export interface SweepOptions {
  readonly out: string | undefined;
  readonly jobs: number;
  readonly resume: boolean;
  readonly force: boolean;
  readonly index: number | null;
  readonly count: number | null;
  readonly quiet: boolean;
  readonly json: boolean;
  /** The memory runs may take together (--max-memory, else GAIA_MAX_MEMORY, else the machine's); the flag's text goes on to every run. */
  readonly memory: { readonly limit: MemoryLimit; readonly flag: string | undefined };
}

/** Point's row file: written when its run ends. */
interface PointFile {
  readonly planHash: string;
  readonly row: SweepRow;
  readonly wallTimeS: number;
}

const writeAtomically = (path: string, text: string): void => {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
};

/** The `gaia simulate` arguments of one point. */
function simulateArgs(spec: SweepSpec, point: Point, dir: string, maxMemory: string | undefined): string[] {
  const args = ["simulate", spec.scenario, "--out", dir, "--force", "--json"];
  if (maxMemory !== undefined) args.push("--max-memory", maxMemory);
  if (point.sync !== null) args.push("--sync", point.sync);
  if (point.seed !== null) args.push("--seed", String(point.seed));
  for (const s of spec.set) args.push("--set", s);
  for (const [path, value] of Object.entries(point.values)) args.push("--set", `${path}=${JSON.stringify(value)}`);
  return args;
}

/**
 * Loads the scenario of every distinct (values, sync) of the plan, so a bad value fails before any
 * run starts, and estimates each one's memory as `gaia simulate` would: a point that cannot fit on
 * its own is refused, and so is a --jobs whose largest runs at once together would not fit.
 */
async function validate(spec: SweepSpec, points: readonly Point[], options: Pick<SweepOptions, "memory" | "jobs">): Promise<string> {
  const seen = new Set<string>();
  let name = "";
  const estimates = new Map<string, { which: string; bytes: number }>();
  for (const point of points) {
    const key = JSON.stringify([point.values, point.sync]);
    if (seen.has(key)) continue;
    seen.add(key);
    const set = [...spec.set.map(parseSet), ...Object.entries(point.values).map(([path, value]) => parseSet(`${path}=${JSON.stringify(value)}`))];
    const which = [...Object.entries(point.values).map(([p, v]) => `${p}=${valueText(v)}`), ...(point.sync !== null ? [`sync ${point.sync}`] : [])].join(", ");
    const at = which !== "" ? ` at the sweep's point ${which}` : "";
    let scenario;
    try {
      scenario = await loadScenarioAsync(spec.scenario, { ...(point.sync !== null ? { sync: point.sync } : {}), set });
      name = scenario.name;
    } catch (error) {
      if (error instanceof ScenarioError) throw new InputError(`invalid scenario${at}\n${error.message}`);
      throw error;
    }
    if (!estimable(scenario)) continue;
    const estimate = estimateMemory(scenario);
    const problem = memoryProblem(scenario, estimate, options.memory.limit, `the run${at}`);
    if (problem !== null) throw new InputError(problem);
    estimates.set(key, { which: which === "" ? "the run" : which, bytes: estimate.totalBytes });
  }
  // Any --jobs of the runs (every point with every seed) may run at once: the largest ones must fit together.
  const runs = points.map((p) => estimates.get(JSON.stringify([p.values, p.sync]))).filter((e) => e !== undefined).sort((x, y) => y.bytes - x.bytes);
  const together = runs.slice(0, options.jobs).reduce((n, e) => n + e.bytes, 0);
  if (runs.length > 1 && options.jobs > 1 && together > options.memory.limit.bytes) {
    let fits = 1;
    while (runs.slice(0, fits + 1).reduce((n, e) => n + e.bytes, 0) <= options.memory.limit.bytes) fits++;
    const at = Math.min(options.jobs, runs.length);
    throw new InputError(`${at} runs at a time (--jobs ${options.jobs}) need about ${formatBytes(together)} of memory, more than ${formatBytes(options.memory.limit.bytes)} (${options.memory.limit.source}); the largest, ${runs[0]!.which}, about ${formatBytes(runs[0]!.bytes)}\n  to fit: --jobs ${fits}, or raise the limit (--max-memory, GAIA_MAX_MEMORY)`);
  }
  return name;
}

/** One line for the whole sweep: on a terminal, redrawn in place; elsewhere, a line per finished run. */
class SweepProgress {
  private readonly tty = process.stderr.isTTY === true;
  private readonly started = Date.now();
  private done = 0;
  private failed = 0;
  private running = 0;
  private skipped = 0;
  private ranS = 0;
  constructor(
    private readonly total: number,
    private readonly jobs: number,
    private readonly quiet: boolean,
  ) {}

  skip(n: number): void {
    this.skipped = n;
    this.done += n;
    if (!this.quiet && n > 0) process.stderr.write(`resuming: ${n} of ${this.total} runs already done\n`);
  }

  begin(): void {
    this.running++;
    this.draw();
  }

  end(point: Point, outcome: string, wallS: number, ok: boolean): void {
    this.running--;
    this.done++;
    this.ranS += wallS;
    if (!ok) this.failed++;
    if (this.quiet) return;
    if (this.tty) {
      if (!ok) this.clearLine(`run ${point.id} failed: ${outcome}\n`);
      this.draw();
    } else process.stderr.write(`[${this.done}/${this.total}] ${point.id}: ${outcome} (the run took ${wallS.toFixed(1)} s)\n`);
  }

  finish(): void {
    if (!this.quiet && this.tty) this.clearLine("");
  }

  private clearLine(text: string): void {
    process.stderr.write(`\r\u001b[2K${text}`);
  }

  private draw(): void {
    if (this.quiet || !this.tty) return;
    const elapsed = (Date.now() - this.started) / 1000;
    const ran = this.done - this.skipped;
    const left = this.total - this.done;
    // The mean run's wall time, spread over the jobs: known once a run has ended.
    const eta = ran > 0 ? ` · ETA ${formatClock((this.ranS / ran) * Math.ceil(left / this.jobs))}` : "";
    const width = process.stderr.columns ?? 80;
    const line = `sweep ${this.done}/${this.total} runs · ${this.running} running${this.failed > 0 ? ` · ${this.failed} failed` : ""} · ${formatClock(elapsed)}${left > 0 ? eta : ""}`;
    this.clearLine(line.slice(0, width - 1));
  }
}

const formatClock = (s: number): string => (s < 60 ? `${s.toFixed(0)} s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`);

/** Runs one point as a child process; its row, or why it failed. */
function runPoint(spec: SweepSpec, point: Point, dir: string, maxMemory: string | undefined): Promise<{ row: SweepRow; summary: RunSummary } | { error: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [gaiaBin, ...simulateArgs(spec, point, dir, maxMemory)], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    child.on("error", (error) => resolve({ error: error.message, code: null }));
    child.on("close", (code, signal) => {
      // Exit 1 with a summary is a run whose checks failed or that diverged: a row all the same.
      if (code === 0 || code === 1) {
        try {
          const summary = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as RunSummary;
          if (typeof summary.traceHash === "string") {
            resolve({ row: sweepRow(point, summary, `runs/${point.id}`), summary });
            return;
          }
        } catch {
          // No summary: report the run's own error below.
        }
      }
      const reason = stderr.trim().split("\n").filter((l) => l.trim() !== "").slice(-3).join(" / ") || (signal !== null ? `killed by ${signal}` : `exit ${code}`);
      resolve({ error: reason, code });
    });
  });
}

/** Reads a finished point's row, if it belongs to this plan. */
function finishedRow(dir: string, hash: string): PointFile | null {
  const path = join(dir, "point.json");
  if (!existsSync(path)) return null;
  try {
    const file = JSON.parse(readFileSync(path, "utf8")) as PointFile;
    return file.planHash === hash && file.row !== undefined ? file : null;
  } catch {
    return null;
  }
}

/** Reads a sweep folder's sweep.json. */
export function readSweepRecord(dir: string): SweepRecord {
  const path = join(dir, "sweep.json");
  let record: SweepRecord;
  try {
    record = JSON.parse(readFileSync(path, "utf8")) as SweepRecord;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: ${code === "ENOENT" ? "no such file: not a sweep's folder" : `not a sweep record: ${(error as Error).message}`}`);
  }
  if (record.version !== 1 || typeof record.planHash !== "string" || !Array.isArray(record.rows)) throw new InputError(`${path}: not a sweep record of this version`);
  return record;
}

/** Writes results.csv, sweep.json and sweep.html of a record into `dir`. */
export async function writeSweepOutputs(dir: string, record: SweepRecord): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const rows = [...record.rows].sort((a, b) => a.index - b.index);
  writeAtomically(join(dir, "results.csv"), sweepCsv(rows, record.fields));
  writeAtomically(join(dir, "sweep.json"), `${JSON.stringify({ ...record, rows }, null, 1)}\n`);
  const html = await renderSweepHtml(rows, { title: record.title, fields: record.fields, missing: record.total - rows.length, total: record.total });
  writeAtomically(join(dir, "sweep.html"), html);
}

export interface SweepOutcome {
  readonly dir: string;
  readonly record: SweepRecord;
  readonly wallTimeS: number;
  readonly ran: number;
  readonly resumed: number;
}

export async function runSweep(spec: SweepSpec, options: SweepOptions): Promise<SweepOutcome> {
  const all = planPoints(spec);
  const sliced = options.index !== null && options.count !== null;
  const points = sliced ? slicePoints(all, options.index!, options.count!) : all;
  const name = await validate(spec, all, options);
  const hash = planHash(spec);
  const dir = options.out ?? join("runs", `${name}-sweep${sliced ? `-${options.index}of${options.count}` : ""}`);
  if (existsSync(join(dir, "sweep.json")) && !options.force) {
    const earlier = readSweepRecord(dir);
    if (earlier.planHash !== hash) throw new InputError(`${dir} holds another sweep (plan ${earlier.planHash}); pass --force to replace it, or choose another --out`);
    if (!options.resume) throw new InputError(`${dir} holds this sweep already; pass --resume to run only what it lacks, or --force to run it all again`);
  }
  mkdirSync(join(dir, "runs"), { recursive: true });
  const started = Date.now();
  const rows: SweepRow[] = [];
  const failed: { index: number; id: string; error: string }[] = [];
  const todo: Point[] = [];
  for (const point of points) {
    const done = options.resume && !options.force ? finishedRow(join(dir, "runs", point.id), hash) : null;
    if (done !== null) rows.push(done.row);
    else todo.push(point);
  }
  const progress = new SweepProgress(points.length, options.jobs, options.quiet || options.json);
  progress.skip(points.length - todo.length);
  const title = `${name}: sweep${spec.axes.length > 0 ? ` of ${spec.axes.map((a) => a.path).join(" × ")}` : ""}${spec.syncs[0] !== null ? `, ${spec.syncs.join(" vs ")}` : ""}${spec.seeds[0] !== null ? `, ${spec.seeds.length} seed${spec.seeds.length > 1 ? "s" : ""}` : ""}`;
  const record = (): SweepRecord => ({
    version: 1,
    planHash: hash,
    title,
    scenario: spec.scenario,
    set: spec.set,
    fields: spec.axes.map((a) => a.path),
    axes: spec.axes.map((a) => ({ path: a.path, values: a.values })),
    syncs: spec.syncs,
    seeds: spec.seeds,
    total: all.length,
    slices: sliced ? [{ index: options.index!, count: options.count! }] : null,
    rows,
    failed,
  });
  let next = 0;
  let fatal: InputError | null = null;
  const worker = async (): Promise<void> => {
    while (next < todo.length && fatal === null) {
      const point = todo[next++]!;
      const runDir = join(dir, "runs", point.id);
      progress.begin();
      const t0 = Date.now();
      const outcome = await runPoint(spec, point, runDir, options.memory.flag);
      const wallS = (Date.now() - t0) / 1000;
      if ("row" in outcome) {
        rows.push(outcome.row);
        writeAtomically(join(runDir, "point.json"), `${JSON.stringify({ planHash: hash, row: outcome.row, wallTimeS: wallS } satisfies PointFile)}\n`);
        const r = outcome.row;
        progress.end(point, `${r.reached ? `target in ${r.timeToTargetS!.toPrecision(3)} s` : `${r.stoppedBy}, ${r.objectiveName} ${r.objectiveAtEnd.toPrecision(4)}`}${r.checks === "all held" ? "" : `; ${r.checks}`}`, wallS, true);
      } else {
        failed.push({ index: point.index, id: point.id, error: outcome.error });
        progress.end(point, outcome.error, wallS, false);
        // Bad input fails every run alike: stop at the first.
        if (outcome.code === 2) fatal = new InputError(`run ${point.id}: ${outcome.error}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, todo.length)) }, worker));
  progress.finish();
  if (fatal !== null) throw fatal;
  const result = record();
  await writeSweepOutputs(dir, result);
  return { dir, record: result, wallTimeS: (Date.now() - started) / 1000, ran: todo.length, resumed: points.length - todo.length };
}

/** Joins the folders of several slices (or partial runs) of one sweep into `out`. */
export async function mergeSweeps(dirs: readonly string[], out: string, force: boolean): Promise<SweepRecord> {
  const records = dirs.map((d) => ({ dir: d, record: readSweepRecord(d) }));
  const first = records[0]!.record;
  for (const { dir, record } of records) {
    if (record.planHash !== first.planHash) throw new InputError(`${dir} is another sweep (plan ${record.planHash}) than ${records[0]!.dir} (plan ${first.planHash}); only slices of one sweep merge`);
  }
  if (existsSync(join(out, "sweep.json")) && !force && !dirs.includes(out)) throw new InputError(`${out} already holds a sweep; pass --force to replace it, or choose another --out`);
  const byIndex = new Map<number, { row: SweepRow; dir: string }>();
  for (const { dir, record } of records) {
    for (const row of record.rows) {
      const earlier = byIndex.get(row.index);
      if (earlier !== undefined && JSON.stringify(earlier.row) !== JSON.stringify(row)) throw new InputError(`run ${row.id} is in both ${earlier.dir} and ${dir}, with different results`);
      byIndex.set(row.index, { row, dir });
    }
  }
  mkdirSync(join(out, "runs"), { recursive: true });
  for (const { row, dir } of byIndex.values()) {
    const from = join(dir, row.runDir);
    const to = join(out, row.runDir);
    if (from !== to && existsSync(from)) cpSync(from, to, { recursive: true });
  }
  const rows = [...byIndex.values()].map((e) => e.row);
  const failed = records.flatMap((r) => r.record.failed).filter((f) => !byIndex.has(f.index));
  const slices = records.flatMap((r) => r.record.slices ?? []);
  const merged: SweepRecord = { ...first, rows, failed, slices: slices.length > 0 && rows.length < first.total ? slices : null };
  await writeSweepOutputs(out, merged);
  return merged;
}
