// Proves that LDA (collapsed Gibbs sampling) trains end to end through the simulator: the same
// small corpus reaches its held-out log-likelihood target in one data center and across three
// under ASP, with every trace checker holding and every node drained at the end.
import { describe, test } from "node:test";
import { oneDataCenter, runToTarget, threeDataCenters, workersInAll, type SimCase } from "./sim-support.js";

const job: SimCase = {
  workload: "{ kind: lda, documents: 300, vocabulary: 300, topics: 5, docLength: 40, batchSize: 10, heldOutDocuments: 50 }",
  target: -2.7,
  maxIterations: 100,
};

describe(`lda (300 documents, 300 words, 5 topics, ${workersInAll} workers) in the simulator`, () => {
  test(`one data center (lan): held-out log-likelihood per token reaches ${job.target}`, async () => {
    await runToTarget(oneDataCenter(job), "maximize");
  });

  test(`three data centers (ASP, virginia/frankfurt/tokyo): held-out log-likelihood per token reaches ${job.target}; checkers hold`, async () => {
    await runToTarget(threeDataCenters(job), "maximize");
  });
});
