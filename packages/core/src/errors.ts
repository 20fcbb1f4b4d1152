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
  | "unauthenticated";

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
