/**
 * Problems found in a scenario or cluster file, and where they are. A problem is a path in the
 * document plus a message; its line and column come from the YAML source, so every kind of file
 * reports alike: `file:line:col: path: message`. The list is bounded (at most `issuesMax` kept,
 * beyond them only a count), so memory follows the error list, never the document's size.
 */
import { isAlias, isMap, isScalar, isSeq, visit, type Document } from "yaml";

export type PathSegment = string | number;

export interface ScenarioIssue {
  /** Dotted path in the document, e.g. `sync.mirrorClockBound` or `faults[2].at`; "" for the whole file. */
  readonly path: string;
  readonly message: string;
  /** 1-based; null when the position is unknown. */
  readonly line: number | null;
  readonly column: number | null;
  /** Where the value came from when it is not the file: `--set stop.maxIterations`. */
  readonly source?: string;
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


/** A cluster file's problem (the same issues and format; the runtime's commands catch this one). */
export class ClusterError extends ScenarioError {}

const maxIssuesShown = 10;

export function formatIssue(file: string, issue: ScenarioIssue): string {
  if (issue.source !== undefined) {
    const where = `${issue.source} (on ${file})`;
    return issue.source === `--set ${issue.path}` ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
  }
  const where = issue.line === null ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  return issue.path === "" ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

function formatIssues(file: string, issues: readonly ScenarioIssue[]): string {
  const lines = issues.slice(0, maxIssuesShown).map((issue) => formatIssue(file, issue));
  if (issues.length > maxIssuesShown) lines.push(`(${issues.length - maxIssuesShown} more problems)`);
  return lines.join("\n");
}

export const firstLine = (text: string): string => text.split("\n")[0]!.trim();

/** Source offset of the first alias that names no anchor (or of the first alias at all). */
export function firstAliasOffset(doc: Document): number | null {
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

/** Problems kept per file; beyond them only a count (memory bounded by the error list). */
const issuesMax = 1000;

export class IssueList {
  readonly list: { issue: ScenarioIssue; offset: number }[] = [];
  private readonly seen = new Set<string>();
  private dropped = 0;
  private muted: readonly (readonly PathSegment[])[] = [];
  constructor(
    /** The document with source positions; null for a file read as plain data (problems have no line). */
    private readonly doc: Document | null,
    private readonly position: (offset: number | null) => { line: number | null; column: number | null },
    /** Parts of the document that came from `--set`: a problem at or under one is reported at its --set, not at a line of the file. */
    private readonly setRoots: readonly { readonly root: readonly PathSegment[]; readonly label: string }[] = [],
  ) {}

  /** Records a problem at `path`; `atKey` points at the key of the last segment rather than its value. */
  add(path: readonly PathSegment[], message: string, atKey = false): void {
    if (this.muted.some((m) => isUnder(path, m))) return;
    const text = formatPath(path);
    const key = `${text}\u0000${message}`;
    if (this.seen.has(key)) return;
    if (this.full) {
      this.dropped++;
      return;
    }
    this.seen.add(key);
    const set = this.setRoots.findLast(({ root }) => isUnder(path, root));
    if (set !== undefined) {
      this.list.push({ issue: { path: text, message, line: null, column: null, source: set.label }, offset: -1 });
      return;
    }
    const offset = this.doc === null ? null : locate(this.doc, path, atKey);
    this.list.push({ issue: { path: text, message, ...this.position(offset) }, offset: offset ?? 0 });
  }

  /** From now on, drops problems at or under `paths` (already reported there, in other words). */
  without(paths: readonly (readonly PathSegment[])[]): this {
    this.muted = [...this.muted, ...paths];
    return this;
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

/** Whether `path` is `root` or lies under it. */
const isUnder = (path: readonly PathSegment[], root: readonly PathSegment[]): boolean => root.length <= path.length && root.every((segment, i) => String(segment) === String(path[i]));

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

export function rangeStart(node: unknown): number | null {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? range[0] : null;
}
