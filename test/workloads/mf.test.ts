// Matrix factorization: SGD over several workers on one shared table drives the training RMSE from
// the data's spread (~1) toward the noise floor; data and partitions are a function of the seed;
// the skewed split puts the stated fraction of each data center's ratings on its own users.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createWorkload, type DefinedWorkload, partitionStats, MfWorkload } from "@gaia/workloads";
import { placements, trainer } from "./support.js";
import { Rng } from "@gaia/core";

const three = ["virginia", "tokyo", "frankfurt"];

const mf = async (spec: Record<string, unknown>, seed = 11, dataCenters = three, workersPerDataCenter = 2): Promise<DefinedWorkload<MfWorkload>> => {
  const workload = await createWorkload({ kind: "mf", ...spec }, { seed, dataCenters, workersPerDataCenter });
  assert.ok(workload.job instanceof MfWorkload);
  return workload as DefinedWorkload<MfWorkload>;
};

describe("mf workload", () => {
  test("SGD on 3 data centers x 2 workers drives training RMSE below 0.3", async () => {
    const workload = await mf({});
    assert.equal(workload.rows, 2000 + 500);
    assert.equal(workload.cols, 16);
    assert.equal(workload.direction, "minimize");
    assert.equal(workload.objectiveName, "rmse");
    const start = workload.evaluate(workload.initParams()).objective;
    assert.ok(start > 0.8, `initial RMSE ${start}`);
    const run = trainer(workload, 3, 2);
    run.run(200);
    const end = workload.evaluate(run.table).objective;
    assert.ok(end < 0.3, `RMSE after 200 clocks: ${end}`);
  });

  test("skewed partition: SGD still converges", async () => {
    const workload = await mf({ partition: "skewed", skew: 0.9 });
    const run = trainer(workload, 3, 2);
    run.run(200);
    const end = workload.evaluate(run.table).objective;
    assert.ok(end < 0.3, `RMSE after 200 clocks: ${end}`);
  });

  test("a worker step takes at most a few milliseconds at default size", async () => {
    const workload = await mf({}, 11, ["lan"], 4);
    const run = trainer(workload, 1, 4);
    run.run(5);
    const msPerStep = run.run(50);
    assert.ok(msPerStep < 5, `ms per step ${msPerStep}`);
  });

  test("rowsFor returns the sorted unique rows of the minibatch, and step deltas cover exactly them", async () => {
    const workload = await mf({ batchSize: 64 });
    const [placement] = placements(3, 2);
    const worker = workload.createWorker(placement!, new Rng(1));
    for (const clock of [0, 1, 7, 1000]) {
      const rows = worker.rowsFor(clock)!;
      assert.ok(rows.length > 0 && rows.length <= 128);
      for (let k = 1; k < rows.length; k++) assert.ok(rows[k - 1]! < rows[k]!, "sorted and unique");
      const values = new Float32Array(rows.length * workload.cols);
      for (let k = 0; k < rows.length; k++) values.set(workload.initParams().subarray(rows[k]! * workload.cols, (rows[k]! + 1) * workload.cols), k * workload.cols);
      const result = worker.step(clock, rows, values);
      assert.deepEqual(result.rows, rows);
      assert.equal(result.deltas.length, rows.length * workload.cols);
      assert.equal(result.samples, 64);
      assert.ok(result.deltas.some((d) => d !== 0));
    }
  });

  test("lrSchedule inverse-sqrt is exposed as the workload's learning-rate schedule", async () => {
    assert.deepEqual((await mf({ lrSchedule: "inverse-sqrt" })).learningRate, { kind: "inverse-sqrt" });
    assert.deepEqual((await mf({ lrSchedule: { kind: "step", every: 10, factor: 0.5 } })).learningRate, { kind: "step", every: 10, factor: 0.5 });
    assert.deepEqual((await mf({})).learningRate, { kind: "constant" });
  });

  test("same seed, same data and partition; different seed, different", async () => {
    const a = await mf({ ratings: 5000 }, 5);
    const b = await mf({ ratings: 5000 }, 5);
    const c = await mf({ ratings: 5000 }, 6);
    assert.deepEqual(a.job.ratingUser, b.job.ratingUser);
    assert.deepEqual(a.job.ratingValue, b.job.ratingValue);
    assert.deepEqual(a.job.workerStart, b.job.workerStart);
    assert.deepEqual(a.initParams(), b.initParams());
    assert.notDeepEqual(a.job.ratingUser, c.job.ratingUser);
    assert.notDeepEqual(a.job.workerStart, c.job.workerStart);
  });

  test("skewed partition: each data center holds the stated fraction of its own users' ratings", async () => {
    for (const skew of [0.8, 0.5, 1]) {
      const stats = partitionStats(await mf({ ratings: 30_000, partition: "skewed", skew }));
      assert.equal(stats.dataCenters.length, 3);
      for (const dc of stats.dataCenters) assert.ok(Math.abs(dc.ownFraction - skew) < 0.03, `skew ${skew}: ${JSON.stringify(dc)}`);
      assert.equal(stats.workerSamples.reduce((a, b) => a + b, 0), 30_000);
    }
    const iid = partitionStats(await mf({ ratings: 30_000 }));
    for (const dc of iid.dataCenters) assert.ok(Math.abs(dc.ownFraction - 1 / 3) < 0.03, `iid: ${JSON.stringify(dc)}`);
  });

  test("popularity is power-law: the busiest tenth of users gives far more than a tenth of the ratings", async () => {
    const workload = await mf({ ratings: 50_000, popularityExponent: 1 });
    const counts = new Array<number>(2000).fill(0);
    for (const u of workload.job.ratingUser) counts[u]!++;
    counts.sort((a, b) => b - a);
    const top = counts.slice(0, 200).reduce((a, b) => a + b, 0);
    assert.ok(top / 50_000 > 0.3, `top 10% of users hold ${top / 50_000}`);
  });

  test("RMSE over a fixed seeded sample when ratings exceed evalSamples", async () => {
    // The RMSE over every rating, by hand, on a table that is not the initial one.
    const full = await mf({ ratings: 20_000, evalSamples: 100_000 });
    const table = full.initParams();
    const noise = new Rng(5);
    for (let i = 0; i < table.length; i++) table[i] = table[i]! + 0.3 * noise.normal();
    let squares = 0;
    for (let r = 0; r < full.job.ratingValue.length; r++) {
      let dot = 0;
      for (let f = 0; f < full.cols; f++) dot += table[full.job.ratingUser[r]! * full.cols + f]! * table[(2000 + full.job.ratingItem[r]!) * full.cols + f]!;
      squares += (full.job.ratingValue[r]! - dot) ** 2;
    }
    const rmse = Math.sqrt(squares / full.job.ratingValue.length);
    assert.ok(Math.abs(full.evaluate(table).objective - rmse) <= 1e-9 * rmse, "all ratings: the RMSE by hand");
    // The sample: 1000 ratings, an estimate of the full RMSE, the same sample in every instance built from the seed.
    const sampled = await mf({ ratings: 20_000, evalSamples: 1000 });
    const evaluation = sampled.evaluate(table);
    assert.equal(evaluation.metrics["evaluatedRatings"], 1000);
    assert.notEqual(evaluation.objective, rmse, "a sample, not every rating");
    assert.ok(Math.abs(evaluation.objective - rmse) / rmse < 0.2, `sample RMSE ${evaluation.objective} estimates ${rmse}`);
    const again = await mf({ ratings: 20_000, evalSamples: 1000 });
    assert.equal(again.evaluate(table).objective, evaluation.objective, "the same seeded sample in a second instance");
    const otherSeed = await mf({ ratings: 20_000, evalSamples: 1000 }, 12);
    assert.notEqual(otherSeed.evaluate(otherSeed.initParams()).objective, sampled.evaluate(sampled.initParams()).objective);
  });
});
