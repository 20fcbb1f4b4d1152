/**
 * From a scenario to the protocol layout of a run: which nodes exist, where each shard's replicas
 * sit and how shards synchronize. Both drivers call it, so a simulated run and a real one of the
 * same scenario build the same layout, node for node:
 * - lan: ONE data center "lan" with every worker (D x W) and every shard (D x S), mirrored
 *   placement, no ASP. Worker i of the LAN run stands for worker i mod W of data center
 *   floor(i / W) of the geo-distributed runs (`aliasOf`), so the jobs are the same.
 * - bsp / ssp: the paper's Baseline, global placement, staleness 0 / sync.staleness, no ASP.
 * - diloco: mirrored placement, no hubs, BSP / SSP inside each data center and DiLoCo's outer
 *   rounds between them (core diloco.ts).
 * - asp: mirrored placement, Gaia's ASP from the sync section, hub groups from sync.hubGroups; its
 *   link rates and clock hint are left empty for `withPacing` (pacing.ts) to fill.
 */
import { Layout, shardId, workerId, type NodeId, type ShardSync, type Workload } from "@gaia/core";
import type { Scenario } from "./scenario.js";

/** The run's layout and sync, and for each worker the geo-distributed worker it stands for. */
export function planLayout(scenario: Scenario, workload: Pick<Workload, "rows" | "cols">): { layout: Layout; sync: ShardSync; aliasOf: Map<NodeId, NodeId> } {
  const { topology, sync } = scenario;
  const dcs = topology.dataCenters;
  const W = topology.workersPerDataCenter;
  const S = topology.shardsPerDataCenter;
  const aliasOf = new Map<NodeId, NodeId>();
  const base = { rows: workload.rows, cols: workload.cols };
  if (sync.model === "lan") {
    const layout = new Layout({ ...base, dataCenters: ["lan"], workersPerDataCenter: dcs.length * W, shardsPerDataCenter: dcs.length * S, placement: "mirrored" });
    for (let i = 0; i < dcs.length * W; i++) aliasOf.set(workerId("lan", i), workerId(dcs[Math.floor(i / W)]!, i % W));
    for (let k = 0; k < dcs.length * S; k++) aliasOf.set(shardId("lan", k), shardId(dcs[Math.floor(k / S)]!, k % S));
    return { layout, sync: { staleness: sync.staleness, asp: null }, aliasOf };
  }
  if (sync.model === "bsp" || sync.model === "ssp") {
    const layout = new Layout({ ...base, dataCenters: dcs, workersPerDataCenter: W, shardsPerDataCenter: S, placement: "global" });
    return { layout, sync: { staleness: sync.model === "bsp" ? 0 : sync.staleness, asp: null }, aliasOf };
  }
  if (sync.model === "diloco") {
    if (sync.diloco === undefined) throw new RangeError(`scenario "${scenario.name}": sync model diloco needs its settings (sync.diloco)`);
    const layout = new Layout({ ...base, dataCenters: dcs, workersPerDataCenter: W, shardsPerDataCenter: S, placement: "mirrored" });
    return { layout, sync: { staleness: sync.staleness, asp: null, diloco: sync.diloco }, aliasOf };
  }
  const layout = new Layout({ ...base, dataCenters: dcs, workersPerDataCenter: W, shardsPerDataCenter: S, placement: "mirrored", hubGroups: sync.hubGroups });
  // Link rates and the clock hint are filled in by withPacing (it needs a probe step).
  const asp = { threshold: sync.threshold, thresholdSchedule: sync.thresholdSchedule, mirrorClockBound: sync.mirrorClockBound, selectiveBarrier: sync.selectiveBarrier, budgetLinkFraction: sync.budgetLinkFraction, thresholdCeiling: sync.thresholdCeiling, barrierClockFraction: sync.barrierClockFraction, encoding: sync.encoding, linkBytesPerMs: {}, clockMsHint: 0 };
  return { layout, sync: { staleness: sync.staleness, asp }, aliasOf };
}

