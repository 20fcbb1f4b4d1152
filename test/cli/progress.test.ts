// Proves that the progress bar measures the nearest stop condition (iterations, time or the
// objective's way to its target), names it with its target, and that the ETA follows the rate;
// that on a plateau of the objective the ETA is the iterations' and counts down; that the fraction
// is the largest of the conditions' from first to last and never goes back; that the first ETA
// leaves start-up out; that the objective is shown once; that at 80 columns the line fits with its
// ETA whole; and that the summary wraps at spaces.
import { test } from "node:test";
import assert from "node:assert/strict";
import { etaS, parseFieldPath, progressLine, ProgressTracker, stopFractions, stopProgress, summaryText } from "@gaia/cli";
import { formatSummaryTable, type RunSummary } from "@gaia/sim";

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

test("on a plateau the ETA is the iterations', counting down, not the objective's stale one", () => {
  const tracker = new ProgressTracker(stop, "virtual", "rmse");
  // 10 iterations a second; the objective covers 93% of its way in 100 iterations, then stays.
  let last = null as ReturnType<ProgressTracker["update"]> | null;
  const etas: number[] = [];
  for (let k = 1; k <= 250; k++) {
    const iteration = k;
    const objective = k <= 100 ? 1.0 - (0.7 * 0.93 * k) / 100 : 1.0 - 0.7 * 0.93;
    last = tracker.update({ timeS: k, iteration, objective }, k / 10);
    if (k > 150 && last.etaS !== null) etas.push(last.etaS);
    if (k === 200) {
      const truth = (300 - 200) / 10;
      assert.ok(last.etaS !== null && Math.abs(last.etaS - truth) / truth < 0.1, `ETA ${last.etaS} s, truly ${truth} s`);
    }
  }
  assert.ok(etas.length > 50);
  for (let i = 1; i < etas.length; i++) assert.ok(etas[i]! <= etas[i - 1]! + 1e-9, "the ETA counts down on the plateau");
  // The bar is the larger fraction: the objective's 93% until the iterations pass it.
  const firstObjective = 1.0 - (0.7 * 0.93) / 100;
  assert.ok(Math.abs(last!.fraction - (firstObjective - (1.0 - 0.7 * 0.93)) / (firstObjective - 0.3)) < 1e-9);
  assert.ok(Math.abs(tracker.update({ timeS: 290, iteration: 290, objective: 0.349 }, 29).fraction - 290 / 300) < 1e-9);
});

test("the fraction is the largest condition's from first update to last, and never goes back", () => {
  const tracker = new ProgressTracker(stop, "virtual", "rmse");
  let previous = 0;
  for (let k = 0; k <= 60; k++) {
    // The objective lags the iterations, then overtakes them, then steps back once.
    const objective = k === 45 ? 0.8 : 1.0 - 0.7 * Math.pow(k / 60, 0.7);
    const point = { timeS: k, iteration: k * 5, objective };
    const expected = Math.max(...stopFractions(stop, point, 1.0).values());
    const state = tracker.update(point, k);
    assert.ok(state.fraction >= previous, `step ${k}: ${state.fraction} after ${previous}`);
    assert.ok(Math.abs(state.fraction - Math.max(previous, expected)) < 1e-12, `step ${k}: the largest fraction`);
    previous = state.fraction;
  }
});

test("the first ETA leaves start-up out, and waits for a few updates", () => {
  const tracker = new ProgressTracker({ ...stop, targetObjective: null }, "virtual", "rmse");
  // 10 s of start-up before the first update, then 5 iterations a second to 300.
  const etas: (number | null)[] = [];
  for (let k = 0; k < 50; k++) etas.push(tracker.update({ timeS: k, iteration: 5 * (k + 1), objective: 1 }, 10 + k).etaS);
  assert.equal(etas[0], null);
  assert.equal(etas[1], null);
  const first = etas.findIndex((e) => e !== null);
  assert.ok(first >= 2);
  const truth = (300 - 5 * (first + 1)) / 5;
  assert.ok(Math.abs(etas[first]! - truth) / truth < 0.15, `first ETA ${etas[first]} s, truly ${truth} s`);
});

test("the line names the objective once, with its target, and fits 80 columns with its ETA whole", () => {
  const tracker = new ProgressTracker(stop, "virtual", "rmse");
  for (let k = 1; k <= 5; k++) tracker.update({ timeS: k, iteration: 10 * k, objective: 1 - k / 20 }, k);
  const state = tracker.update({ timeS: 1234.5, iteration: 120, objective: 0.41 }, 6);
  const wide = progressLine({ label: "mf-ec2-11 asp", ...state }, 200);
  assert.equal(wide.match(/0\.4100/g)?.length, 1, wide);
  assert.equal(wide.match(/rmse/g)?.length, 1, wide);
  assert.match(wide, /rmse 0\.4100 -> 0\.3000/);
  assert.match(wide, /iteration 120\/300/);
  for (const columns of [80, 60, 40, 30]) {
    const line = progressLine({ label: "mf-streaming-diloco-ec2-11 diloco", ...state }, columns);
    assert.ok(line.length <= columns - 1, `${columns} columns: ${line.length}: ${line}`);
    assert.match(line, /ETA \d[^|]*$/, `${columns} columns: the ETA is whole: ${line}`);
    assert.match(line, /\d+%/);
  }
  // At 80 columns the objective stays; the label goes first.
  const at80 = progressLine({ label: "mf-streaming-diloco-ec2-11 diloco", ...state }, 80);
  assert.match(at80, /rmse 0\.4100 -> 0\.3000/);
  // Before the first update it says what it does, and still ends with the ETA.
  const starting = progressLine({ label: "mf-ec2-11", fraction: 0, iteration: null, time: null, objective: null, etaS: null, status: "starting: mf, 11 data centers, asp: setting up, then training to iteration 5 of a long run" }, 80);
  assert.ok(starting.length <= 79);
  assert.match(starting, /starting: mf, 11 data centers/);
  assert.match(starting, /ETA -$/);
});

test("the summary wraps at spaces to the terminal's width", () => {
  const summary = {
    name: "mf-ec2-11", seed: 42, sync: "asp", workload: "mf", topology: "ec2-11", virtualTimeS: 14.7, iterations: 111, objective: 0.7397, objectiveName: "rmse", targetObjective: 0.75, reachedTarget: true, timeToTargetS: 13.9, wanBytes: 193e6, costUsd: 0.009, blockedS: { ssp: 0.01, mirrorClock: 297, barrier: 4.48 }, traceHash: "288a2cab3f2fcc5b", wanBytesByLink: {}, events: 63147, stoppedBy: "target",
    checks: { "bsp-lockstep": null, "mirror-clock-bound": null, "selective-barrier": null, conservation: null, significance: null, "no-remote-errors": null }, wallTimeS: 55.7,
  } as RunSummary;
  const plain = formatSummaryTable(summary);
  const wrapped = formatSummaryTable(summary, 80);
  const lines = wrapped.split("\n");
  for (const line of lines) assert.ok(line.length <= 79, `${line.length}: ${line}`);
  assert.ok(lines.length > plain.split("\n").length, "a long value took more than one line");
  // No word is broken: the words of every row are the same, in the same order.
  assert.deepEqual(wrapped.split(/\s+/), plain.split(/\s+/));
  const checks = lines.findIndex((l) => l.startsWith("checks"));
  assert.match(lines[checks + 1]!, /^ {20,}\S/, "a continuation is indented under the value");
});

test("simulate's and launch's summary, with the files written, fit the terminal; a pipe gets them whole", () => {
  const summary = {
    name: "local-3dc", seed: 42, sync: "asp", workload: "mf", topology: "local-3dc", virtualTimeS: 3.1, iterations: 72, objective: 0.47, objectiveName: "rmse", targetObjective: 0.48, reachedTarget: true, timeToTargetS: 3.0, wanBytes: 2e6, costUsd: 0.0001, blockedS: { ssp: 0, mirrorClock: 1, barrier: 0.5 }, traceHash: "", wanBytesByLink: {}, events: 0, stoppedBy: "target",
    checks: { "bsp-lockstep": null, "mirror-clock-bound": null, "selective-barrier": null, conservation: null, significance: null, "no-remote-errors": null }, wallTimeS: 9.3,
  } as RunSummary;
  const files = ["metrics.jsonl", "metrics.csv", "summary.json", "report.html"].map((f) => `runs/launch-local-3dc-asp-20261207-122334/${f}`);
  const fitted = summaryText(summary, files, 80);
  for (const line of fitted.split("\n")) assert.ok(line.length <= 79, `${line.length}: ${line}`);
  assert.deepEqual(fitted.split(/\s+/).filter(Boolean), summaryText(summary, files, undefined).split(/\s+/).filter(Boolean), "no word broken or lost");
  const piped = summaryText(summary, files, undefined).trimEnd().split("\n").at(-1)!;
  assert.equal(piped, `wrote ${files.join(", ")}`, "unwrapped on a pipe, every file named");
});
