/**
 * One node of a real run: a worker, a shard or a hub, as its own process. It drives the SAME core
 * role object the simulator drives: inputs come from sockets (messages, peer up/down) and real
 * timers (`nextDeadlineMs`), effects go to sockets; a worker runs its program's step for each
 * `compute` effect. It reports to its launcher (or a log) as JSON lines: worker clocks, replica
 * values at evaluation points, metrics, trace events and its final state.
 *
 * A shard (or a hub) with checkpoints on keeps its state durable (checkpoint.ts): its links acknowledge only
 * what a checkpoint covers, and messages it sends leave only after a checkpoint that covers them
 * is on disk (output commit), so a shard killed at any moment restores, rejoins, and the peers'
 * resends bring it up to date without losing or doubling any update.
 */
import { performance } from "node:perf_hooks";
import {
  createRole,
  usesUp,
  dataCenterOf,
  HubRole,
  Rng,
  encodedSize,
  FilterCollector,
  snapshotHash,
  ShardRole,
  WorkerRole,
  type DeliveryEvent,
  type Effect,
  type Input,
  type LinkSnapshot,
  type Message,
  type NodeId,
  type Role,
  type TraceEvent,
  type Workload,
  type WorkerProgram,
} from "@gaia/core";
import { stepMsPerSample } from "@gaia/scenario";
import { dirname } from "node:path";
import { createWorkload } from "@gaia/workloads";
import { rejoinMac } from "./auth.js";
import { checkpointFileOf, readCheckpoint, restoreChecked, writeCheckpoint, type ShardCheckpoint } from "./checkpoint.js";
import { resolveAddresses, type ClusterConfig } from "./cluster.js";
import { healthRoutes, Readiness } from "./health.js";
import { Metrics } from "./metrics.js";
import { describeWait } from "./node-wait.js";
import { rejoinStates } from "./rejoin.js";
import { peersOf, placementOf, planOf, wanSenders, workerRng, type RunPlan } from "./plan.js";
import { bytesPerMsOf, LinkShaper } from "./shaper.js";
import { encodeFloats, type BlockedMs, type NodeFaultState, type NodeReport } from "./reports.js";
import { Transport, type FrameLoss, type PeerAddress } from "./transport.js";

export { decodeFloats, encodeFloats, type BlockedMs, type NodeFaultState, type NodeReport } from "./reports.js";

export interface NodeOptions {
  readonly cluster: ClusterConfig;
  readonly node: NodeId;
  readonly report: (r: NodeReport) => void;
  /** Report every trace event (for checkers; verbose). */
  readonly trace?: boolean;
  /** Shards: keep checkpoints (default: the cluster file's `checkpoint.enabled`). */
  readonly checkpoints?: boolean;
  /** Restore from the checkpoint if one exists (a restart). */
  readonly restore?: boolean;
  /** Wall-clock epoch shared by the run (launcher's start), for `atMs` in reports. */
  readonly epochMs?: number;
  readonly metricsEveryMs?: number;
  /** Faults in force when the node starts (a shard restarted during a partition). */
  readonly faults?: NodeFaultState;
  /** Watchdog: report `stalled` after this long without progress (default 30 s; 0: off). */
  readonly watchdogMs?: number;
  /** Report ready, then train only at `begin()`: a launch's nodes all begin once all are up, as simulated ones at time 0. */
  readonly awaitStart?: boolean;
}

export class NodeRuntime {
  readonly metrics: Metrics;
  /** What GET /readyz answers (health.ts). */
  readiness = new Readiness([]);
  private plan!: RunPlan;
  private workload!: Workload;
  private role!: Role;
  private program: WorkerProgram | null = null;
  private transport!: Transport;
  private roleTimer: NodeJS.Timeout | null = null;
  private roleTimerAt = Infinity;
  private metricsTimer: NodeJS.Timeout | null = null;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private done = false;
  private closed = false;
  private lastShardClock = -1;
  private readonly blockedMs: BlockedMs = { ssp: 0, mirrorClock: 0, barrier: 0, outerStep: 0 };
  private readonly wanBytes = new Map<string, number>();
  private epochMs: number;
  private readonly shapers = new Map<string, LinkShaper>();
  /** Shards under ASP: the significance filter's counts, for the final report. */
  private filterStats: FilterCollector | null = null;
  private slowFactor = 1;
  /** With `emulateCompute`: the modeled cost of one sample on this node (0: real time only). */
  private emulatedMsPerSample = 0;
  /** Output commit: sends held until the next checkpoint is on disk. */
  private held: { to: NodeId; msg: Message; channel: "data" | "control" }[] = [];
  private checkpointing = false;
  private checkpointWanted = false;
  private checkpointRetryMs = 0;
  /** Shards and hubs with checkpoints on: durable acks and output commit. */
  private durable = false;
  private readonly checkpointsOn: boolean;
  private computeQueued = false;
  private begun = false;
  private watchdogTimer: NodeJS.Timeout | null = null;
  private progressKey = "";
  private progressAt = 0;
  private stallReportedAt = 0;

  constructor(readonly options: NodeOptions) {
    this.metrics = new Metrics(options.node);
    this.epochMs = options.epochMs ?? Date.now();
    this.checkpointsOn = options.checkpoints ?? options.cluster.checkpoint.enabled;
  }

  private nowMs(): number {
    return this.transport.nowMs();
  }

  private atMs(): number {
    return Date.now() - this.epochMs;
  }

  get isWorker(): boolean {
    return this.role instanceof WorkerRole;
  }

  /** A worker's clock (iterations completed), or null. */
  get clock(): number | null {
    return this.role instanceof WorkerRole ? this.role.clock : null;
  }

  /** A shard or hub that keeps checkpoints. */
  get keepsCheckpoints(): boolean {
    return this.durable;
  }

  get isShard(): boolean {
    return this.role instanceof ShardRole;
  }

  async start(): Promise<void> {
    const { cluster, node } = this.options;
    const scenario = cluster.scenario;
    this.workload = await createWorkload(scenario.workload, { seed: scenario.seed, dataCenters: scenario.topology.dataCenters, workersPerDataCenter: scenario.topology.workersPerDataCenter, baseDir: scenario.baseDir ?? dirname(cluster.file) });
    this.plan = planOf(scenario, this.workload, cluster.wanEmulation.enabled ? cluster.wanEmulation.bandwidthScale : 1);
    if (cluster.emulateCompute) {
      const original = this.plan.aliasOf.get(node) ?? node;
      const speeds = scenario.compute.speeds;
      const speed = speeds[original] ?? speeds[dataCenterOf(original)] ?? 1;
      this.emulatedMsPerSample = stepMsPerSample(scenario, this.workload) / speed;
    }
    const { layout } = this.plan;
    if (!layout.nodes.includes(node)) throw new Error(`node ${node} is not in the layout of ${cluster.file} (nodes: ${layout.nodes.join(", ")})`);
    const addresses = resolveAddresses(cluster, layout.nodes);
    const peers = new Map<string, PeerAddress>(peersOf(this.plan, node).map((p) => [p, addresses.get(p)!]));

    const programs = new Map<NodeId, WorkerProgram>();
    if (layout.workers.includes(node)) {
      const original = this.plan.aliasOf.get(node) ?? node;
      this.program = this.workload.createWorker(placementOf(scenario, this.plan.aliasOf, node), workerRng(scenario.seed, original));
      programs.set(node, this.program);
    }
    const isWorker = layout.workers.includes(node);
    // A restarted worker rejoins from its shards' state: where each stands, asked over HTTP, signed.
    const rejoin = isWorker && this.options.restore ? await rejoinStates(cluster, layout.shardsOfWorker(node).map((s) => s.id), node, addresses) : undefined;
    // Every send is encoded before the next step (or copied, when held for a checkpoint), so the
    // shard may lend its replica to read replies.
    this.role = createRole(layout, node, { sync: this.plan.sync, initial: this.workload.initParams(), maxClock: this.plan.maxClock, programs, lendReplies: true, ...(rejoin ? { rejoin } : {}) });
    if (this.role instanceof ShardRole && this.plan.sync.asp !== null) {
      const info = layout.shard(node);
      const destinations = info.hub !== null ? [info.hub] : info.mirrors;
      this.filterStats = new FilterCollector(() => destinations);
    }

    const shard = this.role instanceof ShardRole || this.role instanceof HubRole;
    const durable = shard && this.checkpointsOn;
    this.durable = durable;
    let restoredLinks: Map<string, LinkSnapshot<Uint8Array>> | undefined;
    let restoredEpochs: { linkEpoch?: string; peerEpochs?: Readonly<Record<string, string>> } = {};
    let restored = rejoin !== undefined;
    if (shard && this.options.restore) {
      // Restoring from nothing would start the shard fresh while its peers remember it: say so.
      if (!durable) throw new Error(`--restore: ${node} keeps no checkpoints (checkpoint.enabled is false in ${cluster.file}); start it without --restore`);
      const checkpoint = readCheckpoint(cluster.checkpoint.dir, node);
      if (!checkpoint) throw new Error(`--restore: no checkpoint of ${node} in ${cluster.checkpoint.dir}; start it without --restore`);
      restoreChecked(this.role as ShardRole | HubRole, checkpoint, checkpointFileOf(cluster.checkpoint.dir, node));
      restoredLinks = new Map(Object.entries(checkpoint.links));
      restoredEpochs = { ...(checkpoint.linkEpoch !== undefined ? { linkEpoch: checkpoint.linkEpoch } : {}), ...(checkpoint.peerEpochs ? { peerEpochs: checkpoint.peerEpochs } : {}) };
      restored = true;
      // A standalone node restarted by hand keeps the clock its reads were stamped with.
      if (this.options.epochMs === undefined && checkpoint.epochMs !== undefined) this.epochMs = checkpoint.epochMs;
    }

    const own = dataCenterOf(node);
    const shapers = this.shapers;
    const wan = cluster.wanEmulation;
    const shaperFor = (peer: string): LinkShaper | null => {
      const target = dataCenterOf(peer);
      if (!wan.enabled || target === own) return null;
      let s = shapers.get(target);
      if (!s) {
        const link = scenario.topology.links.find((l) => l.source === own && l.target === target);
        if (!link) return null;
        const share = wanSenders(this.plan, own, target);
        // With the kernel shaping bandwidth (tc in the network namespaces), the runtime adds the latency only.
        const bytesPerMs = wan.bandwidthBy === "kernel" ? Infinity : bytesPerMsOf((link.bandwidthMbps * wan.bandwidthScale) / share);
        s = new LinkShaper(bytesPerMs, link.latencyMs * wan.latencyScale);
        shapers.set(target, s);
      }
      return s;
    };

    this.readiness = new Readiness([...peers.keys()]);
    this.declareMetrics([...peers.keys()]);
    const address = addresses.get(node)!;
    // Peers of this data center on this host take the unix-socket carrier (see transport.ts).
    const unixPeers = new Set([...peers.keys()].filter((peer) => cluster.lanCarrier === "unix" && !cluster.tls && dataCenterOf(peer) === own && addresses.get(peer)?.host === address.host));
    this.transport = new Transport({
      self: node,
      secret: cluster.secret,
      listenHost: cluster.listenHost ?? address.host,
      port: address.port,
      tls: cluster.tls ?? undefined,
      peers,
      ...(cluster.lanCarrier === "unix" && !cluster.tls ? { unix: { dir: cluster.socketDir, peers: unixPeers } } : {}),
      link: { durableAcks: durable, heartbeatMs: 250, peerTimeoutMs: 2000, retransmitMs: 15_000, retransmitMaxMs: 60_000, ackDelayMs: 5 },
      ...(restoredLinks ? { restore: restoredLinks } : {}),
      ...(restoredEpochs.linkEpoch !== undefined ? { epoch: restoredEpochs.linkEpoch } : {}),
      ...(restoredEpochs.peerEpochs ? { restorePeerEpochs: restoredEpochs.peerEpochs } : {}),
      shaperFor,
      metrics: this.metrics,
      epochMs: this.epochMs,
      wanCutMode: wan.cutMode,
      restartable: (peer) => layout.workers.includes(peer),
      random: ((rng) => () => rng.float())(new Rng(scenario.seed).child(`lossy:${node}`)),
      onMessage: (from, msg) => this.deliver({ kind: "message", from, msg }, true),
      // Nothing a resend can repair: stop at once, naming the link and the cause (the launcher fails the run with it).
      onOutOfStep: (message) => {
        this.options.report({ ev: "error", node, message });
        this.close();
      },
      usesUp: (_from, msg) => usesUp(this.role, msg.kind),
      onPeer: (peer, up) => {
        this.readiness.peer(peer, up);
        this.deliver({ kind: "peer", peer, up });
      },
      routes: { "/metrics": () => this.prometheus(), "/rejoin": (query) => this.rejoinAnswer(query), ...healthRoutes(this.readiness) },
    });
    const faults = this.options.faults;
    if (faults) {
      for (const dc of faults.cutDataCenters) this.setWanCut(dc, true);
      for (const [dc, factor] of Object.entries(faults.bandwidthFactors)) this.setWanBandwidthFactor(dc, factor);
      for (const [dc, spec] of Object.entries(faults.lossy ?? {})) this.setLossy(dc, spec);
      this.setSlowFactor(faults.slowFactor);
    }
    const port = await this.transport.start();
    if (durable) {
      // The initial state is a checkpoint too: a shard killed before its first one restarts clean.
      if (!restored) await this.checkpointNow();
      this.checkpointTimer = setInterval(() => this.requestCheckpoint(), cluster.checkpoint.everyMs);
    }
    this.options.report({ ev: "ready", node, port, restored });
    this.metricsTimer = setInterval(() => this.reportMetrics(), this.options.metricsEveryMs ?? 500);
    const watchdogMs = this.options.watchdogMs ?? 30_000;
    if (watchdogMs > 0) {
      this.progressAt = Date.now();
      this.watchdogTimer = setInterval(() => this.watch(watchdogMs), Math.min(1000, watchdogMs / 4));
      this.watchdogTimer.unref();
    }
    if (!this.options.awaitStart) this.begin();
  }

  /** Training begins: the role gets its start input (once; `start` calls it unless `awaitStart`). */
  begin(): void {
    if (this.begun || this.closed) return;
    this.begun = true;
    this.readiness.started();
    this.deliver({ kind: "start" });
  }

  /** A worker finishes after its current clock (the launcher's stop condition was met). */
  stop(): void {
    if (this.role instanceof WorkerRole) this.deliver({ kind: "stop" });
  }

  /**
   * SIGTERM: a worker finishes its current step, pushes it and is done; a shard or hub with
   * checkpoints on writes one more checkpoint. Resolves, with whether a checkpoint was written,
   * once that is done and (a worker) its pushes are acknowledged, or after `graceMs`.
   */
  async terminate(graceMs: number): Promise<boolean> {
    this.readiness.terminate();
    const deadline = Date.now() + graceMs;
    const written = this.metrics.get("checkpoints_total");
    this.stop();
    if (this.durable) {
      this.requestCheckpoint();
      while ((this.checkpointing || this.checkpointWanted) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    }
    const worker = this.role instanceof WorkerRole;
    while (worker && !(this.done && this.transport.unacked === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.metrics.get("checkpoints_total") > written;
  }

  /** Cuts every connection; the links resend once peers reconnect. */
  dropConnections(): void {
    this.transport.dropConnections();
  }

  /** Cuts every connection of this node for `ms` milliseconds. */
  cutFor(ms: number): void {
    this.transport.cutFor(ms);
  }

  /** A WAN partition fault: cut (or heal) this node's emulated WAN to `dataCenter`. */
  setWanCut(dataCenter: string, cut: boolean): void {
    this.transport.setWanCut(dataCenter, cut);
  }

  /**
   * A bandwidth fault: this node's emulated link to `dataCenter` runs at `factor` times its rate
   * (false when the WAN is not emulated, so there is no link to slow).
   */
  setWanBandwidthFactor(dataCenter: string, factor: number): boolean {
    const shaper = this.shapers.get(dataCenter);
    if (!shaper) return false;
    shaper.factor = factor;
    return true;
  }

  /** A lossy fault: frames to `dataCenter` are lost, doubled or reordered (null: healed). */
  setLossy(dataCenter: string, spec: FrameLoss | null): void {
    this.transport.setLossy(dataCenter, spec);
  }

  /** A slow-node fault: every compute step takes `factor` times as long (a sleep after it). */
  setSlowFactor(factor: number): void {
    this.slowFactor = factor > 0 ? factor : 1;
  }

  /**
   * The objective evaluated on this data center's replica at `iteration` (the launcher evaluates
   * it from the shards' values and tells them): exported as `gaia_objective` and
   * `gaia_objective_iteration` (a diverged run's objective, +Inf, is exported as it is). A malformed
   * command (no whole iteration, no number) is counted under `remote_errors_total` and ignored.
   */
  setObjective(iteration: number, objective: number): boolean {
    if (!Number.isInteger(iteration) || iteration < 0 || Number.isNaN(objective)) {
      this.metrics.count("remote_errors_total", 1, { code: "bad-objective" });
      return false;
    }
    const labels = { data_center: dataCenterOf(this.options.node) };
    this.metrics.gauge("objective", objective, labels);
    this.metrics.gauge("objective_iteration", iteration, labels);
    return true;
  }

  /** The final report, then close everything. */
  async finish(): Promise<void> {
    while (this.durable && this.checkpointing) await new Promise((r) => setTimeout(r, 5));
    const shard = this.role instanceof ShardRole ? this.role : null;
    this.reportMetrics();
    this.options.report({
      ev: "final",
      node: this.options.node,
      values: shard ? encodeFloats(shard.values()) : null,
      clock: shard ? shard.localClock : this.role instanceof WorkerRole ? this.role.clock : null,
      ...(this.filterStats !== null ? { filter: this.filterStats.stats() } : {}),
    });
    this.close();
  }

  close(): void {
    this.closed = true;
    for (const t of [this.roleTimer, this.checkpointTimer, this.metricsTimer, this.watchdogTimer]) if (t) clearTimeout(t);
    this.transport?.close();
  }

  /** `refuse`: a message the role refuses is thrown back (its link then keeps the seq free; link.ts). */
  private deliver(input: Input, refuse = false): void {
    if (this.closed) return;
    // The checkers keep their barrier books from what was delivered, not from the shard's report.
    if (this.options.trace && input.kind === "message" && this.role instanceof ShardRole) this.reportDelivery(input.msg, this.role.range.start);
    const errors = this.role.remoteErrors.length;
    const effects = this.role.step(input, this.nowMs());
    this.role.invariants();
    this.apply(effects);
    this.afterStep();
    if (refuse && this.role.remoteErrors.length > errors) throw this.role.remoteErrors[errors]!;
  }

  private apply(effects: readonly Effect[]): void {
    for (const e of effects) {
      switch (e.kind) {
        case "send":
          if (this.durable) {
            // Held past this step, so a reply that borrows the shard's replica gets its own copy.
            this.held.push({ to: e.to, msg: ownValues(e.msg), channel: e.channel });
            this.requestCheckpoint();
          } else {
            this.measureLink(e.to, e.msg);
            this.transport.send(e.to, e.msg, e.channel);
          }
          break;
        case "compute":
          this.compute(e.clock, e.rows, e.values);
          break;
        case "trace":
          this.onTrace(e.event);
          break;
        case "done":
          this.done = true;
          this.readiness.done();
          break;
      }
    }
  }

  /**
   * Before a mirror update goes to the emulated WAN link towards `to`: the link will carry it after
   * its backlog, so it delivers at bytes / (backlog + bytes / rate). The shard takes that as a
   * `link-rate` input, as the simulator's driver reports each delivery. On a real WAN (no
   * emulation), or with the kernel shaping the bandwidth, there is no backlog to read, and shards
   * keep their declared rates.
   */
  private measureLink(to: NodeId, msg: Message): void {
    if (msg.kind !== "mirror-update" || !(this.role instanceof ShardRole)) return;
    const shaper = this.shapers.get(dataCenterOf(to));
    // A shaper of latency only (the kernel shapes the bandwidth) has no backlog to read: declared rates, as on a real WAN.
    if (!shaper || !Number.isFinite(shaper.bytesPerMs)) return;
    const bytes = encodedSize(msg);
    const bytesPerMs = bytes / (shaper.backlogMs(this.nowMs()) + bytes / shaper.bytesPerMs);
    setImmediate(() => this.deliver({ kind: "link-rate", peer: to, bytesPerMs }));
  }

  private compute(clock: number, rows: Uint32Array, values: Float32Array): void {
    if (this.computeQueued) throw new Error(`${this.options.node}: a second compute while one runs`);
    this.computeQueued = true;
    // Off the current I/O callback, so sockets are served between steps.
    setImmediate(() => {
      if (this.closed) return;
      const started = performance.now();
      const result = this.program!.step(clock, rows, values);
      const elapsedMs = performance.now() - started;
      this.metrics.count("compute_seconds_total", elapsedMs / 1000);
      const done = (): void => {
        this.computeQueued = false;
        this.deliver({ kind: "computed", clock, rows: result.rows, deltas: result.deltas, samples: result.samples });
      };
      // Emulated compute: the step takes at least its modeled cost. A slow node: the step takes
      // `slowFactor` times as long. The node serves sockets meanwhile.
      const stepMs = Math.max(elapsedMs, result.samples * this.emulatedMsPerSample) * this.slowFactor;
      this.metrics.observe("step_seconds", stepMs / 1000);
      const extraMs = stepMs - elapsedMs;
      if (extraMs > 0) {
        this.metrics.count("compute_sleep_seconds_total", extraMs / 1000);
        setTimeout(done, extraMs);
      } else done();
    });
  }

  private onTrace(event: TraceEvent): void {
    this.filterStats?.observe(event);
    if (event.type === "read-served") {
      this.metrics.observe("read_wait_seconds", event.waitedMs / 1000, { reason: event.blockedBy ?? "none" });
      if (event.blockedBy !== null) {
        const key = event.blockedBy === "mirror-clock" ? "mirrorClock" : event.blockedBy === "outer-step" ? "outerStep" : event.blockedBy;
        this.blockedMs[key] += event.waitedMs;
        this.metrics.count("reads_blocked_total", 1, { reason: event.blockedBy });
        this.metrics.count("read_blocked_seconds_total", event.waitedMs / 1000, { reason: event.blockedBy });
      }
    }
    // The significance filter at each clock flush, counted as the core's FilterCollector counts it.
    if (event.type === "mirror-sent" && event.clock >= 0) {
      this.metrics.count("mirror_updates_sent_total");
      this.metrics.count("filter_accumulated_entries_total", event.accumulated);
      this.metrics.count("filter_significant_entries_total", event.significant);
      this.metrics.count("filter_sent_entries_total", event.entries);
      this.metrics.count("filter_held_back_entries_total", event.heldBack);
      this.metrics.count("filter_sent_bytes_total", event.bytes);
      this.metrics.count("barriers_sent_total", event.barrierTo.length);
    }
    if (event.type === "mirror-applied") this.metrics.count("mirror_entries_applied_total", event.entries);
    if (event.type === "worker-clock") this.options.report({ ev: "clock", node: this.options.node, clock: event.clock, atMs: this.atMs() });
    if (event.type === "remote-error") this.metrics.count("role_remote_errors_total", 1, { code: event.code });
    // JSON has no NaN or infinities: the value travels as its text.
    if (event.type === "diverged") this.options.report({ ev: "diverged", node: this.options.node, clock: event.clock, row: event.row, value: String(event.value) });
    if (this.options.trace) this.options.report({ ev: "trace", node: this.options.node, event: { ...event, atMs: this.atMs() } });
  }

  private reportDelivery(msg: Message, start: number): void {
    const shard = this.options.node;
    const atMs = this.atMs();
    let event: DeliveryEvent;
    if (msg.kind === "barrier") {
      event = { type: "barrier-delivered", shard, source: msg.source, clock: msg.clock, rows: Array.from(msg.rows, (r) => start + r) };
    } else if (msg.kind === "mirror-update") event = { type: "mirror-delivered", shard, sources: msg.sources, clock: msg.clock };
    else if (msg.kind === "mirror-flush") event = { type: "mirror-delivered", shard, sources: msg.sources, clock: null };
    else return;
    this.options.report({ ev: "delivered", node: shard, event: { ...event, atMs } });
  }

  private afterStep(): void {
    if (this.role instanceof ShardRole) {
      const clock = this.role.localClock;
      const evalEvery = this.options.cluster.scenario.stop.evalEvery;
      const evaluated = this.plan.layout.replicaOf(this.plan.evalDataCenter).some((s) => s.id === this.role.id);
      if (clock !== this.lastShardClock && clock % evalEvery === 0) {
        // Every shard says what it has sent at each evaluated clock, so the launcher's row for that
        // clock counts each link's bytes as of then, not as of the last periodic report (500 ms).
        this.reportMetrics();
        if (evaluated) this.options.report({ ev: "values", node: this.options.node, clock, values: encodeFloats(this.role.modelValues()), atMs: this.atMs() });
      }
      this.lastShardClock = clock;
    }
    const deadline = this.role.nextDeadlineMs();
    if (deadline === null || deadline >= this.roleTimerAt) return;
    if (this.roleTimer) clearTimeout(this.roleTimer);
    this.roleTimerAt = deadline;
    this.roleTimer = setTimeout(() => {
      this.roleTimer = null;
      this.roleTimerAt = Infinity;
      this.deliver({ kind: "timer" });
    }, Math.max(0, deadline - this.nowMs()));
  }

  /** Every series this node will have, at 0 from the first scrape. */
  private declareMetrics(peers: readonly string[]): void {
    const m = this.metrics;
    const own = dataCenterOf(this.options.node);
    for (const channel of ["data", "control"]) for (const name of ["messages_sent_total", "messages_received_total"]) m.declare(name, { channel });
    for (const peer of peers) for (const name of ["bytes_sent_total", "message_bytes_sent_total", "reconnects_total", "dial_retries_total"]) m.declare(name, { peer });
    for (const target of new Set(peers.map(dataCenterOf))) if (target !== own) m.declare("wan_bytes_sent_total", { link: `${own}->${target}` });
    for (const reason of ["ssp", "mirror-clock", "barrier"]) {
      m.declare("read_blocked_seconds_total", { reason });
      m.declare("reads_blocked_total", { reason });
      m.declareHistogram("read_wait_seconds", { reason });
    }
    m.declareHistogram("read_wait_seconds", { reason: "none" });
  }

  /** Bytes this node sent per WAN link, from the transport's per-peer counters. */
  private wanBytesByLink(): Record<string, number> {
    const own = dataCenterOf(this.options.node);
    const byLink: Record<string, number> = {};
    for (const [key, value] of Object.entries(this.metrics.toJSON())) {
      const m = /^bytes_sent_total\{peer="(.*)"\}$/.exec(key);
      if (!m) continue;
      const target = dataCenterOf(m[1]!);
      if (target !== own) byLink[`${own}->${target}`] = (byLink[`${own}->${target}`] ?? 0) + value;
    }
    for (const [link, bytes] of Object.entries(byLink)) this.metrics.setCounter("wan_bytes_sent_total", bytes, { link });
    return byLink;
  }

  private reportMetrics(): void {
    if (!this.transport) return;
    const byLink = this.wanBytesByLink();
    for (const [link, bytes] of Object.entries(byLink)) this.wanBytes.set(link, bytes);
    this.options.report({ ev: "metrics", node: this.options.node, wanBytesByLink: byLink, blockedMs: { ...this.blockedMs }, counters: this.metrics.toJSON() });
    const clock = this.role instanceof ShardRole ? this.role.localClock : this.role instanceof WorkerRole ? this.role.clock : null;
    this.options.report({ ev: "state", node: this.options.node, done: this.done, unacked: this.transport.unacked + this.held.length, clock });
  }

  /**
   * Watchdog: a node that made no progress (its clock, its slowest mirror's clock) for `limitMs`
   * while not done says so, and on what it waits, once per `limitMs`, so a cluster never hangs
   * without saying why.
   */
  private watch(limitMs: number): void {
    if (this.closed) return;
    const role = this.role;
    const key = role instanceof ShardRole ? `${role.localClock}|${role.mirrorClockMin}|${role.pendingReads}|${role.finished}` : role instanceof WorkerRole ? `${role.clock}|${role.waitingOn().phase}` : `${this.metrics.total("messages_received_total")}`;
    const now = Date.now();
    if (key !== this.progressKey || this.done) {
      this.progressKey = key;
      this.progressAt = now;
      return;
    }
    if (now - this.progressAt < limitMs || now - this.stallReportedAt < limitMs) return;
    this.stallReportedAt = now;
    this.metrics.count("stalls_total", 1, {}, "watchdog reports: no progress for the watchdog period");
    this.options.report({ ev: "stalled", node: this.options.node, forMs: now - this.progressAt, waitingOn: this.describeWait() });
  }

  /** On what this node waits, in words. */
  describeWait(): string {
    return describeWait(this.role, this.plan, this.transport.peerStatus(), this.metrics);
  }

  /** GET /rejoin?worker=W&nonce=N on a shard: where W stands here, signed for W's nonce. */
  private rejoinAnswer(query: string): string {
    const params = new URLSearchParams(query);
    const worker = params.get("worker") ?? "";
    const nonce = params.get("nonce") ?? "";
    const state = this.role instanceof ShardRole && nonce.length >= 16 && nonce.length <= 128 ? this.role.clientState(worker) : null;
    if (state === null) return JSON.stringify({ error: `${worker.slice(0, 64)} is not a worker of ${this.options.node}, or the nonce is missing` });
    const mac = Buffer.from(rejoinMac(this.options.cluster.secret, nonce, this.options.node, worker, state.clock, state.done)).toString("hex");
    return JSON.stringify({ clock: state.clock, done: state.done, mac });
  }

  private prometheus(): Promise<string> {
    if (this.role instanceof ShardRole) this.metrics.gauge("local_clock", this.role.localClock);
    if (this.role instanceof WorkerRole) this.metrics.gauge("worker_clock", this.role.clock);
    this.metrics.gauge("unacked_frames", this.transport.unacked);
    this.wanBytesByLink();
    return this.metrics.prometheus();
  }

  // ---- checkpoints (shards) ----

  private requestCheckpoint(): void {
    if (this.closed) return;
    if (this.checkpointing) {
      this.checkpointWanted = true;
      return;
    }
    this.checkpointing = true;
    setImmediate(() => void this.checkpointNow());
  }

  /**
   * Writes checkpoints until nothing more is wanted. A write that fails (no file descriptors left,
   * a full disk) is counted and retried with backoff; until one succeeds, the frames it would cover
   * stay gated, so nothing unsafe leaves. It never rejects: a shard out of descriptors keeps
   * serving what it can and catches up once descriptors are free again.
   */
  private async checkpointNow(): Promise<void> {
    this.checkpointing = true;
    try {
      await this.writeCheckpoints();
      if (this.checkpointRetryMs >= 5000) this.options.report({ ev: "retrying", node: this.options.node, message: "checkpoint writes succeed again", recovered: true });
      this.checkpointRetryMs = 0;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unknown";
      this.metrics.count("checkpoint_errors_total", 1, { code }, "checkpoint writes that failed (retried with backoff)");
      this.checkpointRetryMs = Math.min(Math.max(50, this.checkpointRetryMs * 2), 5000);
      if (!this.closed) {
        // Said once the backoff is at its longest, and again at each failure then: the node retries, the launcher waits.
        if (this.checkpointRetryMs >= 5000) this.options.report({ ev: "retrying", node: this.options.node, message: `checkpoint write failing (${code}): ${error instanceof Error ? error.message : String(error)}; retrying`, recovered: false });
        setTimeout(() => {
          this.checkpointWanted = true;
          this.requestCheckpoint();
        }, this.checkpointRetryMs).unref();
      }
      return;
    } finally {
      this.checkpointing = false;
    }
  }

  private async writeCheckpoints(): Promise<void> {
    do {
      this.checkpointWanted = false;
      // Sends produced so far get their sequence numbers now, so the checkpoint holds them; their
      // frames leave only once it is on disk.
      this.transport.gate();
      const release = this.held;
      this.held = [];
      for (const h of release) {
        this.measureLink(h.to, h.msg);
        this.transport.send(h.to, h.msg, h.channel);
      }
      const shard = this.role as ShardRole | HubRole;
      const links = this.transport.snapshotLinks();
      const snapshot = shard.snapshot();
      const checkpoint: ShardCheckpoint = { node: this.options.node, shard: snapshot, stateHash: snapshotHash(snapshot), links: Object.fromEntries(links), epochMs: this.epochMs, linkEpoch: this.transport.epoch, peerEpochs: this.transport.peerEpochs() };
      const started = performance.now();
      await writeCheckpoint(this.options.cluster.checkpoint.dir, checkpoint);
      this.metrics.count("checkpoints_total");
      this.metrics.count("checkpoint_seconds_total", (performance.now() - started) / 1000);
      if (this.closed) return;
      this.transport.ungate();
      this.transport.commit(links);
    } while (this.checkpointWanted || this.held.length > 0);
  }
}

/** A message whose read-reply values are its own (a shard lends its replica; see RoleOptions). */
export const ownValues = (msg: Message): Message => (msg.kind === "read-reply" ? { ...msg, values: msg.values.slice() } : msg);
