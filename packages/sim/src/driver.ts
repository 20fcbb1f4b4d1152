/**
 * The simulation driver: builds the layout and the core roles for a scenario, and drives them in
 * virtual time over the network and compute models, under the scenario's faults, until a stop
 * condition. It is the simulator's counterpart of the real runtime: it constructs the same role
 * objects and feeds them the same inputs, only from an event queue instead of sockets and timers.
 *
 * Rules it follows:
 * - every role gets `start` at t = 0, in layout order; after every step the role's invariants are
 *   checked (unless turned off for benchmarks) and its effects applied at once;
 * - a crashed node processes nothing: its inputs (messages, compute results, timers) wait, in
 *   order, and are delivered when it restarts, with its state intact, as if restored from a
 *   checkpoint (the transport below it resends what it missed);
 * - the objective is evaluated on data center 0's replica (under DiLoCo: its global state of the
 *   last outer step) each time the slowest worker completes
 *   another `stop.evalEvery` clocks, and once at the end;
 * - on reaching the target objective or the virtual-time limit, every worker gets `stop`, and the
 *   run drains (final pushes, final flushes) for at most `drainCapS` more virtual seconds.
 *
 * The layout comes from the scenario's sync model through @gaia/scenario's `planLayout`
 * (layout-plan.ts: lan, the Baseline's bsp / ssp, Gaia's asp, diloco), and Gaia's pacing (the declared link
 * rates behind the byte budget and the barrier, and the expected clock duration) from its
 * `withPacing`, the same two the runtime calls. Each delivered mirror message tells its sender the
 * rate its link delivered at (a `link-rate` input), as the runtime's links do.
 * Under diloco (mirrored placement, no hubs, BSP / SSP inside each data center and DiLoCo's outer
 * rounds between them, core diloco.ts) the outer-step checker watches every round, and at the end
 * the replicas must be bit-identical (plus initial + pushed when the outer step is a plain sum).
 */
import {
  createRole,
  createRoles,
  HubRole,
  snapshotHash,
  estimateStateBytes,
  FilterCollector,
  measureStateBytes,
  dataCenterOf,
  encodedSize,
  reaches,
  Rng,
  ShardRole,
  type HubSnapshot,
  type Input,
  type ShardSnapshot,
  type Message,
  type NodeId,
  type Role,
  type TraceEvent,
  type WorkerPlacement,
  type WorkerProgram,
  type Workload,
} from "@gaia/core";
import { performance } from "node:perf_hooks";
import { deserialize, serialize } from "node:v8";
import {
  checkConservation,
  checkReplicasIdentical,
  OuterStepChecker,
  createCheckers,
  divergenceVerdict,
  firstNonFiniteRow,
  LossComposer,
  mirrorClockSummary,
  momentOf,
  planFaults,
  planLayout,
  SignificanceChecker,
  TraceHash,
  withPacing,
  stepMsPerSample,
  type CheckContext,
  type Divergence,
  type DriverEvent,
  type MetricsPoint,
  type Progress,
  type RunMoment,
  type RunResult,
  type RunSummary,
  type Scenario,
  type SimTraceEvent,
} from "@gaia/scenario";
import { tableShape } from "@gaia/workloads";
import { ComputeModel } from "./compute.js";
import { Engine } from "./engine.js";
import { MetricsCollector } from "./metrics.js";
import { Network, type DataCenterCaps, type Envelope, type NetworkSpec, type NetworkStats } from "./network.js";
import { ComputeThreads } from "./threads.js";

export interface RunOptions {
  /** Called at each evaluation. */
  readonly onProgress?: (p: Progress) => void;
  readonly onMetrics?: (point: MetricsPoint) => void;
  /** The workload to run; by default built with @gaia/workloads' createWorkload. */
  readonly workload?: Workload;
  /** Keep every trace event in memory and return it (default: for runs of at most 64 workers and 500 iterations). */
  readonly recordTrace?: boolean;
  /** Call role.invariants() after every step (default true; benchmarks turn it off). */
  readonly checkInvariants?: boolean;
  /** Virtual seconds a run may drain after a stop (default 600). */
  readonly drainCapS?: number;
  /** Hard cap on events, against runaway scenarios (default 500 million). */
  readonly maxEvents?: number;
  /** Events the run may fire without virtual time advancing before it stops as "no-progress" (default 5 million). */
  readonly noProgressEvents?: number;
  /** Hash the trace (default true; summary.traceHash is "" without it). Benchmarks measure its cost. */
  readonly traceHash?: boolean;
  /** Run the online trace checkers (default true; their verdicts are left out without them). */
  readonly checkers?: boolean;
  /** Overrides of the network model built from the scenario (benchmarks: e.g. controlChannel). */
  readonly network?: Partial<NetworkSpec>;
  /** Workers keep the SSP cache under staleness > 0 (default true; false for comparison runs). */
  readonly workerCache?: boolean;
  /** A tap on every delivered message, before its receiver steps (bench:sim-cost replays the bodies shards receive). */
  readonly onDelivered?: (to: NodeId, msg: Message, role: Role) => void;
  /**
   * Compute threads for worker steps and evaluations (default 1: in-process, no thread). The run,
   * and so its trace hash, is the same at any count. Needs a workload built from the scenario (not
   * `workload`) whose programs tell their samples ahead (`samplesFor`); otherwise the run stays
   * in-process and `threads.note` says why.
   */
  readonly threads?: number;
}

/** The compute threads a run used: their count (1: in-process), and why it is fewer than asked for. */
export interface ThreadsUsed {
  readonly requested: number;
  readonly used: number;
  readonly note: string | null;
  /**
   * Wall seconds the main thread spent on worker steps and evaluations: running them (in-process)
   * or waiting for their results (on threads). The rest of the run's wall time is the simulator's
   * own work (roles, network, checkers), which threads do not spread.
   */
  readonly computeWallS: number;
}

export interface SimulationStats extends NetworkStats {
  readonly remoteErrors: number;
  readonly crashes: number;
  readonly reads: number;
  /** Whether every worker and shard finished and nothing was left in flight. */
  readonly drained: boolean;
  /** Largest gap, in clocks, between the fastest and the slowest worker at any worker-clock event. */
  readonly maxClockSpread: number;
  /**
   * The most WAN bytes charged while the slowest worker was at one clock (from the moment it reached
   * clock c to the moment it reached c + 1), while every worker still trains (from the first
   * worker's last clock on, the final flushes are left out): the peak load an exchange puts on the
   * WAN, which streaming DiLoCo spreads over a period.
   */
  readonly wanBytesPeakPerClock: number;
  /** Completed clocks per worker at the end. */
  readonly workerClocks: Readonly<Record<string, number>>;
  /** Virtual second at which each worker finished, or null. */
  readonly workerDoneS: Readonly<Record<string, number | null>>;
}

export interface SimulationResult extends RunResult {
  /** A simulated run's summary always has its virtual time. */
  readonly summary: RunResult["summary"] & { readonly virtualTimeS: number };
  readonly trace: readonly SimTraceEvent[] | null;
  readonly stats: SimulationStats;
  readonly threads: ThreadsUsed;
}

interface WorkloadsModule {
  createWorkload?: (spec: Scenario["workload"], options: { seed: number; dataCenters: readonly string[]; workersPerDataCenter: number; baseDir?: string }) => Promise<Workload>;
}

/** Rows a worker reads per step, from the workload section (null: every row, or a workload the section does not describe). */
function rowsPerStepOf(scenario: Scenario, workload: Workload): number | null {
  try {
    const shape = tableShape(scenario.workload);
    return shape.rows === workload.rows && shape.cols === workload.cols ? shape.rowsPerStep : null;
  } catch {
    return null;
  }
}

async function buildWorkload(scenario: Scenario): Promise<Workload> {
  const mod = (await import("@gaia/workloads")) as WorkloadsModule;
  if (typeof mod.createWorkload !== "function") throw new Error(`@gaia/workloads has no createWorkload yet: cannot build workload "${scenario.workload.kind}"`);
  const { dataCenters, workersPerDataCenter } = scenario.topology;
  return mod.createWorkload(scenario.workload, { seed: scenario.seed, dataCenters, workersPerDataCenter, ...(scenario.baseDir !== undefined ? { baseDir: scenario.baseDir } : {}) });
}

/**
 * The network of a run: the topology's links (none for LAN) and the scenario's network section.
 * NIC overrides are looked up by node id, then data center, of the node a LAN node stands for.
 */
export function networkSpecOf(scenario: Scenario, nodes: readonly NodeId[], alias: (node: NodeId) => NodeId = (n) => n): NetworkSpec {
  const { topology } = scenario;
  const network = scenario.network;
  const lan = scenario.sync.model === "lan";
  const nicBandwidthMbpsByNode: Record<string, number> = {};
  if (network !== undefined) {
    for (const node of nodes) {
      const original = alias(node);
      const mbps = network.nics[original] ?? network.nics[dataCenterOf(original)];
      if (mbps !== undefined) nicBandwidthMbpsByNode[node] = mbps;
    }
  }
  const dataCenterCaps: Record<string, DataCenterCaps> = {};
  if (network !== undefined && !lan) {
    for (const [dc, cap] of Object.entries(network.wanCaps)) {
      dataCenterCaps[dc] = { ...(cap.egressMbps === null ? {} : { egressMbps: cap.egressMbps }), ...(cap.ingressMbps === null ? {} : { ingressMbps: cap.ingressMbps }) };
    }
  }
  return {
    dataCenters: lan ? ["lan"] : topology.dataCenters,
    links: lan ? [] : topology.links,
    lanBandwidthMbps: topology.lanBandwidthMbps,
    lanLatencyMs: topology.lanLatencyMs,
    egressUsdPerGb: lan ? {} : topology.egressUsdPerGb,
    sharing: network?.sharing ?? "max-min",
    ...(network?.connectionOrder !== undefined ? { connectionOrder: network.connectionOrder } : {}),
    nicBandwidthMbps: network?.nicMbps ?? topology.lanBandwidthMbps,
    nicBandwidthMbpsByNode,
    dataCenterCaps,
  };
}

const DEFAULT_DRAIN_CAP_S = 600;
const SLICE_EVENTS = 100_000;

export async function runSimulation(scenario: Scenario, options: RunOptions = {}): Promise<SimulationResult> {
  const requested = options.threads ?? 1;
  if (!(Number.isInteger(requested) && requested >= 1)) throw new RangeError(`threads must be an integer >= 1, got ${requested}`);
  const threads: ThreadsHolder = { pool: null, requested, note: null };
  if (requested > 1 && options.workload !== undefined) threads.note = `${requested} threads asked for, running in-process: a workload passed in (RunOptions.workload) cannot be rebuilt in a thread`;
  // The threads build their workload while the main thread builds its own.
  else if (requested > 1) {
    const { dataCenters, workersPerDataCenter } = scenario.topology;
    threads.pool = new ComputeThreads(requested, { workload: scenario.workload, seed: scenario.seed, dataCenters, workersPerDataCenter, ...(scenario.baseDir !== undefined ? { baseDir: scenario.baseDir } : {}) });
  }
  try {
    return await simulate(scenario, options, threads);
  } finally {
    await threads.pool?.close();
  }
}

interface ThreadsHolder {
  pool: ComputeThreads | null;
  readonly requested: number;
  note: string | null;
}

async function simulate(scenario: Scenario, options: RunOptions, threads: ThreadsHolder): Promise<SimulationResult> {
  const wallStart = performance.now();
  const { stop, topology } = scenario;
  if (stop.maxIterations === null && stop.maxVirtualTimeS === null) throw new RangeError(`scenario "${scenario.name}": stop needs maxIterations or maxVirtualTimeS, or the run might never end`);
  if (stop.maxIterations !== null && !(Number.isInteger(stop.maxIterations) && stop.maxIterations >= 1)) throw new RangeError(`scenario "${scenario.name}": stop.maxIterations must be an integer >= 1, got ${stop.maxIterations}`);
  if (!(stop.evalEvery >= 1)) throw new RangeError(`scenario "${scenario.name}": stop.evalEvery must be >= 1, got ${stop.evalEvery}`);

  const root = new Rng(scenario.seed);
  const workload = options.workload ?? (await buildWorkload(scenario));
  const { layout, sync: layoutSync, aliasOf } = planLayout(scenario, workload);
  const alias = (node: NodeId): NodeId => aliasOf.get(node) ?? node;
  const dcs = topology.dataCenters;
  const W = topology.workersPerDataCenter;
  // The compute regime scales the base cost (explicit, else the workload's calibrated one).
  const msPerSample = stepMsPerSample(scenario, workload);
  let initial: Float32Array | null = workload.initParams();
  const size = initial.length;
  const cols = workload.cols;

  const placementOf = (worker: NodeId): WorkerPlacement => {
    const original = alias(worker);
    const d = dcs.indexOf(dataCenterOf(original));
    const i = Number(original.slice(original.lastIndexOf("/w") + 2));
    return { dataCenterIndex: d, dataCenterCount: dcs.length, workerIndex: i, workersPerDataCenter: W, globalWorkerIndex: d * W + i, globalWorkerCount: dcs.length * W };
  };
  const programs = new Map<NodeId, WorkerProgram>();
  for (const w of layout.workers) programs.set(w, workload.createWorker(placementOf(w), root.child(`program:${alias(w)}`)));

  // Compute threads: worker w (in layout order) runs on thread w mod N, with the same program the
  // main thread holds (which only plans rows and samples then).
  if (threads.pool !== null && [...programs.values()].some((p) => p.samplesFor === undefined)) {
    threads.note = `${threads.requested} threads asked for, running in-process: workload ${workload.kind}'s programs do not tell their samples ahead (samplesFor)`;
    const pool = threads.pool;
    threads.pool = null;
    await pool.close();
  }
  const pool = threads.pool;
  const threadOf = new Map<NodeId, number>();
  if (pool !== null) {
    const assigned: { node: NodeId; placement: WorkerPlacement; rng: string }[][] = Array.from({ length: pool.count }, () => []);
    layout.workers.forEach((w, k) => {
      threadOf.set(w, k % pool.count);
      assigned[k % pool.count]!.push({ node: w, placement: placementOf(w), rng: `program:${alias(w)}` });
    });
    assigned.forEach((list, k) => pool.assign(k, list));
    await pool.ready();
  }

  const sync = withPacing(scenario, workload, layout, layoutSync, { placementOf });

  // (Without the initial table, which the driver lets go of below: a restored shard overwrites it.)
  const roleOptions = { sync, maxClock: stop.maxIterations ?? Infinity, programs, workerCache: options.workerCache ?? true };
  const roles = createRoles(layout, { ...roleOptions, initial });
  const shardRoles = new Map<NodeId, ShardRole>();
  for (const [id, role] of roles) if (role instanceof ShardRole) shardRoles.set(id, role);

  const engine = new Engine();
  const checkInvariants = options.checkInvariants ?? true;
  const recordTrace = options.recordTrace ?? (layout.workers.length <= 64 && (stop.maxIterations ?? Infinity) <= 500);
  const trace: SimTraceEvent[] | null = recordTrace ? [] : null;
  const hash = options.traceHash === false ? null : new TraceHash();
  const checkContext: CheckContext = {
    clients: new Map(layout.shards.map((s) => [s.id, s.clients])),
    mirrorSources: new Map(layout.shards.map((s) => [s.id, s.mirrors.map(dataCenterOf)])),
    staleness: sync.staleness,
    mirrorClockBound: sync.asp?.mirrorClockBound ?? null,
  };
  const checkers = options.checkers === false ? null : createCheckers(checkContext);
  const significance = options.checkers === false || sync.asp === null ? null : new SignificanceChecker(layout, sync.asp);
  const outerChecker = options.checkers === false || !sync.diloco ? null : new OuterStepChecker(new Map(layout.shards.map((s) => [s.id, s.index])));
  let lastChecked: Message | null = null;
  const metrics = new MetricsCollector(layout.workers);
  const filterStats = sync.asp === null ? null : new FilterCollector((shard) => { const s = layout.shard(shard); return s.hub !== null ? [s.hub] : s.mirrors; });

  const netSpec: NetworkSpec = { ...networkSpecOf(scenario, layout.nodes, alias), ...options.network };
  const network = new Network<Message>(engine, netSpec, root.child("network"), (env) => onDelivered(env));
  const compute = new ComputeModel(scenario.compute, msPerSample, root, dataCenterOf);

  // Bookkeeping for conservation: the initial table plus every pushed delta (float64, exact enough
  // to compare), and the magnitude the allowance scales with (float32: a scale, not a sum that must
  // add up). The shards hold their own copies of the initial table, so the driver lets go of it.
  const pushed = Float64Array.from(initial);
  // (A plain loop: Float32Array.from with a mapping function is slow over a 10M-element table.)
  const magnitude = new Float32Array(initial.length);
  for (let i = 0; i < initial.length; i++) magnitude[i] = Math.abs(initial[i]!);
  initial = null;

  const crashed = new Map<NodeId, number>();
  // A crashed shard's or hub's checkpoint, and each restore's check (restored-state).
  const checkpoints = new Map<NodeId, { readonly bytes: Buffer; readonly hash: string }>();
  let restores = 0;
  let restoreMismatch: string | null = null;
  /**
   * A restart builds the role afresh, as a restarted process does, and restores it from its
   * checkpoint's bytes; the inputs that waited for it are then its log to replay. The restored
   * role's state must hash as the checkpointed state did.
   */
  const restoreFrom = (node: NodeId, checkpoint: { readonly bytes: Buffer; readonly hash: string }): void => {
    checkpoints.delete(node);
    const fresh = createRole(layout, node, { ...roleOptions, initial: new Float32Array(layout.spec.rows * cols) }) as ShardRole | HubRole;
    if (fresh instanceof ShardRole) fresh.restore(deserialize(checkpoint.bytes) as ShardSnapshot);
    else fresh.restore(deserialize(checkpoint.bytes) as HubSnapshot);
    restores++;
    const restored = snapshotHash(fresh.snapshot());
    if (restored !== checkpoint.hash && restoreMismatch === null) {
      restoreMismatch = `${node} restarted at ${engine.now / 1000} s holds state ${restored}, not its checkpoint's ${checkpoint.hash}`;
    }
    roles.set(node, fresh);
    if (fresh instanceof ShardRole) shardRoles.set(node, fresh);
  };
  const waiting = new Map<NodeId, Input[]>();
  const armed = new Map<NodeId, number>();
  const done = new Set<NodeId>();
  const workerDoneMs = new Map<NodeId, number>();
  const series: MetricsPoint[] = [];
  let lastSized: Message | null = null;
  let lastSize = 0;
  // The runtime's output commit (a cluster file with checkpoints on): a shard's or hub's sends leave
  // once the checkpoint that covers them is written; sends made during a write go with the next one.
  const commitMs = scenario.outputCommit?.commitMs ?? null;
  const durable = new Set(layout.nodes.filter((n) => !layout.workers.includes(n)));
  type HeldSend = { readonly to: NodeId; readonly channel: "data" | "control"; readonly msg: Message; readonly bytes: number };
  const commits = new Map<NodeId, { writing: boolean; next: HeldSend[] }>();
  let heldSends = 0;
  const commitNext = (node: NodeId, c: { writing: boolean; next: HeldSend[] }): void => {
    c.writing = true;
    const batch = c.next;
    c.next = [];
    engine.after(commitMs!, () => {
      heldSends -= batch.length;
      for (const h of batch) network.send(node, h.to, h.channel, h.msg, h.bytes);
      if (c.next.length > 0) commitNext(node, c);
      else c.writing = false;
    });
  };
  const send = (node: NodeId, to: NodeId, channel: "data" | "control", msg: Message, bytes: number): void => {
    if (commitMs === null || !durable.has(node)) {
      network.send(node, to, channel, msg, bytes);
      return;
    }
    let c = commits.get(node);
    if (c === undefined) commits.set(node, (c = { writing: false, next: [] }));
    c.next.push({ to, channel, msg, bytes });
    heldSends++;
    if (!c.writing) commitNext(node, c);
  };
  let crashes = 0;
  let lastStepMs = 0;
  let computeWallMs = 0;
  let nextEvalAt = stop.evalEvery;
  let stopping = false;
  let halted = false;
  let stoppedBy: string | null = null;
  let reachedTarget = false;
  let timeToTargetS: number | null = null;
  let atTarget: RunMoment | null = null;
  let maxClockSpread = 0;
  let slowestSeen = 0;
  let wanBytesAtClock = 0;
  let wanBytesPeakPerClock = 0;
  let divergence: Divergence | null = null;
  const diverge = (d: Divergence): void => {
    if (divergence !== null) return;
    divergence = d;
    engine.at(engine.now, () => stopAll("diverged"));
  };

  const record = (event: TraceEvent | DriverEvent): void => {
    if (hash !== null) hash.event(event, engine.now);
    if (checkers !== null) checkers.observe(event, engine.now);
    if (outerChecker !== null && (event.type === "outer-step" || event.type === "outer-sent")) outerChecker.observe(event);
    if (trace !== null) trace.push({ atMs: engine.now, ...event } as SimTraceEvent);
  };

  const replicaOf = (dc: string): Float32Array => {
    const out = new Float32Array(size);
    for (const s of layout.replicaOf(dc)) out.set(shardRoles.get(s.id)!.values(), s.range.start * cols);
    return out;
  };

  // DiLoCo is evaluated on the global state of its last outer step, not on a data center's local
  // progress since (which is one region's model, trained on its own data alone).
  const modelOf = (dc: string): Float32Array => {
    const out = new Float32Array(size);
    for (const s of layout.replicaOf(dc)) out.set(shardRoles.get(s.id)!.modelValues(), s.range.start * cols);
    return out;
  };

  const evaluate = (): MetricsPoint => {
    const evaluated = layout.spec.dataCenters[0]!;
    const replica = modelOf(evaluated);
    let evaluation;
    const started = performance.now();
    if (pool === null) evaluation = workload.evaluate(replica);
    else {
      // The replica is moved to the thread; the run waits for the objective here, where it is reported.
      const result = pool.take(pool.evaluate(replica));
      if (result.kind !== "evaluation") throw new Error(`compute threads: an evaluation came back as ${result.kind}`);
      evaluation = result.evaluation;
    }
    computeWallMs += performance.now() - started;
    const { objective, metrics: extra } = evaluation;
    if (!Number.isFinite(objective)) {
      const bad = firstNonFiniteRow(pool === null ? replica : modelOf(evaluated), cols);
      if (bad !== null) diverge({ clock: metrics.slowest(), row: bad.row, value: bad.value, worker: null });
    }
    const point: MetricsPoint = {
      virtualTimeS: engine.now / 1000,
      iteration: metrics.slowest(),
      objective,
      metrics: extra,
      wanBytes: network.stats.wanBytes,
      wanBytesByLink: Object.fromEntries(network.wanBytesByLink),
      costUsd: network.stats.costUsd,
      blockedS: metrics.blockedS(),
      ...(filterStats !== null ? { filter: filterStats.stats() } : {}),
    };
    series.push(point);
    record({ type: "evaluation", iteration: point.iteration, objective });
    options.onMetrics?.(point);
    options.onProgress?.({ virtualTimeS: point.virtualTimeS, iteration: point.iteration, maxIterations: stop.maxIterations, objective });
    if (stop.targetObjective !== null && !reachedTarget && reaches(workload.direction, objective, stop.targetObjective)) {
      reachedTarget = true;
      timeToTargetS = point.virtualTimeS;
      atTarget = momentOf(point);
      engine.at(engine.now, () => stopAll("target"));
    }
    return point;
  };

  const allWorkersDone = (): boolean => layout.workers.every((w) => done.has(w));
  const waitingInputs = (): number => [...waiting.values()].reduce((n, l) => n + l.length, 0);
  /** Every worker and shard finished and nothing is in flight or waiting for a crashed node. */
  const settled = (): boolean => allWorkersDone() && layout.shards.every((s) => done.has(s.id)) && network.outstanding === 0 && heldSends === 0 && waitingInputs() === 0;

  const stopAll = (reason: string): void => {
    if (stopping || allWorkersDone()) return;
    stopping = true;
    stoppedBy = reason;
    for (const w of layout.workers) input(w, { kind: "stop" });
    const drainCapS = options.drainCapS ?? DEFAULT_DRAIN_CAP_S;
    engine.at(engine.now + drainCapS * 1000, () => {
      halted = !settled();
    });
  };

  const input = (node: NodeId, inp: Input): void => {
    if ((crashed.get(node) ?? 0) > 0) {
      let list = waiting.get(node);
      if (list === undefined) waiting.set(node, (list = []));
      list.push(inp);
      return;
    }
    step(node, inp);
  };

  const step = (node: NodeId, inp: Input): void => {
    const role: Role = roles.get(node)!;
    // The barrier checker's books: what this shard is handed, as the driver hands it (a crashed
    // shard is handed its held messages when it restarts).
    if (checkers !== null && inp.kind === "message" && (inp.msg.kind === "barrier" || inp.msg.kind === "mirror-update" || inp.msg.kind === "mirror-flush") && shardRoles.has(node)) {
      checkers.delivered(node, inp.msg, layout.shard(node).range.start, engine.now);
    }
    const effects = role.step(inp, engine.now);
    // The significance checker's books take every push a shard accepted, before its flushes.
    if (significance !== null && inp.kind === "message" && inp.msg.kind === "push" && shardRoles.has(node) && !effects.some((e) => e.kind === "trace" && e.event.type === "remote-error")) significance.pushed(node, inp.msg);
    if (checkInvariants) role.invariants();
    lastStepMs = engine.now;
    for (const e of effects) {
      switch (e.kind) {
        case "send": {
          if (significance !== null && e.msg.kind === "mirror-update" && e.msg !== lastChecked && shardRoles.has(node)) {
            lastChecked = e.msg;
            significance.sent(node, e.msg, shardRoles.get(node)!.values());
          }
          if (!roles.has(e.to)) throw new Error(`${node} sent ${e.msg.kind} to unknown node ${e.to}`);
          // A hub or shard often sends one message to several peers in a row: size it once.
          if (e.msg !== lastSized) {
            lastSized = e.msg;
            lastSize = encodedSize(e.msg);
          }
          send(node, e.to, e.channel, e.msg, lastSize);
          break;
        }
        case "compute": {
          const program = programs.get(node)!;
          const clock = e.clock;
          if (pool === null) {
            const started = performance.now();
            const result = program.step(e.clock, e.rows, e.values);
            computeWallMs += performance.now() - started;
            engine.after(compute.durationMs(node, result.samples, alias(node)), () =>
              input(node, { kind: "computed", clock, rows: result.rows, deltas: result.deltas, samples: result.samples }),
            );
            break;
          }
          // On a thread: handed over now, consumed at its virtual completion time, so that the
          // steps of workers whose compute overlaps in virtual time run at once.
          const samples = program.samplesFor!(clock);
          const job = pool.step(threadOf.get(node)!, node, clock, e.rows, e.values);
          engine.after(compute.durationMs(node, samples, alias(node)), () => {
            const started = performance.now();
            const taken = pool.take(job);
            computeWallMs += performance.now() - started;
            if (taken.kind !== "step") throw new Error(`compute threads: ${node}'s step at clock ${clock} came back as ${taken.kind}`);
            const { result } = taken;
            if (result.samples !== samples) throw new Error(`${node}'s step at clock ${clock} processed ${result.samples} samples, but its program's samplesFor(${clock}) said ${samples}`);
            input(node, { kind: "computed", clock, rows: result.rows, deltas: result.deltas, samples });
          });
          break;
        }
        case "trace":
          if (significance !== null && e.event.type === "mirror-sent") significance.flushed(e.event, shardRoles.get(node)!.values());
          record(e.event);
          if (e.event.type === "diverged") diverge({ clock: e.event.clock, row: e.event.row, value: e.event.value, worker: e.event.worker });
          filterStats?.observe(e.event);
          if (metrics.observe(e.event)) onWorkerClock();
          break;
        case "done":
          done.add(node);
          if (layout.workers.includes(node)) workerDoneMs.set(node, engine.now);
          break;
      }
    }
    const deadline = role.nextDeadlineMs();
    if (deadline !== null && armed.get(node) !== deadline) {
      armed.set(node, deadline);
      engine.at(Math.max(deadline, engine.now), () => {
        if (armed.get(node) !== deadline) return;
        armed.delete(node);
        input(node, { kind: "timer" });
      });
    }
  };

  const onWorkerClock = (): void => {
    const slowest = metrics.slowest();
    maxClockSpread = Math.max(maxClockSpread, metrics.fastest() - slowest);
    if (slowest > slowestSeen && workerDoneMs.size === 0) {
      const wan = network.stats.wanBytes;
      wanBytesPeakPerClock = Math.max(wanBytesPeakPerClock, (wan - wanBytesAtClock) / (slowest - slowestSeen));
      wanBytesAtClock = wan;
      slowestSeen = slowest;
    }
    if (slowest >= nextEvalAt) {
      nextEvalAt = (Math.floor(slowest / stop.evalEvery) + 1) * stop.evalEvery;
      evaluate();
    }
  };

  // One-way latency per data-center pair, to turn a mirror message's delivery time into the rate
  // its link delivered at.
  const latencyMs = new Map<string, number>(topology.links.map((l) => [`${l.source}>${l.target}`, l.latencyMs]));
  const reportRate = (env: Envelope<Message>): void => {
    const key = `${dataCenterOf(env.from)}>${dataCenterOf(env.to)}`;
    const transferMs = engine.now - env.sentMs - (latencyMs.get(key) ?? topology.lanLatencyMs);
    if (transferMs > 0 && env.sizeBytes > 0) input(env.from, { kind: "link-rate", peer: env.to, bytesPerMs: env.sizeBytes / transferMs });
  };

  function onDelivered(env: Envelope<Message>): void {
    const msg = env.payload;
    if (msg.kind === "mirror-update" && shardRoles.has(env.from)) reportRate(env);
    const clock = "clock" in msg ? msg.clock : null;
    record({ type: "deliver", from: env.from, to: env.to, channel: env.channel, kind: msg.kind, clock, last: msg.kind === "push" && msg.last, sizeBytes: env.sizeBytes });
    if (msg.kind === "push") {
      for (let i = 0; i < msg.rows.length; i++) {
        const base = msg.rows[i]! * cols;
        for (let k = 0; k < cols; k++) {
          const d = msg.deltas[i * cols + k]!;
          pushed[base + k]! += d;
          magnitude[base + k]! += Math.abs(d);
        }
      }
    }
    options.onDelivered?.(env.to, msg, roles.get(env.to)!);
    input(env.to, { kind: "message", from: env.from, msg });
  }

  // Faults.
  const resolveNode = (name: string): NodeId | null => {
    if (scenario.sync.model === "lan") {
      for (const [lan, original] of aliasOf) if (original === name) return lan;
      return null;
    }
    return roles.has(name) ? name : null;
  };
  const faultRng = root.child("faults:random");
  const actions = planFaults(scenario, { dataCenters: scenario.sync.model === "lan" ? [] : dcs, resolveNode, nodes: layout.nodes }, faultRng);
  const losses = new LossComposer();
  for (const a of actions) {
    engine.at(a.atMs, () => {
      switch (a.kind) {
        case "cut":
          network.partition(a.source, a.target, a.cut);
          break;
        case "bandwidth":
          network.scaleBandwidth(a.source, a.target, a.factor, a.undo);
          break;
        case "lossy":
          network.setLossy(a.source, a.target, losses.update(a.source, a.target, a.spec, a.on));
          break;
        case "slow":
          compute.slowDown(a.node, a.factor, a.undo);
          break;
        case "crash": {
          crashes++;
          const n = (crashed.get(a.node) ?? 0) + 1;
          crashed.set(a.node, n);
          record({ type: "crash", node: a.node });
          // A shard or hub checkpoints its state as it crashes (the runtime's checkpoint, bytes and all).
          const role = roles.get(a.node);
          if (n === 1 && (role instanceof ShardRole || role instanceof HubRole)) {
            const snapshot = role.snapshot();
            checkpoints.set(a.node, { bytes: serialize(snapshot), hash: snapshotHash(snapshot) });
          }
          break;
        }
        case "restart": {
          const n = (crashed.get(a.node) ?? 0) - 1;
          crashed.set(a.node, Math.max(0, n));
          record({ type: "restart", node: a.node });
          if (n <= 0) {
            const checkpoint = checkpoints.get(a.node);
            if (checkpoint !== undefined) restoreFrom(a.node, checkpoint);
            const list = waiting.get(a.node) ?? [];
            waiting.delete(a.node);
            for (const inp of list) input(a.node, inp);
          }
          break;
        }
      }
    });
  }
  if (stop.maxVirtualTimeS !== null) engine.at(stop.maxVirtualTimeS * 1000, () => stopAll("max-virtual-time"));

  // Start every role at t = 0, then run in slices, yielding to the host between them so progress
  // bars can draw. The slicing does not change the order of events.
  for (const id of roles.keys()) input(id, { kind: "start" });
  // A run that fires events without time advancing (a livelock at one instant) is stopped with a
  // verdict, as is one that hits the event cap or runs out of events before its workers finish.
  const maxEvents = options.maxEvents ?? 500_000_000;
  const noProgressEvents = options.noProgressEvents ?? 5_000_000;
  let stuckSinceMs = engine.now;
  let stuckSinceEvents = engine.events;
  let livelocked = false;
  while (!halted && engine.queue.size > 0 && engine.events < maxEvents) {
    engine.run(Infinity, () => halted, Math.min(SLICE_EVENTS, noProgressEvents, maxEvents - engine.events));
    if (engine.now !== stuckSinceMs) {
      stuckSinceMs = engine.now;
      stuckSinceEvents = engine.events;
    } else if (engine.events - stuckSinceEvents >= noProgressEvents && engine.queue.size > 0) {
      livelocked = true;
      break;
    }
    if (!halted && engine.queue.size > 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const capped = !halted && engine.queue.size > 0 && engine.events >= maxEvents;
  let liveness: string | null = null;
  if (livelocked) liveness = `no progress: ${engine.events - stuckSinceEvents} events at virtual time ${engine.now / 1000} s without time advancing`;
  else if (capped) liveness = `stopped by the event cap (${maxEvents} events) at virtual time ${engine.now / 1000} s`;
  if (divergence !== null) stoppedBy = halted ? "diverged (drain cap)" : "diverged";
  else if (livelocked) stoppedBy = "no-progress";
  else if (capped) stoppedBy = "max-events";
  else if (stoppedBy === null) stoppedBy = allWorkersDone() ? (stop.maxIterations !== null ? "max-iterations" : "finished") : "stalled";
  else if (halted) stoppedBy = `${stoppedBy} (drain cap)`;
  if (stoppedBy === "stalled") liveness = `stalled at virtual time ${engine.now / 1000} s: no event left and ${layout.workers.filter((w) => !done.has(w)).length} worker(s) unfinished`;

  // The final evaluation, at the time of the last step.
  engine.now = lastStepMs;
  const final = evaluate();

  const unfinishedShards = layout.shards.filter((s) => !done.has(s.id)).map((s) => s.id);
  const inFlight = network.outstanding + waitingInputs();
  const drained = settled();
  const checks: Record<string, string | null> = checkers === null ? {} : { ...checkers.verdicts() };
  if (!drained) {
    checks["conservation"] = `run did not drain: ${unfinishedShards.length} shard(s) unfinished${unfinishedShards.length > 0 ? ` (${unfinishedShards.slice(0, 3).join(", ")})` : ""}, ${inFlight} message(s) held, ${layout.workers.filter((w) => !done.has(w)).length} worker(s) running`;
  } else {
    const replicaDcs = layout.spec.placement === "global" ? [layout.spec.dataCenters[0]!] : layout.spec.dataCenters;
    const diloco = sync.diloco ?? null;
    // DiLoCo's outer step adds every update once only when it is a plain sum (sgd, rate 1, sum);
    // otherwise the replicas must still end identical, bit for bit.
    const plainSum = diloco === null || (diloco.outerOptimizer === "sgd" && diloco.outerLearningRate === 1 && diloco.reduce === "sum");
    const check = (replicas: { dataCenter: string; values: Float32Array }[], lo: number, hi: number): string | null => {
      const conserved = (): string | null => checkConservation(replicas, null, pushed.subarray(lo, hi), magnitude.subarray(lo, hi), undefined, lo);
      return diloco !== null ? (checkReplicasIdentical(replicas, lo) ?? (plainSum ? conserved() : null)) : conserved();
    };
    // Shard by shard on the shards' own arrays (mirrored shards of one index share a range), not on
    // a copy of every data center's replica at once.
    const byIndex = layout.replicaOf(replicaDcs[0]!).map((s0) => replicaDcs.map((dc) => layout.replicaOf(dc).find((s) => s.index === s0.index)));
    const aligned = byIndex.every((group) => group.every((s) => s !== undefined && s.range.start === group[0]!.range.start && s.range.end === group[0]!.range.end));
    if (aligned) {
      let verdict: string | null = null;
      for (const group of byIndex) {
        const { start, end } = group[0]!.range;
        verdict = check(group.map((s) => ({ dataCenter: s!.dataCenter, values: shardRoles.get(s!.id)!.values() })), start * cols, end * cols);
        if (verdict !== null) break;
      }
      checks["conservation"] = verdict;
    } else checks["conservation"] = check(replicaDcs.map((dc) => ({ dataCenter: dc, values: replicaOf(dc) })), 0, size);
  }
  if (liveness !== null) checks["liveness"] = liveness;
  const remoteErrors = [...roles.values()].flatMap((r) => r.remoteErrors);
  if (significance !== null && significance.skippedReason === null) checks[significance.name] = significance.verdict();
  if (outerChecker !== null) checks[outerChecker.name] = outerChecker.verdict();
  if (restores > 0) checks["restored-state"] = restoreMismatch;
  checks["no-remote-errors"] = remoteErrors.length === 0 ? null : `${remoteErrors.length} remote error(s), first: ${remoteErrors[0]!.message}`;

  const mirrorClock = mirrorClockSummary(scenario, final.virtualTimeS, final.iteration);
  // Protocol state as the roles hold it now (it only grows), beside the estimate from the layout
  // and the process's peak resident memory.
  const estimatedState = estimateStateBytes(layout, sync, { rowsPerStep: rowsPerStepOf(scenario, workload), workerCache: options.workerCache ?? true });
  const memory = { protocolStateBytes: measureStateBytes(roles.values()), estimatedStateBytes: estimatedState.total, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
  const summary: RunSummary & { readonly virtualTimeS: number } = {
    name: scenario.name,
    seed: scenario.seed,
    sync: scenario.sync.model,
    workload: workload.kind,
    topology: topology.preset ?? `${dcs.length} data centers`,
    virtualTimeS: final.virtualTimeS,
    clock: "virtual",
    iterations: final.iteration,
    objective: final.objective,
    objectiveName: workload.objectiveName,
    targetObjective: stop.targetObjective,
    reachedTarget,
    timeToTargetS,
    atTarget,
    atEnd: momentOf(final),
    wanBytes: network.stats.wanBytes,
    costUsd: network.stats.costUsd,
    blockedS: metrics.blockedS(),
    traceHash: hash === null ? "" : hash.digest(),
    wanBytesByLink: Object.fromEntries(network.wanBytesByLink),
    ...(filterStats !== null ? { filter: filterStats.stats() } : {}),
    ...(mirrorClock !== null ? { mirrorClock } : {}),
    events: engine.events,
    stoppedBy,
    diverged: divergence === null ? null : divergenceVerdict(divergence, scenario, layout.workers.length),
    checks,
    wallTimeS: (performance.now() - wallStart) / 1000,
    memory,
  };
  const stats: SimulationStats = {
    ...network.stats,
    remoteErrors: remoteErrors.length,
    crashes,
    reads: metrics.reads,
    drained,
    maxClockSpread,
    wanBytesPeakPerClock,
    workerClocks: Object.fromEntries(layout.workers.map((w) => [w, metrics.clockOf(w)])),
    workerDoneS: Object.fromEntries(layout.workers.map((w) => [w, workerDoneMs.has(w) ? workerDoneMs.get(w)! / 1000 : null])),
  };
  return { summary, series, trace, stats, threads: { requested: threads.requested, used: pool === null ? 1 : pool.count, note: threads.note, computeWallS: computeWallMs / 1000 } };
}
