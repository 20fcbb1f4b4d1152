// Property tests of the simulator over generated scenarios (small MF jobs on 2-4 data centers,
// every sync model, random topologies, scripted and random faults that all heal):
// - determinism: the same scenario run twice gives the same trace hash;
// - safety and liveness: every checker holds under the faults, and once they heal every run
//   reaches its stop condition (no deadlock) with all replicas equal to initial + all pushes;
// - starvation: a data center behind a very slow link holds the others back no more than the
//   mirror-clock bound allows, and it keeps making progress to the end.
// A failure prints the seed and the shrunk scenario as a YAML file for `gaia simulate`.
// GAIA_SEED pins the seed, GAIA_RUNS the number of runs per property.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { runSimulation, type Fault, type Scenario } from "@gaia/sim";
import { params, seed, seedTitle } from "../support/fc.js";
import { miniScenario } from "./scenarios.js";
import { scenarioYaml } from "./scenario-file.js";

const workload = { kind: "mf", users: 40, items: 20, ratings: 400, rank: 4, batchSize: 20 };
const names = ["a", "b", "c", "d"];

const faultArb = (dcs: readonly string[], workers: number, shards: number): fc.Arbitrary<Fault> => {
  const at = fc.integer({ min: 0, max: 30 }).map((t) => t / 10);
  const forS = fc.integer({ min: 1, max: 30 }).map((t) => t / 10);
  const dc = fc.constantFrom(...dcs);
  const pair = fc.tuple(dc, dc).filter(([a, b]) => a !== b);
  const node = fc.oneof(
    fc.tuple(dc, fc.integer({ min: 0, max: workers - 1 })).map(([d, i]) => `${d}/w${i}`),
    fc.tuple(dc, fc.integer({ min: 0, max: shards - 1 })).map(([d, i]) => `${d}/s${i}`),
  );
  const p = fc.integer({ min: 0, max: 30 }).map((x) => x / 100);
  return fc.oneof(
    fc.record({ kind: fc.constant("partition" as const), atS: at, forS, between: pair, oneWay: fc.boolean() }),
    fc.record({ kind: fc.constant("isolate" as const), atS: at, forS, dataCenter: dc }),
    fc.record({ kind: fc.constant("bandwidth" as const), atS: at, forS, link: fc.oneof(pair, fc.constant("all" as const)), factor: fc.constantFrom(0.1, 0.5, 2) }),
    fc.record({ kind: fc.constant("crash" as const), atS: at, node, restartAfterS: forS }),
    fc.record({ kind: fc.constant("slow" as const), atS: at, forS, node, factor: fc.constantFrom(2, 5) }),
    fc.record({ kind: fc.constant("lossy" as const), atS: at, forS, link: fc.oneof(pair, fc.constant("all" as const)), loss: p, duplicate: p, reorder: p }),
  );
};

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({ dcCount: fc.integer({ min: 2, max: 4 }), workers: fc.integer({ min: 1, max: 2 }), shards: fc.integer({ min: 1, max: 2 }) })
  .chain(({ dcCount, workers, shards }) => {
    const dcs = names.slice(0, dcCount);
    return fc
      .record({
        seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        model: fc.constantFrom("lan" as const, "bsp" as const, "ssp" as const, "asp" as const),
        staleness: fc.integer({ min: 0, max: 2 }),
        threshold: fc.constantFrom(0, 0.01, 0.1),
        budget: fc.constantFrom(null, 0.01, 0.5),
        encoding: fc.constantFrom("f32" as const, "f16" as const, "int8" as const),
        mirrorClockBound: fc.integer({ min: 0, max: 2 }),
        selectiveBarrier: fc.constantFrom("auto" as const, "always" as const, "off" as const),
        hubs: fc.boolean(),
        bandwidthMbps: fc.integer({ min: 1, max: 100 }),
        latencyMs: fc.integer({ min: 1, max: 120 }),
        slowLink: fc.option(fc.integer({ min: 1, max: 20 }).map((b) => b / 100), { nil: null }),
        jitter: fc.constantFrom(0, 0.2),
        stragglers: fc.option(fc.record({ probability: fc.constantFrom(0.1, 0.3), slowdown: fc.constantFrom(2, 4) }), { nil: null }),
        faults: fc.array(faultArb(dcs, workers, shards), { maxLength: 3 }),
        random: fc.option(
          fc.record({ untilS: fc.constantFrom(1, 3), partitionsPerHour: fc.constantFrom(0, 600, 3600), crashesPerHour: fc.constantFrom(0, 600, 3600), loss: fc.constantFrom(0, 0.1), duplicate: fc.constantFrom(0, 0.1), reorder: fc.constantFrom(0, 0.2) }),
          { nil: null },
        ),
        maxIterations: fc.integer({ min: 3, max: 10 }),
        msPerSample: fc.constantFrom(null, 2, 10),
      })
      .map((g): Scenario => {
        const s = miniScenario({
          name: "property",
          seed: g.seed,
          dataCenters: dcs,
          workers,
          shards,
          model: g.model,
          staleness: g.model === "bsp" ? 0 : g.staleness,
          threshold: g.threshold,
          budgetLinkFraction: g.budget,
          encoding: g.encoding,
          mirrorClockBound: g.mirrorClockBound,
          selectiveBarrier: g.selectiveBarrier,
          hubGroups: g.model === "asp" && g.hubs && dcCount >= 3 ? [{ hub: "a", members: ["a", "b"] }, { hub: "c", members: dcs.slice(2) }] : [],
          bandwidthMbps: g.bandwidthMbps,
          latencyMs: g.latencyMs,
          linkOverrides: g.slowLink === null ? {} : { "a->b": { bandwidthMbps: g.slowLink } },
          jitter: g.jitter,
          stragglers: g.stragglers,
          faults: g.faults,
          randomFaults: g.random,
          maxIterations: g.maxIterations,
          msPerSample: g.msPerSample,
          evalEvery: 4,
        });
        return { ...s, workload };
      });
  });

/** Runs a property; on failure prints the seed and the shrunk scenario as YAML, then fails. */
async function holds(name: string, arb: fc.Arbitrary<Scenario>, runs: number, predicate: (s: Scenario) => Promise<void>): Promise<void> {
  const details = await fc.check(fc.asyncProperty(arb, predicate), params(runs, { interruptAfterTimeLimit: 90_000 }));
  if (!details.failed) return;
  const scenario = details.counterexample?.[0];
  const yaml = scenario === undefined ? "(no counterexample)" : scenarioYaml({ ...scenario, name: `${name}-counterexample` });
  const why = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  console.error(`\nproperty "${name}" failed (GAIA_SEED=${seed}, after ${details.numRuns} runs, ${details.numShrinks} shrinks): ${why}\n--- scenario (gaia simulate FILE) ---\n${yaml}---`);
  assert.fail(`property "${name}" failed with GAIA_SEED=${seed}: ${why}`);
}

describe(seedTitle("simulator properties"), () => {
  test("determinism: the same scenario run twice gives the same trace hash", async () => {
    await holds("determinism", scenarioArb, 10, async (s) => {
      const a = await runSimulation(s, { recordTrace: false });
      const b = await runSimulation(s, { recordTrace: false });
      assert.equal(a.summary.traceHash, b.summary.traceHash);
      assert.deepEqual(a.series, b.series);
    });
  });

  test("safety and liveness under faults: checkers hold, the run finishes, replicas agree", async () => {
    await holds("safety-liveness", scenarioArb, 60, async (s) => {
      const r = await runSimulation(s, { recordTrace: false });
      for (const [check, verdict] of Object.entries(r.summary.checks)) assert.equal(verdict, null, `${check}: ${verdict}`);
      assert.equal(r.summary.stoppedBy, "max-iterations");
      assert.equal(r.stats.drained, true);
      for (const [w, clocks] of Object.entries(r.stats.workerClocks)) assert.equal(clocks, s.stop.maxIterations, `${w} completed ${clocks} clocks`);
    });
  });

  const starvationArb: fc.Arbitrary<Scenario> = fc
    .record({ seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }), ds: fc.integer({ min: 0, max: 3 }), staleness: fc.integer({ min: 0, max: 1 }), slowMbps: fc.constantFrom(0.02, 0.05, 0.1) })
    .map(({ seed: runSeed, ds, staleness, slowMbps }) => ({
      ...miniScenario({
        name: "starvation",
        seed: runSeed,
        mirrorClockBound: ds,
        staleness,
        bandwidthMbps: 100,
        linkOverrides: { "c->a": { bandwidthMbps: slowMbps }, "c->b": { bandwidthMbps: slowMbps }, "a->c": { bandwidthMbps: slowMbps }, "b->c": { bandwidthMbps: slowMbps } },
        maxIterations: 12,
        evalEvery: 12,
      }),
      workload,
    }));

  test("starvation: a data center behind a very slow link holds the others back only as far as DS allows, and keeps progressing", async () => {
    await holds("starvation", starvationArb, 10, async (s) => {
      const r = await runSimulation(s, { recordTrace: false });
      for (const [check, verdict] of Object.entries(r.summary.checks)) assert.equal(verdict, null, `${check}: ${verdict}`);
      // Progress: the slow data center completes every clock.
      for (const w of ["c/w0", "c/w1"]) assert.equal(r.stats.workerClocks[w], 12, `${w} progressed`);
      // Bounded lag: no worker ever ran more than DS + s + 1 clocks ahead of the slowest.
      const allowed = s.sync.mirrorClockBound + s.sync.staleness + 1;
      assert.ok(r.stats.maxClockSpread <= allowed, `spread ${r.stats.maxClockSpread} > DS + s + 1 = ${allowed}`);
      // Not held back beyond the bound: when DS does not bind (DS = every clock), the fast data
      // centers finish about as early as if the slow link were fast.
      const free = await runSimulation({ ...s, sync: { ...s.sync, mirrorClockBound: 12 } }, { recordTrace: false });
      const fastTopology = { ...s.topology, links: s.topology.links.map((l) => ({ ...l, bandwidthMbps: 100 })) };
      const fast = await runSimulation({ ...s, topology: fastTopology, sync: { ...s.sync, mirrorClockBound: 12 } }, { recordTrace: false });
      for (const w of ["a/w0", "a/w1", "b/w0", "b/w1"]) {
        const held = free.stats.workerDoneS[w]!;
        const unhindered = fast.stats.workerDoneS[w]!;
        assert.ok(held <= unhindered * 1.25 + 0.1, `${w} finished at ${held} s behind the slow link, ${unhindered} s without it`);
      }
    });
  });
});
