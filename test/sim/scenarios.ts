// Small hand-built scenarios for the simulator's tests (the YAML loader is tested elsewhere).
import type { Fault, Scenario, SyncModel, WanLink } from "@gaia/sim";

export interface MiniOptions {
  readonly name?: string;
  readonly seed?: number;
  readonly dataCenters?: readonly string[];
  readonly workers?: number;
  readonly shards?: number;
  readonly model?: SyncModel;
  readonly staleness?: number;
  readonly threshold?: number;
  readonly mirrorClockBound?: number;
  readonly selectiveBarrier?: "auto" | "always" | "off";
  /** threshold auto's budget (null: the fixed threshold `threshold`). */
  readonly budgetLinkFraction?: number | null;
  readonly encoding?: "f32" | "f16" | "int8";
  readonly barrierClockFraction?: number;
  readonly hubGroups?: Scenario["sync"]["hubGroups"];
  readonly bandwidthMbps?: number;
  readonly latencyMs?: number;
  /** Per directed link overrides, "a->b". */
  readonly linkOverrides?: Readonly<Record<string, { bandwidthMbps?: number; latencyMs?: number }>>;
  readonly faults?: readonly Fault[];
  readonly randomFaults?: Scenario["randomFaults"];
  readonly maxIterations?: number | null;
  readonly maxVirtualTimeS?: number | null;
  readonly targetObjective?: number | null;
  readonly evalEvery?: number;
  readonly jitter?: number;
  readonly stragglers?: Scenario["compute"]["stragglers"];
  readonly msPerSample?: number | null;
  readonly speeds?: Readonly<Record<string, number>>;
}

export function miniScenario(o: MiniOptions = {}): Scenario {
  const dataCenters = o.dataCenters ?? ["a", "b", "c"];
  const links: WanLink[] = [];
  for (const source of dataCenters) {
    for (const target of dataCenters) {
      if (source === target) continue;
      const over = o.linkOverrides?.[`${source}->${target}`] ?? {};
      links.push({ source, target, bandwidthMbps: over.bandwidthMbps ?? o.bandwidthMbps ?? 50, latencyMs: over.latencyMs ?? o.latencyMs ?? 40 });
    }
  }
  return {
    name: o.name ?? "mini",
    description: "",
    seed: o.seed ?? 1,
    topology: {
      preset: null,
      dataCenters,
      workersPerDataCenter: o.workers ?? 2,
      shardsPerDataCenter: o.shards ?? 2,
      links,
      lanBandwidthMbps: 1000,
      lanLatencyMs: 0.2,
      egressUsdPerGb: Object.fromEntries(dataCenters.map((d) => [d, 0.02])),
    },
    workload: { kind: "toy" },
    sync: {
      model: o.model ?? "asp",
      staleness: o.staleness ?? 0,
      threshold: o.threshold ?? 0.01,
      thresholdSchedule: { kind: "inverse-sqrt" },
      mirrorClockBound: o.mirrorClockBound ?? 1,
      selectiveBarrier: o.selectiveBarrier ?? "auto",
      hubGroups: o.hubGroups ?? [],
      budgetLinkFraction: o.budgetLinkFraction === undefined ? 0.5 : o.budgetLinkFraction,
      thresholdCeiling: o.budgetLinkFraction === null ? Infinity : 0.1,
      encoding: o.encoding ?? "f32",
      barrierClockFraction: o.barrierClockFraction ?? 1,
    },
    compute: { msPerSample: o.msPerSample ?? null, speeds: o.speeds ?? {}, stragglers: o.stragglers ?? null, jitter: o.jitter ?? 0.1 },
    faults: o.faults ?? [],
    randomFaults: o.randomFaults ?? null,
    stop: { maxIterations: o.maxIterations === undefined ? 20 : o.maxIterations, maxVirtualTimeS: o.maxVirtualTimeS ?? null, targetObjective: o.targetObjective ?? null, evalEvery: o.evalEvery ?? 5 },
  };
}
