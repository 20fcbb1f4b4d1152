// Random fault schedules, many of them: 10,000 per run (GAIA_FAULT_SCHEDULES to change it), each a
// tiny job (the toy workload, 2-4 data centers, every sync model, hubs or none) under 1-6 faults
// drawn together: partitions (one-way too), isolated data centers, bandwidth drops, crashes of
// workers, shards and hubs with restarts, slow nodes, lossy links, and random fault processes.
// Every fault heals, so every run must reach its last clock and drain, with every checker holding
// (staleness, mirror clock, selective barrier, conservation, significance, no remote errors). The
// count of schedules run and of violations is printed; a failure prints the seed and the shrunk
// scenario as a file for `gaia simulate`. The schedules are many and the jobs small on purpose:
// test/sim/properties.test.ts runs fewer, larger MF jobs.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createToyWorkload, runSimulation, type Fault, type Scenario } from "@gaia/sim";
import { seed } from "../support/fc.js";
import { miniScenario } from "./scenarios.js";
import { scenarioYaml } from "./scenario-file.js";

const schedules = Number.parseInt(process.env["GAIA_FAULT_SCHEDULES"] ?? "", 10) || 10_000;
const names = ["a", "b", "c", "d"];
const workload = createToyWorkload({ seed: 1 });

const ms = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max }).map((t) => t / 1000);

const faultArb = (dcs: readonly string[], workers: number, shards: number, hubs: readonly string[]): fc.Arbitrary<Fault> => {
  const at = ms(0, 300);
  const forS = ms(1, 200);
  const dc = fc.constantFrom(...dcs);
  const pair = fc.tuple(dc, dc).filter(([a, b]) => a !== b);
  const roles = [
    fc.tuple(dc, fc.integer({ min: 0, max: workers - 1 })).map(([d, i]) => `${d}/w${i}`),
    fc.tuple(dc, fc.integer({ min: 0, max: shards - 1 })).map(([d, i]) => `${d}/s${i}`),
  ];
  if (hubs.length > 0) roles.push(fc.constantFrom(...hubs.map((h) => `${h}/hub`)));
  const node = fc.oneof(...roles);
  const p = fc.integer({ min: 0, max: 40 }).map((x) => x / 100);
  return fc.oneof(
    fc.record({ kind: fc.constant("partition" as const), atS: at, forS, between: pair, oneWay: fc.boolean() }),
    fc.record({ kind: fc.constant("isolate" as const), atS: at, forS, dataCenter: dc }),
    fc.record({ kind: fc.constant("bandwidth" as const), atS: at, forS, link: fc.oneof(pair, fc.constant("all" as const)), factor: fc.constantFrom(0.01, 0.1, 0.5, 4) }),
    fc.record({ kind: fc.constant("crash" as const), atS: at, node, restartAfterS: forS }),
    fc.record({ kind: fc.constant("slow" as const), atS: at, forS, node, factor: fc.constantFrom(2, 10) }),
    fc.record({ kind: fc.constant("lossy" as const), atS: at, forS, link: fc.oneof(pair, fc.constant("all" as const)), loss: p, duplicate: p, reorder: p }),
  );
};

const scheduleArb: fc.Arbitrary<Scenario> = fc
  .record({ dcCount: fc.integer({ min: 2, max: 4 }), workers: fc.integer({ min: 1, max: 2 }), shards: fc.integer({ min: 1, max: 2 }), model: fc.constantFrom("lan" as const, "bsp" as const, "ssp" as const, "asp" as const), hubs: fc.boolean() })
  .chain(({ dcCount, workers, shards, model, hubs }) => {
    const dcs = names.slice(0, dcCount);
    const hubGroups = model === "asp" && hubs && dcCount >= 3 ? [{ hub: "a", members: ["a", "b"] }, { hub: "c", members: dcs.slice(2) }] : [];
    return fc
      .record({
        seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        staleness: fc.integer({ min: 0, max: 2 }),
        mirrorClockBound: fc.integer({ min: 0, max: 2 }),
        selectiveBarrier: fc.constantFrom("auto" as const, "always" as const, "off" as const),
        encoding: fc.constantFrom("f32" as const, "int8" as const),
        faults: fc.array(faultArb(dcs, workers, shards, hubGroups.map((g) => g.hub)), { minLength: 1, maxLength: 6 }),
        random: fc.option(fc.record({ untilS: fc.constantFrom(0.1, 0.4), partitionsPerHour: fc.constantFrom(0, 36_000), crashesPerHour: fc.constantFrom(0, 36_000), loss: fc.constantFrom(0, 0.2), duplicate: fc.constantFrom(0, 0.2), reorder: fc.constantFrom(0, 0.3) }), { nil: null, freq: 4 }),
        maxIterations: fc.integer({ min: 2, max: 5 }),
      })
      .map((g): Scenario =>
        miniScenario({
          name: "fault-schedule",
          seed: g.seed,
          dataCenters: dcs,
          workers,
          shards,
          model,
          staleness: model === "bsp" ? 0 : g.staleness,
          mirrorClockBound: g.mirrorClockBound,
          selectiveBarrier: g.selectiveBarrier,
          encoding: g.encoding,
          hubGroups,
          faults: g.faults,
          randomFaults: g.random,
          maxIterations: g.maxIterations,
          evalEvery: g.maxIterations,
        }),
      );
  });

test(`${schedules} random fault schedules: every run finishes, drains and keeps every checker [seed ${seed}]`, async (t) => {
  let ran = 0;
  let faults = 0;
  const details = await fc.check(
    fc.asyncProperty(scheduleArb, async (s) => {
      ran++;
      faults += s.faults.length;
      const r = await runSimulation(s, { workload, recordTrace: false });
      for (const [check, verdict] of Object.entries(r.summary.checks)) assert.equal(verdict, null, `${check}: ${verdict}`);
      assert.equal(r.summary.stoppedBy, "max-iterations");
      assert.equal(r.stats.drained, true, "the run drained");
      for (const [w, clocks] of Object.entries(r.stats.workerClocks)) assert.equal(clocks, s.stop.maxIterations, `${w} completed ${clocks} clocks`);
    }),
    { seed, numRuns: schedules, includeErrorInReport: true },
  );
  const line = `fault schedules: ${details.numRuns} of ${schedules} run (${faults} scripted faults drawn over ${ran} runs), ${details.failed ? 1 : 0} violations (GAIA_SEED=${seed})`;
  t.diagnostic(line);
  if (details.failed) {
    const s = details.counterexample![0];
    console.error(`\nfault schedule failed (GAIA_SEED=${seed}): ${String(details.errorInstance)}\n--- scenario (gaia simulate FILE) ---\n${scenarioYaml(s)}---`);
    assert.fail(`a fault schedule broke the run: ${String(details.errorInstance)}`);
  }
  assert.equal(details.numRuns, schedules, "every schedule ran");
});
