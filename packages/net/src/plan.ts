/**
 * From a scenario to the protocol objects of a run: the layout (who is where), how shards
 * synchronize, and which nodes talk to which (the connections the runtime opens).
 */
import { dataCenterOf, Rng, type Layout, type NodeId, type ShardSync, type Workload, type WorkerPlacement } from "@gaia/core";
import { planLayout, withPacing, type Scenario } from "@gaia/scenario";

export interface RunPlan {
  readonly layout: Layout;
  readonly sync: ShardSync;
  /** Iterations each worker runs (Infinity: until told to stop). */
  readonly maxClock: number;
  /** The data center whose replica the objective is evaluated on. */
  readonly evalDataCenter: string;
  /** The lan model renames nodes into one data center; this maps back to the scenario's names. */
  readonly aliasOf: ReadonlyMap<NodeId, NodeId>;
}

/**
 * The same layout and synchronization `gaia simulate` builds (the simulator's planLayout), with
 * the same ASP pacing (withPacing): a run whose WAN is emulated at `bandwidthScale` times the
 * scenario's rates budgets its links at their emulated rates.
 */
export function planOf(scenario: Scenario, workload: Workload, bandwidthScale = 1): RunPlan {
  const { layout, sync: base, aliasOf } = planLayout(scenario, workload);
  const sync = withPacing(scenario, workload, layout, base, { bandwidthScale, placementOf: (w) => placementOf(scenario, aliasOf, w) });
  return { layout, sync, maxClock: scenario.stop.maxIterations ?? Infinity, evalDataCenter: layout.spec.dataCenters[0]!, aliasOf };
}

/** Where a worker sits, by the scenario's names (as the simulator computes it). */
export function placementOf(scenario: Scenario, aliasOf: ReadonlyMap<NodeId, NodeId>, worker: NodeId): WorkerPlacement {
  const dcs = scenario.topology.dataCenters;
  const W = scenario.topology.workersPerDataCenter;
  const original = aliasOf.get(worker) ?? worker;
  const d = dcs.indexOf(dataCenterOf(original));
  const i = Number(original.slice(original.lastIndexOf("/w") + 2));
  return { dataCenterIndex: d, dataCenterCount: dcs.length, workerIndex: i, workersPerDataCenter: W, globalWorkerIndex: d * W + i, globalWorkerCount: dcs.length * W };
}

/** The rng stream of a worker's program: the simulator's name for it, so both runs train alike. */
export const workerRng = (seed: number, worker: NodeId): Rng => new Rng(seed).child(worker === "probe" ? "probe" : `program:${worker}`);

/** Every node `id` exchanges messages with (both directions). */
export function peersOf(plan: RunPlan, id: NodeId): NodeId[] {
  const { layout } = plan;
  const peers = new Set<NodeId>();
  const aspOn = plan.sync.asp !== null;
  // DiLoCo's shards exchange deltas and updates with their mirrors directly.
  const dilocoOn = plan.sync.diloco !== undefined && plan.sync.diloco !== null;
  if (layout.workers.includes(id)) for (const s of layout.shardsOfWorker(id)) peers.add(s.id);
  else if (layout.hasShard(id)) {
    const s = layout.shard(id);
    for (const w of s.clients) peers.add(w);
    if (aspOn && s.mirrors.length > 0) for (const p of s.hub !== null ? [s.hub] : s.mirrors) peers.add(p);
    if (dilocoOn) for (const p of s.mirrors) peers.add(p);
  } else {
    const hub = layout.hubs.find((h) => h.id === id);
    if (hub) {
      for (const other of hub.otherHubs) peers.add(other);
      for (const s of layout.shards) if (s.hub === id) peers.add(s.id);
    }
  }
  peers.delete(id);
  return [...peers].sort();
}

/** How many nodes of `dataCenter` send to `target` over the WAN (they share the emulated link). */
export function wanSenders(plan: RunPlan, dataCenter: string, target: string): number {
  let n = 0;
  for (const node of plan.layout.nodes) {
    if (dataCenterOf(node) !== dataCenter) continue;
    if (peersOf(plan, node).some((p) => dataCenterOf(p) === target)) n++;
  }
  return Math.max(1, n);
}
