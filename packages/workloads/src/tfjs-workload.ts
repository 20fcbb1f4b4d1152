/**
 * `kind: tfjs`: a TensorFlow.js Layers model trained on a data file, with no code of one's own.
 *
 * Model: `layers: [{dense: 64, activation: relu}, {dense: 3}]` (a short sequential list), or
 * `model: ./model.json` (a TF.js Layers model file, e.g. exported from Keras; its weights from the
 * file's weightsManifest when it has one). Without weights, kernels are drawn Glorot-uniform from
 * the run's seed (`ctx.rng`) and biases start at zero; tfjs's own initializers are never used, so
 * a run is a function of its seed.
 *
 * Data: `data: {csv: ./train.csv, label: COLUMN, features: [...], header: true}` or `data: {idx:
 * {images: ./x-idx3-ubyte, labels: ./y-idx1-ubyte}}` (the MNIST IDX format, gzipped or not).
 * Paths are relative to the scenario file. A seeded shuffle holds out a fraction `test` for the
 * evaluation; the rest is dealt round-robin to the workers (`partition: iid`), or with a fraction
 * `skew` of each data center's samples from the labels it owns (`partition: skewed`, as mnist).
 *
 * Tables: each trainable variable is one table, `cols` wide (rows = ceil(size / cols), the tail
 * padded with zeros), so every sync model trains it unchanged. A worker step reads all rows,
 * writes them into the model's variables, takes the gradient of the mean loss on its next
 * `batchSize` samples (cyclically) and returns deltas = -learningRate * gradient. The model is
 * applied in inference mode (dropout layers inactive: tfjs does not seed their masks).
 */
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Evaluation, WorkerProgram } from "@gaia/core";
import type * as TF from "@tensorflow/tfjs";
import type { Backend } from "./context.js";
import { defineWorkload, optionProblems, withOptionDefaults, Type, type Layout, type Problem, type Static, type WorkloadDefinition } from "./define.js";
import { WorkloadError } from "./errors.js";
import { checkPlacement, contiguousPartitionStats, evenSplit, groupsOf, ownsGroup, type PartitionMode } from "./partition.js";
import { shuffledRange } from "./sampling.js";
import { loadTf, selectBackend, useBackend, type Tf } from "./tf.js";

const activations = ["linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus"] as const;
const losses = ["categorical", "mse"] as const;
const objectives = ["accuracy", "loss"] as const;
const backends = ["auto", "gpu", "node", "wasm", "cpu"] as const;
const partitions = ["iid", "skewed"] as const;
/** A string of a fixed set (JSON Schema `enum`; the membership is checked by `validate`, as TypeBox's Value does not read `enum`). */
const literals = <T extends readonly string[]>(values: T, description: string, fallback?: T[number]) => Type.String({ enum: [...values], description, ...(fallback === undefined ? {} : { default: fallback }) });

const layerSchema = Type.Object(
  {
    dense: Type.Integer({ minimum: 1, maximum: 100_000, description: "Units of a dense (fully connected) layer." }),
    activation: Type.Optional(literals(activations, "The layer's activation (default linear).")),
    bias: Type.Optional(Type.Boolean({ description: "Whether the layer has a bias (default true)." })),
  },
  { additionalProperties: false },
);

const dataSchema = Type.Object(
  {
    csv: Type.Optional(Type.String({ minLength: 1, description: "A CSV file of samples, one a line, relative to the scenario file." })),
    label: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 0 })], { description: "The CSV column of the label: its name, or its index (from 0) when there is no header." })),
    features: Type.Optional(Type.Array(Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 0 })]), { minItems: 1, description: "The CSV feature columns (default: every column but the label)." })),
    header: Type.Optional(Type.Boolean({ description: "Whether the CSV's first line names the columns (default true)." })),
    standardize: Type.Optional(Type.Boolean({ description: "Scale each CSV feature to mean 0 and deviation 1 over the training samples (default true)." })),
    idx: Type.Optional(
      Type.Object(
        {
          images: Type.String({ minLength: 1, description: "The IDX file of the samples (e.g. train-images-idx3-ubyte, gzipped or not); unsigned bytes are scaled to [0, 1]." }),
          labels: Type.String({ minLength: 1, description: "The IDX file of the labels (e.g. train-labels-idx1-ubyte)." }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: "The training data: {csv, label, features?, header?} or {idx: {images, labels}}." },
);

const options = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, description: "A TF.js Layers model.json (e.g. exported from Keras), relative to the scenario file; give this or layers." })),
    layers: Type.Optional(Type.Array(layerSchema, { minItems: 1, description: "A sequential model as a list of layers, e.g. [{dense: 64, activation: relu}, {dense: 3}]; give this or model." })),
    data: dataSchema,
    test: Type.Number({ minimum: 0, exclusiveMaximum: 1, default: 0.2, description: "Fraction of the samples held out for the evaluation (seeded); 0 evaluates on the training samples." }),
    loss: literals(losses, "categorical: softmax cross-entropy on integer class labels 0..K-1; mse: mean squared error on a numeric label.", "categorical"),
    objective: Type.Optional(literals(objectives, "The objective: accuracy (maximized; categorical loss only) or loss (minimized). Default: accuracy for categorical, loss for mse.")),
    partition: literals(partitions, "How training samples are spread over data centers: iid (uniformly) or skewed (a fraction skew of each data center's samples carry the labels it owns; categorical loss only).", "iid"),
    skew: Type.Number({ minimum: 0, maximum: 1, default: 0.8, description: "Under partition skewed: the fraction of a data center's samples whose label it owns." }),
    batchSize: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 32, description: "Samples per worker step." }),
    learningRate: Type.Number({ exclusiveMinimum: 0, default: 0.1, description: "SGD step size: deltas = -learningRate * gradient." }),
    cols: Type.Integer({ minimum: 1, maximum: 1_048_576, default: 256, description: "Columns of every table (each trainable variable is laid out in rows of this many values)." }),
    costMsPerSample: Type.Optional(Type.Number({ minimum: 0, description: "Virtual compute milliseconds per sample on a node of speed 1 (default: 2e-6 per model parameter, at least 0.001)." })),
    backend: literals(backends, "TensorFlow.js backend: auto prefers tfjs-node-gpu, tfjs-node, wasm, then cpu. A backend in the workload context (gaia calibrate --backend) wins.", "cpu"),
  },
  { additionalProperties: false },
);

export type TfjsOptions = Static<typeof options>;

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

function enumProblems(input: unknown): Problem[] {
  if (typeof input !== "object" || input === null) return [];
  const record = input as Record<string, unknown>;
  const problems: Problem[] = [];
  const check = (path: string, value: unknown, choices: readonly string[]): void => {
    if (typeof value === "string" && !choices.includes(value)) problems.push({ path, message: `must be one of ${choices.join(", ")}, got ${show(value)}` });
  };
  check("/loss", record["loss"], losses);
  check("/objective", record["objective"], objectives);
  check("/backend", record["backend"], backends);
  check("/partition", record["partition"], partitions);
  if (Array.isArray(record["layers"])) record["layers"].forEach((layer: unknown, k) => check(`/layers/${k}/activation`, (layer as Record<string, unknown> | null)?.["activation"], activations));
  return problems;
}

function checkOptions(o: TfjsOptions): Problem[] {
  const problems: Problem[] = [];
  if ((o.model === undefined) === (o.layers === undefined)) problems.push({ path: o.model === undefined ? "" : "/layers", message: o.model === undefined ? "needs a model: model (a model.json file) or layers (a list such as [{dense: 64, activation: relu}, {dense: 3}])" : "give model or layers, not both" });
  const d = o.data;
  if ((d.csv === undefined) === (d.idx === undefined)) problems.push({ path: "/data", message: d.csv === undefined ? "needs csv (with label) or idx (with images and labels)" : "give csv or idx, not both" });
  if (d.csv !== undefined && d.label === undefined) problems.push({ path: "/data/label", message: "is required with csv: the label column's name (or index when header is false)" });
  if (d.idx !== undefined) {
    for (const key of ["label", "features", "header", "standardize"] as const) if (d[key] !== undefined) problems.push({ path: `/data/${key}`, message: "is a csv option (idx data has images and labels only)" });
  }
  if (o.partition === "skewed" && o.loss === "mse") problems.push({ path: "/partition", message: "skewed groups the samples by their class label, which needs loss categorical" });
  if (o.objective === "accuracy" && o.loss === "mse") problems.push({ path: "/objective", message: "accuracy needs loss categorical (mse is a regression loss; use objective loss)" });
  return problems;
}

/** The schema alone, for its generic check (the definition below words the enums and cross-field rules). */
const plain = defineWorkload({ name: "tfjs", description: "", options, setup: () => Promise.reject(new Error("unreachable")) });

/** The schema's problems and the choices the schema's `enum`s name; then the rules across options. */
function validate(input: unknown): Problem[] {
  const problems = [...optionProblems(plain as unknown as WorkloadDefinition, input), ...enumProblems(input)];
  if (problems.length > 0) return problems;
  return checkOptions(withOptionDefaults(plain, input as Record<string, unknown>));
}

// ---------------------------------------------------------------------------------------------
// Data files

export interface Samples {
  /** Row-major features, `count` x `features`. */
  readonly x: Float32Array;
  /** The label of each sample (a class index for categorical, a value for mse). */
  readonly y: Float32Array;
  readonly count: number;
  readonly features: number;
  /** The shape of one sample (IDX: e.g. [28, 28]; CSV: [features]). */
  readonly sampleShape: readonly number[];
  /** A CSV's class names, when its labels are names (class k is the k-th in sorted order). */
  readonly classNames?: readonly string[];
}

const readData = (file: string, what: string): Buffer => {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new WorkloadError(`${what} ${file} does not exist`);
  }
  if (!stat.isFile()) throw new WorkloadError(`${what} ${file} is not a file`);
  try {
    return readFileSync(file);
  } catch (error) {
    throw new WorkloadError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  }
};

/** One CSV line's fields (double quotes around a field are allowed; "" is a quote inside one). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    let field = "";
    while (line[at] === " " || line[at] === "\t") at++;
    if (line[at] === '"') {
      at++;
      for (;;) {
        const close = line.indexOf('"', at);
        if (close < 0) throw new Error("a quoted field has no closing quote");
        field += line.slice(at, close);
        at = close + 1;
        if (line[at] !== '"') break;
        field += '"';
        at++;
      }
      const comma = line.indexOf(",", at);
      if (line.slice(at, comma < 0 ? undefined : comma).trim() !== "") throw new Error("text after a quoted field");
      fields.push(field);
      if (comma < 0) return fields;
      at = comma + 1;
    } else {
      const comma = line.indexOf(",", at);
      fields.push(line.slice(at, comma < 0 ? undefined : comma).trim());
      if (comma < 0) return fields;
      at = comma + 1;
    }
  }
}

export interface CsvSpec {
  readonly label: string | number;
  readonly features?: readonly (string | number)[];
  readonly header?: boolean;
  readonly categorical: boolean;
}

/** Parses a CSV of samples; every error names `file:line` and the field. */
export function parseCsv(text: string, file: string, spec: CsvSpec): Samples {
  const lines = text.split(/\r?\n/);
  const header = spec.header ?? true;
  let names: string[] | null = null;
  let lineNo = 0;
  const fieldsOf = (line: string, n: number): string[] => {
    try {
      return csvFields(line);
    } catch (error) {
      throw new WorkloadError(`${file}:${n}: ${(error as Error).message}`);
    }
  };
  if (header) {
    while (lineNo < lines.length && lines[lineNo]!.trim() === "") lineNo++;
    if (lineNo === lines.length) throw new WorkloadError(`${file}: the file is empty (header: true expects a line of column names)`);
    names = fieldsOf(lines[lineNo]!, lineNo + 1);
    lineNo++;
  }
  const data: { fields: string[]; line: number }[] = [];
  for (; lineNo < lines.length; lineNo++) {
    if (lines[lineNo]!.trim() === "") continue;
    data.push({ fields: fieldsOf(lines[lineNo]!, lineNo + 1), line: lineNo + 1 });
  }
  if (data.length === 0) throw new WorkloadError(`${file}: no samples (every line after the header is empty)`);
  const width = names?.length ?? data[0]!.fields.length;
  names ??= Array.from({ length: width }, (_, k) => String(k));
  const columnOf = (column: string | number, what: string): number => {
    if (typeof column === "number" || (!header && /^\d+$/.test(column))) {
      const k = Number(column);
      if (k >= width) throw new WorkloadError(`${file}: ${what} column ${k} is out of range: the file has ${width} columns (0..${width - 1})`);
      return k;
    }
    const k = names!.indexOf(column);
    if (k < 0) throw new WorkloadError(`${file}: ${what} column ${JSON.stringify(column)} is not in the header (columns: ${names!.join(", ")})`);
    return k;
  };
  const labelColumn = columnOf(spec.label, "label");
  const featureColumns = spec.features === undefined ? names.map((_, k) => k).filter((k) => k !== labelColumn) : spec.features.map((f) => columnOf(f, "feature"));
  if (featureColumns.includes(labelColumn)) throw new WorkloadError(`${file}: the label column ${JSON.stringify(names[labelColumn])} is also listed as a feature`);
  if (featureColumns.length === 0) throw new WorkloadError(`${file}: no feature columns (the file has only the label column)`);
  const count = data.length;
  const F = featureColumns.length;
  const x = new Float32Array(count * F);
  const y = new Float32Array(count);
  const number = (text: string, line: number, column: number): number => {
    const value = text === "" ? NaN : Number(text);
    if (!Number.isFinite(value)) throw new WorkloadError(`${file}:${line}: field ${JSON.stringify(names![column])}: expected a number, got ${JSON.stringify(text)}`);
    return value;
  };
  // Class labels are integers 0..K-1, or names (when no label is a number): sorted, name k is class k.
  let classNames: string[] | undefined;
  if (spec.categorical && data.every(({ fields }) => fields.length !== width || !Number.isFinite(Number(fields[labelColumn]!)) || fields[labelColumn] === "")) {
    classNames = [...new Set(data.map(({ fields }) => fields[labelColumn] ?? ""))].sort();
    if (classNames.includes("")) classNames = undefined;
  }
  const classIndex = new Map(classNames?.map((name, k) => [name, k]));
  data.forEach(({ fields, line }, s) => {
    if (fields.length !== width) throw new WorkloadError(`${file}:${line}: expected ${width} fields${header ? " (as in the header)" : " (as on the first line)"}, got ${fields.length}`);
    featureColumns.forEach((c, f) => (x[s * F + f] = number(fields[c]!, line, c)));
    if (classNames !== undefined) {
      y[s] = classIndex.get(fields[labelColumn]!)!;
      return;
    }
    const label = number(fields[labelColumn]!, line, labelColumn);
    if (spec.categorical && !(Number.isInteger(label) && label >= 0 && label < 65_536)) {
      throw new WorkloadError(`${file}:${line}: field ${JSON.stringify(names![labelColumn])}: expected a class label (an integer 0..65535, or a name on every line), got ${JSON.stringify(fields[labelColumn])}`);
    }
    y[s] = label;
  });
  if (classNames !== undefined && classNames.length > 65_536) throw new WorkloadError(`${file}: ${classNames.length} class names in column ${JSON.stringify(names[labelColumn])}: at most 65536`);
  return { x, y, count, features: F, sampleShape: [F], ...(classNames !== undefined ? { classNames } : {}) };
}

const idxTypes: Record<number, { name: string; size: number; read: (view: DataView, at: number) => number }> = {
  0x08: { name: "unsigned byte", size: 1, read: (v, at) => v.getUint8(at) },
  0x09: { name: "signed byte", size: 1, read: (v, at) => v.getInt8(at) },
  0x0b: { name: "short", size: 2, read: (v, at) => v.getInt16(at, false) },
  0x0c: { name: "int", size: 4, read: (v, at) => v.getInt32(at, false) },
  0x0d: { name: "float", size: 4, read: (v, at) => v.getFloat32(at, false) },
  0x0e: { name: "double", size: 8, read: (v, at) => v.getFloat64(at, false) },
};

export interface IdxArray {
  readonly type: number;
  readonly dims: readonly number[];
  readonly values: Float32Array;
}

/** Parses an IDX file (magic 0x00 0x00 type ndims, then ndims big-endian uint32 sizes, then the values). */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  let data = bytes;
  if (data[0] === 0x1f && data[1] === 0x8b) {
    try {
      data = gunzipSync(data);
    } catch (error) {
      throw new WorkloadError(`${file}: a gzip file that does not decompress: ${(error as Error).message}`);
    }
  }
  if (data.length < 4) throw new WorkloadError(`${file}: not an IDX file: ${data.length} bytes, shorter than the 4-byte magic number`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magic = view.getUint32(0, false);
  const type = idxTypes[data[2]!];
  if (data[0] !== 0 || data[1] !== 0 || type === undefined || data[3] === 0) {
    throw new WorkloadError(`${file}: not an IDX file: bad magic number 0x${magic.toString(16).padStart(8, "0")} (expected 0x0000TTNN: TT the type 08, 09, 0b, 0c, 0d or 0e, NN the number of dimensions, e.g. 0x00000803 for images)`);
  }
  const ndims = data[3]!;
  const start = 4 + 4 * ndims;
  if (data.length < start) throw new WorkloadError(`${file}: the IDX header promises ${ndims} dimensions but the file ends after ${data.length} bytes`);
  const dims = Array.from({ length: ndims }, (_, k) => view.getUint32(4 + 4 * k, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = start + count * type.size;
  if (data.length !== expected) throw new WorkloadError(`${file}: the IDX header says ${dims.join(" x ")} values of type ${type.name} (${expected} bytes in all), the file has ${data.length} bytes`);
  const values = new Float32Array(count);
  for (let k = 0; k < count; k++) values[k] = type.read(view, start + k * type.size);
  return { type: data[2]!, dims, values };
}

/** Samples from an IDX pair: images of any shape [n, ...], labels [n]. */
export function idxSamples(images: IdxArray, labels: IdxArray, imagesFile: string, labelsFile: string): Samples {
  if (images.dims.length < 1) throw new WorkloadError(`${imagesFile}: an IDX file of samples needs at least one dimension`);
  if (labels.dims.length !== 1) throw new WorkloadError(`${labelsFile}: an IDX file of labels has one dimension, this one has ${labels.dims.length} (${labels.dims.join(" x ")}): are the images and labels swapped?`);
  const count = images.dims[0]!;
  if (labels.dims[0] !== count) throw new WorkloadError(`${labelsFile}: ${labels.dims[0]} labels for the ${count} samples of ${imagesFile}`);
  const sampleShape = images.dims.slice(1);
  const features = sampleShape.reduce((a, b) => a * b, 1);
  const x = images.values;
  if (images.type === 0x08) for (let k = 0; k < x.length; k++) x[k] = x[k]! / 255;
  return { x, y: labels.values, count, features, sampleShape: sampleShape.length === 0 ? [1] : sampleShape };
}

// ---------------------------------------------------------------------------------------------
// The model

interface Variable {
  readonly table: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly layer: TF.LayerVariable;
}

const pathFrom = (baseDir: string | undefined, path: string): string => (isAbsolute(path) ? path : resolve(baseDir ?? process.cwd(), path));

/** Reads a model.json and its weight files (paths relative to it) into tfjs model artifacts. */
function modelArtifacts(file: string): TF.io.ModelArtifacts {
  const text = readData(file, "the model file").toString("utf8");
  let json: { modelTopology?: unknown; weightsManifest?: { paths: string[]; weights: TF.io.WeightsManifestEntry[] }[]; format?: string };
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new WorkloadError(`${file}: not JSON: ${(error as Error).message}`);
  }
  if (typeof json !== "object" || json === null || typeof json.modelTopology !== "object" || json.modelTopology === null) {
    throw new WorkloadError(`${file}: not a TF.js Layers model: it has no modelTopology (a graph model from tensorflowjs_converter --output_format tfjs_graph_model cannot be trained; convert to tfjs_layers_model)`);
  }
  const artifacts: { modelTopology: object; weightSpecs?: TF.io.WeightsManifestEntry[]; weightData?: ArrayBuffer } = { modelTopology: json.modelTopology as object };
  if (Array.isArray(json.weightsManifest) && json.weightsManifest.length > 0) {
    const buffers: Buffer[] = [];
    const specs: TF.io.WeightsManifestEntry[] = [];
    for (const group of json.weightsManifest) {
      for (const path of group.paths ?? []) buffers.push(readData(resolve(file, "..", path), `the weights file of ${file}`));
      specs.push(...(group.weights ?? []));
    }
    const all = Buffer.concat(buffers);
    artifacts.weightSpecs = specs;
    artifacts.weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  }
  return artifacts;
}

async function buildModel(tf: Tf, o: TfjsOptions, baseDir: string | undefined, sampleShape: readonly number[]): Promise<{ model: TF.LayersModel; hasWeights: boolean; file?: string }> {
  if (o.layers !== undefined) {
    const model = tf.sequential();
    o.layers.forEach((layer, k) =>
      model.add(
        tf.layers.dense({
          units: layer.dense,
          activation: (layer.activation ?? "linear") as "linear",
          useBias: layer.bias ?? true,
          name: `dense${k}`,
          ...(k === 0 ? { inputShape: [sampleShape.reduce((a, b) => a * b, 1)] } : {}),
        }),
      ),
    );
    return { model, hasWeights: false };
  }
  const file = pathFrom(baseDir, o.model!);
  const artifacts = modelArtifacts(file);
  let model: TF.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new WorkloadError(`${file}: TensorFlow.js cannot build this model: ${(error as Error).message}`);
  }
  return { model, hasWeights: artifacts.weightSpecs !== undefined, file };
}

/** Whether the model's output is a softmax (then the loss is the cross-entropy of probabilities). */
function outputIsSoftmax(model: TF.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  if (last === undefined) return false;
  const config = last.getConfig() as { activation?: unknown };
  return last.getClassName() === "Softmax" || config.activation === "softmax";
}

// ---------------------------------------------------------------------------------------------
// The definition

export const tfjsDefinition = defineWorkload({
  name: "tfjs",
  description: "A TensorFlow.js Layers model (a layers list or a model.json) trained by SGD on a CSV or IDX data file; no code needed. Objective: held-out accuracy (maximize) or loss (minimize).",
  options,
  validate,
  files: (o) => [
    ...(o.model !== undefined ? [{ path: "/model", file: o.model }] : []),
    ...(o.data.csv !== undefined ? [{ path: "/data/csv", file: o.data.csv }] : []),
    ...(o.data.idx !== undefined ? [{ path: "/data/idx/images", file: o.data.idx.images }, { path: "/data/idx/labels", file: o.data.idx.labels }] : []),
  ],
  withBaseDir: (o, baseDir) => {
    const abs = (p: string): string => pathFrom(baseDir, p);
    const data = { ...o.data, ...(o.data.csv !== undefined ? { csv: abs(o.data.csv) } : {}), ...(o.data.idx !== undefined ? { idx: { images: abs(o.data.idx.images), labels: abs(o.data.idx.labels) } } : {}) };
    return { ...o, ...(o.model !== undefined ? { model: abs(o.model) } : {}), data };
  },

  async setup(o, ctx) {
    const categorical = o.loss === "categorical";
    // Data.
    let samples: Samples;
    if (o.data.csv !== undefined) {
      const file = pathFrom(ctx.baseDir, o.data.csv);
      samples = parseCsv(readData(file, "the data file").toString("utf8"), file, { label: o.data.label!, categorical, ...(o.data.features !== undefined ? { features: o.data.features } : {}), ...(o.data.header !== undefined ? { header: o.data.header } : {}) });
    } else {
      const imagesFile = pathFrom(ctx.baseDir, o.data.idx!.images);
      const labelsFile = pathFrom(ctx.baseDir, o.data.idx!.labels);
      const labels = parseIdx(readData(labelsFile, "the labels file"), labelsFile);
      samples = idxSamples(parseIdx(readData(imagesFile, "the images file"), imagesFile), labels, imagesFile, labelsFile);
      if (categorical) {
        for (let k = 0; k < samples.count; k++) {
          const label = samples.y[k]!;
          if (!(Number.isInteger(label) && label >= 0 && label < 65_536)) throw new WorkloadError(`${labelsFile}: label ${k} is ${label}, not a class label (an integer 0..65535)`);
        }
      }
    }
    const { count, features: F } = samples;
    const testCount = Math.round(o.test * count);
    if (count - testCount < 1) throw new WorkloadError(`test ${o.test} of ${count} samples leaves none to train on`);
    let classes = 0;
    if (categorical) for (let k = 0; k < count; k++) classes = Math.max(classes, samples.y[k]! + 1);

    // Split: a seeded shuffle; the first testCount are held out, the rest dealt to the workers.
    const order = shuffledRange(count, ctx.rng.child("split"));
    const W = ctx.dataCenters.length * ctx.workersPerDataCenter;
    const trainCount = count - testCount;
    const D = ctx.dataCenters.length;
    const wpd = ctx.workersPerDataCenter;
    const perWorker: number[][] = Array.from({ length: W }, () => []);
    const remaining = order.subarray(testCount);
    if (o.partition === "skewed") {
      // As mnist's skewed split: each data center draws a fraction skew of its samples from the
      // labels it owns (while they last), from per-label pools in the shuffled order.
      const pools: number[][] = Array.from({ length: classes }, () => []);
      for (const index of remaining) pools[samples.y[index]!]!.push(index);
      const next = new Uint32Array(classes);
      const pickRng = ctx.rng.child("labels");
      const take = (labels: readonly number[]): number | null => {
        const available = labels.filter((l) => next[l]! < pools[l]!.length);
        if (available.length === 0) return null;
        const l = pickRng.pick(available);
        return pools[l]![next[l]!++]!;
      };
      const perDataCenter = evenSplit(trainCount, D);
      for (let d = 0; d < D; d++) {
        const n = perDataCenter[d]!;
        const { own, other } = groupsOf(d, D, classes);
        const ownCount = other.length === 0 ? n : Math.round(o.skew * n);
        for (let j = 0; j < n; j++) {
          const isOwn = Math.floor(((j + 1) * ownCount) / n) > Math.floor((j * ownCount) / n);
          perWorker[d * wpd + (j % wpd)]!.push((isOwn ? take(own) ?? take(other) : take(other) ?? take(own))!);
        }
      }
    } else {
      for (let j = 0; j < trainCount; j++) perWorker[j % W]!.push(remaining[j]!);
    }
    const trainOrder = perWorker.flat();
    const workerStart = new Uint32Array(W + 1);
    perWorker.forEach((list, w) => (workerStart[w + 1] = workerStart[w]! + list.length));
    const gather = (indices: ArrayLike<number>): { x: Float32Array; y: Float32Array } => {
      const x = new Float32Array(indices.length * F);
      const y = new Float32Array(indices.length);
      for (let k = 0; k < indices.length; k++) {
        x.set(samples.x.subarray(indices[k]! * F, (indices[k]! + 1) * F), k * F);
        y[k] = samples.y[indices[k]!]!;
      }
      return { x, y };
    };
    const train = gather(trainOrder);
    const test = testCount === 0 ? train : gather(order.subarray(0, testCount));
    if (o.data.csv !== undefined && (o.data.standardize ?? true)) {
      // Mean and deviation of each feature over the training samples (a constant feature keeps deviation 1).
      for (let f = 0; f < F; f++) {
        let sum = 0;
        let squares = 0;
        for (let s = 0; s < trainCount; s++) sum += train.x[s * F + f]!;
        const mean = sum / trainCount;
        for (let s = 0; s < trainCount; s++) squares += (train.x[s * F + f]! - mean) ** 2;
        const deviation = Math.sqrt(squares / trainCount) || 1;
        for (const set of test === train ? [train] : [train, test]) for (let s = 0; s < set.y.length; s++) set.x[s * F + f] = (set.x[s * F + f]! - mean) / deviation;
      }
    }

    // Model.
    const tf = await loadTf();
    const backend = await selectBackend((ctx.backend ?? o.backend) as Backend);
    const { model, hasWeights, file: modelFile } = await buildModel(tf, o, ctx.baseDir, samples.sampleShape);
    const where = modelFile ?? "workload.layers";
    const inputShape = (model.inputs[0]!.shape as (number | null)[]).slice(1);
    if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new WorkloadError(`${where}: the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; tfjs workloads take one of each`);
    if (inputShape.some((d) => d === null) || inputShape.reduce<number>((a, b) => a * b!, 1) !== F) {
      throw new WorkloadError(`${where}: the model's input is [${inputShape.map((d) => d ?? "?").join(", ")}] per sample, the data has ${F} values per sample (${samples.sampleShape.join(" x ")})`);
    }
    const outputShape = (model.outputs[0]!.shape as (number | null)[]).slice(1);
    const units = outputShape.reduce<number>((a, b) => a * (b ?? 0), 1);
    if (outputShape.length !== 1) throw new WorkloadError(`${where}: the model's output is [${outputShape.join(", ")}] per sample; tfjs workloads need a flat output (a last dense layer)`);
    if (categorical && units < classes) throw new WorkloadError(`${where}: the model's last layer has ${units} units, the data has ${classes} classes (labels 0..${classes - 1}): the last layer needs ${classes} units`);
    if (!categorical && units !== 1) throw new WorkloadError(`${where}: loss mse needs a last layer of 1 unit, this model's has ${units}`);
    const softmaxOut = outputIsSoftmax(model);
    if (!categorical && softmaxOut) throw new WorkloadError(`${where}: loss mse on a softmax output; give the last layer a linear activation`);

    // Tables: one per trainable variable, named by the variable (unique, in order).
    const seen = new Map<string, number>();
    const variables: Variable[] = model.trainableWeights.map((layer) => {
      let name = layer.originalName;
      const times = seen.get(name) ?? 0;
      seen.set(name, times + 1);
      if (times > 0) name = `${name}#${times}`;
      const shape = [...layer.shape] as number[];
      return { table: name, shape, size: shape.reduce((a, b) => a * b, 1), layer };
    });
    if (variables.length === 0) throw new WorkloadError(`${where}: the model has no trainable weights`);
    const cols = o.cols;
    const tables = Object.fromEntries(variables.map((v) => [v.table, { rows: Math.max(1, Math.ceil(v.size / cols)), cols }]));
    const parameters = variables.reduce((a, v) => a + v.size, 0);
    const initial = hasWeights ? variables.map((v) => v.layer.read().dataSync().slice() as Float32Array) : null;
    const vars = variables.map((v) => v.layer.read() as TF.Variable);
    const shapeX = [-1, ...inputShape] as number[];

    const writeWeights = (params: Float32Array, layout: Layout): void => {
      variables.forEach((v) => {
        const at = layout.table(v.table).offset * cols;
        v.layer.write(tf.tensor(params.subarray(at, at + v.size), [...v.shape]));
      });
    };
    // The mean loss of the model's output on a batch (labels as class indices or values).
    const lossOf = (output: TF.Tensor, y: Float32Array): TF.Scalar => {
      const n = y.length;
      if (!categorical) return tf.losses.meanSquaredError(tf.tensor2d(y, [n, 1]), output) as TF.Scalar;
      const oneHot = tf.oneHot(tf.tensor1d(Int32Array.from(y), "int32"), units);
      if (!softmaxOut) return tf.losses.softmaxCrossEntropy(oneHot, output) as TF.Scalar;
      return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(tf.clipByValue(output, 1e-7, 1))), 1))) as TF.Scalar;
    };

    // The model is applied in inference mode: tfjs draws dropout masks from an unseeded source,
    // so a dropout layer would make a run depend on more than its seed.
    const dropouts = model.layers.filter((layer) => /dropout/i.test(layer.getClassName())).map((layer) => layer.name);
    const objective = o.objective ?? (categorical ? "accuracy" : "loss");
    const notes = [`tfjs: ${variables.length} variables, ${parameters} parameters (${variables.map((v) => `${v.table} [${v.shape.join("x")}]`).join(", ")}); ${trainCount} training and ${testCount === 0 ? "no held-out samples (evaluated on the training samples)" : `${testCount} held-out samples`}; backend ${backend}`];
    if (samples.classNames !== undefined) notes.push(`tfjs: class names ${samples.classNames.map((name, k) => `${k} = ${name}`).join(", ")}`);
    if (dropouts.length > 0) notes.push(`tfjs: dropout layers ${dropouts.join(", ")} are inactive (tfjs's dropout masks are not seeded, and a run is a function of its seed)`);
    return {
      tables,
      objective: { name: objective, direction: objective === "accuracy" ? ("maximize" as const) : ("minimize" as const) },
      // mnist's calibrated MLP (bench/workloads.bench.ts): 0.094 ms per digit for 50,890 parameters on wasm.
      costMsPerSample: o.costMsPerSample ?? Math.max(0.001, 2e-6 * parameters),
      notes,

      init(params, layout) {
        const rng = ctx.rng.child("init");
        variables.forEach((v, k) => {
          const at = layout.table(v.table).offset * cols;
          if (initial !== null) {
            params.set(initial[k]!, at);
            return;
          }
          if (v.shape.length < 2) return; // biases start at zero
          // Glorot uniform, with Keras's fans: the receptive field times the in and out channels.
          const receptive = v.shape.slice(0, -2).reduce((a, b) => a * b, 1);
          const limit = Math.sqrt(6 / (receptive * (v.shape[v.shape.length - 2]! + v.shape[v.shape.length - 1]!)));
          const drawn = rng.child(v.table);
          for (let i = 0; i < v.size; i++) params[at + i] = drawn.uniform(-limit, limit);
        });
      },

      worker(placement, _rng, layout): WorkerProgram {
        const w = checkPlacement(placement, D, wpd);
        const from = workerStart[w]!;
        const count = workerStart[w + 1]! - from;
        const batch = Math.min(o.batchSize, count);
        const allRows = Uint32Array.from({ length: layout.rows }, (_, k) => k);
        const xs = new Float32Array(batch * F);
        const ys = new Float32Array(batch);
        return {
          rowsFor: () => null,
          samplesFor: () => batch,
          step(clock, rows, values) {
            const size = layout.rows * cols;
            if (rows.length !== layout.rows || values.length !== size) throw new RangeError(`needs all ${layout.rows} rows (${size} values), got ${rows.length} rows and ${values.length} values`);
            const deltas = new Float32Array(size);
            if (batch === 0) return { rows: allRows, deltas, samples: 0 };
            for (let k = 0; k < batch; k++) {
              const s = from + ((clock * batch + k) % count);
              xs.set(train.x.subarray(s * F, (s + 1) * F), k * F);
              ys[k] = train.y[s]!;
            }
            useBackend(tf, backend);
            tf.tidy(() => {
              writeWeights(values, layout);
              const x = tf.tensor(xs, [batch, ...shapeX.slice(1)]);
              const { grads } = tf.variableGrads(() => lossOf(model.apply(x, { training: false }) as TF.Tensor, ys), vars);
              variables.forEach((v, k) => {
                const gradient = grads[vars[k]!.name]!.dataSync();
                const at = layout.table(v.table).offset * cols;
                for (let i = 0; i < v.size; i++) deltas[at + i] = -o.learningRate * gradient[i]!;
              });
            });
            return { rows: allRows, deltas, samples: batch };
          },
        };
      },

      partitionStats: () =>
        contiguousPartitionStats({
          kind: "tfjs",
          partition: o.partition as PartitionMode,
          skew: o.skew,
          groupedBy: "label",
          dataCenters: ctx.dataCenters,
          workersPerDataCenter: wpd,
          workerStart,
          owns: (dc, k) => categorical && ownsGroup(dc, train.y[k]!, D, classes),
        }),

      evaluate(params, layout): Evaluation {
        useBackend(tf, backend);
        const n = test.y.length;
        const chunk = 1000;
        let lossSum = 0;
        let correct = 0;
        tf.tidy(() => {
          writeWeights(params, layout);
          for (let start = 0; start < n; start += chunk) {
            const end = Math.min(n, start + chunk);
            tf.tidy(() => {
              const output = model.apply(tf.tensor(test.x.subarray(start * F, end * F), [end - start, ...shapeX.slice(1)])) as TF.Tensor;
              const y = test.y.subarray(start, end);
              lossSum += lossOf(output, y).dataSync()[0]! * (end - start);
              if (categorical) {
                const predicted = tf.argMax(output, 1).dataSync();
                for (let k = 0; k < y.length; k++) if (predicted[k] === y[k]) correct++;
              }
            });
          }
        });
        const loss = lossSum / Math.max(1, n);
        const metrics: Record<string, number> = categorical ? { loss, accuracy: correct / Math.max(1, n) } : { loss };
        return { objective: metrics[objective]!, metrics };
      },
    };
  },
});
