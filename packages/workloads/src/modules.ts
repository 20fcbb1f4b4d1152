/**
 * Workload modules of the user's own (`workload: {kind: module, path: ./my-workload.ts}`): loaded
 * once per process by absolute path (.ts through tsx, .js and .mjs by import), then known by that
 * path to the scenario loader (which checks the module's options with its schema, synchronously)
 * and to createWorkload. Both drivers load them the same way: `gaia simulate` in its process,
 * `gaia run` and `gaia launch` in every node process (the scenario loader's async entry points
 * call `loadWorkloadModule` before they check the file).
 */
import { existsSync, statSync } from "node:fs";
import { extname } from "node:path";
import { pathToFileURL } from "node:url";
import { isWorkloadDefinition, type WorkloadDefinition } from "./define.js";

type Loaded = { readonly definition: WorkloadDefinition } | { readonly error: string };

const loaded = new Map<string, Loaded>();
/** Modules asked about (by a check of a scenario) before they were loaded. */
const wanted = new Set<string>();

/** The file extensions a workload module may have. */
export const moduleExtensions: readonly string[] = [".ts", ".mts", ".js", ".mjs"];

/** What is known of the module at `absolutePath`: its definition, why it failed to load, or nothing yet. */
export function workloadModule(absolutePath: string): Loaded | undefined {
  const known = loaded.get(absolutePath);
  if (known === undefined) wanted.add(absolutePath);
  return known;
}

/** The modules asked about but not loaded since the last call (and forgets them). */
export function takeWantedModules(): string[] {
  const list = [...wanted];
  wanted.clear();
  return list;
}

const firstLine = (text: string): string => text.split("\n").find((line) => line.trim() !== "")?.trim() ?? text;

/** Why the file at `absolutePath` cannot be a module, or null when it may be one. */
export function moduleFileProblem(absolutePath: string): string | null {
  if (!existsSync(absolutePath)) return `no such file: ${absolutePath}`;
  if (!statSync(absolutePath).isFile()) return `not a file: ${absolutePath}`;
  if (!moduleExtensions.includes(extname(absolutePath))) return `a workload module is a ${moduleExtensions.join(", ")} file, got ${absolutePath}`;
  return null;
}

/**
 * Imports the module at `absolutePath` (once per process) and records its definition: its default
 * export, or its only export that is a workload definition. A failure is recorded as a message
 * (the scenario loader reports it at `workload.path`), never thrown.
 */
export async function loadWorkloadModule(absolutePath: string): Promise<void> {
  if (loaded.has(absolutePath)) return;
  const problem = moduleFileProblem(absolutePath);
  if (problem !== null) {
    loaded.set(absolutePath, { error: problem });
    return;
  }
  let exports: Record<string, unknown>;
  try {
    const url = pathToFileURL(absolutePath).href;
    if (extname(absolutePath) === ".ts" || extname(absolutePath) === ".mts") {
      const { tsImport } = (await import("tsx/esm/api")) as { tsImport: (specifier: string, parent: string) => Promise<Record<string, unknown>> };
      exports = await tsImport(url, import.meta.url);
    } else {
      exports = (await import(url)) as Record<string, unknown>;
    }
  } catch (error) {
    loaded.set(absolutePath, { error: `cannot load the workload module ${absolutePath}: ${firstLine(error instanceof Error ? error.message : String(error))}` });
    return;
  }
  const defaultExport = exports["default"];
  // tsx may wrap a CommonJS-shaped module's exports in a second default.
  const candidates = isWorkloadDefinition(defaultExport)
    ? [defaultExport]
    : isWorkloadDefinition((defaultExport as Record<string, unknown> | undefined)?.["default"])
      ? [(defaultExport as Record<string, unknown>)["default"] as WorkloadDefinition]
      : Object.values(exports).filter(isWorkloadDefinition);
  const unique = [...new Set(candidates)];
  if (unique.length !== 1) {
    loaded.set(absolutePath, {
      error:
        unique.length === 0
          ? `${absolutePath} exports no workload definition: export default defineWorkload({...}) (from @gaia/workloads)`
          : `${absolutePath} exports ${unique.length} workload definitions (${unique.map((d) => d.name).join(", ")}): export one, as default`,
    });
    return;
  }
  loaded.set(absolutePath, { definition: unique[0]! });
}
