/**
 * Reads a scenario file or a cluster file (a scenario plus a `cluster` section) in four steps, the
 * same for both kinds: YAML with source positions (plain data for a file over positionedMaxBytes);
 * every number finite (YAML's `.inf` and `.nan` are refused wherever they appear, as the schema's
 * integer and range checks would let them through; the schema still reports the rest of the file);
 * the JSON Schema of schema.ts (schema-issues.ts words its errors); then the checks
 * a schema cannot express, and defaults (normalize.ts, cluster.ts). Every problem becomes a
 * `ScenarioError` (a `ClusterError` for cluster files) whose message names the file, the
 * line:column and the path in the document (`scenario.yaml:12:5: sync.mirrorClockBound: must be
 * an integer`), never a stack trace. Memory is bounded by the size of the file and of the error
 * list (issues.ts keeps at most `issuesMax` problems).
 */
import { readFileSync } from "node:fs";
import { CORE_SCHEMA, load as loadYaml, YAMLException, type EventType, type State } from "js-yaml";
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
  return parseFile(() => readText(path, "scenario"), path, "scenario", overrides).scenario;
}

/** Parses scenario text; `fileName` is used in messages and as the default scenario name. */
export function parseScenarioText(text: string, fileName: string, overrides: ScenarioOverrides = {}): Scenario {
  return parseFile(() => text, fileName, "scenario", overrides).scenario;
}

/** Reads, validates and normalizes a cluster file. Throws `ClusterError` on any problem. */
export function loadCluster(path: string, overrides: ClusterOverrides = {}): ClusterConfig {
  const { scenario, cluster } = parseFile(() => readText(path, "cluster"), path, "cluster", overrides.set ? { set: overrides.set } : {});
  return clusterConfigOf(cluster!, scenario, path, overrides);
}

/** Parses cluster-file text; relative paths in it (tls, checkpoint.dir) are relative to `fileName`. */
export function parseClusterText(text: string, fileName: string, overrides: ClusterOverrides = {}): ClusterConfig {
  const { scenario, cluster } = parseFile(() => text, fileName, "cluster", overrides.set ? { set: overrides.set } : {});
  return clusterConfigOf(cluster!, scenario, fileName, overrides);
}

/**
 * Reads a file of either kind: a cluster file when it has a cluster section, else a scenario file.
 * Both are checked whole, by the same code (`gaia scenarios validate`).
 */
export function loadFile(path: string): { readonly kind: FileKind; readonly scenario: Scenario; readonly cluster: ClusterConfig | null } {
  const { scenario, cluster } = parseFile(() => readText(path, "scenario"), path, "scenario", {});
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

/**
 * Files up to this size are read with every node's source position, so each problem has its
 * line:column. The positions cost about 100 bytes of memory per byte of file (and superlinear time
 * in the garbage collector: 27 MB took 3.3 GB and 86 s), so a larger file (generated ones: long
 * fault schedules) is read as plain data, in about 7 bytes per byte, and its problems are named by
 * their path in the document, without a line.
 */
export const positionedMaxBytes = 1 << 20;

/**
 * One file of either kind, through the four steps; its cluster section as written, if any. The text
 * comes from `read` and is held only by `source`, so that the large reader can let it go once parsed.
 */
function parseFile(read: () => string, fileName: string, kind: FileKind, overrides: ScenarioOverrides): { scenario: Scenario; cluster: ScenarioFile["cluster"] } {
  const source: { text: string | null } = { text: read() };
  return source.text!.length > positionedMaxBytes ? parseLargeFile(source, fileName, kind, overrides) : parsePositioned(source.text!, fileName, kind, overrides);
}

/** The last three steps, the same for both readers: non-finite numbers, the schema, normalize. */
function checkData(data: unknown, fileName: string, kind: FileKind, overrides: ScenarioOverrides, issues: IssueList): { scenario: Scenario; cluster: ScenarioFile["cluster"] } {
  const { schema, error: Failure, needs } = kinds[kind];
  if (data === null || data === undefined) {
    throw new Failure(fileName, [{ path: "", message: `the file is empty: ${needs}`, line: 1, column: 1 }]);
  }
  // A non-finite number is reported where it is, and the schema's problems of the rest of the
  // file beside it (not those at the same place, which would say it again).
  const nonFinite = nonFiniteIssues(data, [], issues);
  schemaIssues(schema, data, nonFinite.length === 0 ? issues : issues.without(nonFinite));
  if (issues.list.length === 0) {
    const file = data as ScenarioFile;
    const scenario = normalize(file, fileName, overrides, issues);
    if (issues.list.length === 0) return { scenario, cluster: file.cluster };
  }
  throw new Failure(fileName, issues.sorted());
}

/**
 * A large file: plain data (js-yaml, YAML 1.2's core schema, as the positioned reader's), `--set`
 * applied to it, and problems named by path. Aliases are not copied by this reader but shared, so
 * a "billion laughs" file would make every later walk exponential: a document that reaches more
 * nodes than its text has characters is refused, as the positioned reader refuses one whose
 * aliases expand too far.
 */
function parseLargeFile(source: { text: string | null }, fileName: string, kind: FileKind, overrides: ScenarioOverrides): { scenario: Scenario; cluster: ScenarioFile["cluster"] } {
  const { error: Failure } = kinds[kind];
  // Without --set, nothing writes to the data, so equal short lists may be one shared list.
  const { data: parsed, length } = plainData(source, fileName, Failure, (overrides.set ?? []).length === 0);
  let data = parsed;
  if (reachesMoreThan(data, length)) {
    throw new Failure(fileName, [{ path: "", message: `YAML alias error: the aliases expand the document beyond the ${length} nodes its text could hold`, line: null, column: null }]);
  }
  const setRoots: { root: PathSegment[]; label: string }[] = [];
  for (const { path, value } of overrides.set ?? []) {
    const label = `--set ${formatPath(path)}`;
    const root = setInData(data, path, value);
    if (root === null) throw new Failure(fileName, [{ path: formatPath(path), message: "a value on its way is not a map or list", line: null, column: null, source: label }]);
    if (data === null || typeof data !== "object") data = value;
    setRoots.push({ root, label });
  }
  return checkData(data, fileName, kind, overrides, new IssueList(null, () => ({ line: null, column: null }), setRoots));
}

/** Values of this length or less are shared by the large reader (one string for each name a file repeats), up to `sharedStringsMax` of them. */
const sharedStringMaxLength = 64;
const sharedStringsMax = 1 << 16;

/**
 * The document of `source` as plain data, and the length of its text, which is then dropped from
 * `source` (this frame, which held it, ends here). js-yaml builds a list by pushing onto `[]`,
 * which leaves room for 17 items (a pair takes 184 bytes), and gives every scalar its own string:
 * as each node closes, a list is copied to its exact size (or, when `shareLists`, a pair of names
 * replaced by the first equal one, frozen) and a short string is replaced by the first one equal
 * to it. A node with an anchor is left as it is, so that its aliases share it.
 */
function plainData(source: { text: string | null }, fileName: string, Failure: (typeof kinds)[FileKind]["error"], shareLists: boolean): { data: unknown; length: number } {
  const text = source.text!;
  source.text = null;
  const strings = new Map<string, string>();
  const lists = new Map<string, readonly unknown[]>();
  // A pair of short strings (a link, a partition: two data centers) is frozen and shared by every equal one.
  const sharedList = (value: unknown[]): unknown[] => {
    if (value.length !== 2 || !value.every((item) => typeof item === "string" && item.length <= sharedStringMaxLength)) return value.slice();
    const key = JSON.stringify(value);
    const shared = lists.get(key);
    if (shared !== undefined) return shared as unknown[];
    const list = Object.freeze(value.slice());
    if (lists.size < sharedStringsMax) lists.set(key, list);
    return list as unknown[];
  };
  const listener = (event: EventType, state: State & { anchor?: string | null }): void => {
    if (event !== "close" || (state.anchor ?? null) !== null) return;
    const value = state.result;
    if (state.kind === "sequence" && Array.isArray(value)) state.result = shareLists ? sharedList(value) : value.slice();
    else if (typeof value === "string" && value.length <= sharedStringMaxLength) {
      const shared = strings.get(value);
      if (shared !== undefined) state.result = shared;
      else if (strings.size < sharedStringsMax) strings.set(value, value);
    }
  };
  try {
    return { data: loadYaml(text, { schema: CORE_SCHEMA, filename: fileName, listener }), length: text.length };
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const mark = error.mark as { line?: number; column?: number } | undefined;
    throw new Failure(fileName, [{ path: "", message: `YAML syntax error: ${firstLine(error.reason)}`, line: mark?.line === undefined ? null : mark.line + 1, column: mark?.column === undefined ? null : mark.column + 1 }]);
  }
}

/** Sets `value` at `path` of plain data, creating maps on the way; the shortest part of the path the data lacked, or null where a value on the way is not a map or list. */
function setInData(data: unknown, path: readonly PathSegment[], value: unknown): PathSegment[] | null {
  let node = data as Record<string | number, unknown> | null;
  let root: PathSegment[] | null = null;
  for (let i = 0; i < path.length; i++) {
    if (node === null || typeof node !== "object") return null;
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (!(segment in node) && root === null) root = path.slice(0, i + 1);
    if (last) node[segment] = value;
    else {
      if (!(segment in node)) node[segment] = {};
      node = node[segment] as Record<string | number, unknown> | null;
    }
  }
  return root ?? [...path];
}

/**
 * Whether walking `data` (every shared object as many times as it is reached) visits more than
 * `limit` nodes. Depth first, by recursion (js-yaml's documents nest at most 100 deep), so that the
 * walk allocates nothing: a list of 500,000 faults once took 24 MB of garbage here.
 */
function reachesMoreThan(data: unknown, limit: number): boolean {
  let visited = 0;
  const walk = (node: unknown): boolean => {
    if (++visited > limit) return true;
    if (node === null || typeof node !== "object") return false;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) if (walk(node[i])) return true;
    } else {
      for (const key in node) if (Object.hasOwn(node, key) && walk((node as Record<string, unknown>)[key])) return true;
    }
    return false;
  };
  return walk(data);
}

/** A file small enough to keep every node's source position: each problem has its line:column. */
function parsePositioned(text: string, fileName: string, kind: FileKind, overrides: ScenarioOverrides): { scenario: Scenario; cluster: ScenarioFile["cluster"] } {
  const { error: Failure } = kinds[kind];
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
  return checkData(data, fileName, kind, overrides, new IssueList(doc, position, setRoots));
}

/** Every number in the document must be finite: no field of a scenario takes `.inf` or `.nan`. The paths of those that are not. */
function nonFiniteIssues(value: unknown, path: PathSegment[], issues: IssueList, found: PathSegment[][] = []): PathSegment[][] {
  // `path` is one array, pushed and popped on the way (a copy is taken only for a problem): the
  // walk allocates nothing per node of a large file.
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      issues.add(path, `must be a finite number, not ${numberText(value)}`);
      found.push([...path]);
    }
    return found;
  }
  if (value === null || typeof value !== "object" || issues.full) return found;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      nonFiniteIssues(value[i], path, issues, found);
      path.pop();
    }
  } else {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      path.push(key);
      nonFiniteIssues((value as Record<string, unknown>)[key], path, issues, found);
      path.pop();
    }
  }
  return found;
}
