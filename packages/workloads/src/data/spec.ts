/**
 * The `data:` field of the mf and lda workloads: which file to train on, in which format, and how
 * its samples are spread over data centers. One description per kind gives both the JSON Schema
 * fragment and the validator (as the rest of the workload section, see ../spec.ts).
 */

export type RatingsFormat = "movielens" | "csv" | "udata" | "netflix";
export const ratingsFormats: readonly RatingsFormat[] = ["movielens", "csv", "udata", "netflix"];

/** `iid`, `skewed`, or the data center each sample was born in, from a column or a file. */
export type DataPartition =
  | "iid"
  | "skewed"
  | { readonly by: string | number; readonly map?: Readonly<Record<string, string>> }
  | { readonly file: string; readonly map?: Readonly<Record<string, string>> };

export interface RatingsDataSpec {
  readonly path: string;
  readonly format?: RatingsFormat;
  readonly partition?: DataPartition;
}

export interface BagOfWordsDataSpec {
  readonly path: string;
  readonly vocab?: string;
  readonly format?: "uci";
  readonly partition?: DataPartition;
}

export type DataKind = "ratings" | "bag-of-words";

interface Problem {
  readonly path: string;
  readonly message: string;
}

const show = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

const mapSchema = {
  type: "object",
  additionalProperties: { type: "string", minLength: 1 },
  description: "Column value -> data center name; without it a value must be a data center name of the topology.",
};

/** JSON Schema of the `data:` field for workloads reading `kind` files. */
export function dataJsonSchema(kind: DataKind, description: string): Record<string, unknown> {
  const born =
    kind === "ratings"
      ? {
          type: "object",
          required: ["by"],
          additionalProperties: false,
          properties: {
            by: { oneOf: [{ type: "string", minLength: 1 }, { type: "integer", minimum: 1 }], description: "The column (a header name, or a 1-based number) naming each rating's data center." },
            map: mapSchema,
          },
        }
      : {
          type: "object",
          required: ["file"],
          additionalProperties: false,
          properties: {
            file: { type: "string", minLength: 1, description: "A file with one line per document of the docword file (document 1 first) naming its data center." },
            map: mapSchema,
          },
        };
  return {
    type: "object",
    description,
    required: ["path"],
    additionalProperties: false,
    properties: {
      path: { type: "string", minLength: 1, description: kind === "ratings" ? "The ratings file, relative to the scenario file's folder." : "The UCI docword.*.txt file, relative to the scenario file's folder." },
      ...(kind === "ratings"
        ? { format: { type: "string", enum: [...ratingsFormats], default: "movielens", description: "movielens/csv: user,item,rating[,...] with an optional header line; udata: tab-separated user item rating timestamp; netflix: `movie:` lines followed by user,rating,date lines." } }
        : {
            format: { type: "string", enum: ["uci"], default: "uci", description: "The UCI bag-of-words layout: lines D, W, NNZ, then docID wordID count." },
            vocab: { type: "string", minLength: 1, description: "The vocab.*.txt file (one word per line, W lines), checked against the header." },
          }),
      partition: {
        description: "iid, skewed (see the workload's skew), or where each sample was born. Default: the workload's partition.",
        oneOf: [{ type: "string", enum: ["iid", "skewed"] }, born],
      },
    },
  };
}

const checkMap = (value: unknown, path: string, problems: Problem[]): void => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.push({ path, message: `must be a mapping of values to data center names, got ${show(value)}` });
    return;
  }
  for (const [key, dc] of Object.entries(value)) if (typeof dc !== "string" || dc.length === 0) problems.push({ path: `${path}/${key}`, message: `must be a data center name, got ${show(dc)}` });
};

/** Problems of a `data:` value at `path` (e.g. "/data"). */
export function checkDataSpec(kind: DataKind, value: unknown, path: string, problems: Problem[]): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.push({ path, message: `must be a mapping with a path, got ${show(value)}` });
    return;
  }
  const record = value as Record<string, unknown>;
  const known = kind === "ratings" ? ["path", "format", "partition"] : ["path", "vocab", "format", "partition"];
  for (const key of Object.keys(record)) if (!known.includes(key)) problems.push({ path: `${path}/${key}`, message: `unknown field of data (known: ${known.join(", ")})` });
  const file = (key: string, required: boolean): void => {
    const v = record[key];
    if (v === undefined && !required) return;
    if (typeof v !== "string" || v.length === 0) problems.push({ path: `${path}/${key}`, message: `must be a file path, got ${show(v)}` });
  };
  file("path", true);
  if (kind === "bag-of-words") file("vocab", false);
  const format = record["format"];
  const formats: readonly string[] = kind === "ratings" ? ratingsFormats : ["uci"];
  if (format !== undefined && (typeof format !== "string" || !formats.includes(format))) problems.push({ path: `${path}/format`, message: `must be one of ${formats.join(", ")}, got ${show(format)}` });
  const partition = record["partition"];
  if (partition === undefined || partition === "iid" || partition === "skewed") return;
  const bornKey = kind === "ratings" ? "by" : "file";
  if (typeof partition !== "object" || partition === null || Array.isArray(partition)) {
    problems.push({ path: `${path}/partition`, message: `must be iid, skewed or {${bornKey}: ...}, got ${show(partition)}` });
    return;
  }
  const p = partition as Record<string, unknown>;
  for (const key of Object.keys(p)) if (key !== bornKey && key !== "map") problems.push({ path: `${path}/partition/${key}`, message: `unknown field (known: ${bornKey}, map)` });
  const born = p[bornKey];
  if (kind === "ratings") {
    if (!((typeof born === "string" && born.length > 0) || (typeof born === "number" && Number.isInteger(born) && born >= 1))) problems.push({ path: `${path}/partition/by`, message: `must be a column name or a 1-based column number, got ${show(born)}` });
  } else if (typeof born !== "string" || born.length === 0) {
    problems.push({ path: `${path}/partition/file`, message: `must be a file path, got ${show(born)}` });
  }
  if (p["map"] !== undefined) checkMap(p["map"], `${path}/partition/map`, problems);
}
