// Proves that matrix factorization trains end to end through the simulator: the same small job
// reaches its RMSE target in one data center and across three under ASP, with every trace checker
// holding and every node drained at the end.
import { describe, test } from "node:test";
import { oneDataCenter, runToTarget, threeDataCenters, workersInAll, type SimCase } from "./sim-support.js";

const job: SimCase = {
  workload: "{ kind: mf, users: 400, items: 150, ratings: 8000, rank: 8, batchSize: 200 }",
  target: 0.45,
  maxIterations: 150,
};

describe(`mf (400 users x 150 items, 8000 ratings, rank 8, ${workersInAll} workers) in the simulator`, () => {
  test(`one data center (lan): training RMSE reaches ${job.target}`, async () => {
    await runToTarget(oneDataCenter(job), "minimize");
  });

  test(`three data centers (ASP, virginia/frankfurt/tokyo): training RMSE reaches ${job.target}; checkers hold`, async () => {
    await runToTarget(threeDataCenters(job), "minimize");
  });
});
