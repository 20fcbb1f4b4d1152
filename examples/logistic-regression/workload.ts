/**
 * A workload module of one's own: sparse logistic regression by SGD, written on the workload API
 * of @gaia/workloads (docs/workloads.md walks through it). Gaia trains it unchanged under every
 * sync model: `npx gaia simulate examples/logistic-regression/scenario.yaml --sync bsp,asp`.
 *
 * Data: each sample has `activePerSample` binary features out of `features`; its label is drawn
 * from a logistic model with seeded true weights. Each data center favours its own slice of the
 * features (`locality`), so data centers see different data, as geo-distributed data does.
 * Tables: `weights` (one row per feature, one column) and `bias` (one row). A step reads only the
 * rows its batch touches, so the significance filter sees sparse updates, as in the paper's jobs.
 */
import { defineWorkload, Type } from "@gaia/workloads";

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export default defineWorkload({
  name: "logistic-regression",
  description: "Sparse logistic regression by SGD on seeded binary features. Objective: held-out log-loss (minimize).",
  options: Type.Object(
    {
      features: Type.Integer({ minimum: 2, maximum: 10_000_000, default: 2000, description: "Number of binary features (rows of the weights table)." }),
      samples: Type.Integer({ minimum: 1, maximum: 100_000_000, default: 20_000, description: "Training samples in all." }),
      heldOut: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 2000, description: "Held-out samples for the objective." }),
      activePerSample: Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: "Active features per sample." }),
      locality: Type.Number({ minimum: 0, maximum: 1, default: 0.7, description: "Share of a sample's features drawn from its data center's own slice of the features." }),
      batchSize: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 100, description: "Samples per worker step." }),
      learningRate: Type.Number({ exclusiveMinimum: 0, default: 0.5, description: "SGD step size." }),
    },
    { additionalProperties: false },
  ),
  check: (o) => (o.activePerSample > o.features ? [{ path: "/activePerSample", message: `must be <= features (${o.features}), got ${o.activePerSample}` }] : []),

  setup(o, ctx) {
    const D = ctx.dataCenters.length;
    const W = D * ctx.workersPerDataCenter;
    const truth = new Float32Array(o.features);
    const truthRng = ctx.rng.child("truth");
    for (let j = 0; j < o.features; j++) truth[j] = truthRng.normal(0, 1.5);
    const k = o.activePerSample;

    // One sample: k feature ids (its data center's slice with probability `locality`) and a label.
    const draw = (rng: typeof ctx.rng, dc: number, out: Uint32Array, at: number): number => {
      const slice = Math.max(1, Math.floor(o.features / D));
      let z = 0;
      for (let a = 0; a < k; a++) {
        const j = rng.float() < o.locality ? Math.min(o.features - 1, dc * slice + rng.int(slice)) : rng.int(o.features);
        out[at + a] = j;
        z += truth[j]!;
      }
      return rng.float() < sigmoid(z) ? 1 : 0;
    };

    // Training samples, contiguous by worker: worker w holds samples start[w] .. start[w + 1].
    const start = new Uint32Array(W + 1);
    for (let w = 0; w < W; w++) start[w + 1] = Math.round(((w + 1) * o.samples) / W);
    const featureIds = new Uint32Array(o.samples * k);
    const labels = new Uint8Array(o.samples);
    const dataRng = ctx.rng.child("data");
    for (let w = 0; w < W; w++) {
      const dc = Math.floor(w / ctx.workersPerDataCenter);
      for (let s = start[w]!; s < start[w + 1]!; s++) labels[s] = draw(dataRng, dc, featureIds, s * k);
    }
    const heldIds = new Uint32Array(o.heldOut * k);
    const heldLabels = new Uint8Array(o.heldOut);
    const heldRng = ctx.rng.child("held-out");
    for (let s = 0; s < o.heldOut; s++) heldLabels[s] = draw(heldRng, s % D, heldIds, s * k);

    return {
      tables: { weights: { rows: o.features, cols: 1 }, bias: { rows: 1, cols: 1 } },
      objective: { name: "log-loss", direction: "minimize" as const },
      costMsPerSample: 0.0005,
      // Zeros are a fine start for logistic regression: init is left out.

      worker(placement, _rng, layout) {
        const from = start[placement.globalWorkerIndex]!;
        const count = start[placement.globalWorkerIndex + 1]! - from;
        const batch = Math.min(o.batchSize, count);
        const sampleAt = (clock: number, b: number): number => from + ((clock * batch + b) % count);
        const biasRow = layout.row("bias", 0);
        return {
          // What a step will process, told ahead (the simulator's compute threads schedule by it).
          samplesFor: () => batch,
          rowsFor(clock) {
            const rows = new Set<number>([biasRow]);
            for (let b = 0; b < batch; b++) for (let a = 0; a < k; a++) rows.add(layout.row("weights", featureIds[sampleAt(clock, b) * k + a]!));
            return Uint32Array.from(rows).sort();
          },
          step(clock, rows, values) {
            const read = layout.reader(rows, values);
            const deltas = layout.deltas();
            const bias = read.get("bias", 0)[0]!;
            let biasGrad = 0;
            const grads = new Map<number, number>();
            for (let b = 0; b < batch; b++) {
              const s = sampleAt(clock, b);
              let z = bias;
              for (let a = 0; a < k; a++) z += read.get("weights", featureIds[s * k + a]!)[0]!;
              const g = sigmoid(z) - labels[s]!;
              biasGrad += g;
              for (let a = 0; a < k; a++) {
                const j = featureIds[s * k + a]!;
                grads.set(j, (grads.get(j) ?? 0) + g);
              }
            }
            const rate = o.learningRate / Math.max(1, batch);
            for (const [j, g] of grads) deltas.add("weights", j, [-rate * g]);
            deltas.add("bias", 0, [-rate * biasGrad]);
            return deltas.result(batch);
          },
        };
      },

      evaluate(params, layout) {
        const bias = layout.view(params, "bias", 0)[0]!;
        let loss = 0;
        let correct = 0;
        for (let s = 0; s < o.heldOut; s++) {
          let z = bias;
          for (let a = 0; a < k; a++) z += layout.view(params, "weights", heldIds[s * k + a]!)[0]!;
          const p = Math.min(1 - 1e-7, Math.max(1e-7, sigmoid(z)));
          loss -= heldLabels[s] === 1 ? Math.log(p) : Math.log(1 - p);
          if ((p >= 0.5 ? 1 : 0) === heldLabels[s]) correct++;
        }
        return { objective: loss / o.heldOut, metrics: { "log-loss": loss / o.heldOut, accuracy: correct / o.heldOut } };
      },
    };
  },
});
