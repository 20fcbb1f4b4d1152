/**
 * A tiny built-in workload for the simulator's own tests and benchmarks: sparse multi-output
 * linear regression by minibatch SGD. The model is a rows x cols table W; a sample has `nnz`
 * non-zero features x (so a step reads and writes only those rows, as matrix factorization does)
 * and targets y = x W* + noise. The objective is the mean squared error on a fixed evaluation set.
 * Everything derives from the seed; no clock, no Math.random.
 */
import { Rng, type StepResult, type WorkerPlacement, type WorkerProgram, type Workload } from "@gaia/core";

export interface ToyWorkloadOptions {
  readonly seed: number;
  readonly rows?: number;
  readonly cols?: number;
  readonly samplesPerWorker?: number;
  readonly batch?: number;
  /** Non-zero features per sample. */
  readonly nnz?: number;
  readonly noise?: number;
  readonly learningRate?: number;
  readonly costMsPerSample?: number;
}

interface Samples {
  readonly features: Uint32Array; // n * nnz feature ids
  readonly values: Float32Array; // n * nnz feature values
  readonly targets: Float32Array; // n * cols
}

export function createToyWorkload(options: ToyWorkloadOptions): Workload {
  const rows = options.rows ?? 32;
  const cols = options.cols ?? 4;
  const samplesPerWorker = options.samplesPerWorker ?? 64;
  const batch = Math.min(options.batch ?? 8, samplesPerWorker);
  const nnz = Math.min(options.nnz ?? 4, rows);
  const noise = options.noise ?? 0.05;
  const learningRate = options.learningRate ?? 0.3;
  const root = new Rng(options.seed, "toy-workload");
  const truthRng = root.child("truth");
  const truth = Float32Array.from({ length: rows * cols }, () => truthRng.normal());

  const makeSamples = (rng: Rng, n: number): Samples => {
    const features = new Uint32Array(n * nnz);
    const values = new Float32Array(n * nnz);
    const targets = new Float32Array(n * cols);
    for (let s = 0; s < n; s++) {
      const chosen = new Set<number>();
      while (chosen.size < nnz) chosen.add(rng.int(rows));
      [...chosen].sort((a, b) => a - b).forEach((f, k) => {
        features[s * nnz + k] = f;
        values[s * nnz + k] = rng.normal();
      });
      for (let c = 0; c < cols; c++) {
        let y = noise * rng.normal();
        for (let k = 0; k < nnz; k++) y += values[s * nnz + k]! * truth[features[s * nnz + k]! * cols + c]!;
        targets[s * cols + c] = y;
      }
    }
    return { features, values, targets };
  };
  const evalSet = makeSamples(root.child("eval"), 256);

  const predictInto = (data: Samples, s: number, lookup: (row: number, col: number) => number, out: Float64Array): void => {
    for (let c = 0; c < cols; c++) {
      let p = 0;
      for (let k = 0; k < nnz; k++) p += data.values[s * nnz + k]! * lookup(data.features[s * nnz + k]!, c);
      out[c] = p;
    }
  };

  return {
    kind: "toy",
    rows,
    cols,
    direction: "minimize",
    objectiveName: "mse",
    costMsPerSample: options.costMsPerSample ?? 1,
    initParams: () => new Float32Array(rows * cols),
    evaluate(params: Float32Array) {
      const p = new Float64Array(cols);
      let sum = 0;
      for (let s = 0; s < 256; s++) {
        predictInto(evalSet, s, (r, c) => params[r * cols + c]!, p);
        for (let c = 0; c < cols; c++) sum += (p[c]! - evalSet.targets[s * cols + c]!) ** 2;
      }
      return { objective: sum / (256 * cols), metrics: {} };
    },
    createWorker(_placement: WorkerPlacement, rng: Rng): WorkerProgram {
      const data = makeSamples(rng.child("data"), samplesPerWorker);
      const batchRows = (clock: number): Uint32Array => {
        const set = new Set<number>();
        for (let b = 0; b < batch; b++) {
          const s = (clock * batch + b) % samplesPerWorker;
          for (let k = 0; k < nnz; k++) set.add(data.features[s * nnz + k]!);
        }
        return Uint32Array.from([...set].sort((a, b) => a - b));
      };
      return {
        rowsFor: batchRows,
        step(clock: number, readRows: Uint32Array, values: Float32Array): StepResult {
          const index = new Map<number, number>();
          readRows.forEach((r, i) => index.set(r, i));
          const grad = new Float64Array(readRows.length * cols);
          const p = new Float64Array(cols);
          for (let b = 0; b < batch; b++) {
            const s = (clock * batch + b) % samplesPerWorker;
            predictInto(data, s, (r, c) => values[index.get(r)! * cols + c]!, p);
            for (let c = 0; c < cols; c++) {
              const err = p[c]! - data.targets[s * cols + c]!;
              for (let k = 0; k < nnz; k++) grad[index.get(data.features[s * nnz + k]!)! * cols + c]! += err * data.values[s * nnz + k]!;
            }
          }
          const step = learningRate / Math.sqrt(clock + 1) / batch;
          const deltas = new Float32Array(grad.length);
          for (let i = 0; i < grad.length; i++) deltas[i] = -step * grad[i]!;
          return { rows: readRows, deltas, samples: batch };
        },
      };
    },
  };
}
