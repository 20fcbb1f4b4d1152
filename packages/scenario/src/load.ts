/**
 * Reads a scenario file or a cluster file (a scenario plus a `cluster` section) in four steps, the
 * same for both kinds: YAML with source positions; every number finite (YAML's `.inf` and `.nan`
 * are refused wherever they appear, before the schema, whose integer and range checks would let
 * them through); the JSON Schema of schema.ts (schema-issues.ts words its errors); then the checks
 * a schema cannot express, and defaults (normalize.ts, cluster.ts). Every problem becomes a
 * `ScenarioError` (a `ClusterError` for cluster files) whose message names the file, the
 * line:column and the path in the document (`scenario.yaml:12:5: sync.mirrorClockBound: must be
 * an integer`), never a stack trace. Memory is bounded by the size of the file and of the error
 * list (issues.ts keeps at most `issuesMax` problems).
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { loadWorkloadModule, takeWantedModules } from "@gaia/workloads";
import { clusterConfigOf, type ClusterConfig, type ClusterOverrides } from "./cluster.js";
import { ClusterError, firstAliasOffset, firstLine, formatPath, IssueList, numberText, ScenarioError, type PathSegment, type ScenarioIssue } from "./issues.js";
import { normalize } from "./normalize.js";
import { clusterJsonSchema, scenarioJsonSchema, type ScenarioFile } from "./schema.js";
import { schemaIssues } from "./schema-issues.js";
import type { Scenario, SyncModel } from "./scenario.js";

export { ClusterError, formatIssue, formatPath, numberText, ScenarioError, type PathSegment, type ScenarioIssue } from "./issues.js";
export { parseDuration, type Duration } from "./duration.js";

export interface ScenarioOverrides {
  readonly seed?: number;
  /** Switches the synchronization model, e.g. to run an asp scenario as its bsp baseline. */
  readonly sync?: SyncModel;
  /** Values set at dotted paths of the document before it is checked (`gaia simulate --set path=value`). */
  readonly set?: readonly { readonly path: readonly PathSegment[]; readonly value: unknown }[];
}

export const syncModels: readonly SyncModel[] = ["lan", "bsp", "ssp", "asp", "diloco"];

/** The two kinds of file; a cluster file must have the `cluster` section a scenario file may have. */
export type FileKind = "scenario" | "cluster";

const kinds = {
  scenario: { noun: "the scenario", needs: "a scenario needs at least topology and workload", schema: scenarioJsonSchema, error: ScenarioError },
  cluster: { noun: "the cluster file", needs: "a cluster file needs at least topology, workload and cluster", schema: clusterJsonSchema, error: ClusterError },
} as const;

/** Reads, validates and normalizes a scenario file. Throws `ScenarioError` on any problem. */
export function loadScenario(path: string, overrides: ScenarioOverrides = {}): Scenario {
  return parseScenarioText(readText(path, "scenario"), path, overrides);
}

/** Parses scenario text; `fileName` is used in messages and as the default scenario name. */
export function parseScenarioText(text: string, fileName: string, overrides: ScenarioOverrides = {}): Scenario {
  return parseFile(text, fileName, "scenario", overrides).scenario;
}

/** Reads, validates and normalizes a cluster file. Throws `ClusterError` on any problem. */
export function loadCluster(path: string, overrides: ClusterOverrides = {}): ClusterConfig {
  return parseClusterText(readText(path, "cluster"), path, overrides);
}

/** Parses cluster-file text; relative paths in it (tls, checkpoint.dir) are relative to `fileName`. */
export function parseClusterText(text: string, fileName: string, overrides: ClusterOverrides = {}): ClusterConfig {
  const { scenario, cluster } = parseFile(text, fileName, "cluster", overrides.set ? { set: overrides.set } : {});
  return clusterConfigOf(cluster!, scenario, fileName, overrides);
}

/**
 * Reads a file of either kind: a cluster file when it has a cluster section, else a scenario file.
 * Both are checked whole, by the same code (`gaia scenarios validate`).
 */
export function loadFile(path: string): { readonly kind: FileKind; readonly scenario: Scenario; readonly cluster: ClusterConfig | null } {
  const { scenario, cluster } = parseFile(readText(path, "scenario"), path, "scenario", {});
  return cluster === undefined ? { kind: "scenario", scenario, cluster: null } : { kind: "cluster", scenario, cluster: clusterConfigOf(cluster, scenario, path) };
}

/**
 * Runs a loader; when the file names a workload module this process has not loaded yet, loads
 * it (its failure is reported at `workload.path`, like any problem of the file) and runs the
 * loader again, now able to check the module's options against its schema.
 */
async function withWorkloadModules<T>(load: () => T): Promise<T> {
  takeWantedModules();
  try {
    return load();
  } catch (error) {
    const wanted = takeWantedModules();
    if (!(error instanceof ScenarioError) || wanted.length === 0) throw error;
    await Promise.all(wanted.map((path) => loadWorkloadModule(path)));
    return load();
  }
}

/** `loadScenario`, loading any workload module the file names first (what commands call). */
export function loadScenarioAsync(path: string, overrides: ScenarioOverrides = {}): Promise<Scenario> {
  return withWorkloadModules(() => loadScenario(path, overrides));
}

/** `loadCluster`, loading any workload module the file names first. */
export function loadClusterAsync(path: string, overrides: ClusterOverrides = {}): Promise<ClusterConfig> {
  return withWorkloadModules(() => loadCluster(path, overrides));
}

/** `loadFile`, loading any workload module the file names first. */
export function loadFileAsync(path: string): ReturnType<typeof loadFile> extends infer R ? Promise<R> : never {
  return withWorkloadModules(() => loadFile(path));
}

/** Validates a file and returns its problems (empty when it is valid). */
export function checkScenarioFile(path: string): readonly ScenarioIssue[] {
  try {
    loadScenario(path);
    return [];
  } catch (error) {
    if (error instanceof ScenarioError) return error.issues;
    throw error;
  }
}

function readText(path: string, kind: FileKind): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : (error as Error).message;
    throw new kinds[kind].error(path, [{ path: "", message: `cannot read ${kinds[kind].noun}: ${reason}`, line: null, column: null }]);
  }
}

/** One file of either kind, through the four steps; its cluster section as written, if any. */
function parseFile(text: string, fileName: string, kind: FileKind, overrides: ScenarioOverrides): { scenario: Scenario; cluster: ScenarioFile["cluster"] } {
  const { schema, error: Failure, needs } = kinds[kind];
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const position = (offset: number | null): { line: number | null; column: number | null } => {
    if (offset === null) return { line: null, column: null };
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    throw new Failure(
      fileName,
      doc.errors.map((error) => ({ path: "", message: `YAML syntax error: ${firstLine(error.message)}`, ...position(error.pos[0]) })),
    );
  }
  // Where each --set's value begins: the shortest part of its path the file does not hold. A problem
  // at or under it is the --set's, and is reported there rather than at a line of the file.
  const setRoots: { root: PathSegment[]; label: string }[] = [];
  for (const { path, value } of overrides.set ?? []) {
    let depth = 1;
    while (depth < path.length && doc.hasIn(path.slice(0, depth))) depth++;
    setRoots.push({ root: path.slice(0, depth), label: `--set ${formatPath(path)}` });
    try {
      doc.setIn(path, doc.createNode(value));
    } catch {
      throw new Failure(fileName, [{ path: formatPath(path), message: "a value on its way is not a map or list", line: null, column: null, source: `--set ${formatPath(path)}` }]);
    }
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    // An alias with no anchor, or more alias expansions than allowed (a "billion laughs" file).
    throw new Failure(fileName, [{ path: "", message: `YAML alias error: ${firstLine((error as Error).message)}`, ...position(firstAliasOffset(doc)) }]);
  }
  if (data === null || data === undefined) {
    throw new Failure(fileName, [{ path: "", message: `the file is empty: ${needs}`, line: 1, column: 1 }]);
  }
  const issues = new IssueList(doc, position, setRoots);
  nonFiniteIssues(data, [], issues);
  if (issues.list.length > 0) throw new Failure(fileName, issues.sorted());
  schemaIssues(schema, data, issues);
  if (issues.list.length === 0) {
    const file = data as ScenarioFile;
    const scenario = normalize(file, fileName, overrides, issues);
    if (issues.list.length === 0) return { scenario, cluster: file.cluster };
  }
  throw new Failure(fileName, issues.sorted());
}

/** Every number in the document must be finite: no field of a scenario takes `.inf` or `.nan`. */
function nonFiniteIssues(value: unknown, path: PathSegment[], issues: IssueList): void {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) issues.add(path, `must be a finite number, not ${numberText(value)}`);
    return;
  }
  if (value === null || typeof value !== "object" || issues.full) return;
  if (Array.isArray(value)) value.forEach((item, i) => nonFiniteIssues(item, [...path, i], issues));
  else for (const [key, item] of Object.entries(value)) nonFiniteIssues(item, [...path, key], issues);
}
