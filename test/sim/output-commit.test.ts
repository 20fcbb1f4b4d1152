/**
 * The simulator models the runtime's output commit for a cluster file with checkpoints on: a
 * shard's or hub's sends leave only once a checkpoint covering them is written
 * (`cluster.checkpoint.commitMs`), sends made during a write going with the next one.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { loadScenario, runSimulation } from "@gaia/sim";

const set = (path: string, value: unknown) => ({ path: path.split("."), value });
const load = (...sets: { path: string[]; value: unknown }[]) => loadScenario("clusters/local-3dc.yaml", { set: [set("stop.maxIterations", 30), set("stop.target.objective", 0.0001), ...sets] });

describe("output commit in the simulator", () => {
  test("only a cluster file with checkpoints on charges it, at its commitMs", () => {
    assert.deepEqual(load().outputCommit, { commitMs: 2.5 });
    assert.deepEqual(load(set("cluster.checkpoint.commitMs", 4)).outputCommit, { commitMs: 4 });
    assert.equal(load(set("cluster.checkpoint.enabled", false)).outputCommit, undefined);
    assert.equal(loadScenario("scenarios/quickstart.yaml").outputCommit, undefined);
  });

  test("every clock pays at least one commit on its critical path, and every check holds", async () => {
    const off = await runSimulation(load(set("cluster.checkpoint.enabled", false)));
    const on = await runSimulation(load(set("cluster.checkpoint.commitMs", 4)));
    assert.equal(on.summary.iterations, 30);
    assert.equal(off.summary.iterations, 30);
    for (const [name, verdict] of Object.entries(on.summary.checks)) assert.equal(verdict, null, `${name}: ${String(verdict)}`);
    // The read reply a worker waits for and the flush a mirror waits for are each held by a write.
    const extraMsPerClock = ((on.summary.virtualTimeS - off.summary.virtualTimeS) * 1000) / 30;
    assert.ok(extraMsPerClock >= 4, `a clock took ${extraMsPerClock.toFixed(2)} ms more with 4 ms commits`);
    assert.ok(extraMsPerClock <= 3 * 4, `a clock took ${extraMsPerClock.toFixed(2)} ms more with 4 ms commits`);
  });
});
