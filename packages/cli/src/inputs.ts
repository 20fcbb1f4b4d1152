/**
 * What commands share about their inputs and outputs: a scenario named by file or by bundled name,
 * `--set path=value` overrides, and output folders that never silently replace an earlier run.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import { syncModels, type PathSegment, type SyncModel } from "@gaia/scenario";
import { bundledScenariosDir } from "./paths.js";

/** A problem with the user's input (exit 2), printed as one line. */
export class InputError extends Error {
  override readonly name = "InputError";
}

/** Names of the bundled scenarios (file names without .yaml). */
export function bundledScenarioNames(): string[] {
  const dir = bundledScenariosDir();
  if (dir === null) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".yaml"))
    .map((name) => name.slice(0, -".yaml".length))
    .sort();
}

/** A scenario file: the path as given when it exists, else the bundled scenario of that name. */
export function resolveScenario(fileOrName: string): string {
  if (existsSync(fileOrName)) return fileOrName;
  const dir = bundledScenariosDir();
  const name = fileOrName.replace(/\.ya?ml$/, "");
  if (dir !== null && !name.includes("/") && existsSync(join(dir, `${name}.yaml`))) {
    const path = join(dir, `${name}.yaml`);
    return relative(process.cwd(), path).startsWith("..") ? path : relative(process.cwd(), path) || path;
  }
  // Not found either way: the loader reports the missing file; name the bundled ones too.
  if (!fileOrName.includes("/") && !/\.ya?ml$/.test(fileOrName)) {
    throw new InputError(`"${fileOrName}" is neither a file nor a bundled scenario (bundled: ${bundledScenarioNames().join(", ")})`);
  }
  return fileOrName;
}

/** `faults[0].for` -> ["faults", 0, "for"]. */
export function parseFieldPath(text: string): PathSegment[] {
  const path: PathSegment[] = [];
  const pattern = /([A-Za-z_][\w-]*)|\[(\d+)\]|(\.)/gy;
  let expectKey = true;
  let match: RegExpExecArray | null;
  let end = 0;
  while ((match = pattern.exec(text)) !== null) {
    end = pattern.lastIndex;
    if (match[1] !== undefined) {
      if (!expectKey) break;
      path.push(match[1]);
      expectKey = false;
    } else if (match[2] !== undefined) {
      if (path.length === 0) break;
      path.push(Number(match[2]));
    } else {
      if (expectKey) break;
      expectKey = true;
    }
  }
  if (end !== text.length || path.length === 0 || expectKey) throw new InputError(`--set ${text}: not a field path (write e.g. stop.maxIterations or faults[0].for)`);
  return path;
}

/** `--set stop.maxIterations=50` -> a path and a value (YAML: numbers, booleans, [lists], {maps}, strings). */
export function parseSet(text: string): { path: PathSegment[]; value: unknown } {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new InputError(`--set ${text}: write --set path=value, e.g. --set stop.maxIterations=50`);
  const path = parseFieldPath(text.slice(0, eq).trim());
  let value: unknown;
  try {
    value = parseYaml(text.slice(eq + 1));
  } catch (error) {
    throw new InputError(`--set ${text}: the value is not YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  return { path, value: value ?? null };
}

/** True when `dir` already holds a run (or comparison) that writing would replace. */
export const holdsRun = (dir: string): boolean => existsSync(join(dir, "summary.json")) || existsSync(join(dir, "compare.html"));

/**
 * Where a run writes. An explicit folder is used as given, but one that holds a run is refused
 * without `force`. A default folder that holds a run is numbered instead: runs/x-42, runs/x-42.2, ...
 */
export function outputDir(explicit: string | undefined, fallback: string, force: boolean): { dir: string; note: string | null } {
  if (explicit !== undefined) {
    if (!force && holdsRun(explicit)) throw new InputError(`${explicit} already holds a run; pass --force to replace it, or choose another --out`);
    return { dir: explicit, note: null };
  }
  if (force || !holdsRun(fallback)) return { dir: fallback, note: null };
  for (let n = 2; ; n++) {
    const dir = `${fallback}.${n}`;
    if (!holdsRun(dir)) return { dir, note: `${fallback} holds an earlier run; writing ${dir} (--force replaces it instead)` };
  }
}

/** The models of `--sync a,b`, checked. */
export function parseSyncs(text: string, where = "--sync"): SyncModel[] {
  const models = text.split(",").map((m) => m.trim());
  for (const m of models) {
    if (!(syncModels as readonly string[]).includes(m)) throw new InputError(`${where}: unknown model "${m}" (known: ${syncModels.join(", ")})`);
  }
  if (new Set(models).size !== models.length) throw new InputError(`${where} ${text}: a model is listed twice`);
  return models as SyncModel[];
}
