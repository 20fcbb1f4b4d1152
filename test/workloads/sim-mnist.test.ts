// Proves that MNIST softmax regression (TensorFlow.js) trains end to end through the simulator: the
// same small job reaches its held-out loss target in one data center and across three under ASP,
// with every trace checker holding; and that the scenario's `workload.backend` picks the
// TensorFlow.js backend the run computes on, cpu and wasm giving the same objective up to rounding.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseScenarioText, runSimulation } from "@gaia/sim";
import { loadTf } from "@gaia/workloads";
import { oneDataCenter, runToTarget, threeDataCenters, workersInAll, type SimCase } from "./sim-support.js";

const workload = (backend: string): string => `{ kind: mnist, model: softmax, train: 600, test: 200, batchSize: 32, learningRate: 0.1, backend: ${backend} }`;

const job: SimCase = { workload: workload("wasm"), target: 0.6, maxIterations: 120 };

describe(`mnist softmax (600 training digits, ${workersInAll} workers) in the simulator`, () => {
  test(`one data center (lan): held-out cross-entropy reaches ${job.target}`, async () => {
    await runToTarget(oneDataCenter(job), "minimize");
  });

  test(`three data centers (ASP, virginia/frankfurt/tokyo): held-out cross-entropy reaches ${job.target}; checkers hold`, async () => {
    await runToTarget(threeDataCenters(job), "minimize");
  });

  test("workload.backend is honoured: cpu and wasm runs compute on their backend and end within 1% of each other", async () => {
    const tf = await loadTf();
    const final: Record<string, number> = {};
    for (const backend of ["cpu", "wasm"]) {
      const text = `name: backend-${backend}\nseed: 3\ntopology: { preset: ec2-11, dataCenters: [virginia, frankfurt, tokyo], machinesPerDataCenter: 1 }\nworkload: ${workload(backend)}\nsync: { model: asp }\nstop: { maxIterations: 20, evalEvery: 10 }\n`;
      const result = await runSimulation(parseScenarioText(text, `backend-${backend}.yaml`));
      // The workload switches tfjs's process-global backend to its own before every step and evaluation.
      assert.equal(tf.getBackend(), backend);
      for (const [name, verdict] of Object.entries(result.summary.checks)) assert.equal(verdict, null, `${backend}: checker ${name}: ${verdict}`);
      final[backend] = result.summary.objective;
    }
    const { cpu, wasm } = final as { cpu: number; wasm: number };
    assert.ok(Math.abs(cpu - wasm) <= 0.01 * Math.abs(cpu), `loss on cpu ${cpu} vs wasm ${wasm}`);
  });
});
