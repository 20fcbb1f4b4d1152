/**
 * The shape every role (worker, server shard, hub) has: a sans-I/O state machine.
 *
 * `step(input, nowMs)` consumes one input and returns effects as data; it never performs I/O.
 * `nextDeadlineMs()` says when the role wants a `timer` input; a spurious timer is a no-op.
 * `invariants()` throws an InvariantError when the role's own state is inconsistent; drivers call
 * it after every step in tests and in the simulator.
 */
import type { NodeId } from "./layout.js";
import type { Channel, Message } from "./messages.js";
import { RemoteError } from "./errors.js";

export type Input =
  | { readonly kind: "start" }
  | { readonly kind: "message"; readonly from: NodeId; readonly msg: Message }
  | { readonly kind: "computed"; readonly clock: number; readonly rows: Uint32Array; readonly deltas: Float32Array; readonly samples: number }
  | { readonly kind: "timer" }
  /** Worker only: finish. The next push is marked last; pending reads are abandoned. */
  | { readonly kind: "stop" }
  | { readonly kind: "peer"; readonly peer: NodeId; readonly up: boolean }
  /** Shard only: the driver measured this delivery rate (bytes per ms) on the link to `peer`. */
  | { readonly kind: "link-rate"; readonly peer: NodeId; readonly bytesPerMs: number };

/** What a read waited for before it was served. */
export type BlockReason = "ssp" | "mirror-clock" | "barrier" | "outer-step";

/**
 * Trace events: what checkers outside the system read. They carry enough to check every rule
 * without importing any role internals.
 */
export type TraceEvent =
  | { readonly type: "read-served"; readonly shard: NodeId; readonly worker: NodeId; readonly clock: number; readonly localClock: number; readonly mirrorClockMin: number | null; readonly rows: number; readonly requested: Uint32Array | null; readonly waitedMs: number; readonly blockedBy: BlockReason | null; readonly barrierRowsBlocked: number }
  | { readonly type: "push-applied"; readonly shard: NodeId; readonly worker: NodeId; readonly clock: number; readonly last: boolean; readonly localClock: number; readonly sum: number }
  /**
   * A shard's mirror update (clock -1: the final flush). `accumulated`: non-zero accumulators before
   * it; `significant`: those above the floor threshold; `heldBack`: significant ones the budget kept;
   * `bytes`: the encoded body; `threshold`: the threshold in force; `barrierTo`: where a barrier went.
   */
  | { readonly type: "mirror-sent"; readonly shard: NodeId; readonly clock: number; readonly entries: number; readonly barrier: boolean; readonly sum: number; readonly accumulated: number; readonly significant: number; readonly heldBack: number; readonly bytes: number; readonly threshold: number; readonly barrierTo: readonly NodeId[] }
  | { readonly type: "mirror-applied"; readonly shard: NodeId; readonly sources: readonly string[]; readonly clock: number | null; readonly entries: number; readonly sum: number }
  | { readonly type: "barrier-received"; readonly shard: NodeId; readonly source: string; readonly clock: number; readonly rows: readonly number[] }
  /**
   * DiLoCo: a shard sent its delta of outer round `round` to every segment's leader (`index`: the
   * shard index its mirrors share; `entries`, `bytes`: summed over the other leaders; its own
   * segment's part is kept, not counted).
   */
  | { readonly type: "outer-sent"; readonly shard: NodeId; readonly index: number; readonly round: number; readonly last: boolean; readonly entries: number; readonly bytes: number; readonly fragment?: number }
  /** DiLoCo: a segment's leader sent its update of round `round`. */
  | { readonly type: "outer-led"; readonly shard: NodeId; readonly index: number; readonly round: number; readonly participants: readonly string[]; readonly entries: number; readonly bytes: number; readonly fragment?: number }
  /** DiLoCo: a shard applied outer round `round` with these participants; `hash`: stateHash of the new global state. */
  | { readonly type: "outer-step"; readonly shard: NodeId; readonly index: number; readonly round: number; readonly participants: readonly string[]; readonly hash: string; readonly fragment?: number }
  | { readonly type: "hub-forwarded"; readonly hub: NodeId; readonly shard: number; readonly clock: number | null; readonly sources: readonly string[]; readonly entries: number }
  | { readonly type: "worker-clock"; readonly worker: NodeId; readonly clock: number }
  /**
   * The worker's program produced a non-finite update (or one beyond the wire's magnitude bound)
   * at `clock`: the model diverged. `row` is the first table row it names, `value` what it held.
   * The worker does not send it; it ends with an empty last push, and the driver stops the run.
   */
  | { readonly type: "diverged"; readonly worker: NodeId; readonly clock: number; readonly row: number; readonly value: number }
  /**
   * A worker served `rows` rows of one shard from its SSP cache for `clock` (rows 0: it needed none
   * and skipped the shard). The oldest copy used was served when the shard's local clock was
   * `localClock`, in reply to the worker's read for `readClock`.
   */
  | { readonly type: "read-cached"; readonly worker: NodeId; readonly shard: NodeId; readonly clock: number; readonly rows: number; readonly localClock: number; readonly readClock: number }
  | { readonly type: "remote-error"; readonly node: NodeId; readonly from: NodeId; readonly code: string; readonly message: string };

/**
 * What the driver saw delivered to a shard, for the checkers only (not traced, not hashed): a
 * barrier (rows absolute) and a mirror update or flush (clock null). The barrier checker keeps
 * its books from these, not from the shard's own report that it received a barrier.
 */
export type DeliveryEvent =
  | { readonly type: "barrier-delivered"; readonly shard: NodeId; readonly source: string; readonly clock: number; readonly rows: readonly number[] }
  | { readonly type: "mirror-delivered"; readonly shard: NodeId; readonly sources: readonly string[]; readonly clock: number | null };

export type Effect =
  | { readonly kind: "send"; readonly to: NodeId; readonly msg: Message; readonly channel: Channel }
  /** Worker only: run the program's step on these values, then feed back a `computed` input. */
  | { readonly kind: "compute"; readonly clock: number; readonly rows: Uint32Array; readonly values: Float32Array }
  | { readonly kind: "trace"; readonly event: TraceEvent }
  /** The role has nothing more to do (a worker past its last clock, a shard after its final flush). */
  | { readonly kind: "done" };

export interface Role {
  readonly id: NodeId;
  step(input: Input, nowMs: number): Effect[];
  nextDeadlineMs(): number | null;
  invariants(): void;
  /** Remote errors this role rejected, for metrics. */
  readonly remoteErrors: readonly RemoteError[];
  /**
   * Bytes of the protocol state this role holds now: replicas, accumulators, residuals, caches
   * (the typed arrays that grow with the table, not bookkeeping maps); see state-bytes.ts.
   */
  stateBytes(): number;
}

/**
 * What a role does with an error thrown while it handled `input`: a RemoteError (the peer broke
 * the protocol) is recorded in `rejected` and traced, and the role keeps serving; anything else is
 * a bug and propagates.
 */
export function rejectRemote(node: NodeId, input: Input, error: unknown, rejected: RemoteError[]): Effect[] {
  if (!(error instanceof RemoteError)) throw error;
  rejected.push(error);
  return [{ kind: "trace", event: { type: "remote-error", node, from: input.kind === "message" ? input.from : "", code: error.code, message: error.message } }];
}
