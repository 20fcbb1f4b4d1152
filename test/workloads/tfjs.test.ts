// kind: tfjs, a TensorFlow.js Layers model on a data file with no code of one's own: the CSV example
// trains to its stated accuracy under ASP and BSP in the simulator; the same seed gives the same
// trace; a step's delta is -learningRate times the true gradient (finite differences); an IDX
// pair (gzipped or not) and a model.json (with and without weights) load and train; malformed
// files and bad options fail with the file, line, field or option path.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { Rng } from "@gaia/core";
import { loadScenarioAsync, parseScenarioText, runSimulation, ScenarioError } from "@gaia/sim";
import { createWorkload, instantiate, loadDigits, loadTf, selectBackend, tfjsDefinition, validateWorkloadSpec, withOptionDefaults, WorkloadError, type DefinedWorkload, type WorkloadDefinition } from "@gaia/workloads";
import { trainer } from "./support.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const example = join(root, "examples/tfjs-csv/scenario.yaml");
const work = mkdtempSync(join(tmpdir(), "gaia-tfjs-"));
const one = { seed: 3, dataCenters: ["virginia"], workersPerDataCenter: 1 };

const tfjs = (spec: Record<string, unknown>, ctx: Partial<typeof one> = {}): Promise<DefinedWorkload> => createWorkload({ kind: "tfjs", backend: "cpu", ...spec }, { ...one, ...ctx, baseDir: work });

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const write = (name: string, text: string | Uint8Array): string => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

/** An IDX file: magic 0x0000TTNN, the dimensions big-endian, then the values. */
function idx(type: number, dims: number[], values: ArrayLike<number>): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, k) => header.writeUInt32BE(d, 4 + 4 * k));
  return Buffer.concat([header, Buffer.from(Uint8Array.from(values))]);
}

const rejects = async (spec: Record<string, unknown>, pattern: RegExp): Promise<void> => {
  await assert.rejects(tfjs(spec), (error: unknown) => {
    assert.ok(error instanceof WorkloadError, `a WorkloadError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
};

describe("tfjs workload: the CSV example in the simulator", () => {
  for (const sync of ["asp", "bsp", "ssp", "diloco"] as const) {
    test(`examples/tfjs-csv trains to held-out accuracy 0.9 under ${sync}`, async () => {
      const scenario = await loadScenarioAsync(example, { sync });
      assert.equal(scenario.stop.targetObjective, 0.9);
      const result = await runSimulation(scenario);
      const { summary } = result;
      const curve = result.series.map((p) => `${p.iteration}:${p.objective.toFixed(3)}`).join(" ");
      assert.equal(summary.reachedTarget, true, `${sync}: no accuracy 0.9 in ${summary.iterations} iterations: ${curve}`);
      assert.equal(summary.stoppedBy, "target");
      assert.ok(result.series.some((p) => p.objective >= 0.9 && p.virtualTimeS === summary.timeToTargetS), curve);
      for (const [name, verdict] of Object.entries(summary.checks)) assert.equal(verdict, null, `checker ${name}: ${verdict}`);
      assert.equal(result.stats.drained, true);
      assert.ok(summary.wanBytes > 0, "the two data centers exchanged updates");
      assert.equal(summary.objectiveName, "accuracy");
      assert.ok(result.summary.objective >= 0.85, `final accuracy ${result.summary.objective} after the drain`);
      assert.ok(result.summary.iterations <= 150, `${result.summary.iterations} iterations`);
    });
  }

  test("the same seed gives the same trace hash; another seed another", async () => {
    const text = (seed: number): string =>
      [
        `name: tfjs-hash`,
        `seed: ${seed}`,
        `topology: { preset: virginia-california, machinesPerDataCenter: 2 }`,
        `workload: { kind: tfjs, backend: cpu, layers: [{dense: 8, activation: tanh}, {dense: 3}], data: { csv: ../examples/tfjs-csv/train.csv, label: class }, batchSize: 8 }`,
        `sync: { model: asp, withinDataCenter: bsp, significance: { threshold: 0.01 }, mirrorClockBound: 1 }`,
        `stop: { maxIterations: 12, evalEvery: 4 }`,
      ].join("\n");
    // The data path is relative to the scenario file, here a (virtual) file in test/.
    const run = async (seed: number) => (await runSimulation(parseScenarioText(text(seed), join(root, "test/tfjs-hash.yaml")))).summary.traceHash;
    const [a, b, c] = [await run(5), await run(5), await run(6)];
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.equal(a, b);
    assert.notEqual(a, c);
  });
});

describe("tfjs workload: training", () => {
  test("a step's delta is -learningRate times the gradient of the mean loss (finite differences)", async () => {
    const lines = ["a,b,y"];
    for (let k = 0; k < 12; k++) lines.push(`${(k % 5) - 2},${(k * 7) % 3},${k % 3}`);
    write("grad.csv", `${lines.join("\n")}\n`);
    for (const loss of ["categorical", "mse"] as const) {
      // test 0: the evaluation's loss is the mean loss over the training samples, the whole batch of one worker.
      const workload = await tfjs({ layers: [{ dense: 4, activation: "tanh" }, { dense: loss === "mse" ? 1 : 3 }], data: { csv: "grad.csv", label: "y" }, test: 0, loss, batchSize: 12, learningRate: 0.5, cols: 5 });
      const params = workload.initParams();
      const allRows = Uint32Array.from({ length: workload.rows }, (_, k) => k);
      const { deltas } = workload.createWorker({ dataCenterIndex: 0, dataCenterCount: 1, workerIndex: 0, workersPerDataCenter: 1, globalWorkerIndex: 0, globalWorkerCount: 1 }, new Rng(1).child("w")).step(0, allRows, params.slice());
      const lossAt = (p: Float32Array): number => workload.evaluate(p).metrics["loss"]!;
      let checked = 0;
      for (const table of (workload as DefinedWorkload).layout.tables) {
        for (const k of [0, 3]) {
          const at = table.offset * workload.cols + k;
          const h = 1e-2;
          const plus = params.slice();
          const minus = params.slice();
          plus[at] = plus[at]! + h;
          minus[at] = minus[at]! - h;
          const numeric = (lossAt(plus) - lossAt(minus)) / (2 * h);
          assert.ok(Math.abs(deltas[at]! + 0.5 * numeric) < 2e-3 + 0.02 * Math.abs(numeric), `${loss}: ${table.name}[${k}]: delta ${deltas[at]}, -lr * numeric gradient ${-0.5 * numeric}`);
          checked++;
        }
      }
      assert.equal(checked, 8);
      // Padding past each variable's values stays zero: dense0/bias has 4 values in a row of 5.
      const bias = (workload as DefinedWorkload).layout.table("dense0/bias");
      assert.equal(deltas[bias.offset * workload.cols + 4], 0);
    }
  });

  test("CSV class labels may be names (sorted: class k is the k-th name); quoted fields and no header", async () => {
    write("named.csv", 'a,b,species\n1,2,"virginica"\n2,1,setosa\n0,0,versicolor\n1,1,setosa\n');
    const named = await tfjs({ layers: [{ dense: 3 }], data: { csv: "named.csv", label: "species" }, test: 0 });
    assert.ok(named.notes.some((n) => n.includes("class names 0 = setosa, 1 = versicolor, 2 = virginica")), named.notes.join("\n"));
    write("plain.csv", "1,2,1\n2,1,0\n");
    const plain = await tfjs({ layers: [{ dense: 2 }], data: { csv: "plain.csv", label: 2, header: false }, test: 0 });
    assert.equal(plain.layout.table("dense0/kernel").rows, 1);
    await rejects({ layers: [{ dense: 2 }], data: { csv: "plain.csv", label: 3, header: false } }, /label column 3 is out of range: the file has 3 columns/);
    write("mixed.csv", "a,y\n1,0\n2,cat\n");
    await rejects({ layers: [{ dense: 2 }], data: { csv: "mixed.csv", label: "y" } }, /mixed\.csv:3: field "y": expected a number, got "cat"/);
  });

  test("loss mse: a regression trains, objective loss (minimized)", async () => {
    const lines = ["a,b,y"];
    for (let k = 0; k < 200; k++) {
      const a = Math.sin(k * 1.3) * 3;
      const b = Math.cos(k * 0.7) * 2;
      lines.push(`${a.toFixed(3)},${b.toFixed(3)},${(2 * a - b + 1 + 0.05 * Math.sin(k * 11)).toFixed(3)}`);
    }
    write("regression.csv", `${lines.join("\n")}\n`);
    const workload = await tfjs({ layers: [{ dense: 1 }], data: { csv: "regression.csv", label: "y" }, loss: "mse", learningRate: 0.05 }, { workersPerDataCenter: 2 });
    assert.equal(workload.objectiveName, "loss");
    assert.equal(workload.direction, "minimize");
    const run = trainer(workload, 1, 2);
    const before = workload.evaluate(run.table);
    assert.equal(before.metrics["accuracy"], undefined);
    run.run(60);
    const after = workload.evaluate(run.table).objective;
    assert.ok(after < before.objective / 20 && after < 0.05, `mse ${before.objective} -> ${after}`);
  });

  test("docs/workloads-tfjs.md lists every option", async () => {
    const doc = readFileSync(join(root, "docs/workloads-tfjs.md"), "utf8");
    const properties = tfjsDefinition.options.properties as Record<string, { properties?: Record<string, unknown> }>;
    const names = Object.keys(properties).flatMap((key) => (key === "data" ? Object.keys(properties[key]!.properties!).map((d) => `data.${d}`) : [key]));
    for (const name of names) assert.ok(doc.includes(`| \`${name}\` |`), `docs/workloads-tfjs.md has a row for ${name}`);
  });

  test("tables: one per trainable variable, rows = ceil(size / cols); init is Glorot from the seed, biases zero", async () => {
    const spec = { layers: [{ dense: 16, activation: "relu" }, { dense: 3 }], data: { csv: join(root, "examples/tfjs-csv/train.csv"), label: "class" }, cols: 10 };
    const workload = await tfjs(spec);
    assert.deepEqual(
      workload.layout.tables.map((t) => [t.name, t.rows]),
      [["dense0/kernel", 5], ["dense0/bias", 2], ["dense1/kernel", 5], ["dense1/bias", 1]],
    );
    const params = workload.initParams();
    const kernel = params.subarray(0, 48);
    const limit = Math.sqrt(6 / (3 + 16));
    assert.ok(kernel.every((v) => Math.abs(v) <= limit) && kernel.some((v) => Math.abs(v) > limit / 2));
    assert.ok(params.subarray(48, 50).every((v) => v === 0), "the kernel's padding is zero");
    assert.ok(params.subarray(5 * 10, 7 * 10).every((v) => v === 0), "the bias starts at zero");
    assert.ok(params.subarray(7 * 10, 7 * 10 + 48).some((v) => v !== 0), "the second kernel is drawn");
    assert.deepEqual((await tfjs(spec)).initParams(), params);
    assert.notDeepEqual((await tfjs(spec, { seed: 4 })).initParams(), params);
  });

  test("partition skewed gives each data center the stated fraction of its own labels; iid about 1/3", async () => {
    const spec = { layers: [{ dense: 3 }], data: { csv: join(root, "examples/tfjs-csv/train.csv"), label: "class" } };
    const ctx = { dataCenters: ["a", "b", "c"], workersPerDataCenter: 2 };
    const skewed = (await tfjs({ ...spec, partition: "skewed", skew: 0.8 }, ctx)).partitionStats();
    const iid = (await tfjs(spec, ctx)).partitionStats();
    // 0.8 while a data center's own label lasts: each label has about 80 training samples, each
    // data center wants 64 of its own, so a label the held-out split took more of may run short.
    for (const [stats, lo, hi] of [[skewed, 0.72, 0.8], [iid, 0.2, 0.47]] as const) {
      assert.equal(stats.dataCenters.reduce((a, d) => a + d.samples, 0), 240);
      assert.deepEqual(stats.workerSamples, [40, 40, 40, 40, 40, 40]);
      for (const d of stats.dataCenters) assert.ok(d.ownFraction >= lo && d.ownFraction <= hi, `${stats.partition}: ${d.dataCenter} own fraction ${d.ownFraction}`);
    }
    assert.match(validateWorkloadSpec({ kind: "tfjs", ...spec, loss: "mse", partition: "skewed" }).map((p) => `${p.path}: ${p.message}`).join("\n"), /^\/partition: skewed groups the samples by their class label/m);
  });

  test("an IDX pair (images gzipped) of real digits loads and trains", async () => {
    const digits = await loadDigits();
    // 300 digits, spread over the label-major set.
    const n = 300;
    const pick = Array.from({ length: n }, (_, k) => Math.floor((k * digits.labels.length) / n));
    const pixels = Array.from({ length: n * 784 }, (_, k) => Math.round(digits.images[pick[Math.floor(k / 784)]! * 784 + (k % 784)]! * 255));
    write("x-idx3-ubyte.gz", gzipSync(idx(0x08, [n, 28, 28], pixels)));
    write("y-idx1-ubyte", idx(0x08, [n], pick.map((i) => digits.labels[i]!)));
    const workload = await tfjs({ layers: [{ dense: 10 }], data: { idx: { images: "x-idx3-ubyte.gz", labels: "y-idx1-ubyte" } }, learningRate: 0.5, batchSize: 20 }, { dataCenters: ["a", "b"] });
    assert.equal(workload.rows, Math.ceil(7840 / 256) + 1);
    const start = workload.evaluate(workload.initParams());
    const run = trainer(workload, 2, 1);
    run.run(1);
    const tensors = (await loadTf()).memory().numTensors;
    run.run(24);
    assert.equal((await loadTf()).memory().numTensors, tensors, "a step leaves no tensor behind");
    const end = workload.evaluate(run.table);
    assert.ok(end.metrics["loss"]! < start.metrics["loss"]! * 0.7, `loss ${start.metrics["loss"]} -> ${end.metrics["loss"]}`);
    assert.ok(end.objective > 0.5, `accuracy ${end.objective}`);
  });

  test("a model.json with weights starts from them; without, from the seed; both train", async () => {
    const tf = await loadTf();
    await selectBackend("cpu");
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 5, activation: "relu", inputShape: [3], name: "hidden" }), tf.layers.dense({ units: 3, activation: "softmax", name: "out" })] });
    // Fixed weights (tfjs's initializers draw from Math.random): a kernel of small varied values, biases 0.1.
    model.setWeights(model.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, (_, k) => (w.shape.length > 1 ? 0.5 * Math.sin(1 + 2.7 * k) : 0.1)), w.shape)));
    let artifacts: { modelTopology?: unknown; weightSpecs?: unknown; weightData?: ArrayBuffer | ArrayBuffer[] } = {};
    await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } })));
    const weights = Buffer.from(artifacts.weightData as ArrayBuffer);
    write("weights.bin", weights);
    write("model.json", JSON.stringify({ format: "layers-model", modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }] }));
    write("bare.json", JSON.stringify({ format: "layers-model", modelTopology: artifacts.modelTopology }));
    const data = { csv: join(root, "examples/tfjs-csv/train.csv"), label: "class" };
    const saved = await tfjs({ model: "model.json", data, cols: 8 });
    const params = saved.initParams();
    const kernel = new Float32Array(weights.buffer, weights.byteOffset, 15);
    assert.deepEqual(params.subarray(0, 15), kernel, "hidden/kernel from the weights file");
    assert.deepEqual(saved.layout.tables.map((t) => t.name), ["hidden/kernel", "hidden/bias", "out/kernel", "out/bias"]);
    const bare = await tfjs({ model: "bare.json", data, cols: 8 });
    assert.notDeepEqual(bare.initParams().subarray(0, 15), kernel);
    assert.deepEqual((await tfjs({ model: "bare.json", data, cols: 8 })).initParams(), bare.initParams());
    for (const workload of [saved, bare]) {
      const run = trainer(workload, 1, 1);
      const before = workload.evaluate(run.table).metrics["loss"]!;
      run.run(40);
      assert.ok(workload.evaluate(run.table).metrics["loss"]! < before, "the loss falls");
    }
  });

  test("a Keras-exported model.json (model_config, an InputLayer, a Softmax output) loads and trains", async () => {
    const dense = (name: string, units: number, activation: string) => ({
      class_name: "Dense",
      config: { name, trainable: true, dtype: "float32", units, activation, use_bias: true, kernel_initializer: { class_name: "GlorotUniform", config: { seed: null } }, bias_initializer: { class_name: "Zeros", config: {} }, kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null },
    });
    const keras = {
      format: "layers-model",
      generatedBy: "keras v2.15.0",
      convertedBy: "TensorFlow.js Converter v4.17.0",
      modelTopology: {
        keras_version: "2.15.0",
        backend: "tensorflow",
        model_config: {
          class_name: "Sequential",
          config: { name: "sequential", layers: [{ class_name: "InputLayer", config: { batch_input_shape: [null, 3], dtype: "float32", sparse: false, ragged: false, name: "input_1" } }, dense("dense", 8, "tanh"), dense("dense_1", 3, "softmax")] },
        },
      },
    };
    write("keras.json", JSON.stringify(keras));
    const workload = await tfjs({ model: "keras.json", data: { csv: join(root, "examples/tfjs-csv/train.csv"), label: "class" }, learningRate: 0.5 }, { workersPerDataCenter: 2 });
    assert.deepEqual(workload.layout.tables.map((t) => t.name), ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]);
    const run = trainer(workload, 1, 2);
    const before = workload.evaluate(run.table).metrics["loss"]!;
    run.run(30);
    const after = workload.evaluate(run.table).metrics["loss"]!;
    assert.ok(after < before * 0.9, `loss ${before} -> ${after} (the cross-entropy of the softmax's probabilities)`);
  });
});

describe("tfjs workload: bad input", () => {
  test("a malformed CSV names the file, the line and the field", async () => {
    const file = write("bad.csv", "a,b,label\n1,2,0\n\n3,abc,1\n");
    await rejects({ layers: [{ dense: 2 }], data: { csv: "bad.csv", label: "label" } }, new RegExp(`${escape(file)}:4: field "b": expected a number, got "abc"`));
    write("short.csv", "a,b,label\n1,2,0\n3,1\n");
    await rejects({ layers: [{ dense: 2 }], data: { csv: "short.csv", label: "label" } }, /short\.csv:3: expected 3 fields \(as in the header\), got 2/);
    write("float-label.csv", "a,label\n1,0\n2,1.5\n");
    await rejects({ layers: [{ dense: 2 }], data: { csv: "float-label.csv", label: "label" } }, /float-label\.csv:3: field "label": expected a class label \(an integer 0\.\.65535, or a name on every line\), got "1\.5"/);
    await rejects({ layers: [{ dense: 2 }], data: { csv: "bad.csv", label: "class" } }, /bad\.csv: label column "class" is not in the header \(columns: a, b, label\)/);
    await rejects({ layers: [{ dense: 2 }], data: { csv: "bad.csv", label: "label", features: ["a", "c"] } }, /feature column "c" is not in the header/);
  });

  test("a missing file names its absolute path; the model must fit the data", async () => {
    await rejects({ layers: [{ dense: 2 }], data: { csv: "nowhere/train.csv", label: "y" } }, new RegExp(`workload/data/csv: no such file: ${escape(join(work, "nowhere/train.csv"))}`));
    await rejects({ model: "no-model.json", data: { csv: join(root, "examples/tfjs-csv/train.csv"), label: "class" } }, /workload\/model: no such file: .*no-model\.json/);
    // A file that goes away between the check and the set-up is still reported by its path.
    const vanishing = write("vanishing.csv", "a,y\n1,0\n");
    const options = withOptionDefaults(tfjsDefinition, { layers: [{ dense: 1 }], data: { csv: vanishing, label: "y" } });
    rmSync(vanishing);
    await assert.rejects(instantiate(tfjsDefinition as unknown as WorkloadDefinition, options, { ...one, baseDir: work }), new RegExp(`workload tfjs: setup: the data file ${escape(vanishing)} does not exist`));
    await rejects({ layers: [{ dense: 2 }], data: { csv: join(root, "examples/tfjs-csv/train.csv"), label: "class" } }, /the model's last layer has 2 units, the data has 3 classes/);
    await rejects({ layers: [{ dense: 3 }], loss: "mse", data: { csv: join(root, "examples/tfjs-csv/train.csv"), label: "class" } }, /loss mse needs a last layer of 1 unit/);
  });

  test("IDX: a bad magic number, a short file, and labels that do not match the images", async () => {
    write("ok-x", idx(0x08, [2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]));
    write("ok-y", idx(0x08, [2], [0, 1]));
    write("three-y", idx(0x08, [3], [0, 1, 1]));
    write("magic-x", Buffer.from([0x08, 0x03, 0, 0, 1, 2, 3, 4]));
    write("short-x", idx(0x08, [2, 2, 2], [0, 1, 2]));
    const data = (images: string, labels: string) => ({ layers: [{ dense: 2 }], data: { idx: { images, labels } }, test: 0 });
    await rejects(data("magic-x", "ok-y"), /magic-x: not an IDX file: bad magic number 0x08030000/);
    await rejects(data("short-x", "ok-y"), /short-x: the IDX header says 2 x 2 x 2 values of type unsigned byte \(24 bytes in all\), the file has 19 bytes/);
    await rejects(data("ok-x", "three-y"), /three-y: 3 labels for the 2 samples of/);
    await rejects(data("ok-y", "ok-x"), /an IDX file of labels has one dimension, this one has 3/);
    const fine = await tfjs(data("ok-x", "ok-y"));
    assert.equal(fine.evaluate(fine.initParams()).metrics["accuracy"]! >= 0, true);
  });

  test("bad options are reported with their paths", () => {
    const problems = (spec: Record<string, unknown>): string[] => validateWorkloadSpec({ kind: "tfjs", ...spec }).map((p) => `${p.path}: ${p.message}`);
    const csv = { csv: join(root, "examples/tfjs-csv/train.csv"), label: "y" };
    assert.deepEqual(problems({ layers: [{ dense: 4 }], data: csv }), []);
    // The files valid options name must be there: relative paths are read from the scenario file's folder.
    const absent = validateWorkloadSpec({ kind: "tfjs", layers: [{ dense: 4 }], data: { idx: { images: "x-idx3", labels: join(work, "y-idx1") } } }, { baseDir: work }).map((p) => `${p.path}: ${p.message}`);
    assert.deepEqual(absent, [`/data/idx/images: no such file: ${join(work, "x-idx3")} (a relative path is read from the scenario file's folder)`, `/data/idx/labels: no such file: ${join(work, "y-idx1")}`]);
    assert.deepEqual(problems({ model: join(root, "examples"), data: csv }), [`/model: ${join(root, "examples")} is not a file`]);
    assert.match(problems({ layers: [{ dense: 0 }], data: csv }).join("\n"), /^\/layers\/0\/dense: must be integer to be greater or equal to 1, got 0$/m);
    assert.match(problems({ layers: [{ dense: 4, activation: "relux" }], data: csv }).join("\n"), /^\/layers\/0\/activation: must be one of linear, relu, sigmoid, tanh, softmax, .*got "relux"$/m);
    assert.match(problems({ layers: [{ dense: 4, units: 3 }], data: csv }).join("\n"), /^\/layers\/0\/units: /m);
    assert.match(problems({ layers: [{ dense: 4 }], data: { csv: "x.csv" } }).join("\n"), /^\/data\/label: is required with csv/m);
    assert.match(problems({ layers: [{ dense: 4 }], data: { ...csv, idx: { images: "a", labels: "b" } } }).join("\n"), /^\/data: give csv or idx, not both$/m);
    assert.match(problems({ data: csv }).join("\n"), /^: needs a model: model .* or layers/m);
    assert.match(problems({ model: "m.json", layers: [{ dense: 1 }], data: csv }).join("\n"), /^\/layers: give model or layers, not both$/m);
    assert.match(problems({ layers: [{ dense: 1 }], data: csv, loss: "mse", objective: "accuracy" }).join("\n"), /^\/objective: accuracy needs loss categorical/m);
    assert.match(problems({ layers: [{ dense: 1 }], data: csv, loss: "hinge" }).join("\n"), /^\/loss: must be one of categorical, mse, got "hinge"$/m);
    assert.match(problems({ layers: [{ dense: 1 }], data: csv, test: 1 }).join("\n"), /^\/test: must be number to be less than 1, got 1$/m);
    assert.match(problems({ layers: [{ dense: 1 }], data: csv, learningRate: 0.1, batch: 3 }).join("\n"), /^\/batch: unknown option for workload tfjs/m);
  });

  test("the scenario loader reports a bad option at its file:line:col", () => {
    const text = ["name: bad-tfjs", "topology: { preset: lan, machinesPerDataCenter: 1 }", "workload:", "  kind: tfjs", "  layers:", "    - { dense: 4, activation: relux }", "  data: { csv: ./x.csv, label: y }", "sync: { model: lan }"].join("\n");
    assert.throws(
      () => parseScenarioText(text, "bad-tfjs.yaml"),
      (error: unknown) => {
        assert.ok(error instanceof ScenarioError);
        assert.match(error.message, /^bad-tfjs\.yaml:6:31: workload\.layers\[0\]\.activation: must be one of linear, relu, .*, not "relux"$/m);
        assert.doesNotMatch(error.message, /anyOf/);
        return true;
      },
    );
  });
});
