/**
 * The network model: routes over NICs, WAN links and data-center caps, flow-level bandwidth
 * sharing (max-min or CM02), and a reliable transport. docs/network.md states the formulas.
 *
 * Routes. A message from node u in data center A to node v in data center B crosses, in order:
 * u's NIC egress, then the WAN link A->B (or, inside one data center, the LAN fabric), then A's
 * WAN egress cap and B's WAN ingress cap when the scenario sets them, then v's NIC ingress. Every
 * one of those is a link of the flow model (flows.ts) with a capacity. The LAN fabric is
 * non-blocking: it adds latency and no link. Route latency is the WAN link's one-way latency, or
 * the LAN latency inside a data center; NICs and caps add none.
 *
 * Sharing. Each message on the data channel is one flow over its route. Concurrent flows share
 * every link max-min fairly by progressive filling (flows.ts), with a weight per flow:
 *   - "max-min": weight 1; the transfer starts when the message is sent, and the message arrives
 *     one route latency after its last byte is transferred;
 *   - "cm02" (SimGrid's CM02 with its factors at 1): weight 1 / penalty, penalty = the route
 *     latency in seconds (1 for a route of latency 0, as SimGrid does), which is TCP's bias
 *     against long round trips; the route latency is paid first, the transfer then starts, and
 *     the message arrives when its last byte is transferred.
 *
 * Control channel. Messages on channel "control" (the selective barrier) do not queue behind
 * data and do not count as flows: they take latency + size / (the smallest capacity on their
 * route), as if they had every link to themselves. docs/network.md gives the reasoning and the
 * measured difference against sharing the links with data.
 *
 * Transport. Between the links and the roles sits a reliable transport, like the real runtime's
 * sequence-numbered links: every (source node, target node, channel) connection numbers its
 * messages and the receiver delivers them exactly once, in order, through a reorder buffer.
 * Faults act below it, on WAN links: a lost message is retransmitted after RTO = 2 x RTT and
 * transferred again (its bytes are charged again); a duplicated one arrives twice and the copy is
 * dropped by its sequence number (counted); reordering is extra delay jitter that the reorder
 * buffer undoes; a partitioned link has capacity 0 (its flows pause and hold no share of their
 * other links) and holds what arrives at its far end until it heals.
 */
import { dataCenterOf, type Channel, type NodeId, type Rng } from "@gaia/core";
import type { Engine } from "./engine.js";
import { FlowModel, type FlowState } from "./flows.js";
import { bytesPerMs, type LossSpec } from "@gaia/scenario";

export interface LinkSpec {
  readonly source: string;
  readonly target: string;
  readonly bandwidthMbps: number;
  readonly latencyMs: number;
}

export type SharingModel = "max-min" | "cm02";

/** Optional caps on a data center's total WAN traffic, Mbit/s. */
export interface DataCenterCaps {
  readonly egressMbps?: number;
  readonly ingressMbps?: number;
}

export interface NetworkSpec {
  readonly dataCenters: readonly string[];
  readonly links: readonly LinkSpec[];
  /** Default NIC bandwidth when `nicBandwidthMbps` is not given. */
  readonly lanBandwidthMbps: number;
  readonly lanLatencyMs: number;
  readonly egressUsdPerGb: Readonly<Record<string, number>>;
  /** Sharing model (default "max-min"). */
  readonly sharing?: SharingModel;
  /** NIC bandwidth of every node, each direction (default `lanBandwidthMbps`). */
  readonly nicBandwidthMbps?: number;
  /** Per-node NIC bandwidth overrides, by node id. */
  readonly nicBandwidthMbpsByNode?: Readonly<Record<string, number>>;
  /** Per-data-center WAN egress / ingress caps. */
  readonly dataCenterCaps?: Readonly<Record<string, DataCenterCaps>>;
  /**
   * "dedicated" (default): control messages bypass sharing (latency + size / route bottleneck);
   * "shared": they are flows like data, with the same weight (kept to measure the difference).
   */
  readonly controlChannel?: "dedicated" | "shared";
  /**
   * "fifo": a connection's messages are transferred one after another, as the bytes of one TCP
   * stream are (a message's flow starts when the one ahead of it on its connection has been
   * transferred); "shared" (default): each message is a flow of its own from the moment it is
   * sent, so messages on one connection share its route's bandwidth, as SimGrid's communications do.
   */
  readonly connectionOrder?: "shared" | "fifo";
}

export interface Envelope<P> extends FlowState {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly channel: Channel;
  readonly payload: P;
  readonly sizeBytes: number;
  readonly seq: number;
  readonly sentMs: number;
  /** The transport connection it travels on (internal bookkeeping). */
  readonly connection: Connection<P>;
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

/**
 * The path between two data centers (a directed WAN link), or inside one (the LAN fabric): its
 * latency, its fault state and its charges.
 */
export class Link<P> {
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
    /** The flow-model link of the WAN link, or -1 for the LAN fabric. */
    readonly flowLink: number,
    readonly baseBytesPerMs: number,
    readonly latencyMs: number,
    readonly rng: Rng,
  ) {}

  /** Current capacity in bytes per millisecond (0 while partitioned; Infinity for the fabric). */
  get rateBytesPerMs(): number {
    return this.partitions > 0 ? 0 : this.baseBytesPerMs * this.factor;
  }
}

export interface Connection<P> {
  nextSeq: number;
  expected: number;
  readonly buffer: Map<number, Envelope<P>>;
  /** The path its messages take (fixed by its two ends). */
  readonly link: Link<P>;
  /** Flow-model links of its route: sender NIC egress, WAN link, caps, receiver NIC ingress. */
  readonly route: readonly number[];
  /** Sharing weight of its flows. */
  readonly weight: number;
  /** Flows of it being transferred (connectionOrder fifo: at most one). */
  inFlight: number;
  /** connectionOrder fifo: messages waiting for the one ahead of them to be transferred. */
  readonly waiting: Envelope<P>[];
}

const PENALTY_OF_ZERO_LATENCY_S = 1;

export class Network<P> {
  readonly stats: NetworkStats = { messages: 0, wanBytes: 0, lanBytes: 0, costUsd: 0, retransmits: 0, retransmittedBytes: 0, duplicatesDropped: 0, reorderedHeld: 0, partitionHeld: 0, delivered: 0 };
  readonly sharing: SharingModel;
  private readonly controlDedicated: boolean;
  private readonly fifo: boolean;
  /** The flow model under every data transfer (exposed for tests and benchmarks). */
  readonly flows: FlowModel<Envelope<P>>;
  /** WAN links in the order they were first charged. */
  private readonly chargedLinks: Link<P>[] = [];
  private readonly wanLinks = new Map<string, Link<P>>();
  private readonly fabrics = new Map<string, Link<P>>();
  /** Per node: [NIC egress, NIC ingress] flow-model links. */
  private readonly nics = new Map<NodeId, [number, number]>();
  /** Per data center: [WAN egress cap, WAN ingress cap] flow-model links, -1 for none. */
  private readonly caps = new Map<string, [number, number]>();
  /** from -> to -> [data, control] connections. */
  private readonly connections = new Map<NodeId, Map<NodeId, [Connection<P> | null, Connection<P> | null]>>();
  private readonly dataCenterSet: ReadonlySet<string>;
  private readonly arriveHandler = (env: Envelope<P>): void => this.arrive(env.connection.link, env);
  private readonly transferredHandler = (env: Envelope<P>): void => this.transferred(env.connection.link, env);
  private readonly transmitHandler = (env: Envelope<P>): void => this.transmit(env.connection.link, env);
  private readonly startFlowHandler = (env: Envelope<P>): void => this.startFlow(env);

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
    this.sharing = spec.sharing ?? "max-min";
    this.controlDedicated = (spec.controlChannel ?? "dedicated") === "dedicated";
    this.fifo = (spec.connectionOrder ?? "shared") === "fifo";
    if (!["shared", "fifo"].includes(spec.connectionOrder ?? "shared")) throw new RangeError(`unknown connection order "${String(spec.connectionOrder)}" (shared or fifo)`);
    if (this.sharing !== "max-min" && this.sharing !== "cm02") throw new RangeError(`unknown sharing model "${String(this.sharing)}" (max-min or cm02)`);
    this.flows = new FlowModel<Envelope<P>>(engine, (env) => this.flowDone(env));
    this.dataCenterSet = new Set(spec.dataCenters);
    const positive = (what: string, mbps: number): number => {
      if (!(mbps > 0) || !Number.isFinite(mbps)) throw new RangeError(`${what} needs a finite bandwidth > 0 Mbit/s, got ${mbps}`);
      return mbps;
    };
    positive("the NIC default", spec.nicBandwidthMbps ?? spec.lanBandwidthMbps);
    for (const [node, mbps] of Object.entries(spec.nicBandwidthMbpsByNode ?? {})) positive(`NIC of ${node}`, mbps);
    for (const l of spec.links) {
      if (!this.dataCenterSet.has(l.source) || !this.dataCenterSet.has(l.target)) throw new RangeError(`link ${l.source}->${l.target} names an unknown data center`);
      positive(`link ${l.source}->${l.target}`, l.bandwidthMbps);
      if (!(l.latencyMs >= 0) || !Number.isFinite(l.latencyMs)) throw new RangeError(`link ${l.source}->${l.target} needs a finite latency >= 0, got ${l.latencyMs}`);
      const key = `${l.source}->${l.target}`;
      const rate = bytesPerMs(l.bandwidthMbps);
      const link = new Link<P>(key, true, l.source, this.flows.addLink(rate), rate, l.latencyMs, this.rng.child(`link:${key}`));
      link.usdPerGb = spec.egressUsdPerGb[l.source] ?? 0;
      this.wanLinks.set(key, link);
    }
    for (const [dc, cap] of Object.entries(spec.dataCenterCaps ?? {})) {
      if (!this.dataCenterSet.has(dc)) throw new RangeError(`WAN caps name an unknown data center "${dc}"`);
      const egress = cap.egressMbps === undefined ? -1 : this.flows.addLink(bytesPerMs(positive(`WAN egress cap of ${dc}`, cap.egressMbps)));
      const ingress = cap.ingressMbps === undefined ? -1 : this.flows.addLink(bytesPerMs(positive(`WAN ingress cap of ${dc}`, cap.ingressMbps)));
      this.caps.set(dc, [egress, ingress]);
    }
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

  /** NIC egress and ingress flow-model links of a node, made on first use. */
  nicOf(node: NodeId): readonly [number, number] {
    let nic = this.nics.get(node);
    if (nic === undefined) {
      const rate = bytesPerMs(this.spec.nicBandwidthMbpsByNode?.[node] ?? this.spec.nicBandwidthMbps ?? this.spec.lanBandwidthMbps);
      nic = [this.flows.addLink(rate), this.flows.addLink(rate)];
      this.nics.set(node, nic);
    }
    return nic;
  }

  private pathFor(source: string, target: string): Link<P> {
    if (source !== target) return this.wanLink(source, target);
    let fabric = this.fabrics.get(source);
    if (fabric === undefined) {
      fabric = new Link<P>(`lan:${source}`, false, source, -1, Infinity, this.spec.lanLatencyMs, this.rng.child(`lan:${source}`));
      this.fabrics.set(source, fabric);
    }
    return fabric;
  }

  private connection(from: NodeId, to: NodeId, channel: Channel): Connection<P> {
    let targets = this.connections.get(from);
    if (targets === undefined) this.connections.set(from, (targets = new Map()));
    let pair = targets.get(to);
    if (pair === undefined) targets.set(to, (pair = [null, null]));
    const i = channel === "data" ? 0 : 1;
    let c = pair[i];
    if (c === null) {
      const source = dataCenterOf(from);
      const target = dataCenterOf(to);
      const link = this.pathFor(source, target);
      const route: number[] = [this.nicOf(from)[0]];
      if (link.wan) {
        route.push(link.flowLink);
        const egress = this.caps.get(source)?.[0] ?? -1;
        const ingress = this.caps.get(target)?.[1] ?? -1;
        if (egress >= 0) route.push(egress);
        if (ingress >= 0) route.push(ingress);
      }
      route.push(this.nicOf(to)[1]);
      const penaltyS = link.latencyMs > 0 ? link.latencyMs / 1000 : PENALTY_OF_ZERO_LATENCY_S;
      pair[i] = c = { nextSeq: 0, expected: 0, buffer: new Map(), link, route, weight: this.sharing === "cm02" ? 1 / penaltyS : 1, inFlight: 0, waiting: [] };
    }
    return c;
  }

  send(from: NodeId, to: NodeId, channel: Channel, payload: P, sizeBytes: number): Envelope<P> {
    const conn = this.connection(from, to, channel);
    // One literal with every field, in one order: every envelope has the same shape.
    const env: Envelope<P> = {
      from,
      to,
      channel,
      payload,
      sizeBytes,
      seq: conn.nextSeq++,
      sentMs: this.engine.now,
      connection: conn,
      route: conn.route,
      weight: conn.weight,
      remaining: 0,
      rate: 0,
      pendingRate: 0,
      lastMs: 0,
      doneMs: Infinity,
      heapIndex: -1,
      slots: [],
      order: 0,
      mark: 0,
      frozen: 0,
    };
    this.stats.messages++;
    this.transmit(conn.link, env);
    return env;
  }

  /** The smallest capacity on a route, bytes per ms (0 when a link of it is cut). */
  private bottleneckOf(route: readonly number[]): number {
    let rate = Infinity;
    for (const l of route) rate = Math.min(rate, this.flows.capacityOf(l));
    return rate;
  }

  /** Puts a message on the wire (again, for a retransmission). */
  private transmit(link: Link<P>, env: Envelope<P>): void {
    this.charge(link, env.sizeBytes);
    if (env.channel === "control" && this.controlDedicated) {
      const rate = this.bottleneckOf(env.connection.route);
      if (rate <= 0) {
        // Cut: the sender's transport keeps it and sends it when the link heals.
        this.stats.partitionHeld++;
        link.held.push(env);
        return;
      }
      this.engine.afterWith(env.sizeBytes / rate, this.transferredHandler, env);
    } else if (this.sharing === "cm02" && link.latencyMs > 0) {
      // CM02 pays the route latency before the transfer starts.
      this.engine.afterWith(link.latencyMs, this.startFlowHandler, env);
    } else {
      this.startFlow(env);
    }
  }

  private startFlow(env: Envelope<P>): void {
    const conn = env.connection;
    if (this.fifo && conn.inFlight > 0) {
      conn.waiting.push(env);
      return;
    }
    conn.inFlight++;
    this.flows.start(env, conn.route, conn.weight, env.sizeBytes);
  }

  /** A flow's last byte is transferred: the next message on its connection may start (fifo). */
  private flowDone(env: Envelope<P>): void {
    const conn = env.connection;
    conn.inFlight--;
    // The next one starts first: delivering this one may send more on the same connection.
    if (conn.waiting.length > 0) this.startFlow(conn.waiting.shift()!);
    this.transferred(conn.link, env);
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
    // Under CM02 a flow paid its latency before the transfer.
    let delay = this.sharing === "cm02" && (env.channel === "data" || !this.controlDedicated) ? 0 : link.latencyMs;
    if (lossy !== null) {
      if (lossy.loss > 0 && link.rng.bernoulli(lossy.loss)) {
        this.stats.retransmits++;
        this.stats.retransmittedBytes += env.sizeBytes;
        this.engine.afterWith(4 * link.latencyMs, this.transmitHandler, env);
        return;
      }
      if (lossy.duplicate > 0 && link.rng.bernoulli(lossy.duplicate)) {
        this.engine.afterWith(delay + link.rng.uniform(0, link.latencyMs + 1), this.arriveHandler, env);
      }
      if (lossy.reorder > 0 && link.rng.bernoulli(lossy.reorder)) delay += link.rng.uniform(0, 2 * link.latencyMs + 1);
    }
    if (delay === 0) this.arrive(link, env);
    else this.engine.afterWith(delay, this.arriveHandler, env);
  }

  /** Called with every message that reaches its target, before the reorder buffer (for benchmarks). */
  onArrival: ((env: Envelope<P>) => void) | null = null;

  private arrive(link: Link<P>, env: Envelope<P>): void {
    if (this.onArrival !== null) this.onArrival(env);
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
    link.partitions += cut ? 1 : -1;
    if (link.partitions < 0) throw new RangeError(`link ${link.key} healed more often than cut`);
    this.flows.setCapacity(link.flowLink, link.rateBytesPerMs);
    if (wasCut && link.partitions === 0) {
      // Healed: what waited is resent and arrives one latency (plus its transfer, for control) later.
      const held = link.held.splice(0);
      for (const env of held) {
        if (env.channel === "control" && this.controlDedicated) this.transmit(link, env);
        else this.engine.afterWith(link.latencyMs, this.arriveHandler, env);
      }
    }
  }

  /** Multiplies (or, with `undo`, divides) the link's bandwidth by `factor`. */
  scaleBandwidth(source: string, target: string, factor: number, undo: boolean): void {
    if (!(factor > 0)) throw new RangeError(`bandwidth factor must be > 0, got ${factor}`);
    const link = this.wanLink(source, target);
    link.factor = undo ? link.factor / factor : link.factor * factor;
    this.flows.setCapacity(link.flowLink, link.rateBytesPerMs);
  }

  setLossy(source: string, target: string, lossy: LossSpec | null): void {
    this.wanLink(source, target).lossy = lossy;
  }

  /** Messages sent but not yet delivered (on the wire, held by a partition, or in a reorder buffer). */
  get outstanding(): number {
    return this.stats.messages - this.stats.delivered;
  }
}
