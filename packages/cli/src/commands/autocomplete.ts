import { Args, Flags } from "@oclif/core";
import { readdirSync } from "node:fs";
import { basename } from "node:path";
import { syncModels } from "@gaia/scenario";
import { GaiaCommand, binName } from "../base.js";
import { bashScript, completionSpec, zshScript, type CommandShape } from "../completion.js";
import { bundledScenariosDir } from "../paths.js";

const shells = ["bash", "zsh"] as const;

export default class Autocomplete extends GaiaCommand {
  static override summary = "Shell completion: commands, flags, file names, bundled scenarios, --sync models.";

  static override description =
    "Prints how to set up completion for bash or zsh (default: the shell in $SHELL); with --script, prints the script itself. It completes commands and topics, each command's flags, file and folder names (scenario and cluster files, --out, run folders), the bundled scenarios by name, the synchronization models of --sync as a comma-separated list, and every flag's fixed choices. The script never runs gaia while completing, so it is instant; write it again after an update that adds commands or bundled scenarios.";

  static override examples = ["<%= config.bin %> autocomplete", "<%= config.bin %> autocomplete zsh", "<%= config.bin %> autocomplete bash --script > ~/.gaia-completion.bash"];

  static override args = {
    shell: Args.string({ description: "the shell [default: from $SHELL, else bash]", options: [...shells] }),
  };

  static override flags = {
    script: Flags.boolean({ description: "print the completion script itself (to source from the shell's rc file)", default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Autocomplete);
    const fromEnv = basename(process.env["SHELL"] ?? "");
    const shell = args.shell ?? (fromEnv === "zsh" ? "zsh" : "bash");
    const bin = this.config.bin;
    if (flags.script) {
      const commands = this.config.commands.map((c): CommandShape => ({
        id: c.id,
        hidden: c.hidden,
        flags: Object.fromEntries(Object.entries(c.flags).map(([name, f]) => [name, { type: f.type, char: f.char, options: "options" in f ? f.options : undefined, hidden: f.hidden }])),
        args: Object.fromEntries(Object.entries(c.args).map(([name, a]) => [name, { options: a.options }])),
      }));
      const dir = bundledScenariosDir();
      const names = dir === null ? [] : readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).map((n) => n.replace(/\.ya?ml$/, "")).sort();
      const spec = completionSpec(commands, syncModels);
      process.stdout.write(shell === "zsh" ? zshScript(bin, spec, names) : bashScript(bin, spec, names));
      return;
    }
    const rc = shell === "zsh" ? "~/.zshrc" : "~/.bashrc";
    const file = `~/.${bin}-completion.${shell}`;
    const run = binName(bin);
    process.stdout.write(
      [
        `Completion for ${shell}: write the script once, and source it from ${rc}:`,
        "",
        `  ${run} autocomplete ${shell} --script > ${file}`,
        `  echo 'source ${file}' >> ${rc}`,
        "",
        `Then open a new shell and try: ${bin} sim<TAB>, ${bin} simulate quick<TAB>, ${bin} simulate quickstart --sync bsp,<TAB>`,
        `(Run the first line again after an update, to pick up new commands and bundled scenarios.)`,
        "",
      ].join("\n"),
    );
  }
}
