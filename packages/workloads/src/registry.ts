/**
 * A scenario's `workload:` section, of any kind: a bundled workload (`kind: mf`, with its options
 * beside `kind`) or a module of the user's own (`kind: module, path: ./my-workload.ts, options:
 * {...}`, the path relative to the scenario file). Both are checked against their definition's
 * options schema, with paths inside the section (`/rank`, `/options/features`), and both are built
 * by the same code (create.ts): there is no second way in.
 */
import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { optionProblems, withOptionDefaults, type Problem, type WorkloadDefinition } from "./define.js";
import { builtinDefinitions } from "./builtin.js";
import { moduleExtensions, moduleFileProblem, workloadModule } from "./modules.js";

/** The `kind` of a section that names a module file. */
export const moduleKind = "module";

/** Every `kind` a section may have: the bundled workloads, then `module`. */
export const workloadKinds: readonly string[] = [...builtinDefinitions.keys(), moduleKind];

const show = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

export interface SectionContext {
  /** The folder a module's relative `path` is read from (the scenario file's); default the working directory. */
  readonly baseDir?: string;
}

/** A module section's path, made absolute against `baseDir`. */
export function modulePath(path: string, context: SectionContext = {}): string {
  return isAbsolute(path) ? path : resolve(context.baseDir ?? process.cwd(), path);
}

const sectionKeys = ["kind", "path", "options"];

/** The definition a valid section names, or the problems that keep it from naming one. */
export function definitionOf(spec: unknown, context: SectionContext = {}): { definition: WorkloadDefinition; options: unknown; optionsPath: string } | { problems: Problem[] } {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) return { problems: [{ path: "", message: `must be a mapping with a kind (${workloadKinds.join(", ")}), got ${show(spec)}` }] };
  const record = spec as Record<string, unknown>;
  const kind = record["kind"];
  if (kind === undefined) return { problems: [{ path: "/kind", message: `is required: one of ${workloadKinds.join(", ")}` }] };
  if (typeof kind !== "string" || (!builtinDefinitions.has(kind) && kind !== moduleKind)) return { problems: [{ path: "/kind", message: `must be one of ${workloadKinds.join(", ")}, got ${show(kind)}` }] };
  const builtin = builtinDefinitions.get(kind);
  if (builtin !== undefined) {
    const { kind: _kind, ...options } = record;
    return { definition: builtin, options, optionsPath: "" };
  }
  const problems: Problem[] = [];
  for (const key of Object.keys(record)) if (!sectionKeys.includes(key)) problems.push({ path: `/${key}`, message: `unknown field for kind module (known: path, options; the module's own options go under options)` });
  const path = record["path"];
  if (typeof path !== "string" || path.trim() === "") {
    problems.push({ path: "/path", message: `is required: the workload module's file (${moduleExtensions.join(", ")}), relative to the scenario file` });
    return { problems };
  }
  const options = record["options"] ?? {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) problems.push({ path: "/options", message: `must be a mapping of the module's options, got ${show(options)}` });
  const absolute = modulePath(path, context);
  const fileProblem = moduleFileProblem(absolute);
  if (fileProblem !== null) problems.push({ path: "/path", message: fileProblem });
  if (problems.length > 0) return { problems };
  const loaded = workloadModule(absolute);
  if (loaded === undefined) return { problems: [{ path: "/path", message: `the workload module ${absolute} is not loaded (load the scenario with loadScenarioAsync, or call loadWorkloadModule first)` }] };
  if ("error" in loaded) return { problems: [{ path: "/path", message: loaded.error }] };
  return { definition: loaded.definition, options, optionsPath: "/options" };
}

/** Problems of a workload section, each with a path such as "/rank"; empty when it is valid. */
export function validateWorkloadSpec(spec: unknown, context: SectionContext = {}): Problem[] {
  const found = definitionOf(spec, context);
  if ("problems" in found) return found.problems;
  const problems = optionProblems(found.definition, found.options);
  if (problems.length === 0 && found.definition.files !== undefined) problems.push(...fileProblems(found.definition, found.options as Record<string, unknown>, context));
  return problems.map((p) => ({ path: `${found.optionsPath}${p.path}`, message: p.message }));
}

/** The files a definition's valid options name that are not there (read from `baseDir` when relative). */
function fileProblems(definition: WorkloadDefinition, options: Readonly<Record<string, unknown>>, context: SectionContext): Problem[] {
  const problems: Problem[] = [];
  for (const { path, file } of definition.files!(withOptionDefaults(definition, options))) {
    const absolute = modulePath(file, context);
    let stat;
    try {
      stat = statSync(absolute);
    } catch {
      problems.push({ path, message: `no such file: ${absolute}${isAbsolute(file) ? "" : " (a relative path is read from the scenario file's folder)"}` });
      continue;
    }
    if (!stat.isFile()) problems.push({ path, message: `${absolute} is not a file` });
  }
  return problems;
}

/**
 * The section with every absent option set to its default (call after validation); a module's
 * path made absolute, so that any process can load it.
 */
export function withDefaults(spec: { readonly kind: string } & Readonly<Record<string, unknown>>, context: SectionContext = {}): Record<string, unknown> & { kind: string } {
  const found = definitionOf(spec, context);
  if ("problems" in found) return { ...spec };
  const filled = withOptionDefaults(found.definition, found.options as Record<string, unknown>);
  const options = (found.definition.withBaseDir !== undefined && context.baseDir !== undefined ? found.definition.withBaseDir(filled, context.baseDir) : filled) as Record<string, unknown>;
  if (found.optionsPath === "") return { kind: spec.kind, ...options };
  return { kind: moduleKind, path: modulePath(spec["path"] as string, context), options };
}

const branchOf = (kind: string, definition: WorkloadDefinition): Record<string, unknown> => ({
  title: kind,
  description: definition.description,
  type: "object",
  required: ["kind"],
  additionalProperties: false,
  properties: {
    kind: { const: kind, description: definition.description },
    ...JSON.parse(JSON.stringify(definition.options.properties)),
  },
});

/** JSON Schema (draft-07) of a scenario's `workload:` section. */
export const workloadJsonSchema: object = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "workload",
  description: "The ML program a scenario trains; `kind` picks it.",
  type: "object",
  required: ["kind"],
  oneOf: [
    ...[...builtinDefinitions].map(([kind, definition]) => branchOf(kind, definition)),
    {
      title: moduleKind,
      description: "A workload module of your own: a .ts or .js file whose default export is defineWorkload({...}) from @gaia/workloads (docs/workloads.md).",
      type: "object",
      required: ["kind", "path"],
      additionalProperties: false,
      properties: {
        kind: { const: moduleKind, description: "A workload module of your own (docs/workloads.md)." },
        path: { type: "string", minLength: 1, description: "The module's file (.ts, .mts, .js or .mjs), relative to the scenario file." },
        options: { type: "object", description: "The module's options, checked against the schema it declares." },
      },
    },
  ],
};
