/** What `gaia simulate` does (commands/simulate.ts parses its flags and loads this module). */
import { reportError } from "../base.js";
import { join } from "node:path";
import { availableParallelism } from "node:os";
import { WorkloadError } from "@gaia/workloads";
import { ScenarioError, defaultCapStop, estimateMemory, faultWindowsOf, memoryLimit, estimable, memoryProblem, formatBytes, formatObjective, formatSeconds, labelRuns, runTimeOf, loadScenarioAsync, ratioTable, runSimulation, writeComparison, writeRunOutputs, type RunResult, type RunSummary, type Scenario, type SyncModel } from "@gaia/sim";
import { InputError, bundledScenarioNames, outputDir, parseSet, parseSyncs, resolveScenario } from "../inputs.js";
import { createConsole, type Console } from "../progress.js";
import { comparisonTable, summaryText, wrapForTerminal } from "../tables.js";

interface SimulateFlags {
  readonly seed: number | undefined;
  readonly sync: string | undefined;
  readonly set: string[] | undefined;
  readonly out: string | undefined;
  readonly force: boolean;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly "max-memory"?: string | undefined;
  readonly threads: string | undefined;
}

/** `--threads N`: a whole number from 1 to 1024, or auto (the machine's cores); default 1. */
function parseThreads(text: string | undefined): number {
  if (text === undefined) return 1;
  if (text.trim() === "auto") return availableParallelism();
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!(Number.isInteger(n) && n >= 1 && n <= 1024)) throw new InputError(`--threads ${text}: expected a whole number of threads from 1 to 1024, or auto`);
  return n;
}

export async function simulate(fileOrName: string, flags: SimulateFlags): Promise<number> {
  const fail = reportError;
  let models: (SyncModel | undefined)[];
  let file: string;
  let set;
  let limit;
  try {
    limit = memoryLimit(flags["max-memory"]);
  } catch (error) {
    return fail((error as Error).message);
  }
  let threads: number;
  try {
    threads = parseThreads(flags.threads);
    models = flags.sync === undefined ? [undefined] : parseSyncs(flags.sync);
    file = resolveScenario(fileOrName);
    set = (flags.set ?? []).map(parseSet);
  } catch (error) {
    if (error instanceof InputError) return fail(error.message);
    throw error;
  }
  const scenarios: Scenario[] = [];
  for (const sync of models) {
    try {
      scenarios.push(await loadScenarioAsync(file, { ...(flags.seed !== undefined ? { seed: flags.seed } : {}), ...(sync !== undefined ? { sync } : {}), set }));
    } catch (error) {
      if (error instanceof ScenarioError) {
        const hint = !fileOrName.includes("/") && !fileOrName.endsWith(".yaml") && error.message.includes("no such file") ? `\n(bundled scenarios: ${bundledScenarioNames().join(", ")})` : "";
        return fail(`invalid scenario\n${error.message}${hint}`);
      }
      throw error;
    }
  }
  for (const scenario of scenarios) {
    const problem = !estimable(scenario) ? null : memoryProblem(scenario, estimateMemory(scenario), limit, scenarios.length > 1 ? `the ${scenario.sync.model} run` : "the run");
    if (problem !== null) return fail(`${file}: ${problem}`);
  }
  const first = scenarios[0]!;
  const comparing = scenarios.length > 1;
  const base = join("runs", `${first.name}-${first.seed}${comparing ? "-compare" : flags.sync !== undefined ? `-${flags.sync}` : ""}`);
  let out;
  try {
    out = outputDir(flags.out, base, flags.force);
  } catch (error) {
    if (error instanceof InputError) return fail(error.message);
    throw error;
  }
  const console = createConsole({ bar: !flags.json && !flags.quiet, quiet: flags.json || flags.quiet });
  if (out.note) console.log(out.note);

  const runs: { source: string; result: RunResult; dir: string }[] = [];
  for (const scenario of scenarios) {
    const label = comparing ? `${scenario.name} ${scenario.sync.model}` : scenario.name;
    const result = await runOne(scenario, label, console, threads);
    if (typeof result === "number") return result;
    const dir = comparing ? join(out.dir, scenario.sync.model) : out.dir;
    try {
      await writeRunOutputs(dir, result);
    } catch (error) {
      return fail(`cannot write the results to ${dir}: ${(error as Error).message}`, 1);
    }
    runs.push({ source: scenario.sync.model, result, dir });
    if (comparing && !flags.json && !flags.quiet) console.log(`${scenario.sync.model}: ${oneLine(result.summary)}  (${dir})`);
  }

  let comparison: string | null = null;
  const compared = labelRuns(runs);
  if (comparing) {
    try {
      comparison = await writeComparison(out.dir, compared, { title: `${first.name}: ${runs.map((r) => r.source).join(" vs ")}` });
    } catch (error) {
      return fail(`cannot write the comparison to ${out.dir}: ${(error as Error).message}`, 1);
    }
  }

  if (flags.json) {
    const summaries = runs.map((r) => ({ ...r.result.summary, outDir: r.dir }));
    process.stdout.write(`${JSON.stringify(comparing ? { comparison, ...ratioTable(compared), runs: summaries } : summaries[0])}\n`);
  } else if (!flags.quiet) {
    if (comparing) process.stdout.write(`${comparisonTable(compared)}\n\n${wrapForTerminal(`wrote ${comparison} (and a folder per run: ${runs.map((r) => r.dir).join(", ")})`)}\n`);
    else process.stdout.write(summaryText(runs[0]!.result.summary, ["metrics.jsonl", "metrics.csv", "summary.json", "report.html"].map((f) => join(out.dir, f))));
  }
  let code = 0;
  for (const [i, { result, source }] of runs.entries()) {
    const capped = defaultCapStop(scenarios[i]!.stop, result.summary);
    if (capped !== null) {
      process.stderr.write(`${capped.failed ? "Error" : "note"}: ${comparing ? `${source}: ` : ""}${capped.message}\n`);
      if (capped.failed) code = 1;
    }
    if (result.summary.diverged) {
      process.stderr.write(`Error: ${comparing ? `${source}: ` : ""}${result.summary.diverged}\n`);
      code = 1;
      continue;
    }
    const failed = Object.entries(result.summary.checks).filter(([, verdict]) => verdict !== null);
    if (failed.length > 0) {
      process.stderr.write(`Error: ${comparing ? `${source}: ` : ""}${failed.length} trace check(s) failed: ${failed.map(([name, verdict]) => `${name}: ${verdict}`).join("; ")}\n`);
      code = 1;
    }
  }
  return code;
}

async function runOne(scenario: Scenario, label: string, console: Console, threads: number): Promise<RunResult | 1 | 2> {
  const dataCenters = scenario.topology.dataCenters.length;
  console.start(label, scenario.stop, "virtual", "objective", `starting: ${scenario.workload.kind}, ${dataCenters} data center${dataCenters === 1 ? "" : "s"}, ${scenario.sync.model}: setting up, then training to iteration ${scenario.stop.evalEvery}`);
  try {
    const result = await runSimulation(scenario, { threads, onProgress: (p) => console.update({ timeS: p.virtualTimeS, iteration: p.iteration, objective: p.objective }) });
    console.stop();
    if (result.threads.note !== null) console.log(`note: ${result.threads.note}`);
    const capped = defaultCapStop(scenario.stop, result.summary);
    return { series: result.series, summary: { ...result.summary, ...(capped !== null ? { stoppedBy: capped.stoppedBy } : {}), faultWindows: faultWindowsOf(scenario.faults) } };
  } catch (error) {
    console.stop();
    if (error instanceof WorkloadError && error.during === "input") {
      process.stderr.write(`Error: invalid workload\n${error.message}\n`);
      return 2;
    }
    process.stderr.write(`Error: the simulation failed: ${(error as Error).message ?? String(error)}\n`);
    if (process.env["DEBUG"]) process.stderr.write(`${(error as Error).stack ?? ""}\n`);
    return 1;
  }
}

const oneLine = (s: RunSummary): string =>
  `${s.reachedTarget && s.timeToTargetS !== null ? `target in ${formatSeconds(s.timeToTargetS)}${s.atTarget ? ` and ${formatBytes(s.atTarget.wanBytes)} of WAN traffic` : ""}; at the end` : `${s.stoppedBy} at ${formatSeconds(runTimeOf(s))}`}: ${s.objectiveName} ${formatObjective(s.objective)}, WAN ${formatBytes(s.wanBytes)}`;
