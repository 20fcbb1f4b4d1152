/**
 * The network model: LAN and WAN links, flow-level bandwidth sharing, and a reliable transport.
 *
 * Links. Every ordered pair of distinct data centers has one WAN link (bandwidth, one-way latency;
 * the two directions may differ). Inside a data center every node has one LAN link (its NIC's
 * egress): a shard answering many workers shares its NIC among them.
 *
 * Sharing. Each message on the data channel is one flow on its link. Concurrent flows share the
 * link max-min fairly, as in SimGrid's flow-level model; with one link per flow this is equal
 * sharing among the link's active flows, recomputed whenever a flow starts or ends or the link's
 * bandwidth changes. It is kept in O(log n) per change by processor-sharing bookkeeping: `served`
 * is how many bytes each active flow has received since the link was created (it grows at
 * rate / n), a flow finishes when `served` reaches its `target` = served-at-start + size, and the
 * link keeps one pending "next completion" event for its smallest target (older ones are
 * invalidated by a version number). A message arrives one latency after its transfer completes.
 *
 * Control channel. Messages on channel "control" (the selective barrier) do not queue behind
 * data: they take latency + size / full bandwidth and do not count as flows.
 *
 * Transport. Between the links and the roles sits a reliable transport, like the real runtime's
 * sequence-numbered links: every (source node, target node, channel) connection numbers its
 * messages and the receiver delivers them exactly once, in order, through a reorder buffer.
 * Faults act below it: a lost message is retransmitted after RTO = 2 x RTT and transferred again
 * (its bytes are charged again); a duplicated one arrives twice and the copy is dropped by its
 * sequence number (counted); reordering is extra delay jitter that the reorder buffer undoes; a
 * partitioned link transfers nothing and holds what arrives at its far end until it heals.
 */
import { dataCenterOf, type Channel, type NodeId, type Rng } from "@gaia/core";
import type { Engine } from "./engine.js";
import { Heap } from "./engine-heap.js";

export interface LinkSpec {
  readonly source: string;
  readonly target: string;
  readonly bandwidthMbps: number;
  readonly latencyMs: number;
}

export interface NetworkSpec {
  readonly dataCenters: readonly string[];
  readonly links: readonly LinkSpec[];
  readonly lanBandwidthMbps: number;
  readonly lanLatencyMs: number;
  readonly egressUsdPerGb: Readonly<Record<string, number>>;
}

/** Message loss, duplication and reordering probabilities on a lossy link. */
export interface LossSpec {
  readonly loss: number;
  readonly duplicate: number;
  readonly reorder: number;
}

export interface Envelope<P> {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly channel: Channel;
  readonly payload: P;
  readonly sizeBytes: number;
  readonly seq: number;
  readonly sentMs: number;
  /** The transport connection it travels on (internal bookkeeping). */
  readonly connection: Connection<P>;
  /** While on a data link: the link's `served` at which its transfer completes (internal). */
  flowTarget: number;
  /** While on a data link: its arrival order on the link, to break ties (internal). */
  flowOrder: number;
}

export interface NetworkStats {
  messages: number;
  wanBytes: number;
  lanBytes: number;
  costUsd: number;
  retransmits: number;
  retransmittedBytes: number;
  duplicatesDropped: number;
  /** Messages that arrived ahead of a predecessor and waited in the reorder buffer. */
  reorderedHeld: number;
  /** Messages that arrived at a partitioned link's far end and waited for it to heal. */
  partitionHeld: number;
  /** Messages delivered to their target (exactly once each). */
  delivered: number;
}

/** Mbps to bytes per virtual millisecond. */
export const bytesPerMs = (mbps: number): number => mbps * 125;

const flowBefore = <P>(a: Envelope<P>, b: Envelope<P>): boolean => a.flowTarget < b.flowTarget || (a.flowTarget === b.flowTarget && a.flowOrder < b.flowOrder);

/** One directed link with its active flows. */
export class Link<P> {
  /** Bytes each active flow has been served since the link was created. */
  private served = 0;
  private lastMs = 0;
  private version = 0;
  private flowOrder = 0;
  private readonly flows = new Heap<Envelope<P>>(flowBefore);
  private readonly completeHandler = (version: number): void => this.complete(version);
  /** Arrivals waiting for a partition to heal. */
  readonly held: Envelope<P>[] = [];
  /** Product of active bandwidth factors. */
  factor = 1;
  /** Number of active partitions cutting this direction. */
  partitions = 0;
  lossy: LossSpec | null = null;
  /** WAN bytes charged to this link so far. */
  bytesCharged = 0;
  /** Egress price of this link's source, USD per GB. */
  usdPerGb = 0;

  constructor(
    readonly key: string,
    readonly wan: boolean,
    readonly sourceDataCenter: string,
    readonly baseBytesPerMs: number,
    readonly latencyMs: number,
    readonly rng: Rng,
    private readonly engine: Engine,
    private readonly onTransferred: (link: Link<P>, env: Envelope<P>) => void,
  ) {}

  get activeFlows(): number {
    return this.flows.size;
  }

  /** Current capacity in bytes per millisecond (0 while partitioned). */
  get rateBytesPerMs(): number {
    return this.partitions > 0 ? 0 : this.baseBytesPerMs * this.factor;
  }

  addFlow(env: Envelope<P>): void {
    this.advance();
    env.flowTarget = this.served + env.sizeBytes;
    env.flowOrder = this.flowOrder++;
    this.flows.push(env);
    this.reschedule();
  }

  /** Call around any change of rate: brings `served` up to now, then re-plans the next completion. */
  changeRate(apply: () => void): void {
    this.advance();
    apply();
    this.reschedule();
  }

  private advance(): void {
    const now = this.engine.now;
    const n = this.flows.size;
    if (n > 0 && now > this.lastMs) this.served += ((now - this.lastMs) * this.rateBytesPerMs) / n;
    this.lastMs = now;
  }

  private reschedule(): void {
    const version = ++this.version;
    const head = this.flows.peek();
    const rate = this.rateBytesPerMs;
    if (head === undefined || rate <= 0) return;
    const remaining = Math.max(0, head.flowTarget - this.served);
    const at = this.engine.now + (remaining * this.flows.size) / rate;
    this.engine.atWith(at, this.completeHandler, version);
  }

  private complete(version: number): void {
    if (version !== this.version) return;
    this.advance();
    // Rounding can leave `served` a hair short of the head's target: accept it within a few ulps.
    const slack = 1e-9 * Math.max(1, this.served);
    const head = this.flows.peek();
    if (head === undefined || head.flowTarget > this.served + slack) {
      this.reschedule();
      return;
    }
    this.flows.pop();
    const next = this.flows.peek();
    if (next === undefined || next.flowTarget > this.served + slack) {
      // The common case: one flow done.
      this.reschedule();
      this.onTransferred(this, head);
      return;
    }
    const done: Envelope<P>[] = [head];
    for (let f = this.flows.peek(); f !== undefined && f.flowTarget <= this.served + slack; f = this.flows.peek()) done.push(this.flows.pop()!);
    this.reschedule();
    for (const env of done) this.onTransferred(this, env);
  }
}

export interface Connection<P> {
  nextSeq: number;
  expected: number;
  readonly buffer: Map<number, Envelope<P>>;
  /** The link its messages take (fixed by its two ends). */
  readonly link: Link<P>;
}

export class Network<P> {
  readonly stats: NetworkStats = { messages: 0, wanBytes: 0, lanBytes: 0, costUsd: 0, retransmits: 0, retransmittedBytes: 0, duplicatesDropped: 0, reorderedHeld: 0, partitionHeld: 0, delivered: 0 };
  /** WAN links in the order they were first charged. */
  private readonly chargedLinks: Link<P>[] = [];
  private readonly wanLinks = new Map<string, Link<P>>();
  private readonly lanLinks = new Map<NodeId, Link<P>>();
  /** from -> to -> [data, control] connections. */
  private readonly connections = new Map<NodeId, Map<NodeId, [Connection<P> | null, Connection<P> | null]>>();
  private readonly dataCenterSet: ReadonlySet<string>;
  private readonly arriveHandler = (env: Envelope<P>): void => this.arrive(env.connection.link, env);
  private readonly transferredHandler = (env: Envelope<P>): void => this.transferred(env.connection.link, env);
  private readonly transmitHandler = (env: Envelope<P>): void => this.transmit(env.connection.link, env);

  /**
   * `deliver` receives each message exactly once, in order per (from, to, channel). `rng` is the
   * network's stream; each link draws from its own child stream.
   */
  constructor(
    private readonly engine: Engine,
    readonly spec: NetworkSpec,
    private readonly rng: Rng,
    private readonly deliver: (env: Envelope<P>) => void,
  ) {
    this.dataCenterSet = new Set(spec.dataCenters);
    for (const l of spec.links) {
      if (!this.dataCenterSet.has(l.source) || !this.dataCenterSet.has(l.target)) throw new RangeError(`link ${l.source}->${l.target} names an unknown data center`);
      if (!(l.bandwidthMbps > 0)) throw new RangeError(`link ${l.source}->${l.target} needs a positive bandwidth, got ${l.bandwidthMbps}`);
      if (!(l.latencyMs >= 0)) throw new RangeError(`link ${l.source}->${l.target} needs a latency >= 0, got ${l.latencyMs}`);
      const key = `${l.source}->${l.target}`;
      this.wanLinks.set(key, this.makeLink(key, true, l.source, bytesPerMs(l.bandwidthMbps), l.latencyMs));
    }
  }

  private makeLink(key: string, wan: boolean, source: string, rate: number, latencyMs: number): Link<P> {
    const link = new Link<P>(key, wan, source, rate, latencyMs, this.rng.child(`link:${key}`), this.engine, (l, env) => this.transferred(l, env));
    link.usdPerGb = this.spec.egressUsdPerGb[source] ?? 0;
    return link;
  }

  /** WAN bytes per directed link, "source->target", in first-use order. */
  get wanBytesByLink(): ReadonlyMap<string, number> {
    return new Map(this.chargedLinks.map((l) => [l.key, l.bytesCharged]));
  }

  /** The directed WAN link between two data centers. */
  wanLink(source: string, target: string): Link<P> {
    const link = this.wanLinks.get(`${source}->${target}`);
    if (link === undefined) throw new RangeError(`no WAN link ${source}->${target}`);
    return link;
  }

  get allWanLinks(): Iterable<Link<P>> {
    return this.wanLinks.values();
  }

  private linkFor(from: NodeId, to: NodeId): Link<P> {
    const source = dataCenterOf(from);
    const target = dataCenterOf(to);
    if (source !== target) return this.wanLink(source, target);
    let lan = this.lanLinks.get(from);
    if (lan === undefined) {
      lan = this.makeLink(`lan:${from}`, false, source, bytesPerMs(this.spec.lanBandwidthMbps), this.spec.lanLatencyMs);
      this.lanLinks.set(from, lan);
    }
    return lan;
  }

  private connection(from: NodeId, to: NodeId, channel: Channel): Connection<P> {
    let targets = this.connections.get(from);
    if (targets === undefined) this.connections.set(from, (targets = new Map()));
    let pair = targets.get(to);
    if (pair === undefined) targets.set(to, (pair = [null, null]));
    const i = channel === "data" ? 0 : 1;
    let c = pair[i];
    if (c === null) pair[i] = c = { nextSeq: 0, expected: 0, buffer: new Map(), link: this.linkFor(from, to) };
    return c;
  }

  send(from: NodeId, to: NodeId, channel: Channel, payload: P, sizeBytes: number): Envelope<P> {
    const conn = this.connection(from, to, channel);
    const env: Envelope<P> = { from, to, channel, payload, sizeBytes, seq: conn.nextSeq++, sentMs: this.engine.now, connection: conn, flowTarget: 0, flowOrder: 0 };
    this.stats.messages++;
    this.transmit(conn.link, env);
    return env;
  }

  /** Puts a message on the wire (again, for a retransmission). */
  private transmit(link: Link<P>, env: Envelope<P>): void {
    this.charge(link, env.sizeBytes);
    if (env.channel === "control") {
      const rate = link.rateBytesPerMs;
      if (rate <= 0) {
        // Cut: the sender's transport keeps it and sends it when the link heals.
        this.stats.partitionHeld++;
        link.held.push(env);
        return;
      }
      this.engine.afterWith(env.sizeBytes / rate, this.transferredHandler, env);
    } else {
      link.addFlow(env);
    }
  }

  private charge(link: Link<P>, bytes: number): void {
    if (!link.wan) {
      this.stats.lanBytes += bytes;
      return;
    }
    this.stats.wanBytes += bytes;
    this.stats.costUsd += (bytes * link.usdPerGb) / 1e9;
    if (link.bytesCharged === 0) this.chargedLinks.push(link);
    link.bytesCharged += bytes;
  }

  /** A transfer finished: apply loss, duplication and reordering, then propagate. */
  private transferred(link: Link<P>, env: Envelope<P>): void {
    const lossy = link.lossy;
    let delay = link.latencyMs;
    if (lossy !== null) {
      if (lossy.loss > 0 && link.rng.bernoulli(lossy.loss)) {
        this.stats.retransmits++;
        this.stats.retransmittedBytes += env.sizeBytes;
        this.engine.afterWith(4 * link.latencyMs, this.transmitHandler, env);
        return;
      }
      if (lossy.duplicate > 0 && link.rng.bernoulli(lossy.duplicate)) {
        this.engine.afterWith(link.latencyMs + link.rng.uniform(0, link.latencyMs + 1), this.arriveHandler, env);
      }
      if (lossy.reorder > 0 && link.rng.bernoulli(lossy.reorder)) delay += link.rng.uniform(0, 2 * link.latencyMs + 1);
    }
    this.engine.afterWith(delay, this.arriveHandler, env);
  }

  private arrive(link: Link<P>, env: Envelope<P>): void {
    if (link.partitions > 0) {
      this.stats.partitionHeld++;
      link.held.push(env);
      return;
    }
    this.receive(env);
  }

  /** The receiving transport: drop duplicates, buffer early arrivals, deliver in order. */
  private receive(env: Envelope<P>): void {
    const conn = env.connection;
    if (env.seq < conn.expected || (conn.buffer.size > 0 && conn.buffer.has(env.seq))) {
      this.stats.duplicatesDropped++;
      return;
    }
    if (env.seq !== conn.expected) {
      this.stats.reorderedHeld++;
      conn.buffer.set(env.seq, env);
      return;
    }
    conn.expected++;
    this.stats.delivered++;
    this.deliver(env);
    if (conn.buffer.size === 0) return;
    for (let next = conn.buffer.get(conn.expected); next !== undefined; next = conn.buffer.get(conn.expected)) {
      conn.buffer.delete(conn.expected);
      conn.expected++;
      this.stats.delivered++;
      this.deliver(next);
    }
  }

  // Fault controls, on directed WAN links.

  partition(source: string, target: string, cut: boolean): void {
    const link = this.wanLink(source, target);
    const wasCut = link.partitions > 0;
    link.changeRate(() => {
      link.partitions += cut ? 1 : -1;
      if (link.partitions < 0) throw new RangeError(`link ${link.key} healed more often than cut`);
    });
    if (wasCut && link.partitions === 0) {
      // Healed: what waited is resent and arrives one latency (plus its transfer, for control) later.
      const held = link.held.splice(0);
      for (const env of held) {
        if (env.channel === "control") this.transmit(link, env);
        else this.engine.afterWith(link.latencyMs, this.arriveHandler, env);
      }
    }
  }

  /** Multiplies (or, with `undo`, divides) the link's bandwidth by `factor`. */
  scaleBandwidth(source: string, target: string, factor: number, undo: boolean): void {
    if (!(factor > 0)) throw new RangeError(`bandwidth factor must be > 0, got ${factor}`);
    const link = this.wanLink(source, target);
    link.changeRate(() => {
      link.factor = undo ? link.factor / factor : link.factor * factor;
    });
  }

  setLossy(source: string, target: string, lossy: LossSpec | null): void {
    this.wanLink(source, target).lossy = lossy;
  }

  /** Messages sent but not yet delivered (on the wire, held by a partition, or in a reorder buffer). */
  get outstanding(): number {
    return this.stats.messages - this.stats.delivered;
  }
}
