// MNIST with TensorFlow.js: softmax regression trained by workers on one shared table passes 80%
// held-out accuracy; the MLP and CNN learn; digits and their partition are a function of the seed;
// the skewed split gives each data center the stated fraction of its own labels; absent native
// backends fail with an install hint.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "@gaia/core";
import { createWorkload, type DefinedWorkload, loadTf, partitionStats, sameConvolution, selectBackend, MnistWorkload, WorkloadError } from "@gaia/workloads";
import { trainer } from "./support.js";

const two = ["virginia", "tokyo"];

const mnist = async (spec: Record<string, unknown>, seed = 4, dataCenters = two, workersPerDataCenter = 2): Promise<DefinedWorkload<MnistWorkload>> => {
  const workload = await createWorkload({ kind: "mnist", ...spec }, { seed, dataCenters, workersPerDataCenter });
  assert.ok(workload.job instanceof MnistWorkload);
  return workload as DefinedWorkload<MnistWorkload>;
};

describe("mnist workload", () => {
  test("softmax regression on 2 data centers x 2 workers passes 80% held-out accuracy", async () => {
    const workload = await mnist({});
    assert.equal(workload.job.parameterCount, 784 * 10 + 10);
    assert.equal(workload.rows, Math.ceil(7850 / 256));
    assert.equal(workload.objectiveName, "loss");
    const start = workload.evaluate(workload.initParams());
    assert.ok(start.metrics["accuracy"]! < 0.3);
    const run = trainer(workload, 2, 2);
    run.run(60);
    const end = workload.evaluate(run.table);
    assert.ok(end.metrics["accuracy"]! > 0.8, `accuracy ${end.metrics["accuracy"]} on ${workload.job.backend}`);
    assert.ok(end.objective < start.objective / 2, `loss ${start.objective} -> ${end.objective}`);
    // The padding at the tail of the last row never moves.
    for (let k = workload.job.parameterCount; k < run.table.length; k++) assert.equal(run.table[k], 0);
  });

  test("the cpu backend trains the same model to the same accuracy", async () => {
    const [onCpu, onDefault] = [await createWorkload({ kind: "mnist", train: 400 }, { seed: 4, dataCenters: two, workersPerDataCenter: 1, backend: "cpu" }), await mnist({ train: 400 }, 4, two, 1)];
    assert.equal((onCpu.job as MnistWorkload).backend, "cpu");
    const a = trainer(onCpu, 2, 1);
    const b = trainer(onDefault, 2, 1);
    a.run(10);
    b.run(10);
    const accuracyA = onCpu.evaluate(a.table).metrics["accuracy"]!;
    const accuracyB = onDefault.evaluate(b.table).metrics["accuracy"]!;
    assert.ok(Math.abs(accuracyA - accuracyB) < 0.02, `cpu ${accuracyA} vs ${(onDefault.job as MnistWorkload).backend} ${accuracyB}`);
  });

  test("the MLP and the CNN learn", async () => {
    for (const [model, clocks, factor] of [["mlp", 20, 0.5], ["cnn", 12, 0.85]] as const) {
      const workload = await mnist({ model, train: 400, test: 200 }, 4, two, 1);
      const start = workload.evaluate(workload.initParams()).objective;
      const run = trainer(workload, 2, 1);
      run.run(clocks);
      const end = workload.evaluate(run.table).objective;
      assert.ok(end < start * factor, `${model} on ${workload.job.backend}: loss ${start} -> ${end} after ${clocks} clocks`);
    }
  });

  test("the CNN's forward-op convolution gradient equals tfjs's own conv2d gradient", async () => {
    await selectBackend("cpu");
    const tf = await loadTf();
    const rng = new Rng(5);
    const random = (shape: number[]): Float32Array => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
    tf.tidy(() => {
      const x = tf.tensor4d(random([3, 6, 6, 2]), [3, 6, 6, 2]);
      const filter = tf.tensor4d(random([5, 5, 2, 4]), [5, 5, 2, 4]);
      const weights = tf.tensor4d(random([3, 6, 6, 4]), [3, 6, 6, 4]);
      const gradientsOf = (gradient: "native" | "forward"): Float32Array[] =>
        tf.grads((a, b) => tf.sum(tf.mul(sameConvolution(tf, a as never, b as never, gradient), weights)))([x, filter]).map((g) => g.dataSync() as Float32Array);
      const native = gradientsOf("native");
      const forward = gradientsOf("forward");
      for (let k = 0; k < 2; k++) {
        assert.equal(forward[k]!.length, native[k]!.length);
        native[k]!.forEach((value, i) => assert.ok(Math.abs(value - forward[k]![i]!) < 1e-3 * (1 + Math.abs(value)), `gradient ${k}[${i}]: ${value} vs ${forward[k]![i]}`));
      }
    });
  });

  test("same seed, same digits and partition; different seed, different", async () => {
    const a = await mnist({ train: 300, test: 100 }, 1);
    const b = await mnist({ train: 300, test: 100 }, 1);
    const c = await mnist({ train: 300, test: 100 }, 2);
    assert.deepEqual(a.job.trainLabels, b.job.trainLabels);
    assert.deepEqual(a.job.testLabels, b.job.testLabels);
    assert.deepEqual(a.initParams(), b.initParams());
    assert.notDeepEqual(a.job.trainLabels, c.job.trainLabels);
  });

  test("skewed partition: 80% of each data center's digits carry its own labels", async () => {
    const stats = partitionStats(await mnist({ partition: "skewed", skew: 0.8 }, 4, ["a", "b", "c"], 2));
    for (const dc of stats.dataCenters) assert.ok(Math.abs(dc.ownFraction - 0.8) < 0.01, JSON.stringify(dc));
    assert.equal(stats.workerSamples.reduce((a, b) => a + b, 0), 2000);
    const eleven = partitionStats(await mnist({ partition: "skewed", skew: 0.9, train: 1100 }, 4, Array.from({ length: 11 }, (_, k) => `dc${k}`), 1));
    for (const dc of eleven.dataCenters) assert.ok(Math.abs(dc.ownFraction - 0.9) < 0.01, JSON.stringify(dc));
  });

  test("asking for an absent native backend says how to install it", async () => {
    await assert.rejects(selectBackend("gpu"), (error: unknown) => error instanceof WorkloadError && /npm install @tensorflow\/tfjs-node-gpu/.test(error.message) && /network/.test(error.message));
    await assert.rejects(selectBackend("node"), (error: unknown) => error instanceof WorkloadError && /npm install @tensorflow\/tfjs-node\b/.test(error.message));
    await assert.rejects(createWorkload({ kind: "mnist", backend: "gpu" }, { seed: 1, dataCenters: two, workersPerDataCenter: 1 }), WorkloadError);
  });
});
