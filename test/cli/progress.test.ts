// Proves that the progress bar measures the nearest stop condition (iterations, time or the
// objective's way to its target), names it with its target, and that the ETA follows the rate.
import { test } from "node:test";
import assert from "node:assert/strict";
import { etaS, parseFieldPath, stopProgress } from "@gaia/cli";

const stop = { maxIterations: 300, maxVirtualTimeS: 7200, targetObjective: 0.3, evalEvery: 5 };

test("progress goes to the nearest stop condition, with its target", () => {
  // The objective has covered 90% of its way from 1.0 to 0.3 while only 57% of the iterations ran.
  const near = stopProgress(stop, { timeS: 10, iteration: 170, objective: 0.37 }, 1.0, "virtual", "rmse");
  assert.ok(Math.abs(near.fraction - 0.9) < 1e-9);
  assert.equal(near.nearest, "rmse 0.3700 -> 0.3000");
  const early = stopProgress(stop, { timeS: 10, iteration: 150, objective: 0.9 }, 1.0, "virtual", "rmse");
  assert.equal(early.nearest, "iteration 150/300");
  assert.equal(early.fraction, 0.5);
  const timed = stopProgress({ ...stop, maxIterations: null, targetObjective: null, maxVirtualTimeS: 60 }, { timeS: 45, iteration: 3, objective: null }, null, "wall", "rmse");
  assert.equal(timed.nearest, "wall 45.0 s/1m 00s");
  assert.equal(timed.fraction, 0.75);
  // A maximized objective (LDA's log-likelihood) counts the same way.
  const up = stopProgress({ ...stop, targetObjective: -3.25 }, { timeS: 1, iteration: 10, objective: -3.5 }, -4.5, "virtual", "loglik");
  assert.equal(up.fraction, 1 / 1.25);
  // Overshoot and a step backwards stay in [0, 1].
  assert.equal(stopProgress(stop, { timeS: 1, iteration: 1, objective: 0.2 }, 1.0, "virtual", "rmse").fraction, 1);
  const back = stopProgress({ ...stop, maxVirtualTimeS: null }, { timeS: 1, iteration: 0, objective: 1.2 }, 1.0, "virtual", "rmse");
  assert.equal(back.fraction, 0);
});

test("the ETA follows the rate so far, and waits for one", () => {
  assert.equal(etaS(0.25, 10), 30);
  assert.equal(etaS(0, 10), null);
  assert.equal(etaS(0.5, 0.1), null);
});

test("--set paths", () => {
  assert.deepEqual(parseFieldPath("faults[0].for"), ["faults", 0, "for"]);
  assert.deepEqual(parseFieldPath("stop.maxIterations"), ["stop", "maxIterations"]);
  for (const bad of ["", "a.", ".a", "a..b", "[0]", "a b"]) assert.throws(() => parseFieldPath(bad), /not a field path/, bad);
});
