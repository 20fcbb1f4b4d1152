/**
 * The arithmetic of a real run's result, apart from the processes that report it: one table from
 * the shards' rows, the WAN bytes, egress cost and blocked time summed over the nodes' reports,
 * and how far the data centers' replicas are apart at the end. The launcher feeds these the
 * nodes' JSON-line reports and builds the same RunSummary the simulator does.
 */
import { mergeFilterStats, type FilterStats, type Layout, type NodeId } from "@gaia/core";
import { mirrorClockSummary, type MetricsPoint, type RunSummary } from "@gaia/scenario";
import type { ClusterConfig } from "./cluster.js";
import type { BlockedMs } from "./node.js";

/** One table of `size` floats from the shards' parts, in order. */
export function assembleTable(size: number, parts: readonly Float32Array[]): Float32Array {
  const table = new Float32Array(size);
  let offset = 0;
  for (const p of parts) {
    table.set(p, offset);
    offset += p.length;
  }
  return table;
}

/** WAN bytes per link and in all, their egress cost at the source's price, and blocked seconds, over every node's last report. */
export function wanTotals(
  wanByNode: ReadonlyMap<NodeId, Record<string, number>>,
  blockedByNode: ReadonlyMap<NodeId, BlockedMs>,
  prices: Readonly<Record<string, number>>,
): { wanBytes: number; costUsd: number; blockedS: RunSummary["blockedS"]; byLink: Record<string, number> } {
  const byLink: Record<string, number> = {};
  for (const links of wanByNode.values()) for (const [link, bytes] of Object.entries(links)) byLink[link] = (byLink[link] ?? 0) + bytes;
  let wanBytes = 0;
  let costUsd = 0;
  for (const [link, bytes] of Object.entries(byLink)) {
    wanBytes += bytes;
    costUsd += (bytes / 1e9) * (prices[link.split("->")[0]!] ?? 0);
  }
  const blocked: { ssp: number; mirrorClock: number; barrier: number; outerStep?: number } = { ssp: 0, mirrorClock: 0, barrier: 0 };
  for (const b of blockedByNode.values()) {
    blocked.ssp += b.ssp / 1000;
    blocked.mirrorClock += b.mirrorClock / 1000;
    blocked.barrier += b.barrier / 1000;
    if (b.outerStep > 0) blocked.outerStep = (blocked.outerStep ?? 0) + b.outerStep / 1000;
  }
  return { wanBytes, costUsd, blockedS: blocked, byLink };
}

/**
 * Replicas agree when every data center's copy of each shard's rows matches the evaluation data
 * center's: the largest difference of an element, relative to its magnitude (at least 1).
 */
export function replicaSpread(layout: Layout, evalDataCenter: string, finalValues: ReadonlyMap<NodeId, Float32Array>): number {
  let spread = 0;
  const reference = new Map(layout.replicaOf(evalDataCenter).map((s) => [s.index, finalValues.get(s.id)!]));
  for (const s of layout.shards) {
    const mine = finalValues.get(s.id)!;
    const ref = layout.spec.placement === "global" ? mine : reference.get(s.index)!;
    for (let i = 0; i < mine.length; i++) spread = Math.max(spread, Math.abs(mine[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!)));
  }
  return spread;
}

/**
 * The mirror clock's latency model beside the measured clock (ASP runs with the WAN emulated:
 * without it the links' latencies are loopback's, which the model does not describe). The clock
 * is measured from the first evaluation past clock 0 to the last one made while training, so
 * neither start-up (clock 0 is evaluated before every node is up) nor the final drain counts.
 */
export function launchMirrorClock(cluster: ClusterConfig, series: readonly MetricsPoint[]): NonNullable<RunSummary["mirrorClock"]> | null {
  const wan = cluster.wanEmulation;
  if (!wan.enabled) return null;
  const training = series.filter((p) => p.iteration > 0);
  const first = training[0];
  const last = training.at(-1);
  const clocks = first && last ? last.iteration - first.iteration : 0;
  return mirrorClockSummary(cluster.scenario, clocks > 0 ? last!.virtualTimeS - first!.virtualTimeS : 0, clocks, wan.latencyScale);
}

/** The shards' significance-filter counts, merged (ASP runs; nodes without a final report or a filter add nothing). */
export function mergedFilter(parts: readonly (FilterStats | undefined)[]): { filter?: FilterStats } {
  const present = parts.filter((p): p is FilterStats => p !== undefined);
  return present.length === 0 ? {} : { filter: mergeFilterStats(present) };
}
