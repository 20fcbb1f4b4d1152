/**
 * `npx gaia autocomplete`: the completion it sets up calls `gaia`, which npx puts on PATH only for
 * its own child. Say so before the plugin's instructions, with the line that puts it on PATH.
 */
import type { Hook } from "@oclif/core";

const hook: Hook.Prerun = async function (options) {
  if (options.Command.id !== "autocomplete" || process.env["npm_command"] !== "exec") return;
  process.stderr.write(
    'Note: completion runs "gaia", which npx puts on PATH only while it runs. Put it on PATH first,\n' +
      '  from the repository: export PATH="$PWD/node_modules/.bin:$PATH"   (or: npm link -w packages/cli)\n' +
      "then run the instructions below with gaia.\n\n",
  );
};

export default hook;
