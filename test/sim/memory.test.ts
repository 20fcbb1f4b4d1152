// The memory estimate made from a scenario alone (before the workload is built) matches the
// protocol state the roles of a real run hold (summary.memory.protocolStateBytes) within 20%, for
// every sync model and each table-backed workload: replicas, significance accumulators, hub
// residuals (lossy encoding through hubs), DiLoCo's outer state and SSP caches. And tableShape
// gives the shape the built workload has.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { estimateMemory, parseScenarioText, runSimulation } from "@gaia/sim";
import { createWorkload, dataBytes, tableShape } from "@gaia/workloads";

const workloads = {
  mf: "{ kind: mf, users: 3000, items: 500, ratings: 6000, rank: 8, batchSize: 200 }",
  lda: "{ kind: lda, documents: 400, vocabulary: 2000, topics: 6, docLength: 30, batchSize: 40, heldOutDocuments: 10, beta: 1 }", // beta 1: every word occurs, so every accumulator is touched
} as const;

const syncs = {
  lan: "{ model: lan }",
  bsp: "{ model: bsp }",
  ssp: "{ model: ssp, staleness: 2 }",
  asp: "{ model: asp, significance: { threshold: auto, encoding: int8 } }",
  "asp-hubs": "{ model: asp, significance: { threshold: 0.01, encoding: int8 }, hubs: auto }",
  diloco: "{ model: diloco, withinDataCenter: bsp, diloco: { localClocks: 3, outerOptimizer: nesterov, outerLearningRate: 0.7, momentum: 0.9, encoding: int8 } }",
} as const;

const scenarioText = (workload: string, sync: string, preset: string): string =>
  `name: mem\nseed: 3\ntopology: { preset: ${preset}, machinesPerDataCenter: 2 }\nworkload: ${workload}\nsync: ${sync}\ncompute: { msPerSample: 0.01 }\nstop: { maxIterations: 10, evalEvery: 5 }\n`;

describe("memory: the estimate matches the measured protocol state", () => {
  for (const [kind, workload] of Object.entries(workloads)) {
    for (const [name, sync] of Object.entries(syncs)) {
      test(`${kind} under ${name}: within 20%`, async () => {
        const preset = name === "asp-hubs" ? "ec2-11" : "virginia-california";
        const scenario = parseScenarioText(scenarioText(workload, sync, preset), "mem.yaml");
        const estimate = estimateMemory(scenario);
        const r = await runSimulation(scenario, { recordTrace: false });
        const m = r.summary.memory!;
        assert.ok(m.protocolStateBytes > 0);
        const ratio = estimate.state.total / m.protocolStateBytes;
        assert.ok(ratio >= 0.8 && ratio <= 1.2, `estimate ${estimate.state.total} B vs measured ${m.protocolStateBytes} B (x${ratio.toFixed(3)}): ${JSON.stringify(estimate.state)}`);
        // The driver's own estimate (from the built layout) is the same figure.
        assert.equal(m.estimatedStateBytes, estimate.state.total);
        if (name === "asp-hubs") assert.ok(estimate.state.residuals > 0, "hubs with int8 keep residuals");
        if (name === "ssp") assert.ok(estimate.state.caches > estimate.state.replicas, "every worker caches the table");
        assert.ok(m.peakRssBytes > m.protocolStateBytes);
      });
    }
  }
});

describe("memory: shapes from the section alone", () => {
  const ctx = { seed: 1, dataCenters: ["a", "b"], workersPerDataCenter: 2 };
  for (const spec of [
    { kind: "mf", users: 70, items: 30, ratings: 500, rank: 5 },
    { kind: "lda", documents: 20, vocabulary: 90, topics: 4, docLength: 10 },
    { kind: "mnist", model: "softmax", train: 50, test: 20, backend: "cpu", cols: 100 },
    { kind: "mnist", model: "mlp", hidden: 13, train: 50, test: 20, backend: "cpu", cols: 64 },
    { kind: "mnist", model: "cnn", train: 50, test: 20, backend: "cpu" },
  ]) {
    test(`${spec.kind} ${"model" in spec ? spec.model : ""}: tableShape is the built workload's rows x cols`, async () => {
      const w = await createWorkload(spec, ctx);
      const shape = tableShape(spec);
      assert.deepEqual([shape.rows, shape.cols], [w.rows, w.cols]);
      assert.ok(dataBytes(spec, 4) > 0);
    });
  }

  test("mf ratings count 12 bytes each", () => {
    const base = { kind: "mf", users: 100, items: 100, rank: 4 };
    assert.equal(dataBytes({ ...base, ratings: 2_000_000, evalSamples: 3_000_000 }, 1) - dataBytes({ ...base, ratings: 1_000_000, evalSamples: 3_000_000 }, 1), 12_000_000);
  });
});
