import { Flags } from "@oclif/core";
import { GaiaCommand } from "../../base.js";
import { writeFileSync } from "node:fs";
import { scenarioSchemaText } from "@gaia/sim";

export default class ScenariosSchema extends GaiaCommand {
  static override summary = "Print the JSON Schema of scenario files, for editors and tools.";

  static override description = "The schema is draft-07; yaml-language-server uses it for completion and checks in editors.";

  static override flags = {
    out: Flags.string({ description: "write it to this file instead of stdout", multiple: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ScenariosSchema);
    const text = scenarioSchemaText();
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
