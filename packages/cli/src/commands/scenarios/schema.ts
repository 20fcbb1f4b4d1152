import { Flags } from "@oclif/core";
import { GaiaCommand } from "../../base.js";
import { writeFileSync } from "node:fs";
import { clusterSchemaText, scenarioSchemaText } from "@gaia/scenario";

export default class ScenariosSchema extends GaiaCommand {
  static override summary = "Print the JSON Schema of scenario files (or of cluster files), for editors and tools.";

  static override description =
    "The schema is draft-07; yaml-language-server uses it for completion and checks in editors. It is generated from the loader's own description of the format; the repository keeps scenarios/scenario.schema.json and clusters/cluster.schema.json current with `npm run schemas`.";

  static override flags = {
    cluster: Flags.boolean({ description: "the schema of cluster files (a scenario plus a required cluster section)", default: false }),
    out: Flags.string({ description: "write it to this file instead of stdout", multiple: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ScenariosSchema);
    const text = flags.cluster ? clusterSchemaText() : scenarioSchemaText();
    if (!flags.out) {
      process.stdout.write(text);
      return;
    }
    for (const path of flags.out) {
      try {
        writeFileSync(path, text);
      } catch (error) {
        process.stderr.write(`Error: cannot write ${path}: ${(error as Error).message}\n`);
        this.exit(1);
      }
    }
  }
}
