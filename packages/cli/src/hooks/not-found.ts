/**
 * `gaia simulat`: a command that does not exist is one line naming the closest command, with a
 * pointer to the list, exit 127 (the shell's "command not found"). It never prompts, so scripts and
 * pipes see the same message as a terminal.
 */
import type { Hook } from "@oclif/core";
import { binName, closest } from "../base.js";

const hook: Hook.CommandNotFound = async function (options) {
  const separator = options.config.topicSeparator;
  const shown = (id: string): string => id.replaceAll(":", separator);
  const visible = options.config.commands.filter((command) => command.hidden !== true);
  const ids = [...visible.map((command) => command.id), ...visible.flatMap((command) => command.aliases)];
  const typed = shown(options.id);
  const suggestion = closest(typed, ids.map(shown));
  const bin = binName(options.config.bin);
  const hint = suggestion !== null ? ` Did you mean "${bin} ${suggestion}"?` : "";
  this.error(`"${typed}" is not a ${options.config.bin} command.${hint} Run "${bin} help" for the list of commands.`, { exit: 127 });
};

export default hook;
