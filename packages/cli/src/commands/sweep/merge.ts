import { Args, Flags } from "@oclif/core";
import { join } from "node:path";
import { GaiaCommand } from "../../base.js";
import { InputError } from "../../inputs.js";

export default class SweepMerge extends GaiaCommand {
  static override summary = "Join the folders of a sweep's slices into one report and one CSV.";

  static override description = [
    "Each DIR is the folder of a `gaia sweep --index I --count N` slice (or of a partial run) of the same sweep: the same scenario file, overrides, varied fields, models and seeds, which sweep.json's plan hash checks. The merged folder holds every run's folder, results.csv in the plan's order (the same file one whole run writes), sweep.json and sweep.html. Runs missing from every slice are named.",
  ].join("\n");

  static override examples = ["<%= config.bin %> sweep merge runs/slice-0 runs/slice-1 --out runs/quickstart-sweep"];

  static override strict = false;

  static override args = {
    dirs: Args.string({ description: "the slices' sweep folders", required: true }),
  };

  static override flags = {
    out: Flags.string({ description: "the merged sweep's folder", required: true }),
    force: Flags.boolean({ description: "replace a sweep in --out", default: false }),
    json: Flags.boolean({ description: "print the merged record as JSON on stdout", default: false }),
  };

  async run(): Promise<void> {
    // Loaded here, not at the top: every gaia command imports every command module.
    const { mergeSweeps } = await import("../../sweep/run.js");
    const { argv, flags } = await this.parse(SweepMerge);
    const dirs = argv as string[];
    let record;
    try {
      record = await mergeSweeps(dirs, flags.out, flags.force);
    } catch (error) {
      if (error instanceof InputError) this.fail(error.message);
      throw error;
    }
    const missing = record.total - record.rows.length;
    if (flags.json) process.stdout.write(`${JSON.stringify({ dir: flags.out, ...record })}\n`);
    else process.stdout.write(`merged ${dirs.length} folder(s): ${record.rows.length} of ${record.total} runs\nwrote ${join(flags.out, "sweep.html")}, ${join(flags.out, "results.csv")}, ${join(flags.out, "sweep.json")}\n`);
    if (missing > 0) process.stderr.write(`warning: ${missing} of the sweep's ${record.total} runs are in none of the folders${record.failed.length > 0 ? ` (failed: ${record.failed.map((f) => f.id).join(", ")})` : ""}\n`);
  }
}
