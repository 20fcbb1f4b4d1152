// DiLoCo in the simulator: H local clocks under BSP / SSP in each data center, then one outer
// step everywhere. Proves that every outer step leaves every data center's global state identical
// bit for bit (the outer-step checker, fed by the shards' own hashes), that a plain-sum outer step
// conserves every update, that compression (int8, top-k, both with error feedback) loses nothing
// by the end, that the WAN carries one delta per round instead of one per clock, and that a
// partition or a crash at an outer step only delays it (the "wait" rule).
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createToyWorkload, loadScenario, parseScenarioText, runSimulation, type SimulationResult } from "@gaia/sim";
import type { DilocoConfig } from "@gaia/core";
import { miniScenario, type MiniOptions } from "./scenarios.js";
import { rejectsAt } from "../support/scenario-errors.js";

const diloco = (over: Partial<DilocoConfig> = {}): DilocoConfig => ({ localClocks: 5, outerOptimizer: "nesterov", outerLearningRate: 0.7, momentum: 0.9, reduce: "mean", encoding: "f32", keptFraction: 0.1, ...over });

const run = (o: MiniOptions, config: DilocoConfig, extra: { recordTrace?: boolean } = {}): Promise<SimulationResult> => {
  const base = miniScenario({ ...o, model: "diloco" });
  return runSimulation({ ...base, sync: { ...base.sync, diloco: config } }, { workload: createToyWorkload({ seed: o.seed ?? 1 }), ...extra });
};

const assertHealthy = (r: SimulationResult): void => {
  for (const [name, verdict] of Object.entries(r.summary.checks)) assert.equal(verdict, null, `${name}: ${verdict}`);
  assert.equal(r.stats.drained, true, "run drained");
};

const outerSteps = (r: SimulationResult) => r.trace!.filter((e) => e.type === "outer-step");

describe("diloco: outer rounds", () => {
  test("nesterov, H = 5, 22 clocks: 5 rounds (the last one partial), identical global state after each", async () => {
    const r = await run({ maxIterations: 22 }, diloco(), { recordTrace: true });
    assertHealthy(r);
    assert.ok("outer-step-identical" in r.summary.checks && "bsp-lockstep" in r.summary.checks);
    const steps = outerSteps(r);
    // 3 data centers x 2 shards x 5 rounds.
    assert.equal(steps.length, 3 * 2 * 5);
    assert.ok(r.series[r.series.length - 1]!.objective < r.series[0]!.objective, "the objective improves");
    // Nothing but outer deltas (to each segment's leader) and the leaders' updates crosses the WAN.
    const wanKinds = new Set(r.trace!.filter((e) => e.type === "deliver" && e.from.split("/")[0] !== e.to.split("/")[0]).map((e) => (e as { kind: string }).kind));
    assert.deepEqual([...wanKinds].sort(), ["outer-delta", "outer-update"]);
  });

  test("sgd with rate 1 and reduce sum is a plain sum: every replica equals initial + every push", async () => {
    const r = await run({ maxIterations: 20, staleness: 1 }, diloco({ outerOptimizer: "sgd", outerLearningRate: 1, momentum: 0, reduce: "sum" }));
    assertHealthy(r);
    assert.ok("ssp-bound" in r.summary.checks);
  });

  for (const encoding of ["int8", "topk"] as const) {
    test(`${encoding} with error feedback: fewer WAN bytes than f32, and a plain sum still conserves every update`, async () => {
      const plain = diloco({ outerOptimizer: "sgd", outerLearningRate: 1, momentum: 0, reduce: "sum" });
      const exact = await run({ maxIterations: 20 }, plain);
      const packed = await run({ maxIterations: 20 }, { ...plain, encoding, keptFraction: 0.05 });
      assertHealthy(packed);
      assert.ok(packed.summary.wanBytes < exact.summary.wanBytes, `${encoding} ${packed.summary.wanBytes} B vs f32 ${exact.summary.wanBytes} B`);
    });
  }

  test("a larger H sends fewer WAN bytes; the same seed gives the same trace hash", async () => {
    const h2 = await run({ maxIterations: 20 }, diloco({ localClocks: 2 }));
    const h10 = await run({ maxIterations: 20 }, diloco({ localClocks: 10 }));
    const again = await run({ maxIterations: 20 }, diloco({ localClocks: 10 }));
    assertHealthy(h10);
    assert.ok(h10.summary.wanBytes * 3 < h2.summary.wanBytes, `H=10 ${h10.summary.wanBytes} B vs H=2 ${h2.summary.wanBytes} B`);
    assert.equal(h10.summary.traceHash, again.summary.traceHash);
  });
});

describe("diloco: data centers that finish at different rounds", () => {
  test("a stop mid-round: the slow regions' last round is partial, the fast region's comes later alone, and every region ends identical", async () => {
    const r = await run({ maxIterations: null, maxVirtualTimeS: 3.2, msPerSample: 5, latencyMs: 1, bandwidthMbps: 1000, speeds: { a: 4 }, jitter: 0 }, diloco(), { recordTrace: true });
    assertHealthy(r);
    const steps = outerSteps(r) as unknown as { round: number; participants: readonly string[] }[];
    const last = Math.max(...steps.map((e) => e.round));
    assert.ok(steps.some((e) => e.participants.length < 3), `a round without every region (participants: ${[...new Set(steps.map((e) => e.participants.join("+")))].join(", ")})`);
    assert.equal(steps.filter((e) => e.round === last).length, 3 * 2, "every shard of every region applied the last round");
  });
});

describe("diloco: faults at an outer step (the wait rule)", () => {
  test("a data center partitioned across a round boundary: the round waits, then every checker holds", async () => {
    const base = { maxIterations: 20, msPerSample: 0.5 };
    const clean = await run(base, diloco());
    const boundaryS = clean.summary.virtualTimeS / 4; // about round 1's boundary
    const r = await run({ ...base, faults: [{ kind: "isolate", atS: boundaryS * 0.8, forS: 5, dataCenter: "b" }] }, diloco(), { recordTrace: true });
    assertHealthy(r);
    assert.ok(r.summary.virtualTimeS > clean.summary.virtualTimeS + 3, `the partition delayed the run (${clean.summary.virtualTimeS} s -> ${r.summary.virtualTimeS} s)`);
    assert.ok(r.summary.blockedS.outerStep! > clean.summary.blockedS.outerStep!, "reads waited for the outer step");
  });

  test("a shard crashed at an outer step resumes and the round completes everywhere", async () => {
    const r = await run({ maxIterations: 20, msPerSample: 0.5, faults: [{ kind: "crash", atS: 0.5, node: "c/s1", restartAfterS: 4 }] }, diloco(), { recordTrace: true });
    assertHealthy(r);
    assert.equal(r.stats.crashes, 1);
    assert.equal(outerSteps(r).length, 3 * 2 * 4);
  });
});

describe("diloco: scenario keys (sync.diloco)", () => {
  const file = (diloco: string, model = "diloco"): string =>
    `topology:\n  preset: virginia-california\nworkload:\n  kind: mf\nsync:\n  model: ${model}\n  withinDataCenter: ssp\n  staleness: 1\n${diloco}stop:\n  maxIterations: 10\n`;

  test("keys are read, and DiLoCo's defaults fill the rest", () => {
    const s = parseScenarioText(file("  diloco: { localClocks: 20, encoding: topk, keptFraction: 0.05 }\n"), "d.yaml");
    assert.equal(s.sync.model, "diloco");
    assert.equal(s.sync.staleness, 1);
    assert.deepEqual(s.sync.diloco, { localClocks: 20, outerOptimizer: "nesterov", outerLearningRate: 0.7, momentum: 0.9, reduce: "mean", encoding: "topk", keptFraction: 0.05 });
    assert.deepEqual(parseScenarioText(file(""), "d.yaml").sync.diloco?.localClocks, 20);
    assert.equal(parseScenarioText(file("  diloco: { localClocks: 20 }\n", "asp"), "d.yaml").sync.diloco, undefined, "other models ignore the block (e.g. --sync asp on a diloco file)");
  });

  const rejects = (text: string, path: string, line: number, includes: string): void => rejectsAt(text, "d.yaml", path, line, includes);

  test("bad values name the file, line and path", () => {
    rejects(file("  diloco: { localClocks: 0 }\n"), "sync.diloco.localClocks", 9, ">= 1");
    rejects(file("  diloco:\n    encoding: int4\n"), "sync.diloco.encoding", 10, "f32");
    rejects(file("  diloco:\n    keptFraction: 0.1\n"), "sync.diloco.keptFraction", 10, "topk only");
    rejects(file("  diloco:\n    outerOptimizer: sgd\n    momentum: 0.5\n"), "sync.diloco.momentum", 11, "nesterov only");
    rejects(file("  diloco:\n    outerLearningRate: -1\n"), "sync.diloco.outerLearningRate", 10, "> 0");
  });
});

describe("diloco: the defaults suit the bundled scenarios", () => {
  // A user's first comparison (`gaia simulate quickstart --sync diloco`) must not read "not reached"
  // because of H and the outer rate alone. H = 50 stopped at RMSE 0.3286 of the 0.3 target here.
  for (const name of ["quickstart", "lda-3dc"]) {
    test(`${name} --sync diloco reaches its target with the default H and outer rate`, async () => {
      const scenario = loadScenario(fileURLToPath(new URL(`../../scenarios/${name}.yaml`, import.meta.url)), { sync: "diloco" });
      assert.equal(scenario.sync.diloco!.localClocks, 20);
      const r = await runSimulation(scenario);
      assert.equal(r.summary.reachedTarget, true, `${name}: ${r.summary.stoppedBy} at ${r.summary.objective}`);
      assertHealthy(r);
    });
  }
});
