import { Args, Flags } from "@oclif/core";
import { GaiaCommand } from "../base.js";
import { basename, join, resolve } from "node:path";
import type { RunResult } from "@gaia/sim";
import { InputError, outputDir } from "../inputs.js";

export default class Compare extends GaiaCommand {
  static override summary = "Overlay finished runs in one comparison report.";

  static override description = [
    "Reads the summary.json and metrics.jsonl of each RUN_DIR (folders written by `gaia simulate` or `gaia launch`) and writes compare.html: the objective of every run over time on one shared axis and over iterations, cumulative WAN traffic, WAN bytes and cost per run, time blocked by reason, and a table of ratios to the LAN run and to the BSP run (on time to target when every run reached it, else on run time). Fault windows are shaded on every time chart.",
    "",
    "Runs are labelled by their sync model (with the folder name when two share one). Exits 2 when a folder is not a run.",
  ].join("\n");

  static override examples = [
    "<%= config.bin %> compare runs/mf-ec2-11-42 runs/mf-ec2-11-42-bsp runs/mf-ec2-11-42-lan",
    "<%= config.bin %> compare runs/a runs/b --out runs/a-vs-b --title 'DS 1 vs DS 4'",
  ];

  static override strict = false;

  static override args = {
    runs: Args.string({ description: "run folders (two or more; one is allowed)", required: true }),
  };

  static override flags = {
    out: Flags.string({ description: "folder for compare.html [default: runs/compare-<name>]" }),
    title: Flags.string({ description: "the report's title [default: the scenario names and the labels]" }),
    force: Flags.boolean({ description: "replace a comparison already in --out", default: false }),
    json: Flags.boolean({ description: "print the ratio table and the report's path as one JSON object", default: false }),
  };

  async run(): Promise<void> {
    // Loaded here, not at the top: every gaia command imports every command module.
    const { RunDirError, labelRuns, ratioTable, readRunDir, writeComparison } = await import("@gaia/sim");
    const { comparisonTable } = await import("../tables.js");
    const { argv, flags } = await this.parse(Compare);
    const dirs = argv as string[];
    const fail = (message: string): never => this.fail(message);
    const runs: { source: string; result: RunResult }[] = [];
    for (const dir of dirs) {
      try {
        runs.push({ source: basename(resolve(dir)), result: readRunDir(dir) });
      } catch (error) {
        if (error instanceof RunDirError) fail(error.message);
        throw error;
      }
    }
    let out;
    try {
      out = outputDir(flags.out, join("runs", `compare-${runs[0]!.result.summary.name}`), flags.force);
    } catch (error) {
      if (error instanceof InputError) fail(error.message);
      throw error;
    }
    if (out.note && !flags.json) process.stderr.write(`${out.note}\n`);
    const labelled = labelRuns(runs);
    const path = await writeComparison(out.dir, labelled, flags.title !== undefined ? { title: flags.title } : {});
    if (flags.json) process.stdout.write(`${JSON.stringify({ comparison: path, ...ratioTable(labelled) })}\n`);
    else process.stdout.write(`${comparisonTable(labelled)}\n\nwrote ${path} (${labelled.map((r) => r.label).join(", ")})\n`);
  }
}
