import { Command } from "@oclif/core";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { ScenarioError, loadScenario } from "@gaia/sim";
import { bundledScenariosDir } from "../../paths.js";

export default class ScenariosList extends Command {
  static override description = "List the scenarios bundled in scenarios/ with their descriptions.";

  async run(): Promise<void> {
    await this.parse(ScenariosList);
    const dir = bundledScenariosDir();
    if (dir === null) {
      process.stderr.write("Error: cannot find the bundled scenarios/ folder\n");
      this.exit(1);
    }
    const files = readdirSync(dir)
      .filter((name) => name.endsWith(".yaml") || name.endsWith(".yml"))
      .sort();
    const rows: [string, string, string][] = files.map((name) => {
      const path = join(dir, name);
      const shown = relative(process.cwd(), path) || path;
      try {
        const scenario = loadScenario(path);
        return [scenario.name, shown, scenario.description];
      } catch (error) {
        if (!(error instanceof ScenarioError)) throw error;
        return [name, shown, `INVALID: ${error.issues[0]?.message ?? error.message}`];
      }
    });
    const nameWidth = Math.max(4, ...rows.map(([name]) => name.length));
    const fileWidth = Math.max(4, ...rows.map(([, file]) => file.length));
    process.stdout.write(`${"NAME".padEnd(nameWidth)}  ${"FILE".padEnd(fileWidth)}  DESCRIPTION\n`);
    for (const [name, file, description] of rows) process.stdout.write(`${name.padEnd(nameWidth)}  ${file.padEnd(fileWidth)}  ${description}\n`);
  }
}
