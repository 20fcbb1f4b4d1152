// Writes a parsed Scenario back in the scenario-file format (scenarios/*.yaml), so a failing
// property can print a file that `gaia simulate` runs as is.
import { stringify } from "yaml";
import type { Fault, Scenario } from "@gaia/sim";

const pair = (p: readonly [string, string] | "all"): unknown => (p === "all" ? "all" : [...p]);
const withFor = (o: Record<string, unknown>, forS: number | null): Record<string, unknown> => (forS === null ? o : { ...o, for: forS });

function faultToFile(f: Fault): Record<string, unknown> {
  switch (f.kind) {
    case "partition":
      return withFor({ at: f.atS, partition: [...f.between], ...(f.oneWay ? { oneWay: true } : {}) }, f.forS);
    case "isolate":
      return withFor({ at: f.atS, isolate: f.dataCenter }, f.forS);
    case "bandwidth":
      return withFor({ at: f.atS, bandwidth: { link: pair(f.link), factor: f.factor } }, f.forS);
    case "crash":
      return { at: f.atS, crash: f.node, ...(f.restartAfterS === null ? {} : { restartAfter: f.restartAfterS }) };
    case "slow":
      return withFor({ at: f.atS, slow: f.node, factor: f.factor }, f.forS);
    case "lossy":
      return withFor({ at: f.atS, lossy: { link: pair(f.link), loss: f.loss, duplicate: f.duplicate, reorder: f.reorder } }, f.forS);
  }
}

export function scenarioToFile(s: Scenario): Record<string, unknown> {
  const { topology: t, sync, compute, stop } = s;
  return {
    name: s.name,
    description: s.description,
    seed: s.seed,
    topology: {
      dataCenters: [...t.dataCenters],
      links: t.links.map((l) => ({ link: [l.source, l.target], bandwidthMbps: l.bandwidthMbps, latencyMs: l.latencyMs, oneWay: true })),
      machinesPerDataCenter: t.workersPerDataCenter,
      shardsPerDataCenter: t.shardsPerDataCenter,
      lanMbps: t.lanBandwidthMbps,
      lanLatencyMs: t.lanLatencyMs,
      egressUsdPerGb: { ...t.egressUsdPerGb },
    },
    workload: { ...s.workload },
    sync: {
      model: sync.model,
      staleness: sync.staleness,
      significance: { ...(sync.budgetLinkFraction === null ? { threshold: sync.threshold } : { threshold: "auto", floor: sync.threshold, budget: sync.budgetLinkFraction, ceiling: sync.thresholdCeiling }), encoding: sync.encoding, schedule: typeof sync.thresholdSchedule === "string" ? sync.thresholdSchedule : sync.thresholdSchedule.kind === "step" ? { ...sync.thresholdSchedule } : sync.thresholdSchedule.kind },
      mirrorClockBound: sync.mirrorClockBound,
      selectiveBarrier: sync.selectiveBarrier,
      barrierClockFraction: sync.barrierClockFraction,
      hubs: sync.hubGroups.length === 0 ? "none" : sync.hubGroups.map((g) => ({ hub: g.hub, members: [...g.members] })),
    },
    compute: {
      ...(compute.msPerSample === null ? {} : { msPerSample: compute.msPerSample }),
      ...(compute.regime === undefined ? {} : { regime: compute.regime.name === "custom" ? compute.regime.factor : compute.regime.name }),
      speeds: { ...compute.speeds },
      ...(compute.stragglers === null ? {} : { stragglers: { ...compute.stragglers } }),
      jitter: compute.jitter,
    },
    faults: s.faults.map(faultToFile),
    ...(s.randomFaults === null
      ? {}
      : { randomFaults: { until: s.randomFaults.untilS, partitionsPerHour: s.randomFaults.partitionsPerHour, crashesPerHour: s.randomFaults.crashesPerHour, loss: s.randomFaults.loss, duplicate: s.randomFaults.duplicate, reorder: s.randomFaults.reorder } }),
    stop: {
      ...(stop.maxIterations === null ? {} : { maxIterations: stop.maxIterations }),
      ...(stop.maxVirtualTimeS === null ? {} : { maxVirtualTime: stop.maxVirtualTimeS }),
      ...(stop.targetObjective === null ? {} : { target: { objective: stop.targetObjective } }),
      evalEvery: stop.evalEvery,
    },
  };
}

export const scenarioYaml = (s: Scenario): string => stringify(scenarioToFile(s));
