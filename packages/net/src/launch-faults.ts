/**
 * The scripted faults of a real run, apart from the processes they act on: which faults the
 * runtime can stage (`planRuntimeFaults`), and the faults in force at any moment (`FaultState`),
 * composed as the simulator composes them (a link is cut while any fault cuts it, bandwidth and slow
 * factors multiply, overlapping lossy faults combine as independent events). `FaultState` turns
 * each action of the timeline into the commands the launcher writes to the nodes' stdin, and tells
 * a node started during a fault which faults are in force. It does no I/O and reads no clock.
 */
import { dataCenterOf, Rng, type NodeId } from "@gaia/core";
import { ClusterError, LossComposer, planFaults, type ClusterConfig, type FaultAction } from "@gaia/scenario";
import type { NodeFaultState } from "./node.js";
import type { RunPlan } from "./plan.js";

/** What one fault action asks of the launcher. */
export interface FaultEffect {
  /** Lines to write to nodes' stdin, in order. */
  readonly commands: readonly { readonly node: NodeId; readonly line: string }[];
  /** A node to kill (SIGKILL), or to start again from its checkpoint (a worker: from its shards). */
  readonly crash: NodeId | null;
  readonly restart: NodeId | null;
  /** What the fault log says, or null when the action changed nothing. */
  readonly log: string | null;
}

const none: FaultEffect = { commands: [], crash: null, restart: null, log: null };

/** The faults in force, composed; `apply` folds in one action of the timeline. */
export class FaultState {
  /** Composed fault state: cuts per directed link, bandwidth factors per directed link, slow nodes. */
  private readonly cutCount = new Map<string, number>();
  private readonly bandwidthFactor = new Map<string, number>();
  private readonly slowFactor = new Map<NodeId, number>();
  private readonly crashedNodes = new Set<NodeId>();
  /** Lossy faults in force per directed link, composed as the simulator composes them. */
  private readonly losses = new LossComposer();
  private readonly lossByLink = new Map<string, { loss: number; duplicate: number; reorder: number }>();

  constructor(
    /** Every node of the run, in layout order. */
    private readonly nodes: readonly NodeId[],
    private readonly workers: readonly NodeId[],
  ) {}

  apply(a: FaultAction): FaultEffect {
    const link = (source: string, target: string): string => `${source}->${target}`;
    const inDataCenter = (dc: string): NodeId[] => this.nodes.filter((n) => dataCenterOf(n) === dc);
    const each = (dc: string, line: string): { node: NodeId; line: string }[] => inDataCenter(dc).map((node) => ({ node, line }));
    switch (a.kind) {
      case "cut": {
        const key = link(a.source, a.target);
        const before = this.cutCount.get(key) ?? 0;
        const after = Math.max(0, before + (a.cut ? 1 : -1));
        this.cutCount.set(key, after);
        if ((before > 0) === (after > 0)) return none;
        return { ...none, commands: each(a.source, `wan-cut ${a.target} ${after > 0 ? 1 : 0}`), log: `${after > 0 ? "cut" : "healed"} ${key}` };
      }
      case "bandwidth": {
        const key = link(a.source, a.target);
        const factor = a.undo ? (this.bandwidthFactor.get(key) ?? 1) / a.factor : (this.bandwidthFactor.get(key) ?? 1) * a.factor;
        this.bandwidthFactor.set(key, factor);
        return { ...none, commands: each(a.source, `wan-bandwidth ${a.target} ${factor}`), log: `bandwidth of ${key} x${factor.toPrecision(3)}` };
      }
      case "slow": {
        const factor = a.undo ? (this.slowFactor.get(a.node) ?? 1) / a.factor : (this.slowFactor.get(a.node) ?? 1) * a.factor;
        this.slowFactor.set(a.node, factor);
        return { ...none, commands: [{ node: a.node, line: `slow ${factor}` }], log: `${a.node} computes x${factor.toPrecision(3)} slower` };
      }
      case "crash":
        if (this.crashedNodes.has(a.node)) return none;
        this.crashedNodes.add(a.node);
        return { ...none, crash: a.node, log: `crashed ${a.node} (SIGKILL)` };
      case "restart":
        if (!this.crashedNodes.delete(a.node)) return none;
        return { ...none, restart: a.node, log: `restarted ${a.node} ${this.workers.includes(a.node) ? "(rejoins from its shards)" : "from its checkpoint"}` };
      case "lossy": {
        const key = link(a.source, a.target);
        const spec = this.losses.update(a.source, a.target, a.spec, a.on);
        if (spec === null) this.lossByLink.delete(key);
        else this.lossByLink.set(key, spec);
        const s = spec ?? { loss: 0, duplicate: 0, reorder: 0 };
        return {
          ...none,
          commands: each(a.source, `lossy ${a.target} ${s.loss} ${s.duplicate} ${s.reorder}`),
          log: spec === null ? `${key} no longer lossy` : `${key} lossy (loss ${s.loss.toPrecision(2)}, duplicate ${s.duplicate.toPrecision(2)}, reorder ${s.reorder.toPrecision(2)})`,
        };
      }
    }
  }

  /** The faults in force on a node (for a node started during them). */
  /** The composed bandwidth factor of the directed link (1: no fault in force). */
  bandwidthOf(source: string, target: string): number {
    return this.bandwidthFactor.get(`${source}->${target}`) ?? 1;
  }

  stateOf(id: NodeId): NodeFaultState {
    const own = dataCenterOf(id);
    const cutDataCenters: string[] = [];
    const bandwidthFactors: Record<string, number> = {};
    for (const [key, n] of this.cutCount) {
      const [source, target] = key.split("->") as [string, string];
      if (source === own && n > 0) cutDataCenters.push(target);
    }
    for (const [key, factor] of this.bandwidthFactor) {
      const [source, target] = key.split("->") as [string, string];
      if (source === own && factor !== 1) bandwidthFactors[target] = factor;
    }
    const lossy: Record<string, { loss: number; duplicate: number; reorder: number }> = {};
    for (const [key, spec] of this.lossByLink) {
      const [source, target] = key.split("->") as [string, string];
      if (source === own) lossy[target] = spec;
    }
    return { cutDataCenters, bandwidthFactors, slowFactor: this.slowFactor.get(id) ?? 1, lossy };
  }
}

/**
 * The scenario's fault timeline for a real run: the simulator's (`planFaults`, same seed stream for
 * random faults), with what the runtime cannot do refused up front as a ClusterError naming the
 * fault (a crash of a worker or hub, which cannot restore; a crash without restart or without
 * checkpoints), and what it does not emulate (bandwidth without WAN emulation)
 * dropped with a warning.
 */
export function planRuntimeFaults(cluster: ClusterConfig, plan: RunPlan, warn: (text: string) => void = () => undefined): FaultAction[] {
  const { scenario } = cluster;
  const { layout } = plan;
  const lan = scenario.sync.model === "lan";
  const problems: { path: string; message: string; line: null; column: null }[] = [];
  const durable = cluster.checkpoint.enabled;
  const resolveNode = (name: string): NodeId | null => {
    if (lan) {
      for (const [alias, original] of plan.aliasOf) if (original === name) return alias;
      return null;
    }
    return layout.nodes.includes(name) ? name : null;
  };
  scenario.faults.forEach((fault, i) => {
    const path = `faults[${i}]`;
    if (fault.kind === "crash") {
      const id = resolveNode(fault.node);
      if (id === null) return;
      const worker = layout.workers.includes(id);
      if (!worker && !durable) problems.push({ path, message: `crashing ${fault.node} needs checkpoint.enabled: true (a shard or hub restarts from its checkpoint)`, line: null, column: null });
      else if (fault.restartAfterS === null) problems.push({ path, message: `a crash in a real run needs restartAfter (${fault.node} would never come back, and the run never finish)`, line: null, column: null });
    }
    if (fault.kind === "bandwidth" && !cluster.wanEmulation.enabled && !lan) {
      warn(`${path}: bandwidth faults need wanEmulation.enabled (no emulated link to slow); ignored`);
    }
  });
  if (problems.length > 0) throw new ClusterError(cluster.file, problems);
  // Random crashes pick among the nodes the runtime can restart: the shards, when they checkpoint.
  const restartable = durable ? layout.shards.map((s) => s.id) : [];
  try {
    return planFaults(scenario, { dataCenters: lan ? [] : scenario.topology.dataCenters, resolveNode, nodes: restartable }, new Rng(scenario.seed).child("faults:random")).filter((a) => (a.kind !== "crash" && a.kind !== "restart" ? true : restartable.includes(a.node) || layout.workers.includes(a.node) || layout.hubs.some((h) => h.id === a.node)));
  } catch (error) {
    if (error instanceof RangeError) throw new ClusterError(cluster.file, [{ path: "faults", message: error.message, line: null, column: null }]);
    throw error;
  }
}
