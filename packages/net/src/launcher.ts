/**
 * `gaia launch`: every node of a cluster file as a local child process. The launcher collects the
 * nodes' JSON-line reports, evaluates the objective on the evaluation data center's replica each
 * `evalEvery` clocks, tells the workers to stop when the stop condition is met, waits until every
 * role is done and every frame acknowledged, collects the final replicas (and checks they agree),
 * and returns the same RunResult `gaia simulate` does, so the same writers report it.
 *
 * Time. Wall-clock seconds stand where the simulator has virtual seconds, counted from the training
 * start: the moment every node is up (or a worker's first clock, if that comes first). The start-up
 * before it (spawning the processes, loading the modules, building the workload, listening) is
 * `startupS`, apart: it says nothing of the protocol, and the simulator has none. So the metrics'
 * time axis, time to target and `trainingTimeS` are training time, comparable with a simulated
 * run's, and `wallClockTimeS` is the whole launch (start-up + training).
 *
 * Ctrl-C (`interrupt`). Every node is asked for its final report (a shard finishes the checkpoint
 * it is writing, then sends its replica) and exits; what the run has (the evaluations so far, the
 * final replicas that came back within the grace period) becomes a result marked `interrupted`,
 * which the command writes as any other. Nodes that do not answer in time are killed. Temporary
 * checkpoint files a killed node left behind are removed once every node has exited.
 *
 * Scripted faults. The scenario's `faults` (and its `randomFaults`, drawn from the same seed
 * stream as the simulator's) are applied at `at` x `faultTimeScale` wall seconds after every node
 * is up, from the same timeline the simulator builds (`planFaults`): a partition, an isolated data
 * center or a one-way cut tells the nodes of the cut link's source data center to hold (or drop,
 * `wanEmulation.cutMode`) their frames to the target's nodes; a bandwidth fault scales their
 * emulated link's rate; a crash is a SIGKILL and its restart a new process restored from the
 * shard's last checkpoint (a worker's restart rejoins from its shards); a lossy link loses,
 * doubles and reorders frames below the reliable links; a slow node sleeps `factor - 1` times each compute step's duration
 * after it. Overlapping faults compose here as in the simulator (a link is cut while any fault
 * cuts it, factors multiply), and a restarted node starts with the faults in force.
 *
 * This file owns the processes: spawning, the reports they write, evaluation, stopping and
 * settling. What to do when a node dies or freezes unasked (restart it, give up, report it) is
 * supervisor.ts's decision; this file only carries it out. Which faults a real run can stage, and the composed fault state with the commands it
 * implies, are launch-faults.ts; the sums and the replica comparison of the result, launch-result.ts; the API's types, launch-options.ts.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { dataCenterOf, reaches, type NodeId, type Workload } from "@gaia/core";
import { createCheckers, OuterStepChecker, divergenceVerdict, firstNonFiniteRow, momentOf, TraceHash, type Divergence, type FaultAction, type MetricsPoint, type RunMoment, type RunSummary, type SimTraceEvent } from "@gaia/scenario";
import { dirname } from "node:path";
import { removeTempCheckpoints } from "./checkpoint.js";
import { createWorkload } from "@gaia/workloads";
import { resolveAddresses, type ClusterConfig } from "./cluster.js";
import { FaultState, planRuntimeFaults } from "./launch-faults.js";
import { assembleTable, launchMirrorClock, mergedFilter, replicaSpread, wanTotals } from "./launch-result.js";
import { decodeFloats, type BlockedMs, type NodeReport } from "./node.js";
import { planOf, type RunPlan } from "./plan.js";
import type { LaunchOptions, LaunchResult } from "./launch-options.js";
import { defaultSupervision, Supervisor } from "./supervisor.js";

export type { LaunchOptions, LaunchResult } from "./launch-options.js";

interface Child {
  readonly id: NodeId;
  process: ChildProcessWithoutNullStreams;
  /** Exits the launcher asked for (kill in tests, exit at the end). */
  expectedExit: boolean;
  ready: boolean;
  /** This node (this or an earlier incarnation) has reported ready: a death is then a crash, not a broken start-up. */
  wasUp: boolean;
  state: Extract<NodeReport, { ev: "state" }> | null;
  final: Extract<NodeReport, { ev: "final" }> | null;
  exited: boolean;
  /** The last lines the node wrote to stderr: why it died, when it did. */
  readonly stderrTail: string[];
}

const here = fileURLToPath(import.meta.url);
const fromSource = here.endsWith(".ts");
const nodeEntry = fileURLToPath(new URL(`./bin/node.${fromSource ? "ts" : "js"}`, import.meta.url));
const nodeArgs = fromSource ? ["--conditions=source", "--import", "tsx"] : [];

/** A running launch: its result, and handles for fault tests (kill, restart, cut links). */
export class Launch {
  readonly result: Promise<LaunchResult>;
  readonly plan: RunPlan;
  private readonly children = new Map<NodeId, Child>();
  private readonly startedMs = Date.now();
  /** Wall ms at which training started (every node up, or a worker's first clock), or null before. */
  private trainingStartMs: number | null = null;
  private wallLimit: NodeJS.Timeout | null = null;
  /** Why the run was interrupted (Ctrl-C), or null. */
  private interruption: string | null = null;
  private interruptTimer: NodeJS.Timeout | null = null;
  private settled = false;
  private workload!: Workload;
  private readonly series: MetricsPoint[] = [];
  /** The evaluation replica's parts by clock, each with the wall ms (node clock) its shard took it at. */
  private readonly pendingEval = new Map<number, Map<NodeId, { readonly values: Float32Array; readonly atMs: number }>>();
  private readonly workerClocks = new Map<NodeId, number>();
  private readonly wanByNode = new Map<NodeId, Record<string, number>>();
  private readonly blockedByNode = new Map<NodeId, BlockedMs>();
  private readonly counters = new Map<NodeId, Record<string, number>>();
  private readonly trace: SimTraceEvent[] | null;
  private readonly checkers: ReturnType<typeof createCheckers>;
  /** DiLoCo: identical global state after every outer step, from the nodes' traces. */
  private readonly outerChecker: OuterStepChecker | null;
  private readonly hash = new TraceHash();
  private stopping: string | null = null;
  private divergence: Divergence | null = null;
  /** The last watchdog report of each node that has not progressed since. */
  private readonly stalls = new Map<NodeId, { readonly text: string; readonly atMs: number }>();
  private timeToTargetS: number | null = null;
  private atTarget: RunMoment | null = null;
  private lastEvaluated = -1;
  private settleTimer: NodeJS.Timeout | null = null;
  private finished = false;
  /** Nodes that came up from a checkpoint (restarted shards). */
  readonly restored = new Set<NodeId>();
  /** The scripted faults' timeline (empty without faults). */
  readonly faults: readonly FaultAction[];
  /** Every fault applied, in order, with its wall second since every node was up. */
  readonly faultLog: { readonly atS: number; readonly text: string }[] = [];
  private faultsStartMs: number | null = null;
  private readonly faultTimers: NodeJS.Timeout[] = [];
  private readonly faultState: FaultState;
  /** Restarts of unexpected deaths, frozen nodes (supervisor.ts). */
  readonly supervisor: Supervisor;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private resolve!: (r: LaunchResult) => void;
  private reject!: (e: Error) => void;

  constructor(
    readonly cluster: ClusterConfig,
    workload: Workload,
    readonly options: LaunchOptions = {},
  ) {
    this.workload = workload;
    this.plan = planOf(cluster.scenario, workload, cluster.wanEmulation.enabled ? cluster.wanEmulation.bandwidthScale : 1);
    const { layout, sync } = this.plan;
    this.trace = options.trace ? [] : null;
    this.checkers = createCheckers({
      clients: new Map(layout.shards.map((s) => [s.id, s.clients])),
      mirrorSources: new Map(layout.shards.map((s) => [s.id, sync.asp ? s.mirrors.map(dataCenterOf) : []])),
      staleness: sync.staleness,
      mirrorClockBound: sync.asp?.mirrorClockBound ?? null,
    });
    this.outerChecker = sync.diloco ? new OuterStepChecker(new Map(layout.shards.map((s) => [s.id, s.index]))) : null;
    this.result = new Promise<LaunchResult>((resolve, reject) => {
      this.resolve = (r) => {
        this.settled = true;
        resolve(r);
      };
      this.reject = (e) => {
        this.settled = true;
        reject(e);
      };
    });
    // Addresses and faults are checked before anything is spawned.
    resolveAddresses(cluster, layout.nodes);
    this.faults = planRuntimeFaults(cluster, this.plan, (text) => this.options.onLog?.("launcher", text));
    this.faultState = new FaultState(layout.nodes, layout.workers);
    this.supervisor = new Supervisor({ ...defaultSupervision, ...options.supervision }, (id) =>
      layout.workers.includes(id) || cluster.checkpoint.enabled ? null : `${id} keeps no checkpoints (checkpoint.enabled is false), so its state would be lost`,
    );
    if (this.supervisor.policy.heartbeatS > 0) this.heartbeatTimer = setInterval(() => this.checkHeartbeats(), 1000);
    for (const id of layout.nodes) this.spawn(id, false);
    const s = cluster.scenario.stop;
    const timeoutS = options.timeoutS ?? (s.maxVirtualTimeS !== null ? s.maxVirtualTimeS + 60 : 600);
    const deadline = setTimeout(() => {
      const recent = Date.now() - 2 * (options.watchdogS ?? 30) * 1000;
      const why = [...this.stalls.values()].filter((s) => s.atMs >= recent).slice(0, 6).map((s) => s.text).join("\n  ");
      this.fail(new Error(`the run did not finish within ${timeoutS} s${why ? `; no progress:\n  ${why}` : ""}`));
    }, timeoutS * 1000);
    void this.result.finally(() => {
      for (const t of this.faultTimers) clearTimeout(t);
      clearTimeout(deadline);
      if (this.wallLimit) clearTimeout(this.wallLimit);
      if (this.interruptTimer) clearTimeout(this.interruptTimer);
      if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
      this.cleanTemporaryFiles();
    }).catch(() => undefined);
  }

  /** Wall seconds since the launch (start-up included). */
  get wallS(): number {
    return (Date.now() - this.startedMs) / 1000;
  }

  /** Wall seconds since training started (0 before): the run's clock, as virtual time is the simulator's. */
  get trainingS(): number {
    return this.trainingSAt(Date.now());
  }

  /** Wall ms `atMs` on the training clock (0 for any moment before training started). */
  private trainingSAt(atMs: number): number {
    return this.trainingStartMs === null ? 0 : Math.max(0, atMs - this.trainingStartMs) / 1000;
  }

  /** Wall seconds from the launch until training started (until now, while starting). */
  get startupS(): number {
    return ((this.trainingStartMs ?? Date.now()) - this.startedMs) / 1000;
  }

  /** Training starts: every node is up, or a worker finished a clock before the last node was. */
  private startTraining(atMs = Date.now()): void {
    if (this.trainingStartMs !== null) return;
    this.trainingStartMs = Math.min(atMs, Date.now());
    // maxVirtualTime is training time, as in the simulator: start-up does not use it up.
    const limitS = this.cluster.scenario.stop.maxVirtualTimeS;
    if (limitS !== null) this.wallLimit = setTimeout(() => this.stopWorkers("max-virtual-time"), limitS * 1000);
  }

  /** The start barrier: training begins once every node is up (each waits for "start"; --await-start). */
  private maybeBegin(): void {
    if (this.faultsStartMs !== null || ![...this.children.values()].every((c) => c.ready)) return;
    this.startTraining();
    for (const id of this.children.keys()) this.command(id, "start");
    this.startFaults();
  }

  /** Kills a node (SIGKILL by default), as a crash would. */
  kill(id: NodeId, signal: NodeJS.Signals = "SIGKILL"): void {
    const child = this.children.get(id);
    if (!child || child.exited) return;
    child.expectedExit = true;
    child.process.kill(signal);
  }

  /** The process id of a running node (for tests that kill or stop it from outside, as the OOM killer would), or null. */
  pidOf(id: NodeId): number | null {
    const child = this.children.get(id);
    return child && !child.exited ? (child.process.pid ?? null) : null;
  }

  /** Starts a killed node again; a shard restores its last checkpoint, a worker rejoins from its shards. */
  restart(id: NodeId): void {
    const child = this.children.get(id);
    if (child && !child.exited) throw new Error(`${id} is still running`);
    this.spawn(id, true);
  }

  /** Wall seconds (since the launch) at which every node was first up, or null before. */
  get readyS(): number | null {
    return this.faultsStartMs === null ? null : (this.faultsStartMs - this.startedMs) / 1000;
  }

  /** Wall seconds since every node was first up (the faults' clock), or null before. */
  get faultClockS(): number | null {
    return this.faultsStartMs === null ? null : (Date.now() - this.faultsStartMs) / 1000;
  }

  // ---- scripted faults ----

  /** Every node is up: start the faults' clock. */
  private startFaults(): void {
    this.faultsStartMs = Date.now();
    const scale = this.cluster.faultTimeScale;
    for (const action of this.faults) this.faultTimers.push(setTimeout(() => this.applyFault(action), action.atMs * scale));
  }

  private applyFault(a: FaultAction): void {
    if (this.finished) return;
    const effect = this.faultState.apply(a);
    if (a.kind === "bandwidth") this.options.onWanBandwidth?.(a.source, a.target, this.faultState.bandwidthOf(a.source, a.target));
    for (const { node, line } of effect.commands) this.command(node, line);
    if (effect.crash !== null) {
      this.kill(effect.crash);
      this.traceEvent({ type: "crash", node: effect.crash });
    }
    if (effect.restart !== null) {
      const node = effect.restart;
      const child = this.children.get(node);
      const start = (): void => {
        if (this.finished) return;
        this.spawn(node, true);
        this.traceEvent({ type: "restart", node });
        this.logFault(effect.log!);
      };
      if (child && !child.exited) child.process.once("exit", start);
      else start();
      return;
    }
    if (effect.log !== null) this.logFault(effect.log);
  }

  private logFault(text: string): void {
    const atS = this.faultClockS ?? 0;
    this.faultLog.push({ atS, text });
    this.options.onFault?.(text, atS);
  }

  private traceEvent(event: { type: "crash" | "restart"; node: NodeId }): void {
    if (!this.trace) return;
    const stamped = { ...event, atMs: Date.now() - this.startedMs } as SimTraceEvent;
    this.trace.push(stamped);
    this.hash.event(stamped);
  }

  /** Cuts every connection of a node; its links resend after the peers reconnect. */
  cutLinks(id: NodeId, forMs = 0): void {
    this.command(id, forMs > 0 ? `cut ${forMs}` : "drop");
  }

  /** Kills every node and fails the run (a run that cannot go on). */
  abort(reason = "aborted"): void {
    this.fail(new Error(reason));
  }

  /**
   * Ctrl-C: the run stops here and keeps what it has. Every node is told to exit (its final report
   * first); after `interruptGraceMs` the ones still running are killed. Once every node has exited
   * (so none still writes a checkpoint), the result resolves, marked interrupted with `reason`. A
   * second call kills every node at once.
   */
  interrupt(reason: string): void {
    if (this.settled) return;
    if (this.interruption !== null || this.finished) {
      // Again, or while the run was ending anyway: no more waiting.
      this.interruption ??= reason;
      for (const c of this.children.values()) {
        c.expectedExit = true;
        if (!c.exited) c.process.kill("SIGKILL");
      }
      this.maybeDone();
      return;
    }
    this.interruption = reason;
    this.stopping ??= "interrupted";
    this.finished = true;
    if (this.settleTimer) clearTimeout(this.settleTimer);
    for (const c of this.children.values()) {
      c.expectedExit = true;
      this.command(c.id, "exit");
    }
    this.interruptTimer = setTimeout(() => {
      for (const c of this.children.values()) if (!c.exited) c.process.kill("SIGKILL");
    }, this.options.interruptGraceMs ?? 5000);
    this.maybeDone();
  }

  private finishInterrupted(): void {
    if (this.settled) return;
    try {
      this.resolve(this.summarize());
    } catch (error) {
      this.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** A node killed while writing a checkpoint leaves its temporary file: removed once every node has exited. */
  private cleanTemporaryFiles(): void {
    if (!this.settled || ![...this.children.values()].every((c) => c.exited)) return;
    if (this.cluster.checkpoint.enabled) removeTempCheckpoints(this.cluster.checkpoint.dir);
  }

  private command(id: NodeId, line: string): void {
    const child = this.children.get(id);
    if (child && !child.exited && child.process.stdin.writable) child.process.stdin.write(`${line}\n`);
  }

  private spawn(id: NodeId, restore: boolean): void {
    const args = [...nodeArgs, nodeEntry, "--cluster", this.cluster.file, "--node", id, "--epoch", String(this.startedMs)];
    if (restore) args.push("--restore");
    // Before training, every node waits for the start barrier (all up); a node (re)started later begins at once.
    if (this.trainingStartMs === null && this.faultsStartMs === null) args.push("--await-start");
    if (this.faultsStartMs !== null) args.push("--faults", JSON.stringify(this.faultState.stateOf(id)));
    if (this.options.trace) args.push("--trace");
    if (this.options.watchdogS !== undefined) args.push("--watchdog", String(this.options.watchdogS * 1000));
    if (Object.keys(this.cluster.overrides).length > 0) args.push("--overrides", JSON.stringify(this.cluster.overrides));
    const [command = process.execPath, ...prefix] = [...(this.options.commandPrefix?.(id) ?? []), process.execPath];
    const proc = spawn(command, [...prefix, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    const child: Child = { id, process: proc, expectedExit: false, ready: false, wasUp: this.children.get(id)?.wasUp ?? false, state: null, final: null, exited: false, stderrTail: [] };
    this.children.set(id, child);
    createInterface({ input: proc.stdout }).on("line", (line) => {
      if (this.children.get(id) !== child) return;
      if (child.ready) this.heard(id);
      let report: NodeReport;
      try {
        report = JSON.parse(line) as NodeReport;
      } catch {
        this.options.onLog?.(id, line);
        return;
      }
      try {
        this.onReport(child, report);
      } catch (error) {
        this.fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
    createInterface({ input: proc.stderr }).on("line", (line) => {
      child.stderrTail.push(line);
      if (child.stderrTail.length > 6) child.stderrTail.shift();
      this.options.onLog?.(id, line);
    });
    proc.stdin.on("error", () => undefined);
    proc.on("exit", (code, signal) => {
      child.exited = true;
      this.cleanTemporaryFiles();
      if (this.finished || child.expectedExit) {
        this.supervisor.forget(id);
        this.maybeDone();
        return;
      }
      this.supervise(child, signal ?? `code ${code}`);
    });
  }

  // ---- supervision (supervisor.ts decides; this starts the processes) ----

  /** `child` died without being asked to: restart it after the backoff, as a scripted restart would, or fail the run saying why. */
  private supervise(child: Child, how: string): void {
    const verdict = this.supervisor.died(child.id, how, child.wasUp, this.trainingS);
    if ("fail" in verdict) {
      const why = child.stderrTail.filter((l) => l.trim() !== "").slice(-3).join(" | ");
      this.fail(new Error(`${verdict.fail}${why ? `: ${why.slice(0, 600)}` : ""}`));
      return;
    }
    this.options.onLog?.("launcher", verdict.text);
    this.traceEvent({ type: "crash", node: child.id });
    this.faultTimers.push(
      setTimeout(() => {
        if (this.finished || this.children.get(child.id) !== child) return;
        this.spawn(child.id, true);
        this.traceEvent({ type: "restart", node: child.id });
        this.options.onLog?.("launcher", `restarted ${child.id} ${this.plan.layout.workers.includes(child.id) ? "(rejoins from its shards)" : "from its checkpoint"}`);
      }, verdict.restartInMs),
    );
  }

  private heard(id: NodeId): void {
    const text = this.supervisor.heard(id, Date.now(), this.trainingS);
    if (text !== null) this.options.onLog?.("launcher", text);
  }

  private checkHeartbeats(): void {
    if (this.finished) return;
    for (const text of this.supervisor.check(Date.now(), this.trainingS)) this.options.onLog?.("launcher", text);
  }

  private onReport(child: Child, r: NodeReport): void {
    switch (r.ev) {
      case "ready":
        child.ready = true;
        child.wasUp = true;
        if (r.restored) this.restored.add(r.node);
        // A worker that rejoins after the stop condition was met must stop too.
        if (this.stopping !== null && this.plan.layout.workers.includes(r.node)) this.command(r.node, "stop");
        this.options.onNodeReady?.(r.node, [...this.children.values()].filter((c) => c.ready).length, this.children.size);
        this.maybeBegin();
        break;
      case "error":
        throw new Error(`node ${r.node}: ${r.message}`);
      case "retrying":
        // The node retries by itself: follow it, never abort (the run's time limit still holds).
        this.options.onLog?.("launcher", this.supervisor.retrying(r.node, r.message, r.recovered, this.trainingS));
        break;
      case "stalled": {
        const text = `${r.node}: no progress for ${Math.round(r.forMs / 1000)} s: waiting on ${r.waitingOn}`;
        this.stalls.set(r.node, { text, atMs: Date.now() });
        this.options.onLog?.("launcher", text);
        break;
      }
      case "clock":
        this.startTraining(this.startedMs + r.atMs);
        this.stalls.delete(r.node);
        // worker-clock names the clock just pushed; completed clocks are one more.
        this.workerClocks.set(r.node, Math.max(this.workerClocks.get(r.node) ?? 0, r.clock + 1));
        break;
      case "diverged":
        this.diverge({ clock: r.clock, row: r.row, value: Number(r.value), worker: r.node });
        break;
      case "values":
        this.onValues(r.node, r.clock, decodeFloats(r.values), r.atMs);
        break;
      case "metrics":
        this.wanByNode.set(r.node, r.wanBytesByLink);
        this.blockedByNode.set(r.node, r.blockedMs);
        this.counters.set(r.node, r.counters);
        break;
      case "delivered":
        this.checkers.observe(r.event, r.event.atMs);
        break;
      case "trace": {
        const event = r.event as unknown as SimTraceEvent;
        this.trace?.push(event);
        this.hash.event(event);
        this.checkers.observe(event);
        if (this.outerChecker !== null && (event.type === "outer-step" || event.type === "outer-sent")) this.outerChecker.observe(event);
        break;
      }
      case "state":
        child.state = r;
        this.maybeSettle();
        break;
      case "final":
        child.final = r;
        this.maybeDone();
        break;
    }
  }

  /**
   * A shard of the evaluation replica reached `clock`: evaluate once all its shards have. The
   * evaluation is dated when its last shard took its values (the report's `atMs`, on the clock the
   * nodes share with this launcher), not when this process got to it: on a loaded machine reports
   * wait in pipes, and the state they carry is older than their arrival. The initial model (clock
   * 0, taken as each shard starts) is at time 0.
   */
  private onValues(node: NodeId, clock: number, values: Float32Array, atMs: number): void {
    if (clock <= this.lastEvaluated) return;
    let parts = this.pendingEval.get(clock);
    if (!parts) this.pendingEval.set(clock, (parts = new Map()));
    parts.set(node, { values, atMs });
    const replica = this.plan.layout.replicaOf(this.plan.evalDataCenter);
    if (parts.size < replica.length) return;
    for (const c of [...this.pendingEval.keys()]) if (c <= clock) this.pendingEval.delete(c);
    this.lastEvaluated = clock;
    const takenMs = this.startedMs + Math.max(...[...parts.values()].map((p) => p.atMs));
    const table = this.assemble(replica.map((s) => parts.get(s.id)!.values));
    const evaluation = this.workload.evaluate(table);
    if (!Number.isFinite(evaluation.objective)) {
      const bad = firstNonFiniteRow(table, this.workload.cols);
      if (bad !== null) this.diverge({ clock, row: bad.row, value: bad.value, worker: null });
    }
    // Each shard of the evaluated replica exports it as gaia_objective, so a dashboard follows training.
    for (const s of replica) this.command(s.id, `objective ${clock} ${evaluation.objective}`);
    const point = this.point(clock, evaluation.objective, evaluation.metrics, takenMs);
    this.series.push(point);
    this.options.onProgress?.({ virtualTimeS: point.virtualTimeS, iteration: clock, maxIterations: this.cluster.scenario.stop.maxIterations, objective: evaluation.objective, wallS: this.wallS });
    const target = this.cluster.scenario.stop.targetObjective;
    if (target !== null && this.timeToTargetS === null && reaches(this.workload.direction, evaluation.objective, target)) {
      this.timeToTargetS = point.virtualTimeS;
      this.atTarget = momentOf(point);
      this.stopWorkers("target");
    }
  }

  private assemble(parts: readonly Float32Array[]): Float32Array {
    return assembleTable(this.workload.rows * this.workload.cols, parts);
  }

  private totals(): ReturnType<typeof wanTotals> {
    return wanTotals(this.wanByNode, this.blockedByNode, this.cluster.scenario.topology.egressUsdPerGb);
  }

  /** A metrics row of the state at wall ms `atMs` (default: now), on the training clock. */
  private point(iteration: number, objective: number, metrics: Readonly<Record<string, number>>, atMs = Date.now()): MetricsPoint {
    const { wanBytes, costUsd, blockedS, byLink } = this.totals();
    return { virtualTimeS: this.trainingSAt(atMs), iteration, objective, metrics, wanBytes, wanBytesByLink: byLink, costUsd, blockedS };
  }

  /** The model went non-finite: stop the workers; the run ends with the verdict (divergence.ts). */
  private diverge(d: Divergence): void {
    if (this.divergence !== null) return;
    this.divergence = d;
    this.stopping = null;
    this.stopWorkers("diverged");
  }

  private stopWorkers(reason: string): void {
    if (this.stopping) return;
    this.stopping = reason;
    for (const w of this.plan.layout.workers) this.command(w, "stop");
  }

  /** Done when every worker and shard says done and nothing is unacknowledged, twice in a row. */
  private maybeSettle(): void {
    if (this.finished) return;
    const quiet = [...this.children.values()].every((c) => {
      if (!c.state || c.exited) return false;
      const needsDone = !this.plan.layout.hubs.some((h) => h.id === c.id);
      return (!needsDone || c.state.done) && c.state.unacked === 0;
    });
    if (!quiet) {
      if (this.settleTimer) clearTimeout(this.settleTimer);
      this.settleTimer = null;
      return;
    }
    if (this.settleTimer) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      const still = [...this.children.values()].every((c) => c.state && !c.exited && c.state.unacked === 0);
      if (!still || this.finished) return;
      this.finished = true;
      for (const c of this.children.values()) {
        c.expectedExit = true;
        this.command(c.id, "exit");
      }
    }, 600);
  }

  private maybeDone(): void {
    if (!this.finished || this.settled) return;
    const children = [...this.children.values()];
    if (this.interruption !== null) {
      if (children.every((c) => c.exited)) this.finishInterrupted();
      return;
    }
    if (!children.every((c) => c.final !== null || c.exited)) return;
    const missing = children.filter((c) => c.final === null && this.plan.layout.hasShard(c.id));
    if (missing.length > 0) {
      this.fail(new Error(`shards ${missing.map((c) => c.id).join(", ")} exited without their final replica`));
      return;
    }
    this.resolve(this.summarize());
  }

  /**
   * The run's result from what came back. A finished run has every shard's final replica; an
   * interrupted one may lack some: its objective is then the last evaluation's (NaN, written as
   * null, when there was none), and the replicas are not compared (they need not agree before the
   * network has drained).
   */
  private summarize(): LaunchResult {
    const { layout } = this.plan;
    const finalValues = new Map<NodeId, Float32Array>();
    for (const c of this.children.values()) if (c.final?.values) finalValues.set(c.id, decodeFloats(c.final.values));
    const interrupted = this.interruption !== null;
    const complete = layout.shards.every((s) => finalValues.has(s.id));
    const spread = complete ? replicaSpread(layout, this.plan.evalDataCenter, finalValues) : Number.NaN;
    const tolerance = this.options.agreementTolerance ?? 1e-4;
    const evalShards = layout.replicaOf(this.plan.evalDataCenter);
    const last = this.series.at(-1);
    const evaluation = evalShards.every((s) => finalValues.has(s.id))
      ? this.workload.evaluate(this.assemble(evalShards.map((s) => finalValues.get(s.id)!)))
      : { objective: last?.objective ?? Number.NaN, metrics: last?.metrics ?? {} };
    const iterations = Math.min(...layout.workers.map((w) => this.workerClocks.get(w) ?? 0));
    // Measured on the evaluations made while training, before the final one below.
    const mirrorClock = launchMirrorClock(this.cluster, this.series);
    // The final state is a row only past the last evaluation: under ASP the slowest worker (another
    // data center's) may be a clock behind the evaluated one, and iterations must not go backwards.
    if (Number.isFinite(evaluation.objective) && (last === undefined || last.iteration < iterations)) this.series.push(this.point(iterations, evaluation.objective, evaluation.metrics));
    const target = this.cluster.scenario.stop.targetObjective;
    const reachedTarget = target !== null && reaches(this.workload.direction, evaluation.objective, target);
    const { wanBytes, costUsd, blockedS, byLink } = this.totals();
    const trainingS = this.trainingS;
    const atEnd: RunMoment = { iteration: iterations, timeS: trainingS, objective: evaluation.objective, wanBytes, costUsd, blockedS };
    if (reachedTarget && this.timeToTargetS === null) {
      this.timeToTargetS = trainingS;
      this.atTarget = atEnd;
    }
    const checks: Record<string, string | null> = this.trace ? { ...this.checkers.verdicts() } : {};
    if (this.trace && this.outerChecker !== null) checks[this.outerChecker.name] = this.outerChecker.verdict();
    if (!interrupted) checks["replicas-agree"] = spread <= tolerance ? null : `data-center replicas differ by up to ${spread.toExponential(2)} (tolerance ${tolerance})`;
    const scenario = this.cluster.scenario;
    const summary: RunSummary = {
      name: scenario.name,
      seed: scenario.seed,
      sync: scenario.sync.model,
      workload: this.workload.kind,
      topology: scenario.topology.preset ?? scenario.topology.dataCenters.join(","),
      trainingTimeS: trainingS,
      startupS: this.startupS,
      clock: "wall",
      iterations,
      objective: evaluation.objective,
      objectiveName: this.workload.objectiveName,
      targetObjective: target,
      reachedTarget,
      timeToTargetS: this.timeToTargetS,
      atTarget: this.atTarget,
      atEnd,
      wallClockTimeS: this.startupS + trainingS,
      wanBytes,
      costUsd,
      blockedS,
      traceHash: this.trace ? this.hash.digest() : "",
      wanBytesByLink: byLink,
      ...mergedFilter([...this.children.values()].map((c) => c.final?.filter)),
      ...(mirrorClock !== null ? { mirrorClock } : {}),
      events: this.trace?.length ?? 0,
      stoppedBy: this.divergence !== null ? "diverged" : interrupted ? "interrupted" : (this.stopping ?? "max-iterations"),
      ...(interrupted ? { interrupted: true, interruptReason: this.interruption! } : {}),
      diverged: this.divergence === null ? null : divergenceVerdict(this.divergence, scenario, layout.workers.length),
      checks,
      wallTimeS: this.wallS,
      supervision: this.supervisor.summary(),
    };
    return { summary, series: this.series, trace: this.trace, finalValues, replicaSpread: spread, counters: this.counters };
  }

  private fail(error: Error): void {
    if (this.finished && error.message.includes("exited unexpectedly")) return;
    this.finished = true;
    for (const c of this.children.values()) {
      c.expectedExit = true;
      if (!c.exited) c.process.kill("SIGKILL");
    }
    this.reject(error);
  }
}

/** Builds the workload (for evaluation) and starts every node. */
export async function launchCluster(cluster: ClusterConfig, options: LaunchOptions = {}): Promise<Launch> {
  const { scenario } = cluster;
  const workload = await createWorkload(scenario.workload, { seed: scenario.seed, dataCenters: scenario.topology.dataCenters, workersPerDataCenter: scenario.topology.workersPerDataCenter, baseDir: scenario.baseDir ?? dirname(cluster.file) });
  return new Launch(cluster, workload, options);
}
