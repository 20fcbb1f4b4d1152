/**
 * What a node says about itself: the reports it writes to its launcher (or a log), one JSON object
 * per line, the replica values inside them, and the scripted faults it starts with.
 */
import type { DeliveryEvent, FilterStats, NodeId, TraceEvent } from "@gaia/core";
import type { FrameLoss } from "./transport.js";

/** What a node tells its launcher, one JSON object per line. */
export type NodeReport =
  | { readonly ev: "ready"; readonly node: NodeId; readonly port: number; readonly restored: boolean }
  | { readonly ev: "clock"; readonly node: NodeId; readonly clock: number; readonly atMs: number }
  | { readonly ev: "values"; readonly node: NodeId; readonly clock: number; readonly values: string; readonly atMs: number }
  | { readonly ev: "metrics"; readonly node: NodeId; readonly wanBytesByLink: Record<string, number>; readonly blockedMs: BlockedMs; readonly counters: Record<string, number> }
  | { readonly ev: "trace"; readonly node: NodeId; readonly event: TraceEvent & { readonly atMs: number } }
  /** A barrier or mirror message delivered to a shard (with `trace`; for the checkers). */
  | { readonly ev: "delivered"; readonly node: NodeId; readonly event: DeliveryEvent & { readonly atMs: number } }
  | { readonly ev: "state"; readonly node: NodeId; readonly done: boolean; readonly unacked: number; readonly clock: number | null }
  | { readonly ev: "final"; readonly node: NodeId; readonly values: string | null; readonly clock: number | null; readonly filter?: FilterStats }
  | { readonly ev: "error"; readonly node: NodeId; readonly message: string }
  /** A failure the node retries by itself (a checkpoint write out of file descriptors): the launcher logs it and waits; `recovered` once it succeeds again. */
  | { readonly ev: "retrying"; readonly node: NodeId; readonly message: string; readonly recovered: boolean }
  /** Watchdog: no progress for `forMs`; `waitingOn` says on what. */
  | { readonly ev: "stalled"; readonly node: NodeId; readonly forMs: number; readonly waitingOn: string }
  /** The worker's program produced a non-finite update (the core's `diverged` trace event). */
  | { readonly ev: "diverged"; readonly node: NodeId; readonly clock: number; readonly row: number; readonly value: string };

export interface BlockedMs {
  ssp: number;
  mirrorClock: number;
  barrier: number;
  /** DiLoCo: reads past a round boundary waiting for the outer step. */
  outerStep: number;
}

/**
 * The scripted faults that act inside a node (the launcher composes overlapping ones): data
 * centers its emulated WAN is cut from, bandwidth factors of its WAN links, and how many times
 * slower its compute runs.
 */
export interface NodeFaultState {
  readonly cutDataCenters: readonly string[];
  readonly bandwidthFactors: Readonly<Record<string, number>>;
  readonly slowFactor: number;
  /** Lossy faults on the frames to each data center. */
  readonly lossy?: Readonly<Record<string, FrameLoss>>;
}

export const encodeFloats = (values: Float32Array): string => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64");
export const decodeFloats = (text: string): Float32Array => {
  const bytes = Buffer.from(text, "base64");
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
};
