/**
 * What every `gaia` command shares: a parse error (an unknown flag, a value outside a flag's
 * choices, a missing argument) is one short message with a did-you-mean where one fits and a
 * pointer to --help, never the whole usage text; exit code 2.
 */
import { Command, Errors } from "@oclif/core";

/** Edit distance, for did-you-mean. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The closest of `candidates` to `word`, if it is close enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

/** How the user runs the CLI: `npx gaia` when npm's exec started it (then `gaia` is not on PATH). */
export function binName(bin: string): string {
  return process.env["npm_command"] === "exec" ? `npx ${bin}` : bin;
}

/** Bad input, or a run that cannot go on: one line `Error: message` on stderr; the exit code to return (2 for bad input). */
export function reportError(message: string, code = 2): number {
  process.stderr.write(`Error: ${message}\n`);
  return code;
}

export abstract class GaiaCommand extends Command {
  /** Bad input: one line on stderr, exit 2 (never a stack trace or the usage text). */
  protected fail(message: string): never {
    return this.exit(reportError(message));
  }

  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    const parse = error as Error & { showHelp?: boolean; flags?: string[]; parse?: unknown };
    if (error instanceof Errors.CLIError && parse.parse !== undefined) {
      parse.showHelp = false;
      // oclif's note on flags that take several values, which --set no longer needs (it is not greedy).
      error.message = error.message.replace(/\n*Note: --\S+ allows multiple values[\s\S]*?beginning of arguments\./, "");
      const unknown = parse.flags?.[0];
      const ctor = this.constructor as typeof Command;
      if (unknown !== undefined) {
        const names = Object.keys(ctor.flags ?? {}).map((name) => `--${name}`);
        const suggestion = closest(unknown.split("=")[0]!, names);
        if (suggestion !== null) error.message = error.message.replace("\nSee more help with --help", `\nDid you mean ${suggestion}? See more help with --help`);
      }
    }
    return super.catch(error);
  }
}
