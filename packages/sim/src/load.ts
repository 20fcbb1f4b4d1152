/**
 * Reads a scenario file into a normalized `Scenario`: YAML with source positions, then the JSON
 * Schema (schema.ts), then the checks a schema cannot express (names that must exist in the
 * topology, link coverage, hub groups), then defaults. Every problem becomes a `ScenarioError`
 * whose message names the file, the line:column and the path in the document
 * (`scenario.yaml:12:5: sync.mirrorClockBound: must be an integer`), never a stack trace.
 *
 * Every number must be finite (YAML's `.inf` and `.nan` are refused wherever they appear, before the
 * schema, whose integer and range checks would let them through). Memory is bounded by the size of
 * the file and of the error list (at most `issuesMax` problems are kept), never by the topology it
 * describes: 10,000 data centers without links is one problem, not 10^8 missing pairs.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, visit, type Document } from "yaml";
import { dataCenterOf, parseSchedule, type DilocoConfig, type HubGroup, type Schedule } from "@gaia/core";
import * as workloads from "@gaia/workloads";
import { autoHubGroups, presetNames, presetTopology } from "./presets.js";
import { definitions, faultKinds, scenarioJsonSchema } from "./schema.js";
import type { ComputeSpec, Fault, NetworkModelSpec, Scenario, StopSpec, SyncModel, SyncSpec, Topology, WanLink } from "./scenario.js";
import { computeRegimeOf } from "./scenario.js";

export type PathSegment = string | number;

export interface ScenarioIssue {
  /** Dotted path in the document, e.g. `sync.mirrorClockBound` or `faults[2].at`; "" for the whole file. */
  readonly path: string;
  readonly message: string;
  /** 1-based; null when the position is unknown. */
  readonly line: number | null;
  readonly column: number | null;
}

export class ScenarioError extends Error {
  override readonly name = "ScenarioError";
  constructor(
    readonly file: string,
    readonly issues: readonly ScenarioIssue[],
  ) {
    super(formatIssues(file, issues));
  }
}

const maxIssuesShown = 10;

export function formatIssue(file: string, issue: ScenarioIssue): string {
  const where = issue.line === null ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  return issue.path === "" ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

function formatIssues(file: string, issues: readonly ScenarioIssue[]): string {
  const lines = issues.slice(0, maxIssuesShown).map((issue) => formatIssue(file, issue));
  if (issues.length > maxIssuesShown) lines.push(`(${issues.length - maxIssuesShown} more problems)`);
  return lines.join("\n");
}

export interface ScenarioOverrides {
  readonly seed?: number;
  /** Switches the synchronization model, e.g. to run an asp scenario as its bsp baseline. */
  readonly sync?: SyncModel;
  /** Values set at dotted paths of the document before it is checked (`gaia simulate --set path=value`). */
  readonly set?: readonly { readonly path: readonly PathSegment[]; readonly value: unknown }[];
}

export const syncModels: readonly SyncModel[] = ["lan", "bsp", "ssp", "asp", "diloco"];

/** Reads, validates and normalizes a scenario file. Throws `ScenarioError` on any problem. */
export function loadScenario(path: string, overrides: ScenarioOverrides = {}): Scenario {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : (error as Error).message;
    throw new ScenarioError(path, [{ path: "", message: `cannot read the scenario: ${reason}`, line: null, column: null }]);
  }
  return parseScenarioText(text, path, overrides);
}

/** Parses scenario text; `fileName` is used in messages and as the default scenario name. */
export function parseScenarioText(text: string, fileName: string, overrides: ScenarioOverrides = {}): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const position = (offset: number | null): { line: number | null; column: number | null } => {
    if (offset === null) return { line: null, column: null };
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      fileName,
      doc.errors.map((error) => ({ path: "", message: `YAML syntax error: ${firstLine(error.message)}`, ...position(error.pos[0]) })),
    );
  }
  for (const { path, value } of overrides.set ?? []) {
    try {
      doc.setIn(path, doc.createNode(value));
    } catch {
      throw new ScenarioError(fileName, [{ path: formatPath(path), message: `--set: cannot set ${formatPath(path)}: a value on its way is not a map or list`, line: null, column: null }]);
    }
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    // An alias with no anchor, or more alias expansions than allowed (a "billion laughs" file).
    throw new ScenarioError(fileName, [{ path: "", message: `YAML alias error: ${firstLine((error as Error).message)}`, ...position(firstAliasOffset(doc)) }]);
  }
  if (data === null || data === undefined) {
    throw new ScenarioError(fileName, [{ path: "", message: "the file is empty: a scenario needs at least topology and workload", line: 1, column: 1 }]);
  }
  const issues = new IssueList(doc, position);
  nonFiniteIssues(data, [], issues);
  if (issues.list.length > 0) throw new ScenarioError(fileName, issues.sorted());
  schemaIssues(data, issues);
  if (issues.list.length === 0) {
    const scenario = normalize(data as RawScenario, fileName, overrides, issues);
    if (issues.list.length === 0) return scenario;
  }
  throw new ScenarioError(fileName, issues.sorted());
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

const firstLine = (text: string): string => text.split("\n")[0]!.trim();

/** Source offset of the first alias that names no anchor (or of the first alias at all). */
function firstAliasOffset(doc: Document): number | null {
  let first: number | null = null;
  let unresolved: number | null = null;
  visit(doc, {
    Alias(_key, node) {
      const offset = rangeStart(node);
      first ??= offset;
      if (unresolved === null && isAlias(node) && node.resolve(doc) === undefined) unresolved = offset;
    },
  });
  return unresolved ?? first;
}

/** YAML's `.inf`, `-.inf` and `.nan` as the file spells them (JSON would print "null"). */
export const numberText = (value: number): string => (Number.isNaN(value) ? ".nan" : value === Infinity ? ".inf" : value === -Infinity ? "-.inf" : String(value));

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

// ---------------------------------------------------------------------------------------------
// Issues with positions

/** Problems kept per file; beyond them only a count (memory bounded by the error list). */
const issuesMax = 1000;

class IssueList {
  readonly list: { issue: ScenarioIssue; offset: number }[] = [];
  private readonly seen = new Set<string>();
  private dropped = 0;
  constructor(
    private readonly doc: Document,
    private readonly position: (offset: number | null) => { line: number | null; column: number | null },
  ) {}

  /** Records a problem at `path`; `atKey` points at the key of the last segment rather than its value. */
  add(path: readonly PathSegment[], message: string, atKey = false): void {
    const text = formatPath(path);
    const key = `${text}\u0000${message}`;
    if (this.seen.has(key)) return;
    if (this.full) {
      this.dropped++;
      return;
    }
    this.seen.add(key);
    const offset = locate(this.doc, path, atKey);
    this.list.push({ issue: { path: text, message, ...this.position(offset) }, offset: offset ?? 0 });
  }

  get full(): boolean {
    return this.list.length >= issuesMax;
  }

  sorted(): ScenarioIssue[] {
    const sorted = [...this.list].sort((a, b) => a.offset - b.offset).map((i) => i.issue);
    if (this.dropped > 0) sorted.push({ path: "", message: `and ${this.dropped} more problem(s), not listed`, line: null, column: null });
    return sorted;
  }
}

export function formatPath(path: readonly PathSegment[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? segment : `.${segment}`;
  }
  return text;
}

/** Source offset of the node at `path`, or of its deepest existing ancestor. */
function locate(doc: Document, path: readonly PathSegment[], atKey: boolean): number | null {
  let node: unknown = doc.contents;
  let offset: number | null = rangeStart(node);
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      const keyOffset = rangeStart(pair.key);
      if (atKey && i === path.length - 1) return keyOffset ?? offset;
      node = pair.value;
      offset = rangeStart(node) ?? keyOffset ?? offset;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
      if (node === undefined) break;
      offset = rangeStart(node) ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | null {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? range[0] : null;
}

// ---------------------------------------------------------------------------------------------
// Schema validation

let validator: ValidateFunction | null = null;

function validate(data: unknown): readonly ErrorObject[] {
  if (validator === null) {
    const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
    validator = ajv.compile(scenarioJsonSchema as object);
  }
  return validator(data) ? [] : (validator.errors ?? []);
}

function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[String(segment)];
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "number" && !Number.isFinite(value)) return numberText(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

const typeNames: Record<string, string> = { integer: "an integer", number: "a number", string: "a string", boolean: "true or false", array: "a list", object: "a map", null: "null" };

function schemaIssues(data: unknown, issues: IssueList): void {
  const errors = validate(data);
  const faultSchema = definitions["fault"]!;
  const faultKindBranches = faultSchema["oneOf"] as readonly unknown[];
  const isFaultKindError = (e: ErrorObject): boolean => e.keyword === "oneOf" && e.parentSchema === faultSchema;
  const faultKindErrors = new Set(errors.filter(isFaultKindError).map((e) => e.instancePath));
  const hidden = oneOfNoise(errors, faultSchema);
  for (const error of errors) {
    if (error.keyword === "if" || hidden.has(error)) continue;
    // The branches of "exactly one fault kind" each require one key; the oneOf error says it better.
    if (faultKindBranches.includes(error.parentSchema)) continue;
    const path = pointerToPath(error.instancePath);
    const value = valueAt(data, path);
    const params = error.params as Record<string, unknown>;
    switch (error.keyword) {
      case "additionalProperties": {
        if (faultKindErrors.has(error.instancePath)) break;
        const name = String(params["additionalProperty"]);
        const known = Object.keys(((error.parentSchema as Record<string, unknown> | undefined)?.["properties"] as object | undefined) ?? {}).filter((k) => k !== "$schema");
        const guess = closest(name, known);
        const hint = guess ? ` (did you mean "${guess}"?)` : known.length > 0 ? ` (known: ${known.join(", ")})` : "";
        issues.add([...path, name], `unknown field "${name}"${hint}`, true);
        break;
      }
      case "required":
        issues.add(path, `missing required field "${String(params["missingProperty"])}"`);
        break;
      case "type": {
        const expected = String(params["type"]).split(",").map((t) => typeNames[t] ?? t);
        issues.add(path, `must be ${expected.join(" or ")}, not ${describe(value)}`);
        break;
      }
      case "enum":
        issues.add(path, `must be one of ${(params["allowedValues"] as unknown[]).map((v) => String(v)).join(", ")}, not ${describe(value)}`);
        break;
      case "const":
        issues.add(path, `must be ${JSON.stringify(params["allowedValue"])}, not ${describe(value)}`);
        break;
      case "pattern":
        issues.add(path, patternMessage(error.parentSchema, value));
        break;
      case "oneOf":
        if (isFaultKindError(error)) {
          const present = faultKinds.filter((kind) => typeof value === "object" && value !== null && kind in value);
          const found = present.length === 0 ? "none" : present.join(", ");
          issues.add(path, `a fault needs exactly one of ${faultKinds.join(", ")} (found: ${found})`);
        } else {
          const description = (error.parentSchema as { description?: unknown } | undefined)?.description;
          issues.add(path, `${describe(value)} does not match any allowed form${typeof description === "string" ? ` (${description})` : ""}`);
        }
        break;
      case "minItems":
      case "maxItems": {
        const pairLike = error.parentSchema === definitions["pair"];
        issues.add(path, pairLike ? `must be a pair [a, b], not a list of ${(value as unknown[]).length}` : `must have ${error.keyword === "minItems" ? "at least" : "at most"} ${String(params["limit"])} item(s)`);
        break;
      }
      case "uniqueItems":
        issues.add(path, "must not repeat an item");
        break;
      default:
        issues.add(path, `${error.message ?? "is invalid"}${value !== undefined && typeof value !== "object" ? `, not ${describe(value)}` : ""}`);
    }
  }
}

/**
 * A failed `oneOf` reports every branch's errors. Keep only the errors of the branch that accepts the
 * value's type (of several, the one with the fewest errors) and drop the oneOf's own; when no single
 * branch stands out, keep only the oneOf error.
 */
function oneOfNoise(errors: readonly ErrorObject[], faultSchema: unknown): Set<ErrorObject> {
  const hidden = new Set<ErrorObject>();
  for (const oneOf of errors) {
    if (oneOf.keyword !== "oneOf" || oneOf.parentSchema === faultSchema) continue;
    const prefix = `${oneOf.schemaPath}/`;
    const byBranch = new Map<string, ErrorObject[]>();
    for (const error of errors) {
      if (!error.schemaPath.startsWith(prefix)) continue;
      const branch = error.schemaPath.slice(prefix.length).split("/")[0]!;
      byBranch.set(branch, [...(byBranch.get(branch) ?? []), error]);
    }
    const typed = [...byBranch.values()].filter((list) => !list.some((e) => e.keyword === "type" && e.instancePath === oneOf.instancePath));
    // Several branches take the type (two object forms): the one with the fewest complaints.
    const fewest = Math.min(...typed.map((list) => list.length));
    const closestBranches = typed.filter((list) => list.length === fewest);
    const keep = closestBranches.length === 1 ? closestBranches[0]! : [];
    for (const list of byBranch.values()) for (const error of list) if (!keep.includes(error)) hidden.add(error);
    if (keep.length > 0) hidden.add(oneOf);
  }
  return hidden;
}

function patternMessage(schema: unknown, value: unknown): string {
  if (schema === definitions["duration"]) return `${describe(value)} is not a duration: use seconds (90) or a string such as 500ms, 90s, 5m, 2h, 1h30m`;
  if (schema === definitions["nodeId"]) return `${describe(value)} is not a node id: use <dc>/w<i> (worker), <dc>/s<j> (shard) or <dc>/hub`;
  if (schema === definitions["dataCenterName"]) return `${describe(value)} is not a data-center name (letters, digits, - and _)`;
  return `${describe(value)} has the wrong form`;
}

/** The known name closest to `name` by edit distance, when it is close enough to be a typo. */
function closest(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

// ---------------------------------------------------------------------------------------------
// Durations

const durationUnitsS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds from a number (seconds) or a string such as "500ms", "90s", "5m", "2h", "1h30m". */
export function parseDuration(value: number | string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${value} is not a duration`);
    return value;
  }
  const text = value.trim();
  const part = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*/gy;
  let seconds = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = part.exec(text)) !== null) {
    seconds += Number(match[1]) * durationUnitsS[match[2]!]!;
    consumed = part.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) throw new RangeError(`"${value}" is not a duration: use 500ms, 90s, 5m, 2h or 1h30m`);
  if (!Number.isFinite(seconds)) throw new RangeError(`"${value}" is not a finite duration`);
  return seconds;
}

/** `parseDuration`, with a problem recorded at `path` (and 0 returned) instead of a throw. */
function durationAt(issues: IssueList, path: readonly PathSegment[], value: Duration): number {
  try {
    return parseDuration(value);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    issues.add(path, error.message);
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Normalization and semantic checks (the input has passed the schema)

type Duration = number | string;
type Pair = [string, string];
type PairOrAll = Pair | "all";

interface RawLink {
  link: Pair;
  bandwidthMbps?: number;
  bandwidthScale?: number;
  latencyMs?: number;
  rttMs?: number;
  oneWay?: boolean;
}

interface RawTopology {
  preset?: string;
  dataCenters?: string[];
  links?: RawLink[];
  machinesPerDataCenter?: number;
  shardsPerDataCenter?: number;
  bandwidthScale?: number;
  lanMbps?: number;
  lanLatencyMs?: number;
  egressUsdPerGb?: number | Record<string, number>;
}

interface RawSync {
  model?: SyncModel;
  withinDataCenter?: "bsp" | "ssp";
  staleness?: number;
  significance?: { threshold?: number | "auto"; floor?: number; budget?: number; ceiling?: number; encoding?: "f32" | "f16" | "int8"; schedule?: string | { kind: "step"; every: number; factor: number } };
  barrierClockFraction?: number;
  mirrorClockBound?: number;
  selectiveBarrier?: "auto" | "always" | "off" | boolean;
  hubs?: "auto" | "none" | { hub: string; members: string[] }[];
  diloco?: RawDiloco;
}

interface RawFault {
  at: Duration;
  for?: Duration;
  partition?: Pair;
  oneWay?: boolean;
  isolate?: string;
  bandwidth?: { link: PairOrAll; factor: number };
  crash?: string;
  restartAfter?: Duration;
  slow?: string;
  factor?: number;
  lossy?: { link: PairOrAll; loss?: number; duplicate?: number; reorder?: number };
}

interface RawScenario {
  name?: string;
  description?: string;
  seed?: number;
  topology: RawTopology;
  workload: { kind: string } & Record<string, unknown>;
  sync?: RawSync;
  compute?: { msPerSample?: number; regime?: "cpu" | "accelerator" | number; calibration?: string; speeds?: Record<string, number>; stragglers?: { probability: number; slowdown: number }; jitter?: number };
  faults?: RawFault[];
  randomFaults?: { until: Duration; partitionsPerHour?: number; crashesPerHour?: number; loss?: number; duplicate?: number; reorder?: number };
  stop?: { maxIterations?: number; maxVirtualTime?: Duration; target?: { objective: number }; evalEvery?: number };
  network?: { sharing?: "max-min" | "cm02"; nicMbps?: number; nics?: Record<string, number>; wanCaps?: Record<string, { egressMbps?: number; ingressMbps?: number }> };
}

const defaultEgressUsdPerGb = 0.02;
const defaultThreshold = 0.01;
/** threshold auto: an update may use half of its tightest link over a clock (docs/protocol.md). */
const defaultBudgetLinkFraction = 0.5;
/** threshold auto: the budget never holds back an update of more than 10% of its value (docs/protocol.md). */
const defaultThresholdCeiling = 0.1;
/** Selective barrier auto: fire when an update would not arrive within one clock. */
const defaultBarrierClockFraction = 1;
const defaultMirrorClockBound = 1;
const defaultSspStaleness = 2;
const defaultMaxVirtualTimeS = 7200;

function normalize(raw: RawScenario, fileName: string, overrides: ScenarioOverrides, issues: IssueList): Scenario {
  const topology = normalizeTopology(raw.topology, issues);
  const dataCenters = new Set(topology.dataCenters);
  const checkDataCenter = (path: PathSegment[], name: string): void => {
    if (!dataCenters.has(name)) issues.add(path, `unknown data center "${name}" (this topology has ${topology.dataCenters.join(", ")})`);
  };

  const hubGroups = normalizeHubGroups(raw.sync?.hubs, topology, checkDataCenter, issues);
  const sync = normalizeSync(raw.sync ?? {}, overrides.sync ?? raw.sync?.model ?? "asp", hubGroups, issues);
  // Hub ids are checked against the file's groups, so that --sync bsp does not invalidate a file.
  const fileHubs = new Set(hubGroups.map((g) => g.hub));
  const checkNode = (path: PathSegment[], node: string): void => {
    const dc = dataCenterOf(node);
    if (!dataCenters.has(dc)) {
      issues.add(path, `unknown data center "${dc}" in node id "${node}" (this topology has ${topology.dataCenters.join(", ")})`);
      return;
    }
    const local = node.slice(dc.length + 1);
    const index = Number(local.slice(1));
    if (local === "hub") {
      if (!fileHubs.has(dc)) issues.add(path, `"${node}": ${dc} hosts no hub (hubs: ${fileHubs.size === 0 ? "none" : [...fileHubs].join(", ")})`);
    } else if (local.startsWith("w") && index >= topology.workersPerDataCenter) {
      issues.add(path, `"${node}": each data center has workers w0..w${topology.workersPerDataCenter - 1}`);
    } else if (local.startsWith("s") && index >= topology.shardsPerDataCenter) {
      issues.add(path, `"${node}": each data center has shards s0..s${topology.shardsPerDataCenter - 1}`);
    }
  };

  const compute = normalizeCompute(raw.compute ?? {}, (path, name) => (name.includes("/") ? checkNode(path, name) : checkDataCenter(path, name)));
  const faults = normalizeFaults(raw.faults ?? [], checkDataCenter, checkNode, issues).filter((fault) => {
    // A run without hubs (e.g. --sync bsp on a scenario with hubs) has no hub nodes to fault.
    const node = fault.kind === "crash" || fault.kind === "slow" ? fault.node : null;
    return node === null || !node.endsWith("/hub") || sync.hubGroups.some((g) => `${g.hub}/hub` === node);
  });
  const randomFaults = raw.randomFaults
    ? {
        untilS: durationAt(issues, ["randomFaults", "until"], raw.randomFaults.until),
        partitionsPerHour: raw.randomFaults.partitionsPerHour ?? 0,
        crashesPerHour: raw.randomFaults.crashesPerHour ?? 0,
        loss: raw.randomFaults.loss ?? 0,
        duplicate: raw.randomFaults.duplicate ?? 0,
        reorder: raw.randomFaults.reorder ?? 0,
      }
    : null;
  const stop = normalizeStop(raw.stop ?? {}, issues);
  const network = normalizeNetwork(raw.network ?? {}, topology, checkDataCenter, (path, name) => (name.includes("/") ? checkNode(path, name) : checkDataCenter(path, name)), issues);
  const workloadFine = workloadIssues(raw.workload, issues);
  const calibrated = raw.compute?.calibration !== undefined && workloadFine ? calibratedCompute(raw.compute, raw.workload, fileName, issues) : null;

  return {
    name: raw.name ?? defaultName(fileName),
    description: raw.description ?? "",
    seed: overrides.seed ?? raw.seed ?? 1,
    topology,
    workload: workloadWithDefaults(raw.workload),
    sync,
    compute: calibrated === null ? compute : { ...compute, msPerSample: calibrated },
    faults,
    randomFaults,
    stop,
    network,
  };
}

function normalizeNetwork(raw: NonNullable<RawScenario["network"]>, topology: Topology, checkDataCenter: (path: PathSegment[], name: string) => void, checkName: (path: PathSegment[], name: string) => void, issues: IssueList): NetworkModelSpec {
  const mbps = (path: PathSegment[], value: number | undefined): number | null => {
    if (value === undefined) return null;
    if (!(typeof value === "number" && Number.isFinite(value) && value > 0)) {
      issues.add(path, `must be a finite bandwidth > 0 Mbit/s, got ${String(value)}`);
      return null;
    }
    return value;
  };
  const nics: Record<string, number> = {};
  for (const [name, value] of Object.entries(raw.nics ?? {})) {
    checkName(["network", "nics", name], name);
    const v = mbps(["network", "nics", name], value);
    if (v !== null) nics[name] = v;
  }
  const wanCaps: Record<string, { egressMbps: number | null; ingressMbps: number | null }> = {};
  for (const [dc, cap] of Object.entries(raw.wanCaps ?? {})) {
    checkDataCenter(["network", "wanCaps", dc], dc);
    wanCaps[dc] = { egressMbps: mbps(["network", "wanCaps", dc, "egressMbps"], cap.egressMbps), ingressMbps: mbps(["network", "wanCaps", dc, "ingressMbps"], cap.ingressMbps) };
  }
  return { sharing: raw.sharing ?? "max-min", nicMbps: mbps(["network", "nicMbps"], raw.nicMbps) ?? topology.lanBandwidthMbps, nics, wanCaps };
}

function defaultName(fileName: string): string {
  const base = basename(fileName, extname(fileName)).replace(/[^A-Za-z0-9._-]/g, "-");
  return base === "" ? "scenario" : base;
}

function normalizeTopology(raw: RawTopology, issues: IssueList): Topology {
  const preset = raw.preset === undefined ? null : presetTopology(raw.preset);
  if (raw.preset !== undefined && preset === null) issues.add(["topology", "preset"], `unknown preset "${raw.preset}" (known: ${presetNames.join(", ")})`);
  let dataCenters: string[];
  if (preset) {
    dataCenters = [...preset.dataCenters];
    if (raw.dataCenters) {
      raw.dataCenters.forEach((dc, i) => {
        if (!preset.dataCenters.includes(dc)) issues.add(["topology", "dataCenters", i], `"${dc}" is not a data center of preset ${preset.name} (${preset.dataCenters.join(", ")})`);
      });
      dataCenters = raw.dataCenters.filter((dc) => preset.dataCenters.includes(dc));
    }
  } else if (raw.dataCenters) {
    dataCenters = [...raw.dataCenters];
  } else {
    if (raw.preset === undefined) issues.add(["topology"], "needs a preset or a list of dataCenters");
    dataCenters = [];
  }
  const inside = new Set(dataCenters);

  const linkKey = (source: string, target: string): string => `${source}->${target}`;
  const links = new Map<string, { bandwidthMbps: number | null; latencyMs: number | null }>();
  for (const link of preset?.links ?? []) {
    if (inside.has(link.source) && inside.has(link.target)) links.set(linkKey(link.source, link.target), { bandwidthMbps: link.bandwidthMbps, latencyMs: link.latencyMs });
  }
  (raw.links ?? []).forEach((spec, i) => {
    const path: PathSegment[] = ["topology", "links", i];
    const [source, target] = spec.link;
    let known = true;
    spec.link.forEach((dc, k) => {
      if (!inside.has(dc)) {
        issues.add([...path, "link", k], `unknown data center "${dc}" (this topology has ${dataCenters.join(", ")})`);
        known = false;
      }
    });
    if (!known) return;
    if (source === target) {
      issues.add([...path, "link"], "a link joins two different data centers");
      return;
    }
    if (spec.latencyMs !== undefined && spec.rttMs !== undefined) issues.add([...path, "rttMs"], "give latencyMs (one way) or rttMs, not both");
    const directions: Pair[] = spec.oneWay ? [[source, target]] : [[source, target], [target, source]];
    for (const [from, to] of directions) {
      const existing = links.get(linkKey(from, to));
      let bandwidthMbps = spec.bandwidthMbps ?? existing?.bandwidthMbps ?? null;
      if (bandwidthMbps !== null && spec.bandwidthScale !== undefined) bandwidthMbps *= spec.bandwidthScale;
      const latencyMs = spec.latencyMs ?? (spec.rttMs !== undefined ? spec.rttMs / 2 : (existing?.latencyMs ?? null));
      links.set(linkKey(from, to), { bandwidthMbps, latencyMs });
      if (bandwidthMbps === null) issues.add(path, `the link ${from} -> ${to} needs bandwidthMbps (no preset gives it)`);
      if (latencyMs === null) issues.add(path, `the link ${from} -> ${to} needs latencyMs or rttMs (no preset gives it)`);
    }
  });

  const scale = raw.bandwidthScale ?? 1;
  const wanLinks: WanLink[] = [];
  const missing: string[] = [];
  // Every key of `links` is a pair of two different data centers of the topology, so the count of
  // missing pairs is known without listing them; only the first few are named.
  const missingCount = dataCenters.length * (dataCenters.length - 1) - links.size;
  for (const source of dataCenters) {
    if (missingCount > 0 && missing.length >= 6) break;
    for (const target of dataCenters) {
      if (source === target) continue;
      const link = links.get(linkKey(source, target));
      if (!link) {
        missing.push(`${source} -> ${target}`);
        if (missing.length >= 6) break;
        continue;
      }
      if (missingCount > 0 || link.bandwidthMbps === null || link.latencyMs === null) continue;
      wanLinks.push({ source, target, bandwidthMbps: link.bandwidthMbps * scale, latencyMs: link.latencyMs });
    }
  }

  if (missingCount > 0) {
    const shown = missingCount > 6 ? `${missing.slice(0, 6).join(", ")} and ${missingCount - 6} more` : missing.join(", ");
    issues.add(["topology", raw.links ? "links" : "dataCenters"], `every pair of data centers needs a link; missing ${shown} (add {link: [a, b], bandwidthMbps, rttMs})`);
  }

  const egressUsdPerGb: Record<string, number> = {};
  for (const dc of dataCenters) egressUsdPerGb[dc] = preset?.egressUsdPerGb[dc] ?? defaultEgressUsdPerGb;
  if (typeof raw.egressUsdPerGb === "number") {
    for (const dc of dataCenters) egressUsdPerGb[dc] = raw.egressUsdPerGb;
  } else if (raw.egressUsdPerGb) {
    for (const [dc, price] of Object.entries(raw.egressUsdPerGb)) {
      if (!inside.has(dc)) issues.add(["topology", "egressUsdPerGb", dc], `unknown data center "${dc}" (this topology has ${dataCenters.join(", ")})`, true);
      else egressUsdPerGb[dc] = price;
    }
  }

  const workersPerDataCenter = raw.machinesPerDataCenter ?? 2;
  return {
    preset: preset?.name ?? null,
    dataCenters,
    workersPerDataCenter,
    shardsPerDataCenter: raw.shardsPerDataCenter ?? workersPerDataCenter,
    links: wanLinks,
    lanBandwidthMbps: raw.lanMbps ?? preset?.lanBandwidthMbps ?? 1000,
    lanLatencyMs: raw.lanLatencyMs ?? preset?.lanLatencyMs ?? 0.1,
    egressUsdPerGb,
  };
}

function normalizeSync(raw: RawSync, model: SyncModel, hubGroups: readonly HubGroup[], issues: IssueList): SyncSpec {
  const within = raw.withinDataCenter ?? ((raw.staleness ?? 0) > 0 ? "ssp" : "bsp");
  if ((model === "asp" || model === "lan" || model === "diloco") && within === "bsp" && (raw.staleness ?? 0) > 0) {
    issues.add(["sync", "staleness"], "staleness > 0 needs withinDataCenter: ssp");
  }
  const staleness = model === "bsp" ? 0 : model === "ssp" ? (raw.staleness ?? defaultSspStaleness) : within === "ssp" ? (raw.staleness ?? defaultSspStaleness) : 0;
  const schedule = raw.significance?.schedule ?? "inverse-sqrt";
  const thresholdSchedule: Schedule | "learning-rate" = schedule === "learning-rate" ? "learning-rate" : parseSchedule(schedule);
  const barrier = raw.selectiveBarrier ?? "auto";
  const significance = raw.significance ?? {};
  const auto = (significance.threshold ?? "auto") === "auto";
  if (!auto && significance.floor !== undefined) issues.add(["sync", "significance", "floor"], "floor applies to threshold: auto only (a fixed threshold is its own floor)");
  if (!auto && significance.budget !== undefined) issues.add(["sync", "significance", "budget"], "budget applies to threshold: auto only");
  if (!auto && significance.ceiling !== undefined) issues.add(["sync", "significance", "ceiling"], "ceiling applies to threshold: auto only");
  return {
    model,
    staleness,
    threshold: auto ? (significance.floor ?? defaultThreshold) : (significance.threshold as number),
    thresholdSchedule,
    budgetLinkFraction: auto ? (significance.budget ?? defaultBudgetLinkFraction) : null,
    thresholdCeiling: auto ? (significance.ceiling ?? defaultThresholdCeiling) : Infinity,
    encoding: significance.encoding ?? "f32",
    barrierClockFraction: raw.barrierClockFraction ?? defaultBarrierClockFraction,
    mirrorClockBound: raw.mirrorClockBound ?? defaultMirrorClockBound,
    selectiveBarrier: barrier === true ? "auto" : barrier === false ? "off" : barrier,
    // Hubs belong to Gaia's mirrored placement; the baselines and LAN have none.
    hubGroups: model === "asp" ? hubGroups : [],
    ...(model === "diloco" ? { diloco: normalizeDiloco(raw.diloco ?? {}, issues) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// sync.diloco (DiLoCo between data centers, packages/core/src/diloco.ts). Kept in one block.

interface RawDiloco {
  localClocks?: number;
  outerOptimizer?: "sgd" | "nesterov";
  outerLearningRate?: number;
  momentum?: number;
  reduce?: "mean" | "sum";
  encoding?: "f32" | "int8" | "topk";
  keptFraction?: number;
}

/** DiLoCo's published defaults: H = 500 there; 50 here, for jobs of hundreds of clocks. */
const dilocoDefaults = { localClocks: 50, outerOptimizer: "nesterov", outerLearningRate: 0.7, momentum: 0.9, reduce: "mean", encoding: "f32", keptFraction: 0.1 } as const;

function normalizeDiloco(raw: RawDiloco, issues: IssueList): DilocoConfig {
  const encoding = raw.encoding ?? dilocoDefaults.encoding;
  if (raw.keptFraction !== undefined && encoding !== "topk") issues.add(["sync", "diloco", "keptFraction"], "keptFraction applies to encoding: topk only");
  const optimizer = raw.outerOptimizer ?? dilocoDefaults.outerOptimizer;
  if (raw.momentum !== undefined && optimizer !== "nesterov") issues.add(["sync", "diloco", "momentum"], "momentum applies to outerOptimizer: nesterov only");
  return {
    localClocks: raw.localClocks ?? dilocoDefaults.localClocks,
    outerOptimizer: optimizer,
    outerLearningRate: raw.outerLearningRate ?? dilocoDefaults.outerLearningRate,
    momentum: optimizer === "nesterov" ? (raw.momentum ?? dilocoDefaults.momentum) : 0,
    reduce: raw.reduce ?? dilocoDefaults.reduce,
    encoding,
    keptFraction: raw.keptFraction ?? dilocoDefaults.keptFraction,
  };
}

// --------------------------------------------------------------------------------------------- end of sync.diloco

function normalizeHubGroups(raw: RawSync["hubs"], topology: Topology, checkDataCenter: (path: PathSegment[], name: string) => void, issues: IssueList): HubGroup[] {
  if (raw === undefined || raw === "none") return [];
  if (raw === "auto") return autoHubGroups(topology.dataCenters);
  const groupOf = new Map<string, number>();
  const groups: HubGroup[] = [];
  raw.forEach((group, i) => {
    const path: PathSegment[] = ["sync", "hubs", i];
    checkDataCenter([...path, "hub"], group.hub);
    const members = group.members.includes(group.hub) ? [...group.members] : [group.hub, ...group.members];
    group.members.forEach((member, j) => checkDataCenter([...path, "members", j], member));
    for (const member of new Set(members)) {
      const other = groupOf.get(member);
      if (other !== undefined) issues.add([...path, "members"], `data center "${member}" is already in hub group ${other}`);
      groupOf.set(member, i);
    }
    groups.push({ hub: group.hub, members: [...new Set(members)] });
  });
  const missing = topology.dataCenters.filter((dc) => !groupOf.has(dc));
  if (missing.length > 0) issues.add(["sync", "hubs"], `with hubs, every data center must be in a group; missing: ${missing.join(", ")}`);
  return groups;
}

function normalizeCompute(raw: NonNullable<RawScenario["compute"]>, checkName: (path: PathSegment[], name: string) => void): ComputeSpec {
  const speeds = raw.speeds ?? {};
  for (const name of Object.keys(speeds)) checkName(["compute", "speeds", name], name);
  return { msPerSample: raw.msPerSample ?? null, regime: computeRegimeOf(raw.regime ?? "cpu"), speeds, stragglers: raw.stragglers ?? null, jitter: raw.jitter ?? 0 };
}

function normalizeFaults(
  raw: readonly RawFault[],
  checkDataCenter: (path: PathSegment[], name: string) => void,
  checkNode: (path: PathSegment[], node: string) => void,
  issues: IssueList,
): Fault[] {
  const faults = raw.map((fault, i): Fault => {
    const path: PathSegment[] = ["faults", i];
    const atS = durationAt(issues, [...path, "at"], fault.at);
    const forS = fault.for === undefined ? null : durationAt(issues, [...path, "for"], fault.for);
    const checkLink = (linkPath: PathSegment[], link: PairOrAll): void => {
      if (link === "all") return;
      link.forEach((dc, k) => checkDataCenter([...linkPath, k], dc));
      if (link[0] === link[1]) issues.add(linkPath, "a link joins two different data centers");
    };
    // A cut that never heals leaves updates in flight forever, so the run could never drain.
    if ((fault.partition || fault.isolate !== undefined) && forS === null) issues.add([...path, fault.partition ? "partition" : "isolate"], `${fault.partition ? "a partition" : "an isolated data center"} needs "for: DURATION": a cut that never heals keeps updates in flight, and the run cannot finish`, true);
    if (fault.partition) {
      checkLink([...path, "partition"], fault.partition);
      return { kind: "partition", atS, forS, between: fault.partition, oneWay: fault.oneWay ?? false };
    }
    if (fault.isolate !== undefined) {
      checkDataCenter([...path, "isolate"], fault.isolate);
      return { kind: "isolate", atS, forS, dataCenter: fault.isolate };
    }
    if (fault.bandwidth) {
      checkLink([...path, "bandwidth", "link"], fault.bandwidth.link);
      return { kind: "bandwidth", atS, forS, link: fault.bandwidth.link, factor: fault.bandwidth.factor };
    }
    if (fault.crash !== undefined) {
      checkNode([...path, "crash"], fault.crash);
      return { kind: "crash", atS, node: fault.crash, restartAfterS: fault.restartAfter === undefined ? null : durationAt(issues, [...path, "restartAfter"], fault.restartAfter) };
    }
    if (fault.slow !== undefined) {
      checkNode([...path, "slow"], fault.slow);
      return { kind: "slow", atS, forS, node: fault.slow, factor: fault.factor ?? 1 };
    }
    const lossy = fault.lossy!;
    checkLink([...path, "lossy", "link"], lossy.link);
    return { kind: "lossy", atS, forS, link: lossy.link, loss: lossy.loss ?? 0, duplicate: lossy.duplicate ?? 0, reorder: lossy.reorder ?? 0 };
  });
  // Stable: faults at the same time keep their file order.
  return faults.map((fault, index) => ({ fault, index })).sort((a, b) => a.fault.atS - b.fault.atS || a.index - b.index).map((x) => x.fault);
}

function normalizeStop(raw: NonNullable<RawScenario["stop"]>, issues: IssueList): StopSpec {
  const maxIterations = raw.maxIterations ?? null;
  const maxVirtualTimeS = raw.maxVirtualTime !== undefined ? durationAt(issues, ["stop", "maxVirtualTime"], raw.maxVirtualTime) : maxIterations === null ? defaultMaxVirtualTimeS : null;
  return { maxIterations, maxVirtualTimeS, targetObjective: raw.target?.objective ?? null, evalEvery: raw.evalEvery ?? 1 };
}

/** The workload package's own checks, when it provides them; true when the section is valid. */
function workloadIssues(spec: RawScenario["workload"], issues: IssueList): boolean {
  const check = (workloads as Record<string, unknown>)["validateWorkloadSpec"];
  if (typeof check !== "function") return true;
  const found = (check as (spec: unknown) => readonly { path: string; message: string }[])(spec);
  for (const issue of found) {
    const relative = issue.path.startsWith("/") ? pointerToPath(issue.path) : splitDottedPath(issue.path);
    const path = relative[0] === "workload" ? relative : ["workload", ...relative];
    issues.add(path, issue.message);
  }
  return found.length === 0;
}

/**
 * `compute.calibration`: the msPerSample that a `gaia calibrate` file gives this workload, read from
 * a path relative to the scenario file; null (with an issue) when it cannot.
 */
function calibratedCompute(raw: NonNullable<RawScenario["compute"]>, workload: RawScenario["workload"], fileName: string, issues: IssueList): number | null {
  const path: PathSegment[] = ["compute", "calibration"];
  if (raw.msPerSample !== undefined) {
    issues.add(path, "give msPerSample or calibration, not both");
    return null;
  }
  const file = resolve(dirname(fileName), raw.calibration!);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : error instanceof SyntaxError ? `not JSON (${error.message})` : (error as Error).message;
    issues.add(path, `cannot read the calibration ${file}: ${reason}`);
    return null;
  }
  try {
    return workloads.calibratedMsPerSample(data, workload).msPerSample;
  } catch (error) {
    if (!(error instanceof workloads.WorkloadError)) throw error;
    issues.add(path, `${file}: ${error.message}`);
    return null;
  }
}

/** The workload section with the workload package's defaults filled in, when it provides them. */
function workloadWithDefaults(spec: RawScenario["workload"]): RawScenario["workload"] {
  const fill = (workloads as Record<string, unknown>)["withDefaults"];
  return typeof fill === "function" ? (fill as (spec: RawScenario["workload"]) => RawScenario["workload"])(spec) : spec;
}

function splitDottedPath(path: string): PathSegment[] {
  if (path === "") return [];
  return path
    .replace(/\[(\d+)\]/g, ".$1")
    .split(".")
    .filter((part) => part !== "")
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}
