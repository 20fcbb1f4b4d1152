// Proves that a run's figures are read at one stated moment: time to target and WAN bytes to target
// come from the same evaluation, so the traffic sent after the target (while the workers stop and
// the network drains) is not counted against it; the end of the run is reported apart, as such.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { loadScenarioAsync, ratioTable, runSimulation, summaryRows, type MetricsPoint, type RunResult, type RunSummary } from "@gaia/sim";

const blockedS = { ssp: 0, mirrorClock: 0, barrier: 0 };
const point = (timeS: number, iteration: number, objective: number, wanBytes: number): MetricsPoint => ({ virtualTimeS: timeS, iteration, objective, metrics: {}, wanBytes, costUsd: wanBytes / 1e9, blockedS });

/** A run that reaches its target at `target` and ends at `end` (each [timeS, iteration, objective, wanBytes]). */
function run(sync: string, target: [number, number, number, number], end: [number, number, number, number]): RunResult {
  const at = point(...target);
  const last = point(...end);
  const summary: RunSummary = {
    name: "two moments", seed: 1, sync, workload: "mf", topology: "virginia-california",
    virtualTimeS: last.virtualTimeS, clock: "virtual", iterations: last.iteration, objective: last.objective, objectiveName: "rmse",
    targetObjective: 0.75, reachedTarget: true, timeToTargetS: at.virtualTimeS,
    atTarget: { iteration: at.iteration, timeS: at.virtualTimeS, objective: at.objective, wanBytes: at.wanBytes, costUsd: at.costUsd, blockedS },
    atEnd: { iteration: last.iteration, timeS: last.virtualTimeS, objective: last.objective, wanBytes: last.wanBytes, costUsd: last.costUsd, blockedS },
    wanBytes: last.wanBytes, costUsd: last.costUsd, blockedS, traceHash: "", wanBytesByLink: {}, events: 0, stoppedBy: "target", diverged: null, checks: {}, wallTimeS: 0,
  };
  return { summary, series: [at, last] };
}

describe("figures at one moment", () => {
  // mf-ec2-11's figures (seed 42): ASP reaches the target at 13.95 s with 149.0 MB sent, then sends 44 MB more while it stops.
  const bsp = run("bsp", [38.49, 110, 0.733, 240_990_900], [38.84, 111, 0.731, 242_077_184]);
  const asp = run("asp", [13.95, 110, 0.748, 148_986_848], [14.71, 111, 0.74, 193_168_378]);

  test("ratio table: every run reached the target, so bytes are bytes to target (0.62x, not 0.80x)", () => {
    const table = ratioTable([{ label: "bsp", result: bsp }, { label: "asp", result: asp }]);
    assert.equal(table.moment, "at target");
    const row = table.rows[1]!;
    assert.equal(row.timeS, 13.95);
    assert.equal(row.wanBytes, 148_986_848);
    assert.equal(row.iteration, 110);
    assert.equal(row.wanVsBsp!.toFixed(2), "0.62");
  });

  test("ratio table: a summary written before atTarget existed is read at its series point at timeToTargetS", () => {
    const { atTarget: _dropped, ...old } = asp.summary;
    const table = ratioTable([{ label: "bsp", result: bsp }, { label: "asp", result: { summary: old, series: asp.series } }]);
    assert.equal(table.rows[1]!.wanBytes, 148_986_848);
  });

  test("ratio table: when a run missed the target, every figure is the end's", () => {
    const missed = { ...asp, summary: { ...asp.summary, reachedTarget: false, timeToTargetS: null, atTarget: null } };
    const table = ratioTable([{ label: "bsp", result: bsp }, { label: "asp", result: missed }]);
    assert.equal(table.moment, "at end");
    assert.deepEqual(table.rows.map((r) => r.wanBytes), [242_077_184, 193_168_378]);
  });

  test("summary table: bytes to target and bytes at the end are both shown, each by name; no raw 'diverged null'", () => {
    const rows = new Map(summaryRows(asp.summary));
    assert.equal(rows.get("WAN traffic to target"), "149 MB");
    assert.equal(rows.get("WAN traffic (end of run)"), "193 MB");
    assert.equal(rows.get("time to target"), "13.9 s (iteration 110)");
    assert.equal(rows.has("diverged"), false);
  });

  test("simulator: quickstart's atTarget is the evaluation that reached the target, and the drain after it is only in atEnd", async () => {
    const scenario = await loadScenarioAsync("scenarios/quickstart.yaml");
    const { summary, series } = await runSimulation(scenario);
    assert.equal(summary.traceHash, "5b98706d80650c3d");
    const reached = series.find((p) => p.virtualTimeS === summary.timeToTargetS)!;
    assert.deepEqual(summary.atTarget, { iteration: reached.iteration, timeS: reached.virtualTimeS, objective: reached.objective, wanBytes: reached.wanBytes, costUsd: reached.costUsd, blockedS: reached.blockedS });
    assert.ok(summary.atTarget!.wanBytes < summary.wanBytes, `bytes to target ${summary.atTarget!.wanBytes} < bytes at the end ${summary.wanBytes}`);
    assert.equal(summary.atEnd!.wanBytes, summary.wanBytes);
    assert.equal(summary.atEnd!.timeS, summary.virtualTimeS);
  });
});
