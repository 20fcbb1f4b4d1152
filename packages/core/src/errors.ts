/**
 * Two kinds of error, as in h11.
 *
 * A `RemoteError` means a peer broke the protocol (malformed frame, unknown shard, a clock from the
 * future). The role rejects the input, counts it, and keeps serving. A broken internal invariant is
 * a bug in this code: `invariant()` throws an `InvariantError` and the process should crash loudly.
 */

export type RemoteErrorCode =
  | "malformed-frame"
  | "truncated-frame"
  | "oversized-frame"
  | "unknown-kind"
  | "bad-field"
  | "unknown-peer"
  | "unknown-shard"
  | "clock-from-future"
  | "stale-clock"
  | "out-of-range"
  | "unauthenticated"
  /** An acknowledgement of a sequence number that was never sent. */
  | "bad-ack"
  /** A sequence number beyond the receive window. */
  | "beyond-window"
  /** A message on a channel it does not belong to (a barrier on data, an update on control). */
  | "wrong-channel"
  /** A message that may come only once, sent again (a second final flush). */
  | "duplicate"
  /** NaN, an infinity, or a magnitude no model produces. */
  | "non-finite";

export class RemoteError extends Error {
  override readonly name = "RemoteError";
  constructor(
    readonly code: RemoteErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export class InvariantError extends Error {
  override readonly name = "InvariantError";
}

export function invariant(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantError(typeof message === "string" ? message : message());
}
