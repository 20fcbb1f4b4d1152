import { Flags } from "@oclif/core";
import { GaiaCommand } from "../../base.js";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { ScenarioError, loadScenarioAsync } from "@gaia/scenario";
import { bundledScenariosDir } from "../../paths.js";

export default class ScenariosList extends GaiaCommand {
  static override summary = "List the bundled scenarios with their descriptions.";

  static override description = "Each bundled scenario runs by its name: `gaia simulate NAME`. With --json, one JSON array of {name, file, description, workload, sync, dataCenters, valid, problem}.";

  static override examples = ["<%= config.bin %> scenarios list", "<%= config.bin %> scenarios list --json"];

  static override flags = {
    json: Flags.boolean({ description: "print one JSON array instead of the table", default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ScenariosList);
    const dir = bundledScenariosDir();
    if (dir === null) {
      process.stderr.write("Error: cannot find the bundled scenarios/ folder\n");
      this.exit(1);
    }
    const files = readdirSync(dir)
      .filter((name) => name.endsWith(".yaml") || name.endsWith(".yml"))
      .sort();
    const rows = [];
    for (const name of files) {
      const path = join(dir, name);
      const shown = relative(process.cwd(), path) || path;
      const byName = name.replace(/\.ya?ml$/, "");
      try {
        const scenario = await loadScenarioAsync(path);
        rows.push({ name: byName, file: shown, description: scenario.description, workload: scenario.workload.kind, sync: scenario.sync.model, dataCenters: scenario.topology.dataCenters.length, valid: true, problem: null });
      } catch (error) {
        if (!(error instanceof ScenarioError)) throw error;
        rows.push({ name: byName, file: shown, description: "", workload: null, sync: null, dataCenters: null, valid: false, problem: error.issues[0]?.message ?? error.message });
      }
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(rows)}\n`);
      return;
    }
    const nameWidth = Math.max(4, ...rows.map((r) => r.name.length));
    const fileWidth = Math.max(4, ...rows.map((r) => r.file.length));
    process.stdout.write(`${"NAME".padEnd(nameWidth)}  ${"FILE".padEnd(fileWidth)}  DESCRIPTION\n`);
    for (const r of rows) process.stdout.write(`${r.name.padEnd(nameWidth)}  ${r.file.padEnd(fileWidth)}  ${r.valid ? r.description : `INVALID: ${r.problem}`}\n`);
  }
}
