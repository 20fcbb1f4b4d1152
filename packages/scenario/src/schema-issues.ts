/**
 * From ajv's errors to problems a person can act on: each error becomes one message at the path
 * it concerns (`unknown field "maxIteratons" (did you mean "maxIterations"?)`, `must be an integer,
 * not "ten"`), with the noise of failed `oneOf` branches removed. The same translation serves
 * scenario and cluster files, so both word their mistakes alike.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { numberText, type IssueList, type PathSegment } from "./issues.js";
import { definitions, faultKinds, type JsonSchema } from "./schema.js";

let ajv: Ajv | null = null;
let firstErrorAjv: Ajv | null = null;
const validators = new Map<JsonSchema, ValidateFunction>();
const checkers = new Map<JsonSchema, ValidateFunction>();

/**
 * ajv's errors for `data` against `schema` (compiled once per schema; both share `definitions`).
 * A valid file is checked by a validator that stops at the first error, which, over a list of
 * 500,000 faults, does not build the errors of every `oneOf` branch a fault does not take (13 MB
 * of garbage); only a file it rejects is checked again for all its errors.
 */
function validate(schema: JsonSchema, data: unknown): readonly ErrorObject[] {
  let checker = checkers.get(schema);
  if (checker === undefined) {
    firstErrorAjv ??= new Ajv({ allErrors: false, strict: false });
    checker = firstErrorAjv.compile(schema as object);
    checkers.set(schema, checker);
  }
  if (checker(data)) return [];
  let validator = validators.get(schema);
  if (validator === undefined) {
    ajv ??= new Ajv({ allErrors: true, strict: false, verbose: true });
    validator = ajv.compile(schema as object);
    validators.set(schema, validator);
  }
  return validator(data) ? [] : (validator.errors ?? []);
}

/** The keys of the cluster section, which a file written before it existed has at the top level. */
const clusterKeys = Object.keys((definitions.cluster["properties"] as object | undefined) ?? {});

export function pointerToPath(pointer: string): PathSegment[] {
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

/** Records every schema error of `data` (a whole file) against `schema` in `issues`. */
export function schemaIssues(schema: JsonSchema, data: unknown, issues: IssueList): void {
  const errors = validate(schema, data);
  const faultSchema = definitions.fault;
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
        const misplaced = path.length === 0 && clusterKeys.includes(name);
        const hint = misplaced ? ` (a cluster key: it belongs in the cluster section, as cluster.${name})` : guess ? ` (did you mean "${guess}"?)` : known.length > 0 ? ` (known: ${known.join(", ")})` : "";
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
        const pairLike = error.parentSchema === definitions.pair;
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
  if (schema === definitions.duration) return `${describe(value)} is not a duration: use seconds (90) or a string such as 500ms, 90s, 5m, 2h, 1h30m`;
  if (schema === definitions.nodeId) return `${describe(value)} is not a node id: use <dc>/w<i> (worker), <dc>/s<j> (shard) or <dc>/hub`;
  if (schema === definitions.dataCenterName) return `${describe(value)} is not a data-center name (letters, digits, - and _)`;
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
