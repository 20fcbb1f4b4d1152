/**
 * Who is where: data centers, workers, parameter-server shards and hubs, and which shard owns
 * which rows.
 *
 * Two placements, as in the paper:
 * - `mirrored` (Gaia, and LAN with one data center): every data center holds a full replica,
 *   sharded by row range over its own `shardsPerDataCenter` shards. Shard j of one data center
 *   mirrors shard j of every other. Workers talk only to their own data center's shards.
 * - `global` (the paper's Baseline): one copy of the model, sharded by row range over the shards of
 *   all data centers together. Every worker reads and writes every shard, over the WAN if need be.
 */
import { invariant } from "./errors.js";

export type NodeId = string;
export type Placement = "mirrored" | "global";

export interface HubGroup {
  /** The data center that hosts the group's hub. */
  readonly hub: string;
  /** Member data centers, the hub's own included. */
  readonly members: readonly string[];
}

export interface LayoutSpec {
  readonly dataCenters: readonly string[];
  readonly workersPerDataCenter: number;
  readonly shardsPerDataCenter: number;
  readonly rows: number;
  readonly cols: number;
  readonly placement: Placement;
  /** Hub groups (mirrored placement only). Empty: shards talk to their mirrors directly. */
  readonly hubGroups?: readonly HubGroup[];
}

export interface RowRange {
  readonly start: number;
  readonly end: number;
}

export const workerId = (dc: string, index: number): NodeId => `${dc}/w${index}`;
export const shardId = (dc: string, index: number): NodeId => `${dc}/s${index}`;
export const hubId = (dc: string): NodeId => `${dc}/hub`;

/** The data center of a node id. */
export const dataCenterOf = (node: NodeId): string => {
  const slash = node.lastIndexOf("/");
  return slash < 0 ? node : node.slice(0, slash);
};

/** Splits `rows` into `parts` contiguous ranges whose sizes differ by at most one. */
export function splitRows(rows: number, parts: number): RowRange[] {
  invariant(parts > 0, "splitRows needs at least one part");
  const ranges: RowRange[] = [];
  const base = Math.floor(rows / parts);
  const extra = rows % parts;
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const end = start + base + (i < extra ? 1 : 0);
    ranges.push({ start, end });
    start = end;
  }
  return ranges;
}

export interface ShardInfo {
  readonly id: NodeId;
  readonly dataCenter: string;
  readonly index: number;
  readonly range: RowRange;
  /** The workers that read from and push to this shard. */
  readonly clients: readonly NodeId[];
  /** Mirror shards in other data centers (mirrored placement). */
  readonly mirrors: readonly NodeId[];
  /** Where this shard sends its significant updates: its mirrors, or its group's hub. */
  readonly hub: NodeId | null;
}

export interface HubInfo {
  readonly id: NodeId;
  readonly dataCenter: string;
  readonly members: readonly string[];
  readonly otherHubs: readonly NodeId[];
}

export class Layout {
  readonly workers: readonly NodeId[];
  readonly shards: readonly ShardInfo[];
  readonly hubs: readonly HubInfo[];
  private readonly shardById = new Map<NodeId, ShardInfo>();
  private readonly hubByDataCenter = new Map<string, HubInfo>();
  private readonly hubOfMember = new Map<string, HubInfo>();

  constructor(readonly spec: LayoutSpec) {
    const { dataCenters, workersPerDataCenter, shardsPerDataCenter, rows, placement } = spec;
    invariant(dataCenters.length > 0, "a layout needs at least one data center");
    invariant(new Set(dataCenters).size === dataCenters.length, "data-center names must be unique");
    invariant(workersPerDataCenter > 0 && shardsPerDataCenter > 0, "each data center needs workers and shards");
    this.workers = dataCenters.flatMap((dc) => Array.from({ length: workersPerDataCenter }, (_, i) => workerId(dc, i)));
    const groups = spec.hubGroups ?? [];
    invariant(groups.length === 0 || placement === "mirrored", "hubs apply to the mirrored placement only");
    for (const g of groups) {
      const others = groups.filter((o) => o !== g).map((o) => hubId(o.hub));
      const info: HubInfo = { id: hubId(g.hub), dataCenter: g.hub, members: g.members, otherHubs: others };
      invariant(g.members.includes(g.hub), `hub ${g.hub} must be a member of its own group`);
      this.hubByDataCenter.set(g.hub, info);
      for (const m of g.members) {
        invariant(dataCenters.includes(m), `hub group member ${m} is not a data center`);
        invariant(!this.hubOfMember.has(m), `data center ${m} is in two hub groups`);
        this.hubOfMember.set(m, info);
      }
    }
    invariant(groups.length === 0 || this.hubOfMember.size === dataCenters.length, "with hubs, every data center must be in a group");
    this.hubs = [...this.hubByDataCenter.values()];

    const shards: ShardInfo[] = [];
    if (placement === "mirrored") {
      const ranges = splitRows(rows, shardsPerDataCenter);
      for (const dc of dataCenters) {
        const clients = Array.from({ length: workersPerDataCenter }, (_, i) => workerId(dc, i));
        ranges.forEach((range, j) => {
          shards.push({
            id: shardId(dc, j),
            dataCenter: dc,
            index: j,
            range,
            clients,
            mirrors: dataCenters.filter((o) => o !== dc).map((o) => shardId(o, j)),
            hub: this.hubOfMember.get(dc)?.id ?? null,
          });
        });
      }
    } else {
      const ranges = splitRows(rows, shardsPerDataCenter * dataCenters.length);
      dataCenters.forEach((dc, d) => {
        for (let j = 0; j < shardsPerDataCenter; j++) {
          shards.push({ id: shardId(dc, j), dataCenter: dc, index: d * shardsPerDataCenter + j, range: ranges[d * shardsPerDataCenter + j]!, clients: this.workers, mirrors: [], hub: null });
        }
      });
    }
    this.shards = shards;
    for (const s of shards) this.shardById.set(s.id, s);
  }

  shard(id: NodeId): ShardInfo {
    const s = this.shardById.get(id);
    invariant(s, `no shard ${id}`);
    return s;
  }

  hasShard(id: NodeId): boolean {
    return this.shardById.has(id);
  }

  hub(dataCenter: string): HubInfo {
    const h = this.hubByDataCenter.get(dataCenter);
    invariant(h, `no hub in ${dataCenter}`);
    return h;
  }

  /** The shards a worker talks to, in row order. */
  shardsOfWorker(worker: NodeId): readonly ShardInfo[] {
    if (this.spec.placement === "global") return this.shards;
    const dc = dataCenterOf(worker);
    return this.shards.filter((s) => s.dataCenter === dc);
  }

  /** The shards of one data center that together hold its replica (mirrored), or all (global). */
  replicaOf(dataCenter: string): readonly ShardInfo[] {
    return this.spec.placement === "global" ? this.shards : this.shards.filter((s) => s.dataCenter === dataCenter);
  }

  /** Every node: workers, shards, hubs. */
  get nodes(): NodeId[] {
    return [...this.workers, ...this.shards.map((s) => s.id), ...this.hubs.map((h) => h.id)];
  }
}
