/**
 * The transport's options, and the shapes its parts share: a connection of any carrier (`Conn`),
 * one peer's link on one channel (`PeerChannel`), a connection the listener accepted (`Accepted`),
 * and what the carriers and handshakes ask of the link layer (`LinkHost`). See link.ts for how they
 * fit together.
 */
import type { LinkSnapshot, Message, ReliableLink, ReliableLinkOptions } from "@gaia/core";
import type { ChannelName, WireFrame } from "../envelope.js";
import type { Metrics } from "../metrics.js";
import type { LinkShaper } from "../shaper.js";

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface TransportOptions {
  readonly self: string;
  readonly secret: string;
  /** Interface to listen on; "0.0.0.0" for all. */
  readonly listenHost: string;
  readonly port: number;
  readonly tls?: { readonly cert: string; readonly key: string } | undefined;
  /** Every peer this node exchanges messages with, and where it listens. */
  readonly peers: ReadonlyMap<string, PeerAddress>;
  readonly link?: Partial<ReliableLinkOptions>;
  /** Restored link state (a restarted shard), keyed `${peer}|${channel}`. */
  readonly restore?: ReadonlyMap<string, LinkSnapshot<Uint8Array>>;
  /** WAN emulation: the shaper for frames to `peer`, or null to send at once. */
  readonly shaperFor?: (peer: string) => LinkShaper | null;
  readonly metrics: Metrics;
  /**
   * A message from `from`, in order, exactly once. It is handed over before its link takes its seq:
   * throwing a RemoteError refuses it, and leaves the seq free for the real peer's message (see
   * "Refused frames" in link.ts).
   */
  readonly onMessage: (from: string, msg: Message, channel: ChannelName) => void;
  /**
   * A link fell out of step (see "Links out of step" in link.ts): the transport has closed; the
   * message names the link (from -> to, channel) and the cause. The node should stop.
   */
  readonly onOutOfStep?: (message: string) => void;
  /**
   * Asked of each decoded message before `onMessage` gets it: true promises that the receiver keeps
   * nothing of it past that call (its arrays are read during the call; core's `usesUp`). Such a
   * message's arrays may be views of memory that is reused after the call: uWS's receive memory
   * (no copy at all), or a unix frame's buffer, read into again (stream-frames.ts). Default: every
   * message may be kept, and owns its memory.
   */
  readonly usesUp?: (from: string, msg: Message) => boolean;
  readonly onPeer: (peer: string, up: boolean) => void;
  /** Extra GET routes on the listener (e.g. /metrics). */
  readonly routes?: Readonly<Record<string, (query: string) => string | Promise<string>>>;
  /**
   * Wall-clock time (ms since the Unix epoch) that is 0 on this transport's clock (`nowMs`). Nodes
   * of one run share it, so times a restarted node restores from a checkpoint stay comparable.
   * Default: the moment the transport is built.
   */
  readonly epochMs?: number;
  /** What a WAN cut does to frames: hold them until it heals (default) or drop them. */
  readonly wanCutMode?: WanCutMode;
  /** Connection hygiene (see link.ts's header); defaults in `hygieneDefaults`. */
  readonly hygiene?: Partial<Hygiene>;
  /** Lossy faults: the uniform [0, 1) stream they draw from (default Math.random). */
  readonly random?: () => number;
  /** Lossy faults: a reordered frame is held back by up to this long (default 50 ms). */
  readonly reorderMs?: number;
  /** This transport's link epoch (a restored shard passes its checkpoint's); default: a new one. */
  readonly epoch?: string;
  /** Peers that may come back without their link state (workers); default: none. */
  readonly restartable?: (peer: string) => boolean;
  /** Restored: the epoch each peer's link was with, keyed `${peer}|${channel}`. */
  readonly restorePeerEpochs?: Readonly<Record<string, string>>;
  /**
   * The unix-socket carrier (see "Carriers" in link.ts): this node also listens at
   * `unixPathOf(dir, port)`, and dials the listed peers there instead of over WebSocket. Both ends
   * of a pair must have it.
   */
  readonly unix?: { readonly dir: string; readonly peers: ReadonlySet<string> } | undefined;
  /** Checks `poolInvariants` after every send and every frame from a peer (tests). */
  readonly checkInvariants?: boolean;
}

export interface Hygiene {
  /** A connection must finish the handshake within this many milliseconds. */
  readonly handshakeMs: number;
  /** Connections still in the handshake, at most, per node ... */
  readonly pendingMax: number;
  /** ... and per source address. */
  readonly pendingPerAddressMax: number;
  /** Bytes queued above one socket's backpressure before the peer is disconnected as too slow. */
  readonly queueBytesMax: number;
  /** A WebSocket upgrade's proof (auth.ts) is refused when its time is further than this from ours. */
  readonly upgradeWindowMs: number;
  /** Upgrade nonces remembered (to refuse a replayed proof); past it the oldest go, and proofs up to their time are refused. */
  readonly upgradeNoncesMax: number;
}

export const hygieneDefaults: Hygiene = { handshakeMs: 10_000, pendingMax: 256, pendingPerAddressMax: 64, queueBytesMax: 256 * 1024 * 1024, upgradeWindowMs: 60_000, upgradeNoncesMax: 65_536 };

/** The largest frame a connection may send before its hello (a hello is well under 1 kB). */
export const helloBytesMax = 16 * 1024;

export type WanCutMode = "hold" | "drop";

/** Probabilities of a lossy fault, per frame. */
export interface FrameLoss {
  readonly loss: number;
  readonly duplicate: number;
  readonly reorder: number;
}

/** One live, authenticated connection, of any carrier. */
export interface Conn {
  send(bytes: Uint8Array): void;
  close(): void;
  readonly id: number;
}

let lastConnId = 0;
/** A new connection's id (unique in this process). */
export const nextConnId = (): number => ++lastConnId;

export interface PeerChannel {
  readonly peer: string;
  readonly channel: ChannelName;
  link: ReliableLink<Uint8Array>;
  /** The peer's link epoch the link was built with; null until a peer first connects. */
  peerEpoch: string | null;
  /** Links of epochs set aside, most recently used last (at most `retiredMax`). */
  readonly retired: Map<string, ReliableLink<Uint8Array>>;
  conn: Conn | null;
  /** Dialer side: the connection being dialed (ws client or unix socket) and its retry timer. */
  dialing: { terminate(): void } | null;
  retryTimer: NodeJS.Timeout | null;
  retryDelayMs: number;
  readonly shaper: LinkShaper | null;
  /**
   * The large bodies (BodyPool's) among the link's unacknowledged messages, in send order, each with
   * its position among all messages sent on the link (`sentCount` so far); the link acknowledges in
   * order, so those below `sentCount - unackedCount` are acknowledged.
   */
  readonly sent: { readonly index: number; readonly body: Uint8Array }[];
  sentCount: number;
  /** Counter keys of this peer and channel, built once (they are bumped per message). */
  readonly keys: { readonly messagesSent: string; readonly messageBytesSent: string; readonly bytesSent: string; readonly messagesReceived: string };
}

/** A connection the listener accepted (uWS or unix socket), from open to close. */
export interface Accepted {
  state: "challenged" | "open" | "closed";
  /**
   * The peer proved the secret before the connection was accepted (a WebSocket upgrade's proof):
   * it takes precedence over unauthenticated pending connections (see Admission.open).
   */
  authenticated: boolean;
  nonce: Uint8Array;
  pc: PeerChannel | null;
  conn: ListenerConn | null;
  /** Source address, and when the connection opened (for the handshake deadline). */
  address: string;
  openedAt: number;
  /** A handshake frame (challenge, welcome). */
  sendRaw(bytes: Uint8Array): void;
  /** Closes at once, with no closing handshake, so the descriptor is free again. */
  closeNow(): void;
  /** Ends the connection with a WebSocket close code and reason (a unix socket just closes). */
  end(code: number, reason: string): void;
  /** The connection's Conn, once the peer is authenticated. */
  open(): ListenerConn;
}

/** The listener's side of an authenticated connection. */
export interface ListenerConn extends Conn {
  closed: boolean;
  /** Called once when the queue grows past its bound (the transport disconnects the peer). */
  onOverflow: (() => void) | null;
  queueBytesMax: number;
}

/**
 * What a carrier's listener hands its connections to (handshake.ts's Admission): each one from
 * open to close, and every frame it reads in between.
 */
export interface AcceptSink {
  open(data: Accepted): void;
  /**
   * `borrowed`: the bytes are valid during this call only (uWS); a unix socket's are owned. True
   * when nothing keeps any part of them (see TransportOptions.onMessage).
   */
  message(data: Accepted, bytes: Uint8Array, borrowed: boolean): boolean;
  close(data: Accepted): void;
  /** A carrier's reader refused what it read (a remote error): count it and leave the handshake. */
  refuse(data: Accepted, error: unknown): void;
}

export type RefusedReason = "pending-cap" | "address-cap" | "handshake-timeout" | "slow-reader" | "unauthenticated" | "stale-proof" | "replayed-proof" | "hello-oversized";

/**
 * What the carriers and the handshakes (handshake.ts) ask of the link layer (link.ts): whatever
 * carries a link's frames, the links themselves are this one implementation.
 */
export interface LinkHost {
  readonly options: TransportOptions;
  readonly hygiene: Hygiene;
  readonly epoch: string;
  /** The transport is closed: nothing more is read, dialed or accepted. */
  readonly closed: boolean;
  /** Connections are cut (`cutFor`): incoming ones are refused. */
  readonly cut: boolean;
  nowMs(): number;
  /** The link to `peer` on `channel`, if it is one of this node's. */
  channel(peer: string, channel: string): PeerChannel | undefined;
  /** An authenticated connection now carries `pc`'s link. */
  attach(pc: PeerChannel, conn: Conn, peerEpoch: string): void;
  disconnect(pc: PeerChannel, conn: Conn): void;
  /** A frame from the peer after the handshake (see link.ts's onLinkFrame). */
  onLinkFrame(pc: PeerChannel, conn: Conn, frame: WireFrame, borrowed: boolean): boolean;
  /** Counts a remote error; rethrows anything else (a bug). */
  onRemoteError(error: unknown, peer: string): void;
  refused(reason: RefusedReason): void;
  /** Dials `pc`'s peer over its carrier. */
  dial(pc: PeerChannel): void;
}
