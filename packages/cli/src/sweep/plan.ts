/**
 * A sweep's plan: which runs make it up, in a fixed order. A sweep is the cartesian product of
 * every `--vary PATH=V1,V2,...` (in the order given), the sync models and the seeds; each element is
 * a run (a point). The plan is the same wherever it is computed, so `--index I --count N` slices of
 * it, run on different machines, are disjoint and together cover it, and `gaia sweep merge` can
 * check that slices belong to one sweep by the plan's hash.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { LineCounter, parseDocument, isMap, isScalar } from "yaml";
import { valueText, type PathSegment, type SyncModel } from "@gaia/sim";
import { InputError, parseFieldPath, parseSet, parseSyncs, resolveScenario } from "../inputs.js";

/** One field the sweep varies, and its values (YAML values, as `--set` takes them). */
export interface Axis {
  readonly path: string;
  readonly segments: readonly PathSegment[];
  readonly values: readonly unknown[];
}

export interface SweepSpec {
  /** The scenario file (resolved: a path). */
  readonly scenario: string;
  /** Fixed `--set` overrides applied to every run, as text (`path=value`). */
  readonly set: readonly string[];
  readonly axes: readonly Axis[];
  /** The sync models; `[null]` runs the file's own. */
  readonly syncs: readonly (SyncModel | null)[];
  /** The seeds; `[null]` runs the file's own. */
  readonly seeds: readonly (number | null)[];
}

/** One run of the sweep. */
export interface Point {
  /** Its place in the whole plan (0-based), the order of results.csv. */
  readonly index: number;
  /** The varied values, by path. */
  readonly values: Readonly<Record<string, unknown>>;
  readonly sync: SyncModel | null;
  readonly seed: number | null;
  /** The point's folder name under runs/: readable, unique within the sweep. */
  readonly id: string;
  /** The group it is averaged in: the point without its seed. */
  readonly group: string;
}

const maxPoints = 10_000;

/** `1..5`, `1,3,7` or `1..3,10`: distinct whole seeds, in order. */
export function parseSeeds(text: string, where = "--seeds"): number[] {
  const seeds: number[] = [];
  for (const part of text.split(",").map((p) => p.trim())) {
    const range = /^(\d+)\s*\.\.\s*(\d+)$/.exec(part);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (to < from) throw new InputError(`${where} ${text}: the range ${part} runs backwards`);
      if (to - from >= maxPoints) throw new InputError(`${where} ${text}: more than ${maxPoints} seeds`);
      for (let s = from; s <= to; s++) seeds.push(s);
    } else if (/^\d+$/.test(part)) seeds.push(Number(part));
    else throw new InputError(`${where} ${text}: expected seeds such as 1..5 or 1,2,7 (whole numbers)`);
  }
  if (seeds.some((s) => s > 4294967295)) throw new InputError(`${where} ${text}: a seed is at most 4294967295`);
  if (new Set(seeds).size !== seeds.length) throw new InputError(`${where} ${text}: a seed is listed twice`);
  return seeds;
}

/** Splits at commas that are not inside [...], {...} or quotes: `a=[1, 2],3` -> `[1, 2]`, `3`. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

/** `--vary sync.mirrorClockBound=0,1,2` -> an axis (each value parsed as YAML, as `--set` does). */
export function parseVary(text: string): Axis {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new InputError(`--vary ${text}: write --vary path=value1,value2,..., e.g. --vary sync.mirrorClockBound=0,1,2`);
  const path = text.slice(0, eq).trim();
  const segments = parseFieldPath(path);
  const parts = splitTopLevel(text.slice(eq + 1));
  if (parts.some((p) => p === "")) throw new InputError(`--vary ${text}: an empty value (write the values separated by commas)`);
  const values = parts.map((p) => parseSet(`${path}=${p}`).value);
  return axis(path, segments, values, `--vary ${text}`);
}

function axis(path: string, segments: readonly PathSegment[], values: readonly unknown[], where: string): Axis {
  if (values.length === 0) throw new InputError(`${where}: no values`);
  const texts = values.map((v) => JSON.stringify(v));
  if (new Set(texts).size !== texts.length) throw new InputError(`${where}: a value is listed twice`);
  return { path, segments, values };
}

const folderSafe = (text: string): string => text.replace(/[^\w.=+-]+/g, "_");

/** Every run of the sweep, in the plan's order: axes (first varies slowest), then sync, then seed. */
export function planPoints(spec: SweepSpec): Point[] {
  const total = spec.axes.reduce((n, a) => n * a.values.length, 1) * spec.syncs.length * spec.seeds.length;
  if (total > maxPoints) throw new InputError(`the sweep has ${total} runs, more than ${maxPoints}: vary fewer fields or values`);
  let combos: Record<string, unknown>[] = [{}];
  for (const a of spec.axes) combos = combos.flatMap((c) => a.values.map((v) => ({ ...c, [a.path]: v })));
  const points: Point[] = [];
  for (const values of combos) {
    const varied = Object.entries(values).map(([path, v]) => `${path.split(".").at(-1)}=${valueText(v)}`);
    for (const sync of spec.syncs) {
      const group = [...varied, ...(sync !== null ? [sync] : [])].join(" ") || "all";
      for (const seed of spec.seeds) {
        const id = folderSafe([...(sync !== null ? [sync] : []), ...varied, ...(seed !== null ? [`seed${seed}`] : [])].join("__") || "run");
        points.push({ index: points.length, values, sync, seed, id: `${String(points.length).padStart(String(total - 1).length, "0")}-${id}`, group });
      }
    }
  }
  return points;
}

/** The points of slice `index` of `count`: every count-th point, so slices are balanced. */
export function slicePoints(points: readonly Point[], index: number, count: number): Point[] {
  return points.filter((p) => p.index % count === index);
}

/** The plan's fingerprint: the same sweep (scenario file contents, overrides, axes, models, seeds) gives the same hash. */
export function planHash(spec: SweepSpec): string {
  let contents = "";
  try {
    contents = readFileSync(spec.scenario, "utf8");
  } catch {
    // The loader reports an unreadable file; the hash then covers the rest.
  }
  const canonical = JSON.stringify({ contents, set: spec.set, axes: spec.axes.map((a) => [a.path, a.values]), syncs: spec.syncs, seeds: spec.seeds });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

/** The flags a sweep takes from the command line (a sweep file gives the same fields). */
export interface SweepFlags {
  readonly seeds?: string | undefined;
  readonly vary?: readonly string[] | undefined;
  readonly sync?: string | undefined;
  readonly set?: readonly string[] | undefined;
}

/**
 * A sweep from FILE and flags. FILE is a scenario (or a bundled name), or a sweep file: a YAML map
 * with `scenario` (a path relative to the sweep file, or a bundled name) and optionally `seeds`
 * (`1..5` or a list), `sync` (a list), `vary` (a map from field path to a list of values) and
 * `set` (a map from field path to a value). Flags add to a sweep file's fields (`--vary`, `--set`)
 * or replace them (`--seeds`, `--sync`).
 */
export function sweepSpec(fileOrName: string, flags: SweepFlags): SweepSpec {
  const file = sweepFile(fileOrName);
  const scenario = file?.scenario ?? resolveScenario(fileOrName);
  const flagAxes = (flags.vary ?? []).map(parseVary);
  const axes = [...(file?.axes ?? []).filter((a) => !flagAxes.some((f) => f.path === a.path)), ...flagAxes];
  const set = [...(file?.set ?? []), ...(flags.set ?? [])];
  for (const s of set) parseSet(s);
  const syncs = flags.sync !== undefined ? parseSyncs(flags.sync) : (file?.syncs ?? [null]);
  const seeds = flags.seeds !== undefined ? parseSeeds(flags.seeds) : (file?.seeds ?? [null]);
  return { scenario, set, axes, syncs, seeds };
}

/** Reads FILE as a sweep file when it is one (a map with a `scenario` key); null otherwise. */
function sweepFile(path: string): { scenario: string; set: string[]; axes: Axis[]; syncs: SyncModel[] | null; seeds: number[] | null } | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (!isMap(doc.contents) || !doc.contents.items.some((pair) => isScalar(pair.key) && pair.key.value === "scenario")) return null;
  // file:line:col of the key at the end of `keyPath` (the key, not its value: "unknown field" points at it).
  const at = (keyPath: PathSegment[]): string => {
    let node: unknown = doc.contents;
    let offset: number | undefined;
    for (const segment of keyPath) {
      const pair = isMap(node) ? node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment)) : undefined;
      if (pair === undefined) break;
      offset = (pair.key as { range?: [number, number, number] }).range?.[0];
      node = pair.value;
    }
    if (offset === undefined) return path;
    const { line, col } = lineCounter.linePos(offset);
    return `${path}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    const { line, col } = lineCounter.linePos(doc.errors[0]!.pos[0]);
    throw new InputError(`${path}:${line}:${col}: YAML syntax error: ${doc.errors[0]!.message.split("\n")[0]}`);
  }
  const data = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  const known = ["scenario", "seeds", "sync", "vary", "set", "description"];
  for (const key of Object.keys(data)) {
    if (!known.includes(key)) throw new InputError(`${at([key])}: unknown field "${key}" of a sweep file (known: ${known.join(", ")})`);
  }
  if (typeof data["scenario"] !== "string" || data["scenario"] === "") throw new InputError(`${at(["scenario"])}: scenario: a scenario file (relative to the sweep file) or a bundled scenario name`);
  const named = data["scenario"];
  const relativeFile = isAbsolute(named) ? named : join(dirname(path), named);
  let scenario: string;
  try {
    scenario = resolveScenario(/\.ya?ml$/.test(named) || named.includes("/") ? relativeFile : named);
  } catch (error) {
    throw new InputError(`${at(["scenario"])}: scenario: ${(error as Error).message}`);
  }
  const seedsValue = data["seeds"];
  let seeds: number[] | null = null;
  if (seedsValue !== undefined) {
    const text = Array.isArray(seedsValue) ? seedsValue.join(",") : String(seedsValue);
    try {
      seeds = parseSeeds(text, "seeds:");
    } catch (error) {
      throw new InputError(`${at(["seeds"])}: ${(error as Error).message}`);
    }
  }
  const syncValue = data["sync"];
  let syncs: SyncModel[] | null = null;
  if (syncValue !== undefined) {
    try {
      syncs = parseSyncs(Array.isArray(syncValue) ? syncValue.join(",") : String(syncValue), "sync:");
    } catch (error) {
      throw new InputError(`${at(["sync"])}: ${(error as Error).message}`);
    }
  }
  const mapOf = (key: string): [string, unknown][] => {
    const value = data[key];
    if (value === undefined) return [];
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new InputError(`${at([key])}: ${key}: a map from field path to ${key === "vary" ? "a list of values" : "a value"}`);
    return Object.entries(value);
  };
  const axes = mapOf("vary").map(([field, values]) => {
    const where = at(["vary", field]);
    let segments: PathSegment[];
    try {
      segments = parseFieldPath(field);
    } catch (error) {
      throw new InputError(`${where}: vary: ${(error as Error).message.replace(/^--set /, "")}`);
    }
    if (!Array.isArray(values)) throw new InputError(`${where}: vary.${field}: a list of values, e.g. [0, 1, 2]`);
    try {
      return axis(field, segments, values, `vary.${field}`);
    } catch (error) {
      throw new InputError(`${where}: ${(error as Error).message}`);
    }
  });
  const set = mapOf("set").map(([field, value]) => `${field}=${JSON.stringify(value)}`);
  return { scenario, set, axes, syncs, seeds };
}
