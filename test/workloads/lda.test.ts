// LDA by collapsed Gibbs sampling: workers sharing one word-topic table raise the held-out
// log-likelihood close to that of the true topics; count deltas conserve tokens; the corpus and its
// partition are a function of the seed; the skewed split has the stated fraction of documents
// dominated by a data center's own topics.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "@gaia/core";
import { createWorkload, type DefinedWorkload, partitionStats, LdaWorkload } from "@gaia/workloads";
import { placements, trainer } from "./support.js";

const three = ["virginia", "tokyo", "frankfurt"];

const lda = async (spec: Record<string, unknown>, seed = 3, dataCenters = three, workersPerDataCenter = 2): Promise<DefinedWorkload<LdaWorkload>> => {
  const workload = await createWorkload({ kind: "lda", ...spec }, { seed, dataCenters, workersPerDataCenter });
  assert.ok(workload.job instanceof LdaWorkload);
  return workload as DefinedWorkload<LdaWorkload>;
};

const tableSums = (workload: DefinedWorkload<LdaWorkload>, table: Float32Array): { words: number; totals: number; min: number } => {
  const V = workload.job.spec.vocabulary;
  const K = workload.cols;
  let words = 0;
  let totals = 0;
  let min = Infinity;
  for (let k = 0; k < V * K; k++) {
    words += table[k]!;
    min = Math.min(min, table[k]!);
  }
  for (let k = 0; k < K; k++) totals += table[V * K + k]!;
  return { words, totals, min };
};

describe("lda workload", () => {
  test("Gibbs sampling on 3 data centers x 2 workers raises held-out log-likelihood above -4.05, within 0.2 of the true topics", async () => {
    const workload = await lda({});
    assert.equal(workload.rows, 1001);
    assert.equal(workload.cols, 10);
    assert.equal(workload.direction, "maximize");
    assert.equal((workload as { learningRate?: unknown }).learningRate, undefined);
    const start = workload.evaluate(workload.initParams());
    assert.ok(start.objective < -4.6, `initial log-likelihood ${start.objective}`);
    const run = trainer(workload, 3, 2);
    run.run(80);
    const end = workload.evaluate(run.table);
    const truth = end.metrics["true-log-likelihood"]!;
    assert.ok(end.objective > -4.05, `log-likelihood after 80 clocks: ${end.objective} (true topics: ${truth})`);
    assert.ok(end.objective > truth - 0.2, `log-likelihood ${end.objective} is not within 0.2 of the true topics' ${truth}`);
  });

  test("count deltas conserve tokens: the table always counts every token exactly once", async () => {
    const workload = await lda({ documents: 300 });
    const tokens = workload.job.corpus.words.length;
    const initial = tableSums(workload, workload.initParams());
    assert.deepEqual(initial, { words: tokens, totals: tokens, min: 0 });
    const run = trainer(workload, 3, 2);
    run.run(10);
    assert.deepEqual(tableSums(workload, run.table), { words: tokens, totals: tokens, min: 0 });
  });

  test("rowsFor lists the minibatch's words, sorted, then the totals row", async () => {
    const workload = await lda({ batchSize: 5 });
    const worker = workload.createWorker(placements(3, 2)[4]!, new Rng(2));
    const rows = worker.rowsFor(3)!;
    assert.equal(rows[rows.length - 1], workload.job.spec.vocabulary);
    for (let k = 1; k < rows.length; k++) assert.ok(rows[k - 1]! < rows[k]!);
  });

  test("a worker step takes at most a few milliseconds at default size", async () => {
    const workload = await lda({}, 3, ["lan"], 4);
    const run = trainer(workload, 1, 4);
    run.run(5);
    const msPerStep = run.run(20);
    assert.ok(msPerStep < 5, `ms per step ${msPerStep}`);
  });

  test("sampling clamps negative counts that stale replicas may hold", async () => {
    const workload = await lda({ documents: 60 });
    const worker = workload.createWorker(placements(3, 2)[0]!, new Rng(9));
    const rows = worker.rowsFor(0)!;
    const values = new Float32Array(rows.length * workload.cols).fill(-3);
    const result = worker.step(0, rows, values);
    assert.ok(result.samples > 0);
    for (const d of result.deltas) assert.ok(Number.isFinite(d));
  });

  test("same seed, same corpus and partition; different seed, different", async () => {
    const a = await lda({ documents: 200 }, 8);
    const b = await lda({ documents: 200 }, 8);
    const c = await lda({ documents: 200 }, 9);
    assert.deepEqual(a.job.corpus.words, b.job.corpus.words);
    assert.deepEqual(a.job.workerDocStart, b.job.workerDocStart);
    assert.deepEqual(a.initParams(), b.initParams());
    assert.notDeepEqual(a.job.corpus.words, c.job.corpus.words);
  });

  test("skewed partition: the stated fraction of each data center's documents is dominated by its own topics", async () => {
    for (const skew of [0.8, 0.3]) {
      const stats = partitionStats(await lda({ documents: 600, partition: "skewed", skew }));
      for (const dc of stats.dataCenters) {
        assert.equal(dc.samples, 200);
        assert.ok(Math.abs(dc.ownFraction - skew) < 0.01, `skew ${skew}: ${JSON.stringify(dc)}`);
      }
    }
  });
});
