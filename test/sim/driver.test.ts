// The simulation driver end to end on the built-in toy workload: every sync model runs to its
// stop condition with every checker holding and every replica equal to initial + all pushes; the
// same seed gives the same trace hash; faults (partitions, crashes, lossy links) delay but never
// break a run; stop conditions and bad input behave as documented.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { computeRegimeOf, createToyWorkload, runSimulation, type SimulationResult } from "@gaia/sim";
import { miniScenario, type MiniOptions } from "./scenarios.js";

const run = (o: MiniOptions, extra: { recordTrace?: boolean; workerCache?: boolean } = {}): Promise<SimulationResult> =>
  runSimulation(miniScenario(o), { workload: createToyWorkload({ seed: o.seed ?? 1 }), ...extra });

const assertHealthy = (r: SimulationResult): void => {
  for (const [name, verdict] of Object.entries(r.summary.checks)) assert.equal(verdict, null, `${name}: ${verdict}`);
  assert.equal(r.stats.drained, true, "run drained");
};

describe("driver: sync models", () => {
  for (const model of ["lan", "bsp", "ssp", "asp"] as const) {
    test(`${model}: runs to max-iterations, checkers hold, replicas conserve updates`, async () => {
      const r = await run({ model, staleness: model === "ssp" ? 2 : 0 });
      assertHealthy(r);
      assert.equal(r.summary.stoppedBy, "max-iterations");
      assert.equal(r.summary.iterations, 20);
      assert.ok(r.series.length >= 4, "evaluated every 5 clocks and at the end");
      assert.ok(r.series[r.series.length - 1]!.objective < r.series[0]!.objective, "the objective improves");
      if (model === "lan") assert.equal(r.summary.wanBytes, 0);
      else assert.ok(r.summary.wanBytes > 0 && r.summary.costUsd > 0);
      const expected = model === "ssp" ? "ssp-bound" : "bsp-lockstep";
      assert.ok(expected in r.summary.checks, `${expected} checked`);
      if (model === "asp") assert.ok("mirror-clock-bound" in r.summary.checks && "selective-barrier" in r.summary.checks);
    });
  }

  test("asp over a slow WAN finishes before the bsp baseline", async () => {
    const slow = { bandwidthMbps: 2, latencyMs: 80 };
    const asp = await run({ ...slow, model: "asp" });
    const bsp = await run({ ...slow, model: "bsp" });
    assert.ok(asp.summary.virtualTimeS < bsp.summary.virtualTimeS, `asp ${asp.summary.virtualTimeS} s vs bsp ${bsp.summary.virtualTimeS} s`);
  });

  test("asp with hub groups and the selective barrier always on", async () => {
    const r = await run({ dataCenters: ["a", "b", "c", "d"], hubGroups: [{ hub: "a", members: ["a", "b"] }, { hub: "c", members: ["c", "d"] }], selectiveBarrier: "always", mirrorClockBound: 2, staleness: 1 });
    assertHealthy(r);
    assert.ok(r.trace!.some((e) => e.type === "hub-forwarded"));
    assert.ok(r.trace!.some((e) => e.type === "barrier-received"));
  });

  test("selective barrier over a slow WAN: the checker's books come from deliveries, so reads of barrier rows must wait", async () => {
    // At 0.5 Mbps a barrier arrives well ahead of its update, and the local workers read the named
    // rows in between: a shard that dropped barriers (and still reported them) fails this.
    const r = await run({ dataCenters: ["a", "b"], model: "asp", selectiveBarrier: "always", mirrorClockBound: 10, bandwidthMbps: 0.5, latencyMs: 20, threshold: 0.0001, budgetLinkFraction: null });
    assertHealthy(r);
    assert.ok(r.trace!.some((e) => e.type === "deliver" && e.kind === "barrier"));
  });
});

describe("driver: the SSP cache and the compute regime", () => {
  test("Baseline SSP: the worker cache serves reads locally, cuts WAN reads, and the ssp bound still holds", async () => {
    const o: MiniOptions = { model: "ssp", staleness: 2, maxIterations: 30 };
    const cached = await run(o, { recordTrace: true });
    const uncached = await run(o, { recordTrace: true, workerCache: false });
    assertHealthy(cached);
    assertHealthy(uncached);
    const wanReads = (r: SimulationResult): number => r.trace!.filter((e) => e.type === "deliver" && e.kind === "read" && e.from.split("/")[0] !== e.to.split("/")[0]).length;
    assert.ok(cached.trace!.some((e) => e.type === "read-cached" && e.rows > 0), "some rows came from the cache");
    assert.ok(!uncached.trace!.some((e) => e.type === "read-cached"), "no cache when it is off");
    assert.ok(wanReads(cached) < wanReads(uncached), `WAN reads with the cache ${wanReads(cached)}, without ${wanReads(uncached)}`);
    assert.ok(cached.summary.wanBytes < uncached.summary.wanBytes, `WAN bytes ${cached.summary.wanBytes} with the cache, ${uncached.summary.wanBytes} without`);
    assert.equal(cached.summary.checks["ssp-bound"], null);
  });

  test("BSP keeps no cache: every clock reads every shard", async () => {
    const r = await run({ model: "bsp", maxIterations: 10 }, { recordTrace: true });
    assert.ok(!r.trace!.some((e) => e.type === "read-cached"));
  });

  test("the compute regime multiplies the step cost: accelerator runs are faster than cpu runs, a factor of 4 slower", async () => {
    const time = async (regime: "cpu" | "accelerator" | number): Promise<number> => {
      const scenario = miniScenario({ model: "lan", msPerSample: 5, jitter: 0 });
      const r = await runSimulation({ ...scenario, compute: { ...scenario.compute, regime: computeRegimeOf(regime) } }, { workload: createToyWorkload({ seed: 1 }) });
      return r.summary.virtualTimeS;
    };
    const cpu = await time("cpu");
    assert.ok((await time("accelerator")) < cpu / 5, "accelerator");
    assert.ok((await time(4)) > cpu * 3, "4x");
  });
});

describe("driver: determinism", () => {
  test("the same scenario and seed give the same trace hash; another seed does not", async () => {
    const o: MiniOptions = { jitter: 0.3, stragglers: { probability: 0.2, slowdown: 3 }, randomFaults: { untilS: 2, partitionsPerHour: 3600, crashesPerHour: 3600, loss: 0.1, duplicate: 0.1, reorder: 0.1 } };
    const a = await run(o);
    const b = await run(o);
    const c = await run({ ...o, seed: 2 });
    assert.equal(a.summary.traceHash, b.summary.traceHash);
    assert.equal(a.summary.events, b.summary.events);
    assert.notEqual(a.summary.traceHash, c.summary.traceHash);
  });
});

describe("driver: stop conditions", () => {
  test("maxVirtualTime stops every worker and the run drains to the final flush", async () => {
    const r = await run({ maxIterations: null, maxVirtualTimeS: 0.3 });
    assert.equal(r.summary.stoppedBy, "max-virtual-time");
    assertHealthy(r);
    assert.ok(r.summary.virtualTimeS >= 0.3 && r.summary.virtualTimeS < 1, `${r.summary.virtualTimeS}`);
  });

  test("a target objective stops the run and records the time to reach it", async () => {
    const r = await run({ maxIterations: 200, targetObjective: 0.5, evalEvery: 1 });
    assert.equal(r.summary.stoppedBy, "target");
    assert.equal(r.summary.reachedTarget, true);
    assert.ok(r.summary.timeToTargetS !== null && r.summary.timeToTargetS <= r.summary.virtualTimeS);
    assert.ok(r.summary.iterations < 200);
    assertHealthy(r);
  });

  test("a scenario with no iteration or time limit is rejected with a clear error", async () => {
    await assert.rejects(run({ maxIterations: null }), /stop needs maxIterations or maxVirtualTimeS/);
  });
});

describe("driver: faults", () => {
  test("a partition delays the run; after it heals, the replicas agree", async () => {
    const base = await run({});
    const cut = await run({ faults: [{ kind: "partition", atS: 0.05, forS: 2, between: ["a", "b"], oneWay: false }] });
    assertHealthy(cut);
    assert.ok(cut.summary.virtualTimeS > base.summary.virtualTimeS + 1.5, `${cut.summary.virtualTimeS} vs ${base.summary.virtualTimeS}`);
    assert.ok(cut.stats.partitionHeld > 0);
  });

  test("an isolated data center and a one-way cut both heal", async () => {
    const r = await run({ faults: [{ kind: "isolate", atS: 0.05, forS: 1, dataCenter: "c" }, { kind: "partition", atS: 1.5, forS: 1, between: ["b", "a"], oneWay: true }] });
    assertHealthy(r);
  });

  test("a crashed shard processes nothing until it restarts, and loses nothing", async () => {
    const r = await run({ faults: [{ kind: "crash", atS: 0.05, node: "b/s1", restartAfterS: 3 }] });
    assertHealthy(r);
    // It restarted as a fresh role restored from its checkpoint's bytes, holding the checkpointed state.
    assert.ok("restored-state" in r.summary.checks, "the restore was checked");
    assert.equal(r.summary.checks["restored-state"], null);
    assert.ok(r.summary.virtualTimeS > 3);
    const crash = r.trace!.find((e) => e.type === "crash")!;
    const restart = r.trace!.find((e) => e.type === "restart")!;
    assert.ok(!r.trace!.some((e) => e.atMs > crash.atMs && e.atMs < restart.atMs && "shard" in e && e.shard === "b/s1"), "no step of b/s1 while down");
  });

  test("a node that never restarts: the run stops at the time limit and says it did not drain", async () => {
    const r = await run({ maxIterations: null, maxVirtualTimeS: 1, faults: [{ kind: "crash", atS: 0.1, node: "a/w0", restartAfterS: null }] }, {});
    assert.match(r.summary.checks["conservation"]!, /did not drain/);
    assert.equal(r.stats.drained, false);
  });

  test("a lossy link: retransmissions and dropped duplicates, roles see each message once, in order", async () => {
    const r = await run({ faults: [{ kind: "lossy", atS: 0, forS: null, link: "all", loss: 0.2, duplicate: 0.2, reorder: 0.3 }] });
    assertHealthy(r);
    assert.ok(r.stats.retransmits > 0 && r.stats.duplicatesDropped > 0 && r.stats.reorderedHeld > 0, JSON.stringify(r.stats));
  });

  test("slow nodes and bandwidth drops slow the run down", async () => {
    const base = await run({});
    const slow = await run({ faults: [{ kind: "slow", atS: 0, forS: null, node: "a/w1", factor: 10 }, { kind: "bandwidth", atS: 0, forS: null, link: "all", factor: 0.1 }] });
    assertHealthy(slow);
    assert.ok(slow.summary.virtualTimeS > base.summary.virtualTimeS * 2);
  });

  test("a fault naming an unknown data center or node is a clear error", async () => {
    await assert.rejects(run({ faults: [{ kind: "isolate", atS: 1, forS: 1, dataCenter: "tokio" }] }), /faults\[0\] \(isolate\): unknown data center "tokio"/);
    await assert.rejects(run({ faults: [{ kind: "crash", atS: 1, node: "a/w9", restartAfterS: 1 }] }), /faults\[0\] \(crash\): unknown node "a\/w9"/);
  });

  test("lan runs map geo node names in faults onto the LAN's nodes", async () => {
    const r = await run({ model: "lan", faults: [{ kind: "crash", atS: 0.01, node: "b/w1", restartAfterS: 0.5 }, { kind: "partition", atS: 0, forS: 1, between: ["a", "b"], oneWay: false }] });
    assertHealthy(r);
    assert.ok(r.trace!.some((e) => e.type === "crash" && e.node === "lan/w3"));
  });
});
