import { Args, Command } from "@oclif/core";
import { ScenarioError, loadScenario } from "@gaia/sim";

export default class ScenariosValidate extends Command {
  static override description = "Check scenario files against the schema and the topology; print ok or the problems of each; every file is checked (exit 2 if any is invalid).";

  static override examples = ["<%= config.bin %> scenarios validate scenarios/*.yaml"];

  static override strict = false;

  static override args = {
    file: Args.string({ description: "scenario files (YAML)", required: true }),
  };

  async run(): Promise<void> {
    const { argv } = await this.parse(ScenariosValidate);
    let invalid = 0;
    for (const file of argv as string[]) {
      try {
        const scenario = loadScenario(file);
        const topology = scenario.topology;
        process.stdout.write(`ok  ${file} (${scenario.name}: ${topology.dataCenters.length} data center(s), ${scenario.workload.kind}, ${scenario.sync.model})\n`);
      } catch (error) {
        invalid++;
        // A loader bug must not stop the other files from being checked; it is still reported.
        const text = error instanceof ScenarioError ? error.message : `${file}: the loader failed: ${error instanceof Error ? error.message : String(error)}`;
        process.stderr.write(`${text}\n`);
      }
    }
    if (invalid > 0) {
      process.stderr.write(`${invalid} of ${argv.length} file(s) invalid\n`);
      this.exit(2);
    }
  }
}
