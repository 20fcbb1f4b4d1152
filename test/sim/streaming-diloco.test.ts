// Streaming DiLoCo (sync.diloco.fragments F) in the simulator. Proves that cutting each shard into
// F fragments that sync at staggered clocks spreads the exchange (the peak WAN bytes of one clock
// fall by about F, the total bytes stay about the same), that every fragment's global state is
// identical in every data center after each of its rounds (the outer-step checker, per fragment),
// that a run is deterministic although rounds overlap with compute (the merge point is a clock),
// that a partition or a crash at a fragment's round only delays it, and that F = 1 is the blocking
// protocol, event for event.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createToyWorkload, parseScenarioText, runSimulation, type SimulationResult } from "@gaia/sim";
import type { DilocoConfig } from "@gaia/core";
import { miniScenario, type MiniOptions } from "./scenarios.js";
import { rejectsAt } from "../support/scenario-errors.js";

const diloco = (over: Partial<DilocoConfig> = {}): DilocoConfig => ({ localClocks: 8, outerOptimizer: "nesterov", outerLearningRate: 0.7, momentum: 0.9, reduce: "mean", encoding: "f32", keptFraction: 0.1, ...over });

// A fast network (1 ms, 1 Gb/s) and 16 ms clocks: an exchange fits in the clocks it overlaps with,
// so the per-clock bytes show the schedule, not the waits. 1024 x 8 parameters, so a fragment's
// round is mostly payload, not frame headers.
const fast: MiniOptions = { maxIterations: 40, msPerSample: 2, latencyMs: 1, bandwidthMbps: 1000, jitter: 0 };

const run = (o: MiniOptions, config: DilocoConfig): Promise<SimulationResult> => {
  const base = miniScenario({ ...o, model: "diloco" });
  return runSimulation({ ...base, sync: { ...base.sync, diloco: config } }, { workload: createToyWorkload({ seed: o.seed ?? 1, rows: 1024, cols: 8 }), recordTrace: true });
};

const assertHealthy = (r: SimulationResult): void => {
  assert.ok("outer-step-identical" in r.summary.checks);
  for (const [name, verdict] of Object.entries(r.summary.checks)) assert.equal(verdict, null, `${name}: ${verdict}`);
  assert.equal(r.stats.drained, true, "run drained");
};

const outerSteps = (r: SimulationResult) => r.trace!.filter((e) => e.type === "outer-step") as unknown as { shard: string; round: number; fragment?: number }[];

describe("streaming diloco: fragments at staggered clocks", () => {
  test("F = 4 against F = 1: peak bytes per clock fall about 4x, total bytes about the same, rounds per fragment, same seed same hash", async () => {
    const one = await run(fast, diloco());
    const four = await run(fast, diloco({ fragments: 4 }));
    const again = await run(fast, diloco({ fragments: 4 }));
    assertHealthy(one);
    assertHealthy(four);
    const peakRatio = one.stats.wanBytesPeakPerClock / four.stats.wanBytesPeakPerClock;
    assert.ok(peakRatio > 3, `peak per clock: F=1 ${one.stats.wanBytesPeakPerClock} B, F=4 ${four.stats.wanBytesPeakPerClock} B (${peakRatio.toFixed(2)}x)`);
    const totalRatio = four.summary.wanBytes / one.summary.wanBytes;
    assert.ok(totalRatio > 0.9 && totalRatio < 1.15, `total: F=1 ${one.summary.wanBytes} B, F=4 ${four.summary.wanBytes} B`);
    // 3 data centers x 2 shards x 4 fragments x 5 rounds (4 at clocks 8k + 2p, the last one at the end).
    const steps = outerSteps(four);
    assert.equal(steps.length, 3 * 2 * 4 * 5);
    assert.deepEqual([...new Set(steps.map((e) => e.fragment))].sort(), [0, 1, 2, 3]);
    assert.ok(outerSteps(one).every((e) => e.fragment === undefined), "F = 1 names no fragment");
    assert.ok(four.summary.objective < four.series[0]!.objective, "the objective improves");
    assert.equal(four.summary.traceHash, again.summary.traceHash);
  });

  test("F = 1 given explicitly is the blocking protocol: the same trace hash as without fragments", async () => {
    const without = await run(fast, diloco());
    const explicit = await run(fast, diloco({ fragments: 1, overlapClocks: 0 }));
    assert.equal(explicit.summary.traceHash, without.summary.traceHash);
  });

  test("sgd with rate 1 and reduce sum, F = 4: the merge keeps the overlapped steps, so every replica equals initial + every push", async () => {
    const r = await run(fast, diloco({ fragments: 4, outerOptimizer: "sgd", outerLearningRate: 1, momentum: 0, reduce: "sum", encoding: "int8" }));
    assertHealthy(r); // conservation checks initial + every push under a plain sum
  });

  test("overlap: with F = 4 reads wait less for outer steps than with F = 1", async () => {
    const slow: MiniOptions = { maxIterations: 40, msPerSample: 2, latencyMs: 5, bandwidthMbps: 200, jitter: 0 };
    const one = await run(slow, diloco());
    const four = await run(slow, diloco({ fragments: 4, overlapClocks: 8 }));
    assertHealthy(four);
    assert.ok((four.summary.blockedS.outerStep ?? 0) < (one.summary.blockedS.outerStep ?? 0) / 2, `blocked on outer step: F=1 ${one.summary.blockedS.outerStep} worker-s, F=4 ${four.summary.blockedS.outerStep}`);
  });
});

describe("streaming diloco: faults at a fragment's round (the wait rule)", () => {
  test("a data center partitioned across fragment boundaries: the rounds wait, nothing is lost, every checker holds", async () => {
    const base = { ...fast, msPerSample: 0.5 };
    const clean = await run(base, diloco({ fragments: 4 }));
    const atS = clean.summary.virtualTimeS / 4;
    const r = await run({ ...base, faults: [{ kind: "isolate", atS, forS: 3, dataCenter: "b" }] }, diloco({ fragments: 4 }));
    assertHealthy(r);
    assert.ok(r.summary.virtualTimeS > clean.summary.virtualTimeS + 2, `the partition delayed the run (${clean.summary.virtualTimeS} s -> ${r.summary.virtualTimeS} s)`);
    assert.equal(outerSteps(r).length, outerSteps(clean).length, "every fragment's rounds happened");
  });

  test("a shard crashed mid-run resumes and every fragment's rounds complete everywhere", async () => {
    const r = await run({ ...fast, msPerSample: 0.5, faults: [{ kind: "crash", atS: 0.05, node: "c/s1", restartAfterS: 2 }] }, diloco({ fragments: 2 }));
    assertHealthy(r);
    assert.equal(r.stats.crashes, 1);
    assert.equal(outerSteps(r).length, 3 * 2 * 2 * 5);
  });
});

describe("streaming diloco: scenario keys", () => {
  const file = (diloco: string): string => `topology:\n  preset: virginia-california\nworkload:\n  kind: mf\nsync:\n  model: diloco\n${diloco}stop:\n  maxIterations: 10\n`;

  test("fragments and overlapClocks are read; F = 1 normalizes as before", () => {
    assert.deepEqual(parseScenarioText(file("  diloco: { localClocks: 20, fragments: 4 }\n"), "d.yaml").sync.diloco?.fragments, 4);
    assert.equal(parseScenarioText(file("  diloco: { localClocks: 20, fragments: 4, overlapClocks: 20 }\n"), "d.yaml").sync.diloco?.overlapClocks, 20);
    assert.equal("fragments" in parseScenarioText(file("  diloco: { localClocks: 20, fragments: 1 }\n"), "d.yaml").sync.diloco!, false);
  });

  const rejects = (text: string, path: string, line: number, includes: string): void => rejectsAt(text, "d.yaml", path, line, includes);

  test("bad values name the file, line and path", () => {
    rejects(file("  diloco:\n    localClocks: 4\n    fragments: 5\n"), "sync.diloco.fragments", 9, "at most localClocks (4)");
    rejects(file("  diloco:\n    fragments: 0\n"), "sync.diloco.fragments", 8, ">= 1");
    rejects(file("  diloco:\n    fragments: 2.5\n"), "sync.diloco.fragments", 8, "integer");
    rejects(file("  diloco:\n    localClocks: 10\n    overlapClocks: 11\n"), "sync.diloco.overlapClocks", 9, "at most localClocks (10)");
  });
});
