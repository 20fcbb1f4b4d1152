/**
 * Every message the roles exchange. Plain data, so the codec can encode it and the simulator can
 * charge the WAN its encoded size.
 *
 * Mirror traffic carries its entries as a compact `body` (update-encoding.ts): element offsets
 * relative to the first element of the shard's row range (row * cols + col - range.start * cols),
 * so a shard's mirrors agree on them, and their values in the sender's value codec.
 */
export type Channel = "data" | "control";

/** Worker -> shard: read rows (null = the shard's whole range) for iteration `clock`. */
export interface ReadRequest {
  readonly kind: "read";
  readonly clock: number;
  readonly rows: Uint32Array | null;
}

/**
 * Shard -> worker: the values of the rows asked for, row-major. `localClock` is the shard's local
 * clock when it served the read (every client had pushed clocks below it); the worker's SSP cache
 * (worker-cache.ts) tags the rows with it.
 */
export interface ReadReply {
  readonly kind: "read-reply";
  readonly clock: number;
  readonly localClock: number;
  readonly rows: Uint32Array;
  readonly values: Float32Array;
}

/**
 * Worker -> shard: the worker's update for `clock` (possibly empty). It is also the worker's
 * clock tick: a shard's clock advances when every client has pushed. `last` marks the worker's
 * final clock.
 */
export interface Push {
  readonly kind: "push";
  readonly clock: number;
  readonly rows: Uint32Array;
  readonly deltas: Float32Array;
  readonly last: boolean;
}

/**
 * Shard (or hub) -> mirror shard (or hub): significant accumulated updates, and the mirror clock.
 * `sources` names the data centers whose updates are summed in it and who have all completed
 * `clock` (one data center when sent directly, a group's members when aggregated by a hub).
 */
export interface MirrorUpdate {
  readonly kind: "mirror-update";
  readonly shard: number;
  readonly clock: number;
  readonly sources: readonly string[];
  /** The entries, encoded by update-encoding.ts. */
  readonly body: Uint8Array;
}

/**
 * Selective barrier, on the control channel: "the update of `source` for `clock` changes these
 * rows significantly; do not serve reads of them until it arrives". Rows are relative to the
 * shard's range, ascending.
 */
export interface Barrier {
  readonly kind: "barrier";
  readonly shard: number;
  readonly clock: number;
  readonly source: string;
  readonly rows: Uint32Array;
}

/** Final flush: every remaining accumulator, sent once the shard's workers are all done. */
export interface MirrorFlush {
  readonly kind: "mirror-flush";
  readonly shard: number;
  readonly sources: readonly string[];
  /** The entries, encoded by update-encoding.ts (always f32: nothing is left to feed back). */
  readonly body: Uint8Array;
}

/**
 * DiLoCo (diloco.ts), shard -> the mirror shard that leads a segment: the part in that segment of
 * `source`'s pseudo-gradient for outer round `round` (>= 1), its replica minus the last global
 * state plus its error-feedback residual. `last`: the source sends no later round.
 */
export interface OuterDelta {
  readonly kind: "outer-delta";
  readonly shard: number;
  readonly round: number;
  readonly source: string;
  readonly last: boolean;
  /** The entries, encoded by update-encoding.ts. */
  readonly body: Uint8Array;
  /** Streaming DiLoCo: the fragment of the shard's rows (its offsets count from the fragment's start); absent: 0, the only one. */
  readonly fragment?: number;
}

/**
 * DiLoCo, a segment's leader -> every mirror shard: the outer step's update (new - old global
 * state) of the leader's segment for `round`, and the data centers whose deltas it counted, in
 * layout order. Every data center adds the same decoded values.
 */
export interface OuterUpdate {
  readonly kind: "outer-update";
  readonly shard: number;
  readonly round: number;
  /** The leader's data center (it names the segment). */
  readonly source: string;
  readonly participants: readonly string[];
  readonly body: Uint8Array;
  /** Streaming DiLoCo: the fragment; absent: 0. */
  readonly fragment?: number;
}

export type Message = ReadRequest | ReadReply | Push | MirrorUpdate | Barrier | MirrorFlush | OuterDelta | OuterUpdate;
export type MessageKind = Message["kind"];

export const channelOf = (msg: Message): Channel => (msg.kind === "barrier" ? "control" : "data");
