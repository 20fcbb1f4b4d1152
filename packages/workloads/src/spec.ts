/**
 * The options of the bundled workloads (mf, lda, mnist): one table of fields per kind, from which
 * both the definition's TypeBox schema (and so the JSON Schema editors and ajv see) and its
 * validator (messages worded for people) are derived, so the two never disagree. Defaults are
 * small so that tests and first runs take seconds. The definitions themselves are in builtin.ts;
 * registry.ts checks a whole `workload:` section of any kind.
 */
import { Type, type TObject } from "@sinclair/typebox";
import type { Problem } from "./define.js";
import { checkDataSpec, dataJsonSchema, type DataKind } from "./data/spec.js";

export type FieldSpec =
  | { readonly type: "integer"; readonly default: number; readonly minimum: number; readonly maximum?: number; readonly description: string }
  | { readonly type: "number"; readonly default: number; readonly minimum?: number; readonly exclusiveMinimum?: number; readonly maximum?: number; readonly description: string }
  | { readonly type: "enum"; readonly values: readonly string[]; readonly default: string; readonly description: string }
  | { readonly type: "schedule"; readonly default: "constant"; readonly description: string }
  | { readonly type: "data"; readonly data: DataKind; readonly default?: undefined; readonly description: string };

export interface KindSpec {
  readonly description: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

const partitionFields = {
  partition: {
    type: "enum",
    values: ["iid", "skewed"],
    default: "iid",
    description: "How samples are spread over data centers: iid (uniformly at random) or skewed (non-IID, see skew).",
  },
  skew: {
    type: "number",
    minimum: 0,
    maximum: 1,
    default: 0.8,
    description:
      "With partition: skewed, the fraction of a data center's samples that come from its own group (MF: its users; LDA: documents dominated by its topics; MNIST: its labels).",
  },
} as const satisfies Record<string, FieldSpec>;

const scheduleDescription = "Learning-rate schedule over the worker clock t: constant, inverse-sqrt (rate/sqrt(t+1)) or {kind: step, every, factor}.";

export const kindSpecs: Readonly<Record<string, KindSpec>> = {
  mf: {
    description: "Matrix factorization by SGD on seeded Netflix-like ratings (the paper's Netflix job). Objective: training RMSE (minimize).",
    fields: {
      users: { type: "integer", minimum: 1, maximum: 100_000_000, default: 2000, description: "Number of users (rows 0..users-1 of the table)." },
      items: { type: "integer", minimum: 1, maximum: 100_000_000, default: 500, description: "Number of items (rows users..users+items-1)." },
      ratings: { type: "integer", minimum: 1, maximum: 1_000_000_000, default: 50_000, description: "Number of ratings (user, item, value) drawn; duplicates of a pair are allowed." },
      rank: { type: "integer", minimum: 1, maximum: 1024, default: 16, description: "Rank of the factorization (table columns) and of the ground truth." },
      noise: { type: "number", minimum: 0, default: 0.1, description: "Standard deviation of the Gaussian noise added to the low-rank ratings (the best reachable RMSE)." },
      popularityExponent: { type: "number", minimum: 0, maximum: 4, default: 0.6, description: "Zipf exponent of user and item popularity (0 = uniform)." },
      learningRate: { type: "number", exclusiveMinimum: 0, default: 0.05, description: "SGD step size." },
      lrSchedule: { type: "schedule", default: "constant", description: scheduleDescription },
      regularization: { type: "number", minimum: 0, default: 0.02, description: "L2 regularization of the factors." },
      batchSize: { type: "integer", minimum: 1, maximum: 10_000_000, default: 500, description: "Ratings per worker step." },
      evalSamples: { type: "integer", minimum: 1, maximum: 100_000_000, default: 100_000, description: "RMSE is computed over all ratings, or over a fixed seeded sample of this many when there are more." },
      data: { type: "data", data: "ratings", description: "Train on a ratings file instead of generated ratings (users, items, ratings, noise and popularityExponent are then unused); see docs/data-formats.md." },
      ...partitionFields,
    },
  },
  lda: {
    description: "Topic modeling (LDA) by collapsed Gibbs sampling on a corpus drawn from the LDA generative process. Objective: held-out per-token log-likelihood (maximize).",
    fields: {
      documents: { type: "integer", minimum: 1, maximum: 100_000_000, default: 1000, description: "Training documents." },
      vocabulary: { type: "integer", minimum: 2, maximum: 10_000_000, default: 1000, description: "Vocabulary size (rows 0..vocabulary-1; row vocabulary holds the topic totals)." },
      topics: { type: "integer", minimum: 1, maximum: 65_535, default: 10, description: "Number of topics (table columns), also the number of true topics." },
      docLength: { type: "integer", minimum: 2, maximum: 1_000_000, default: 50, description: "Mean tokens per document (lengths are uniform in [docLength/2, 3 docLength/2])." },
      alpha: { type: "number", exclusiveMinimum: 0, default: 0.1, description: "Dirichlet prior of document-topic proportions (generator and sampler)." },
      beta: { type: "number", exclusiveMinimum: 0, default: 0.01, description: "Dirichlet prior of topic-word distributions (generator and sampler)." },
      batchSize: { type: "integer", minimum: 1, maximum: 100_000_000, default: 50, description: "Documents resampled per worker step." },
      heldOutDocuments: { type: "integer", minimum: 1, maximum: 1_000_000, default: 100, description: "Seeded held-out documents the log-likelihood is computed on." },
      data: { type: "data", data: "bag-of-words", description: "Train on a UCI bag-of-words corpus instead of a generated one (documents, vocabulary and docLength are then unused; held-out documents are taken from the file); see docs/data-formats.md." },
      ...partitionFields,
    },
  },
  mnist: {
    description: "Image classification of real MNIST digits with TensorFlow.js. Objective: cross-entropy loss on a seeded held-out set (minimize); metrics include accuracy.",
    fields: {
      model: { type: "enum", values: ["softmax", "mlp", "cnn"], default: "softmax", description: "softmax regression, a one-hidden-layer MLP, or a small CNN (two 5x5 conv + max-pool layers, 8 and 16 filters; best on wasm or a native backend)." },
      hidden: { type: "integer", minimum: 1, maximum: 4096, default: 64, description: "Hidden units of the MLP." },
      train: { type: "integer", minimum: 1, maximum: 9999, default: 2000, description: "Training digits (of the 10,000 in the mnist package)." },
      test: { type: "integer", minimum: 1, maximum: 9999, default: 500, description: "Held-out digits for the objective, disjoint from the training digits." },
      batchSize: { type: "integer", minimum: 1, maximum: 10_000, default: 32, description: "Digits per worker step." },
      learningRate: { type: "number", exclusiveMinimum: 0, default: 0.1, description: "SGD step size." },
      lrSchedule: { type: "schedule", default: "constant", description: scheduleDescription },
      cols: { type: "integer", minimum: 1, maximum: 65_536, default: 256, description: "Columns of the table the flattened weights are laid into (the tail is padded with zeros)." },
      backend: {
        type: "enum",
        values: ["auto", "gpu", "node", "wasm", "cpu"],
        default: "auto",
        description: "TensorFlow.js backend: auto prefers tfjs-node-gpu, tfjs-node, wasm, then cpu. A backend given by the command line wins.",
      },
      ...partitionFields,
    },
  },
};

const fieldSchema = (field: FieldSpec): Record<string, unknown> => {
  switch (field.type) {
    case "integer":
      return { type: "integer", minimum: field.minimum, ...(field.maximum !== undefined ? { maximum: field.maximum } : {}), default: field.default, description: field.description };
    case "number":
      return {
        type: "number",
        ...(field.minimum !== undefined ? { minimum: field.minimum } : {}),
        ...(field.exclusiveMinimum !== undefined ? { exclusiveMinimum: field.exclusiveMinimum } : {}),
        ...(field.maximum !== undefined ? { maximum: field.maximum } : {}),
        default: field.default,
        description: field.description,
      };
    case "enum":
      return { type: "string", enum: [...field.values], default: field.default, description: field.description };
    case "schedule":
      return {
        description: field.description,
        default: field.default,
        oneOf: [
          { type: "string", enum: ["constant", "inverse-sqrt"] },
          {
            type: "object",
            required: ["kind"],
            additionalProperties: false,
            properties: { kind: { type: "string", enum: ["constant", "inverse-sqrt"] } },
          },
          {
            type: "object",
            required: ["kind", "every", "factor"],
            additionalProperties: false,
            properties: {
              kind: { const: "step" },
              every: { type: "integer", minimum: 1, description: "Clocks between steps." },
              factor: { type: "number", exclusiveMinimum: 0, maximum: 1, description: "Multiplier applied at each step." },
            },
          },
        ],
      };
    case "data":
      return dataJsonSchema(field.data, field.description);
  }
};

/** The TypeBox schema of a bundled kind's options: every field optional, with its default. */
export function fieldsSchema(kind: string): TObject {
  const spec = kindSpecs[kind]!;
  return Type.Object(Object.fromEntries(Object.entries(spec.fields).map(([name, field]) => [name, Type.Optional(Type.Unsafe(fieldSchema(field)))])), { additionalProperties: false });
}


const show = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

const checkSchedule = (value: unknown, path: string, problems: Problem[]): void => {
  if (value === "constant" || value === "inverse-sqrt") return;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const kind = record["kind"];
    if (kind === "constant" || kind === "inverse-sqrt") {
      for (const key of Object.keys(record)) if (key !== "kind") problems.push({ path: `${path}/${key}`, message: `unknown field for schedule ${kind}` });
      return;
    }
    if (kind === "step") {
      const every = record["every"];
      const factor = record["factor"];
      if (typeof every !== "number" || !Number.isInteger(every) || every < 1) problems.push({ path: `${path}/every`, message: `must be an integer >= 1, got ${show(every)}` });
      if (typeof factor !== "number" || !(factor > 0 && factor <= 1)) problems.push({ path: `${path}/factor`, message: `must be a number in (0, 1], got ${show(factor)}` });
      for (const key of Object.keys(record)) if (key !== "kind" && key !== "every" && key !== "factor") problems.push({ path: `${path}/${key}`, message: "unknown field for schedule step (known: kind, every, factor)" });
      return;
    }
    problems.push({ path: `${path}/kind`, message: `must be constant, inverse-sqrt or step, got ${show(kind)}` });
    return;
  }
  problems.push({ path, message: `must be constant, inverse-sqrt or {kind: step, every, factor}, got ${show(value)}` });
};

const checkField = (field: FieldSpec, value: unknown, path: string, problems: Problem[]): void => {
  switch (field.type) {
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) problems.push({ path, message: `must be an integer, got ${show(value)}` });
      else if (value < field.minimum) problems.push({ path, message: `must be >= ${field.minimum}, got ${value}` });
      else if (field.maximum !== undefined && value > field.maximum) problems.push({ path, message: `must be <= ${field.maximum}, got ${value}` });
      return;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) problems.push({ path, message: `must be a finite number, got ${show(value)}` });
      else if (field.minimum !== undefined && value < field.minimum) problems.push({ path, message: `must be >= ${field.minimum}, got ${value}` });
      else if (field.exclusiveMinimum !== undefined && value <= field.exclusiveMinimum) problems.push({ path, message: `must be > ${field.exclusiveMinimum}, got ${value}` });
      else if (field.maximum !== undefined && value > field.maximum) problems.push({ path, message: `must be <= ${field.maximum}, got ${value}` });
      return;
    case "enum":
      if (typeof value !== "string" || !field.values.includes(value)) problems.push({ path, message: `must be one of ${field.values.join(", ")}, got ${show(value)}` });
      return;
    case "schedule":
      checkSchedule(value, path, problems);
      return;
    case "data":
      checkDataSpec(field.data, value, path, problems);
      return;
  }
};

/** Cross-field rules that the per-field table cannot state. */
const crossChecks: Readonly<Record<string, (spec: Readonly<Record<string, unknown>>) => Problem[]>> = {
  mnist: (spec) => {
    const train = spec["train"] as number;
    const test = spec["test"] as number;
    return train + test > 10_000 ? [{ path: "/test", message: `train + test must be <= 10000 (the digits in the mnist package), got ${train} + ${test}` }] : [];
  },
};

/** Problems of a bundled kind's options (the section without `kind`), each with a path such as "/rank". */
export function fieldProblems(kind: string, options: unknown): Problem[] {
  const kindSpec = kindSpecs[kind]!;
  if (typeof options !== "object" || options === null || Array.isArray(options)) return [{ path: "", message: `must be a mapping, got ${show(options)}` }];
  const problems: Problem[] = [];
  for (const [name, value] of Object.entries(options)) {
    const field = kindSpec.fields[name];
    if (field === undefined) {
      problems.push({ path: `/${name}`, message: `unknown field for kind ${kind} (known: ${Object.keys(kindSpec.fields).join(", ")})` });
      continue;
    }
    checkField(field, value, `/${name}`, problems);
  }
  if (problems.length === 0) problems.push(...(crossChecks[kind]?.(fieldDefaults(kind, options as Record<string, unknown>)) ?? []));
  return problems;
}

/** A bundled kind's options with every absent field set to its default (call after validation). */
export function fieldDefaults(kind: string, options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(kindSpecs[kind]!.fields)) {
    // A field without a default (mf's and lda's data) stays absent.
    const value = options[name] ?? (field as { default?: unknown }).default;
    if (value !== undefined) out[name] = value;
  }
  return out;
}
