// The memory estimate made from a scenario alone (before the workload is built) matches the
// protocol state the roles of a real run hold (summary.memory.protocolStateBytes) within 20%, for
// every sync model and each table-backed workload: replicas, significance accumulators, hub
// residuals (lossy encoding through hubs), DiLoCo's outer state and SSP caches. And tableShape
// gives the shape the built workload has. The limit is the flag's, the variable's, or the smaller of
// the machine's memory and the cgroup's; the 100-million-user DiLoCo run is refused.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { cgroupMemoryLimit, estimateMemory, memoryLimit, memoryProblem, parseScenarioText, runSimulation } from "@gaia/sim";
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

describe("memory: the limit and the refusal", () => {
  const noGroup = (): null => null;
  test("the limit: --max-memory, else GAIA_MAX_MEMORY, else the smaller of the machine's and the cgroup's", () => {
    assert.deepEqual(memoryLimit("8GiB", { GAIA_MAX_MEMORY: "1TB" }, noGroup), { bytes: 8 * 2 ** 30, source: "--max-memory" });
    assert.deepEqual(memoryLimit(undefined, { GAIA_MAX_MEMORY: "512MB" }, noGroup), { bytes: 512e6, source: "GAIA_MAX_MEMORY" });
    assert.deepEqual(memoryLimit(undefined, {}, noGroup), { bytes: totalmem(), source: "this machine's memory" });
    assert.deepEqual(memoryLimit(undefined, {}, () => 1e9), { bytes: 1e9, source: "this process's cgroup memory limit" });
    assert.equal(memoryLimit(undefined, {}, () => totalmem() * 2).source, "this machine's memory", "a cgroup limit above the machine's memory is no limit");
    assert.throws(() => memoryLimit(undefined, { GAIA_MAX_MEMORY: "lots" }, noGroup), /GAIA_MAX_MEMORY: expected bytes/);
  });

  test("the cgroup's limit: v2 memory.max, else v1 memory.limit_in_bytes; max and v1's unlimited are none", () => {
    const files = (entries: Record<string, string>) => (path: string) => entries[path] ?? null;
    assert.equal(cgroupMemoryLimit(files({ "/sys/fs/cgroup/memory.max": "4294967296\n" })), 4294967296);
    assert.equal(cgroupMemoryLimit(files({ "/sys/fs/cgroup/memory.max": "max\n" })), null);
    assert.equal(cgroupMemoryLimit(files({ "/sys/fs/cgroup/memory/memory.limit_in_bytes": "2147483648\n" })), 2147483648);
    assert.equal(cgroupMemoryLimit(files({ "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n" })), null);
    assert.equal(cgroupMemoryLimit(files({})), null);
  });

  test("100 million users under DiLoCo on ec2-11: refused with the estimate, its largest parts and what to change; 4000 users fit", () => {
    const text = readFileSync(new URL("../../scenarios/mf-diloco-ec2-11.yaml", import.meta.url), "utf8");
    const big = parseScenarioText(text.replace("users: 4000", "users: 100000000"), "mf-diloco-ec2-11.yaml");
    const limit = { bytes: 64e9, source: "GAIA_MAX_MEMORY" };
    const e = estimateMemory(big);
    // 100,001,000 rows x 16 columns x 4 bytes a replica, one per data center of 11.
    assert.equal(e.tableBytes, 100_001_000 * 16 * 4);
    assert.equal(e.state.replicas, 11 * e.tableBytes);
    const problem = memoryProblem(big, e, limit);
    assert.ok(problem !== null);
    assert.match(problem, /^the run needs about 6\d\d GB of memory, more than 64\.0 GB \(GAIA_MAX_MEMORY\):\n {2}[\d.]+ GB {2}accumulators: .*\n {2}70\.4 GB {2}replicas: .*\n.*\n {2}to fit: reduce workload\.users or the data centers/);
    const small = parseScenarioText(text, "mf-diloco-ec2-11.yaml");
    assert.equal(memoryProblem(small, estimateMemory(small), limit), null);
  });
});
