import { Args, Command, Flags } from "@oclif/core";
import cliProgress from "cli-progress";
import { join } from "node:path";
import { ScenarioError, formatObjective, formatSeconds, formatSummaryTable, loadScenario, runSimulation, syncModels, writeRunOutputs, type Progress, type RunResult, type Scenario, type SyncModel } from "@gaia/sim";

export default class Simulate extends Command {
  static override description = [
    "Run a scenario in the deterministic simulator.",
    "",
    "Prints a summary (virtual time, iterations, objective, time to target, WAN traffic and cost, blocked time, checker verdicts, trace hash) and writes metrics.jsonl, summary.json and report.html into the output directory. The same scenario and seed give the same run, bit for bit. Exits 1 when a trace check fails, 2 on a bad scenario or flag.",
  ].join("\n");

  static override examples = [
    "<%= config.bin %> simulate scenarios/quickstart.yaml",
    "<%= config.bin %> simulate scenarios/mf-ec2-11.yaml --sync bsp --seed 7",
    "<%= config.bin %> simulate scenarios/quickstart.yaml --json > summary.json",
  ];

  static override args = {
    file: Args.string({ description: "scenario file (YAML)", required: true }),
  };

  static override flags = {
    seed: Flags.integer({ description: "root seed (overrides the file's)", min: 0, max: 4294967295 }),
    sync: Flags.string({ description: "synchronization model (overrides the file's): lan, bsp, ssp or asp", options: [...syncModels] }),
    out: Flags.string({ description: "output directory [default: runs/<name>-<seed>, plus -<sync> with --sync]" }),
    json: Flags.boolean({ description: "print only the summary, as one JSON object, on stdout", default: false }),
    quiet: Flags.boolean({ char: "q", description: "no progress bar and no table", default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Simulate);
    const exitCode = await this.simulate(args.file, flags);
    if (exitCode !== 0) this.exit(exitCode);
  }

  private async simulate(file: string, flags: { seed: number | undefined; sync: string | undefined; out: string | undefined; json: boolean; quiet: boolean }): Promise<number> {
    let scenario: Scenario;
    try {
      scenario = loadScenario(file, { ...(flags.seed !== undefined ? { seed: flags.seed } : {}), ...(flags.sync !== undefined ? { sync: flags.sync as SyncModel } : {}) });
    } catch (error) {
      if (error instanceof ScenarioError) {
        process.stderr.write(`Error: invalid scenario\n${error.message}\n`);
        return 2;
      }
      throw error;
    }
    const outDir = flags.out ?? join("runs", `${scenario.name}-${scenario.seed}${flags.sync !== undefined ? `-${flags.sync}` : ""}`);
    const bar = !flags.json && !flags.quiet && process.stderr.isTTY ? progressBar(scenario) : null;
    let result: RunResult;
    try {
      result = await runSimulation(scenario, { onProgress: (progress) => bar?.update(progress) });
    } catch (error) {
      bar?.stop();
      process.stderr.write(`Error: the simulation failed: ${(error as Error).message ?? String(error)}\n`);
      if (process.env["DEBUG"]) process.stderr.write(`${(error as Error).stack ?? ""}\n`);
      return 1;
    }
    bar?.stop();
    let paths;
    try {
      paths = writeRunOutputs(outDir, result);
    } catch (error) {
      process.stderr.write(`Error: cannot write the results to ${outDir}: ${(error as Error).message}\n`);
      return 1;
    }
    const summary = result.summary;
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ ...summary, outDir })}\n`);
    } else if (!flags.quiet) {
      process.stdout.write(`${formatSummaryTable(summary)}\n\nwrote ${paths.metrics}, ${paths.summary}, ${paths.report}\n`);
    }
    if (summary.diverged) {
      process.stderr.write(`Error: ${summary.diverged}\n`);
      return 1;
    }
    const failed = Object.entries(summary.checks).filter(([, verdict]) => verdict !== null);
    if (failed.length > 0) {
      process.stderr.write(`Error: ${failed.length} trace check(s) failed: ${failed.map(([name, verdict]) => `${name}: ${verdict}`).join("; ")}\n`);
      return 1;
    }
    return 0;
  }
}

interface Bar {
  update(progress: Progress): void;
  stop(): void;
}

/** A progress bar on stderr, over iterations when the scenario bounds them, else over virtual time. */
function progressBar(scenario: Scenario): Bar {
  const byIterations = scenario.stop.maxIterations !== null;
  const total = byIterations ? scenario.stop.maxIterations! : (scenario.stop.maxVirtualTimeS ?? 1);
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${scenario.name} [{bar}] {percentage}% | iteration {iteration} | virtual {virtual} | objective {objective}`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { iteration: 0, virtual: "0 s", objective: "-" });
  return {
    update(progress) {
      const value = byIterations ? progress.iteration : progress.virtualTimeS;
      bar.update(Math.min(total, value), {
        iteration: progress.iteration,
        virtual: formatSeconds(progress.virtualTimeS),
        objective: progress.objective === null ? "-" : formatObjective(progress.objective),
      });
    },
    stop() {
      bar.stop();
    },
  };
}
