import { Command, Flags } from "@oclif/core";
import { writeFileSync } from "node:fs";
import { scenarioSchemaText } from "@gaia/sim";

export default class ScenariosSchema extends Command {
  static override description = "Print the JSON Schema (draft-07) of scenario files, for editors (yaml-language-server) and tools.";

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
