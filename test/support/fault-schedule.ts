/**
 * Random fault schedules over tiny jobs, shared by the fault-schedule property test
 * (test/sim/fault-schedules.test.ts, fast-check with shrinking) and the vopr (test/vopr, seeded
 * schedules by the ten thousand). A schedule is one scenario: the toy workload on 2-4 data centers,
 * one of the sync models (lan, bsp, ssp, asp with hubs or none, diloco, streaming diloco), under 1-6
 * scripted faults (partitions, one-way too, isolated data centers, bandwidth drops, crashes of
 * workers, shards and hubs with a restart or, rarely, none, slow nodes, lossy links), often a
 * random fault process, and sometimes stragglers (random slow steps) and a slower or faster data center.
 *
 * The verdict: every checker holds (staleness or lockstep, mirror clock, selective barrier,
 * significance, outer step, conservation, no remote errors), the run reaches its last clock and
 * drains. A node that crashes for good is the one excuse for not draining, and so for the verdicts
 * that judge only the end state (`endStateRules`); every other checker must still hold.
 */
import fc from "fast-check";
import type { DilocoConfig } from "@gaia/core";
import { createToyWorkload, runSimulation, type Fault, type Scenario, type SimulationResult } from "@gaia/sim";
import { miniScenario } from "../sim/scenarios.js";

/** The sync models a schedule draws from; asp's hubs and diloco's fragments are drawn with them. */
export const scheduleModels = ["lan", "bsp", "ssp", "asp", "asp-hubs", "diloco", "streaming-diloco"] as const;
export type ScheduleModel = (typeof scheduleModels)[number];

const names = ["a", "b", "c", "d"];
/** Virtual seconds a schedule with a node down for good may run before it stops. */
const lostNodeLimitS = 2;

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
    fc.record({ kind: fc.constant("crash" as const), atS: at, node, restartAfterS: fc.option(forS, { nil: null, freq: 12 }) }),
    fc.record({ kind: fc.constant("slow" as const), atS: at, forS, node, factor: fc.constantFrom(2, 10) }),
    fc.record({ kind: fc.constant("lossy" as const), atS: at, forS, link: fc.oneof(pair, fc.constant("all" as const)), loss: p, duplicate: p, reorder: p }),
  );
};

const dilocoArb = (streaming: boolean): fc.Arbitrary<DilocoConfig> =>
  fc.integer({ min: streaming ? 2 : 1, max: 3 }).chain((localClocks) =>
    fc.record({
      localClocks: fc.constant(localClocks),
      // sgd at rate 1 over a sum adds every update once, so conservation is checked as well as identity.
      outer: fc.constantFrom("plain-sum" as const, "nesterov" as const),
      encoding: fc.constantFrom("f32" as const, "int8" as const, "topk" as const),
      keptFraction: fc.constantFrom(0.1, 0.5, 1),
      fragments: streaming ? fc.integer({ min: 2, max: localClocks }) : fc.constant(1),
    }).map((d): DilocoConfig => ({
      localClocks: d.localClocks,
      ...(d.outer === "plain-sum" ? { outerOptimizer: "sgd", outerLearningRate: 1, momentum: 0, reduce: "sum" } : { outerOptimizer: "nesterov", outerLearningRate: 0.7, momentum: 0.9, reduce: "mean" }),
      encoding: d.encoding,
      keptFraction: d.keptFraction,
      ...(streaming ? { fragments: d.fragments } : {}),
    })),
  );

/** One random fault schedule: a complete scenario for `runSimulation`. */
export const scheduleArb: fc.Arbitrary<Scenario> = fc
  .record({ dcCount: fc.integer({ min: 2, max: 4 }), workers: fc.integer({ min: 1, max: 2 }), shards: fc.integer({ min: 1, max: 2 }), model: fc.constantFrom(...scheduleModels) })
  .chain(({ dcCount, workers, shards, model }) => {
    // Hubs need a group of two data centers beside another group.
    const dcs = names.slice(0, model === "asp-hubs" ? Math.max(3, dcCount) : dcCount);
    const hubGroups = model === "asp-hubs" ? [{ hub: "a", members: ["a", "b"] }, { hub: "c", members: dcs.slice(2) }] : [];
    const diloco = model === "diloco" || model === "streaming-diloco";
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
        diloco: diloco ? dilocoArb(model === "streaming-diloco") : fc.constant(null),
        // Stragglers by distribution (a step now and then takes `slowdown` times longer), and a data
        // center slower or faster than the rest.
        stragglers: fc.option(fc.record({ probability: fc.constantFrom(0.05, 0.2, 0.5), slowdown: fc.constantFrom(2, 5, 20) }), { nil: null, freq: 2 }),
        speedOfA: fc.option(fc.constantFrom(0.25, 4), { nil: null, freq: 3 }),
      })
      .map((g): Scenario => {
        const lost = g.faults.some((f) => f.kind === "crash" && f.restartAfterS === null);
        const base = miniScenario({
          name: `fault-schedule-${model}`,
          seed: g.seed,
          dataCenters: dcs,
          workers,
          shards,
          model: model === "asp-hubs" ? "asp" : model === "streaming-diloco" ? "diloco" : model,
          staleness: model === "bsp" ? 0 : g.staleness,
          mirrorClockBound: g.mirrorClockBound,
          selectiveBarrier: g.selectiveBarrier,
          encoding: g.encoding,
          hubGroups,
          faults: g.faults,
          randomFaults: g.random,
          maxIterations: g.maxIterations,
          maxVirtualTimeS: lost ? lostNodeLimitS : null,
          evalEvery: g.maxIterations,
          stragglers: g.stragglers,
          ...(g.speedOfA === null ? {} : { speeds: { a: g.speedOfA } }),
        });
        return g.diloco === null ? base : { ...base, sync: { ...base.sync, diloco: g.diloco } };
      });
  });

/**
 * The schedule of a seed: the same seed, the same schedule, on any machine. The seed is the
 * scenario's seed too (the simulator's random streams: jitter, loss, random faults), since
 * fast-check's draw of it leans to small and extreme integers and so repeats.
 */
export function drawSchedule(seed: number): Scenario {
  return { ...fc.sample(scheduleArb, { seed, numRuns: 1 })[0]!, seed: seed % 2 ** 31 };
}

/** The sync model a schedule was drawn for (its name says it). */
export const modelOf = (s: Scenario): string => s.name.replace(/^fault-schedule-/, "");

/** One line: model, size, stop and faults. */
export function scheduleSummary(s: Scenario): string {
  const t = s.topology;
  const fault = (f: Fault): string => {
    switch (f.kind) {
      case "partition": return `partition ${f.between.join(f.oneWay ? "->" : "<->")} @${f.atS}s+${f.forS}s`;
      case "isolate": return `isolate ${f.dataCenter} @${f.atS}s+${f.forS}s`;
      case "bandwidth": return `bandwidth ${f.link === "all" ? "all" : f.link.join("->")} x${f.factor} @${f.atS}s+${f.forS}s`;
      case "crash": return `crash ${f.node} @${f.atS}s ${f.restartAfterS === null ? "for good" : `restart +${f.restartAfterS}s`}`;
      case "slow": return `slow ${f.node} x${f.factor} @${f.atS}s+${f.forS}s`;
      case "lossy": return `lossy ${f.link === "all" ? "all" : f.link.join("->")} loss ${f.loss} dup ${f.duplicate} reorder ${f.reorder} @${f.atS}s+${f.forS}s`;
      default: return JSON.stringify(f);
    }
  };
  const d = s.sync.diloco;
  const sync = [`s=${s.sync.staleness}`, ...(s.sync.model === "asp" ? [`DS=${s.sync.mirrorClockBound}`, `barrier ${s.sync.selectiveBarrier}`, s.sync.encoding] : []), ...(d === undefined ? [] : [`H=${d.localClocks}`, `F=${d.fragments ?? 1}`, d.outerOptimizer, d.encoding])].join(" ");
  const random = s.randomFaults === null ? "" : `; random faults until ${s.randomFaults.untilS}s`;
  const stragglers = s.compute.stragglers === null ? "" : `; stragglers p ${s.compute.stragglers.probability} x${s.compute.stragglers.slowdown}`;
  const speeds = Object.entries(s.compute.speeds).map(([dc, v]) => `; ${dc} at speed ${v}`).join("");
  return `${modelOf(s)} (${sync}), ${t.dataCenters.length} dc x ${t.workersPerDataCenter}w/${t.shardsPerDataCenter}s, ${s.stop.maxIterations} clocks, seed ${s.seed}: ${s.faults.map(fault).join("; ")}${random}${stragglers}${speeds}`;
}

/**
 * The verdicts that judge only where a run ended, not a step on the way: a node down for good may
 * leave the run undrained, stalled (BSP waits for it), and under diloco with no outer round, or
 * with rounds applied at some data centers and not yet at others. The outer-step checker's rules on
 * the way (rounds in order, every participant sent, one hash per round) are still held.
 */
const endStateRules: readonly (readonly [string, RegExp])[] = [
  ["conservation", /^run did not drain/],
  ["liveness", /^stalled/],
  ["outer-step-identical", /^no outer step happened$|^\S+ applied \d+ outer round\(s\)( of fragment \d+)?, \S+ applied \d+$/],
];

/** Why a finished run breaks the rules, or null. */
export function verdictOf(s: Scenario, r: SimulationResult): string | null {
  const lost = s.faults.some((f) => f.kind === "crash" && f.restartAfterS === null);
  const excused = lost && !r.stats.drained;
  for (const [check, verdict] of Object.entries(r.summary.checks)) {
    if (verdict === null) continue;
    if (excused && endStateRules.some(([name, rule]) => check === name && rule.test(verdict))) continue;
    return `${check}: ${verdict}`;
  }
  if (excused) return null;
  if (r.summary.stoppedBy !== "max-iterations") return `stopped by ${r.summary.stoppedBy}, not max-iterations`;
  if (!r.stats.drained) return "the run did not drain";
  for (const [w, clocks] of Object.entries(r.stats.workerClocks)) if (clocks !== s.stop.maxIterations) return `${w} completed ${clocks} of ${s.stop.maxIterations} clocks`;
  return null;
}

const workload = createToyWorkload({ seed: 1 });

/** Runs one schedule and returns its verdict (null: every rule held) and trace hash. A throw is a verdict too. */
export async function runSchedule(s: Scenario): Promise<{ verdict: string | null; traceHash: string }> {
  try {
    const r = await runSimulation(s, { workload, recordTrace: false, drainCapS: 5 });
    return { verdict: verdictOf(s, r), traceHash: r.summary.traceHash };
  } catch (e) {
    return { verdict: `threw: ${e instanceof Error ? (e.stack ?? e.message).split("\n").slice(0, 3).join(" | ") : String(e)}`, traceHash: "" };
  }
}
