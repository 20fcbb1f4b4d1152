/**
 * What a caller of `launchCluster` passes (LaunchOptions) and gets back (LaunchResult): the launch's
 * API, apart from launcher.ts, which owns the processes.
 */
import type { NodeId } from "@gaia/core";
import type { Progress, RunResult, SimTraceEvent } from "@gaia/scenario";
import type { SupervisionPolicy } from "./supervisor.js";

export interface LaunchOptions {
  /** Record trace events from every node and run the simulator's checkers on them. */
  readonly trace?: boolean;
  readonly onProgress?: (p: Progress & { readonly wallS: number }) => void;
  /** A line of a node's stderr (for logs). */
  readonly onLog?: (node: NodeId, line: string) => void;
  /** Give up after this many wall seconds (default: stop.maxVirtualTime + 60 s, or 600 s). */
  readonly timeoutS?: number;
  /** Replicas agree when every element differs by at most this (relative to its magnitude). */
  readonly agreementTolerance?: number;
  /** Each node reports "no progress for T: waiting on X" after this many seconds without progress (default 30). */
  readonly watchdogS?: number;
  /** A scripted fault was applied (or skipped), with its wall second since every node was up. */
  readonly onFault?: (text: string, atS: number) => void;
  /** A node reported ready (listening, connected to its peers); `ready` of `total` are up. */
  readonly onNodeReady?: (node: NodeId, ready: number, total: number) => void;
  /** After `interrupt`, how long the nodes have to send their final reports before they are killed (default 5000 ms). */
  readonly interruptGraceMs?: number;
  /** Restarts of nodes that die unexpectedly, and the heartbeat check (supervisor.ts; default `defaultSupervision`). */
  readonly supervision?: Partial<SupervisionPolicy>;
  /** The command a node runs under (e.g. `ip netns exec NAME`), before `node` and its arguments; none by default. */
  readonly commandPrefix?: (node: NodeId) => readonly string[];
  /** A bandwidth fault changed a link's composed factor (for a shaper outside the nodes, e.g. the kernel's). */
  readonly onWanBandwidth?: (source: string, target: string, factor: number) => void;
}

export interface LaunchResult extends RunResult {
  /** Every node's trace, merged in arrival order (when `trace`). */
  readonly trace: readonly SimTraceEvent[] | null;
  /** Each shard's final replica of its rows. */
  readonly finalValues: ReadonlyMap<NodeId, Float32Array>;
  /** Largest difference between two data centers' copies of the same element. */
  readonly replicaSpread: number;
  /** Counters each node reported last. */
  readonly counters: ReadonlyMap<NodeId, Record<string, number>>;
}
