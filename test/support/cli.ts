// Running the built `gaia` CLI from tests, as a user would: the repo's root, its bin, one call that
// spawns it and returns what it printed, and the build the CLI tests run first (the CLI runs from
// packages/*/dist, so the tests build it from the source under test).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../", import.meta.url));
export const bin = join(root, "packages/cli/bin/run.js");

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface GaiaOptions {
  /** Working folder [default: the repo's root]. */
  readonly cwd?: string;
  /** Variables added to the environment (NODE_OPTIONS is cleared, so no test runner flags leak in). */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** Runs `gaia ARGS...` to its end. */
export function gaiaWith(options: GaiaOptions, ...args: string[]): Run {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: options.cwd ?? root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", ...options.env }, timeout: options.timeoutMs ?? 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `gaia ARGS...` from the repo's root. */
export const gaia = (...args: string[]): Run => gaiaWith({}, ...args);

/**
 * Builds the CLI (and the packages it uses) from source: a `before` hook of every test that runs it.
 * A type error does not stop the tests: tsc still writes the JavaScript, so a mutant that only
 * leaves an import unused is tested as it behaves (a throwing hook would cancel the tests instead).
 */
export function buildCli(): void {
  const build = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/cli"], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) process.stderr.write(`note: tsc -b packages/cli reported errors; testing the JavaScript it wrote\n${build.stdout}`);
}
