/**
 * How fast Gaia's shards may send: the declared per-destination rates behind the byte budget of
 * `threshold: auto` and the selective barrier, and the expected clock duration before one is
 * measured. Both drivers take their ASP pacing from here, so a simulated run and a real one budget
 * alike (the runtime passes its emulated bandwidth scale).
 *
 * A shard's rate towards a destination data center is the tightest of the hops its update crosses
 * (docs/network.md): the WAN link, divided among the shards of its data center that use it (each
 * sends one update per clock); its data center's WAN egress cap and the destination's ingress cap,
 * divided among every shard that crosses them; and its own NIC and the receiver's, divided among the
 * destinations (senders) sharing them. Through a hub, the update also rides on the hub's links to
 * the other hubs and back out to the members, each shared by every member shard of the group.
 */
import type { Layout, ShardSync, Workload, WorkerPlacement } from "@gaia/core";
import { Rng } from "@gaia/core";
import type { Scenario } from "./scenario.js";

/**
 * The compute cost charged per sample: the scenario's msPerSample (or the workload's calibrated
 * cost) times the compute regime's factor. The simulator charges it; the runtime emulates it.
 */
export const stepMsPerSample = (scenario: Scenario, workload: Pick<Workload, "costMsPerSample">): number =>
  (scenario.compute.msPerSample ?? workload.costMsPerSample) * (scenario.compute.regime?.factor ?? 1);

/** Mbps to bytes per millisecond (virtual in the simulator, wall-clock in the runtime). */
export const bytesPerMs = (mbps: number): number => mbps * 125;

export interface PacingOptions {
  /** The emulated runtime's bandwidth scale (1 in the simulator). */
  readonly bandwidthScale?: number;
  readonly placementOf: (worker: string) => WorkerPlacement;
}

/** Fills the ASP pacing fields of `sync` (declared link rates, clock-duration hint) for a run. */
export function withPacing(scenario: Scenario, workload: Workload, layout: Layout, sync: ShardSync, options: PacingOptions): ShardSync {
  if (sync.asp === null) return sync;
  const scale = options.bandwidthScale ?? 1;
  const { topology } = scenario;
  const rate = new Map<string, number>();
  for (const l of topology.links) rate.set(`${l.source}>${l.target}`, bytesPerMs(l.bandwidthMbps * scale));
  const lanRate = bytesPerMs(topology.lanBandwidthMbps);
  const S = topology.shardsPerDataCenter;
  const dcs = layout.spec.dataCenters;
  const network = scenario.network;
  // A data center's NIC rate: its override, or the slowest node override in it, or the default.
  const nicRate = (dc: string): number => {
    let mbps = network?.nics[dc] ?? network?.nicMbps ?? topology.lanBandwidthMbps;
    for (const [id, v] of Object.entries(network?.nics ?? {})) if (id.startsWith(`${dc}/`)) mbps = Math.min(mbps, v);
    return bytesPerMs(mbps);
  };
  const fanOut = Math.max(1, dcs.length - 1);
  const capRate = (dc: string, side: "egressMbps" | "ingressMbps"): number => {
    const mbps = network?.wanCaps[dc]?.[side] ?? null;
    return mbps === null ? Infinity : bytesPerMs(mbps * scale) / (S * fanOut);
  };
  const linkRate = (from: string, to: string): number => {
    if (from === to) return lanRate;
    const wan = rate.get(`${from}>${to}`) ?? lanRate;
    return Math.min(wan, capRate(from, "egressMbps") * S, capRate(to, "ingressMbps") * S, (nicRate(from) / fanOut) * S, (nicRate(to) / fanOut) * S);
  };
  const linkBytesPerMs: Record<string, number> = {};
  for (const from of dcs) {
    const group = layout.hubs.find((h) => h.members.includes(from));
    if (group === undefined) {
      for (const to of dcs) if (to !== from) linkBytesPerMs[`${from}>${to}`] = linkRate(from, to) / S;
      continue;
    }
    const members = group.members.length;
    let tightest = linkRate(from, group.dataCenter) / S;
    for (const other of group.otherHubs) tightest = Math.min(tightest, linkRate(group.dataCenter, other.slice(0, other.lastIndexOf("/"))) / (S * members));
    for (const m of group.members) if (m !== group.dataCenter) tightest = Math.min(tightest, linkRate(group.dataCenter, m) / (S * Math.max(1, members - 1)));
    linkBytesPerMs[`${from}>${group.dataCenter}`] = tightest;
  }
  // The expected clock: one compute step of a typical worker, from a probe step on a throwaway
  // program (stream "probe", so it disturbs no worker).
  const probe = workload.createWorker(options.placementOf(layout.workers[0]!), new Rng(scenario.seed).child("probe"));
  const rows = probe.rowsFor(0) ?? Uint32Array.from({ length: workload.rows }, (_, r) => r);
  const initial = workload.initParams();
  const cols = workload.cols;
  const values = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => values.set(initial.subarray(r * cols, (r + 1) * cols), i * cols));
  const clockMsHint = probe.step(0, rows, values).samples * stepMsPerSample(scenario, workload);
  return { ...sync, asp: { ...sync.asp, linkBytesPerMs, clockMsHint, ...(workload.learningRate !== undefined ? { learningRate: workload.learningRate } : {}), ...(workload.significance !== undefined ? { significance: workload.significance } : {}) } };
}
