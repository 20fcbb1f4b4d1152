/**
 * Gaia's significance filter as it ran, counted from the roles' trace events (`mirror-sent`,
 * `read-served`) by either driver: the simulator per run, the runtime per shard node (merged by
 * the launcher). Pure bookkeeping, no I/O.
 */
import { dataCenterOf, type NodeId } from "./layout.js";
import type { TraceEvent } from "./role.js";

/**
 * Gaia's significance filter as it ran (ASP runs only), cumulative over every clock's flush of
 * every shard. `accumulated`: non-zero accumulators at the flushes; `significant`: those above the
 * floor threshold; `sent`: entries sent; `heldBack`: significant entries the byte budget kept back;
 * `bytes`: encoded update bodies; `barriers`: barrier messages sent (one per destination);
 * `readsBlockedByBarrier`: reads a barrier held.
 */
export interface FilterStats {
  readonly flushes: number;
  readonly accumulated: number;
  readonly significant: number;
  readonly sent: number;
  readonly heldBack: number;
  readonly bytes: number;
  /** bytes / sent. */
  readonly bytesPerValue: number;
  /** significant / accumulated: the paper's share of updates that matter. */
  readonly significantShare: number;
  readonly barriers: number;
  readonly readsBlockedByBarrier: number;
  /** Per directed data-center link "source->target": entries and body bytes sent, barriers sent. */
  readonly byLink: Readonly<Record<string, { readonly sent: number; readonly bytes: number; readonly barriers: number }>>;
}

/** The filter statistics of several shards (the runtime's nodes) as one. */
export function mergeFilterStats(parts: readonly FilterStats[]): FilterStats {
  const sum = (pick: (f: FilterStats) => number): number => parts.reduce((n, f) => n + pick(f), 0);
  const byLink: Record<string, { sent: number; bytes: number; barriers: number }> = {};
  for (const f of parts) {
    for (const [key, link] of Object.entries(f.byLink)) {
      const into = (byLink[key] ??= { sent: 0, bytes: 0, barriers: 0 });
      into.sent += link.sent;
      into.bytes += link.bytes;
      into.barriers += link.barriers;
    }
  }
  const sent = sum((f) => f.sent);
  const accumulated = sum((f) => f.accumulated);
  const significant = sum((f) => f.significant);
  const bytes = sum((f) => f.bytes);
  return {
    flushes: sum((f) => f.flushes),
    accumulated,
    significant,
    sent,
    heldBack: sum((f) => f.heldBack),
    bytes,
    bytesPerValue: sent > 0 ? bytes / sent : 0,
    significantShare: accumulated > 0 ? significant / accumulated : 0,
    barriers: sum((f) => f.barriers),
    readsBlockedByBarrier: sum((f) => f.readsBlockedByBarrier),
    byLink: Object.fromEntries(Object.entries(byLink).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

/** Cumulative significance-filter counts from `mirror-sent` and `read-served` events. */
export class FilterCollector {
  private flushes = 0;
  private accumulated = 0;
  private significant = 0;
  private sent = 0;
  private heldBack = 0;
  private bytes = 0;
  private barriers = 0;
  private readsBlocked = 0;
  private readonly byLink = new Map<string, { sent: number; bytes: number; barriers: number }>();

  /** `destinations(shard)`: where the shard's updates go (its mirrors or its hub). */
  constructor(private readonly destinations: (shard: NodeId) => readonly NodeId[]) {}

  observe(e: TraceEvent): void {
    if (e.type === "read-served") {
      if (e.blockedBy === "barrier") this.readsBlocked++;
      return;
    }
    if (e.type !== "mirror-sent" || e.clock < 0) return;
    this.flushes++;
    this.accumulated += e.accumulated;
    this.significant += e.significant;
    this.sent += e.entries;
    this.heldBack += e.heldBack;
    this.bytes += e.bytes;
    this.barriers += e.barrierTo.length;
    const source = dataCenterOf(e.shard);
    for (const to of this.destinations(e.shard)) {
      const key = `${source}->${dataCenterOf(to)}`;
      let link = this.byLink.get(key);
      if (link === undefined) this.byLink.set(key, (link = { sent: 0, bytes: 0, barriers: 0 }));
      link.sent += e.entries;
      link.bytes += e.bytes;
      if (e.barrierTo.includes(to)) link.barriers++;
    }
  }

  stats(): FilterStats {
    return {
      flushes: this.flushes,
      accumulated: this.accumulated,
      significant: this.significant,
      sent: this.sent,
      heldBack: this.heldBack,
      bytes: this.bytes,
      bytesPerValue: this.sent > 0 ? this.bytes / this.sent : 0,
      significantShare: this.accumulated > 0 ? this.significant / this.accumulated : 0,
      barriers: this.barriers,
      readsBlockedByBarrier: this.readsBlocked,
      byLink: Object.fromEntries([...this.byLink].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, { ...v }])),
    };
  }
}

