import { Args, Flags } from "@oclif/core";
import { GaiaCommand } from "../../base.js";
import { ScenarioError, loadFileAsync } from "@gaia/scenario";
import { InputError, resolveScenario } from "../../inputs.js";

export default class ScenariosValidate extends GaiaCommand {
  static override summary = "Check scenario and cluster files; print ok or each problem (every file is checked; exit 2 if any is invalid).";

  static override description =
    "Checks each file against the schema and the topology, and what a run needs (a partition or an isolated data center must heal: `for:`). A cluster file (a scenario with a cluster section, for gaia launch) is checked the same way, its cluster section included. A problem prints as FILE:LINE:COLUMN: PATH: MESSAGE. A bundled scenario can be named instead of a file. With --json, one JSON array of {file, valid, kind, name, problems: [{path, line, column, message}]}.";

  static override examples = ["<%= config.bin %> scenarios validate scenarios/*.yaml clusters/*.yaml", "<%= config.bin %> scenarios validate quickstart my.yaml --json"];

  static override strict = false;

  static override args = {
    file: Args.string({ description: "scenario or cluster files (YAML), or bundled scenario names", required: true }),
  };

  static override flags = {
    json: Flags.boolean({ description: "print one JSON array of results instead of lines", default: false }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(ScenariosValidate);
    const results: { file: string; valid: boolean; kind: "scenario" | "cluster" | null; name: string | null; problems: { path: string; line: number | null; column: number | null; message: string }[] }[] = [];
    for (const given of argv as string[]) {
      let file = given;
      try {
        file = resolveScenario(given);
        const { kind, scenario } = await loadFileAsync(file);
        results.push({ file, valid: true, kind, name: scenario.name, problems: [] });
        if (!flags.json) process.stdout.write(`ok  ${file} (${kind === "cluster" ? "cluster file, " : ""}${scenario.name}: ${scenario.topology.dataCenters.length} data center(s), ${scenario.workload.kind}, ${scenario.sync.model})\n`);
      } catch (error) {
        if (error instanceof InputError) {
          results.push({ file, valid: false, kind: null, name: null, problems: [{ path: "", line: null, column: null, message: error.message }] });
          if (!flags.json) process.stderr.write(`${given}: ${error.message}\n`);
          continue;
        }
        if (!(error instanceof ScenarioError)) {
          // A loader bug must not stop the other files from being checked; it is still reported.
          const message = `the loader failed: ${error instanceof Error ? error.message : String(error)}`;
          results.push({ file, valid: false, kind: null, name: null, problems: [{ path: "", line: null, column: null, message }] });
          if (!flags.json) process.stderr.write(`${given}: ${message}\n`);
          continue;
        }
        results.push({ file, valid: false, kind: null, name: null, problems: error.issues.map((i) => ({ path: i.path, line: i.line, column: i.column, message: i.message })) });
        if (!flags.json) process.stderr.write(`${error.message}\n`);
      }
    }
    const invalid = results.filter((r) => !r.valid).length;
    if (flags.json) process.stdout.write(`${JSON.stringify(results)}\n`);
    else if (invalid > 0) process.stderr.write(`${invalid} of ${argv.length} file(s) invalid\n`);
    if (invalid > 0) this.exit(2);
  }
}
