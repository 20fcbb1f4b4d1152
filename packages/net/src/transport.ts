/**
 * The transport of one node: it listens with uWebSockets.js, dials peers with `ws`, authenticates
 * every connection (auth.ts) before it accepts a single frame, and runs one reliable link (core's
 * reliable.ts) per peer and channel over whatever connection is current, so role messages reach
 * the peer exactly once and in order across disconnects.
 *
 * Carriers. Peers listed in `unix` (nodes of the same data center on the same host, when the
 * cluster file says `lanCarrier: unix`) are dialed over a unix-domain socket instead, with the same
 * frames length-prefixed (stream-frames.ts); the handshake, hygiene, links and faults above are the
 * same code for both. Every other peer, and every WAN link, is reached over WebSocket.
 *
 * Two connections per peer pair, "data" and "control", so a selective barrier never queues behind
 * a large update. The node with the smaller id dials; the other listens. Peer up/down comes from
 * the control link's heartbeats. A frame that breaks the protocol (bad bytes, wrong shape, a frame
 * before authentication) is a remote error: the connection is closed and counted, the node keeps
 * serving, and the link resends once the peer reconnects.
 *
 * Restarted peers. Every transport speaks for one incarnation of its link state, its epoch (a
 * restored shard keeps the epoch of its checkpoint; any other start draws a new one), and says so
 * in the handshake. A peer that comes back with a different epoch has lost its link state (a
 * restarted worker): the links to it start over, fresh, and what was unacknowledged for its old
 * incarnation is dropped (it will ask again). Without this the old links would drop its first
 * messages as duplicates and refuse its acks, and the run would hang. Only peers that may restart
 * without their link state (`restartable`: workers) start over; a shard or hub that shows another
 * epoch is refused as a remote error, so nobody can make a node drop its durable links. The link
 * of an epoch set aside is kept (up to `retiredMax` per link), so if that epoch comes back (a
 * secret holder posed as the peer for a while, then the real one reconnected) it continues
 * exactly where it was, and takes over what the interloper left unacknowledged. A holder of the shared secret can still pose as any node: per-node keys
 * would be needed to stop that.
 *
 * Connection hygiene. A connection that has not finished the handshake is pending; a node keeps
 * at most `pendingMax` of them, at most `pendingPerAddressMax` from one source address, and each
 * for at most `handshakeMs` (dialed connections too). Anything over a cap, or too slow, is closed at
 * once and counted in `connections_refused_total{reason}`, so nobody who can merely reach the port
 * can pin file descriptors; with the default caps a node's descriptors stay far below the usual
 * limit of 1024 (pending + two per peer + checkpoint files). A message on the wrong channel (a
 * barrier on data, an update on control) is a remote error, like a malformed one.
 *
 * Memory bounds per peer and channel: the link's early buffer (`windowMessages` frames and
 * `earlyBytesMax` bytes, see reliable.ts); the send window (`windowMessages` frames on the wire);
 * and the queue above a socket's backpressure, at most `queueBytesMax` (default 256 MiB): a peer
 * that reads slower than that is disconnected and counted, and the link resends once it is back.
 *
 * Lossy faults (`setLossy`) act below the reliable links, on the frames to every peer of a data
 * center, as the simulator's lossy links act on messages: a frame is lost, sent twice, or held back
 * past later ones (by up to `reorderMs`), from a seeded stream. The links repair it: duplicates are
 * dropped, gaps are refilled by fast retransmit (reliable.ts) or the retransmit deadline.
 *
 * WAN faults (a partition of the emulated WAN, see `setWanCut`) act on the frames to every peer of
 * a data center: with "hold" they wait, as the simulator's partitioned link holds its arrivals,
 * and leave when the cut heals (frames not yet shaped pay the link's bandwidth then; frames that
 * were in flight arrive at once); with "drop" they are lost, and the reliable links resend
 * everything unacknowledged when the cut heals.
 */
import uWS from "uWebSockets.js";
import type { us_listen_socket, WebSocket as UwsSocket } from "uWebSockets.js";
import WebSocket from "ws";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { connect as netConnect, createServer as netServer, Socket as NetSocketClass, type Server as NetServer, type Socket as NetSocket } from "node:net";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { channelOf, dataCenterOf, decodeMessage, invariant, RemoteError, ReliableLink, type LinkFrame, type LinkSnapshot, type Message, type ReliableLinkOptions } from "@gaia/core";
import { helloMac, newNonce, sameMac, welcomeMac } from "./auth.js";
import { allocateUnzeroed, coalesce, decodeBatch, decodeFrame, encodeBody, encodeFrame, headerBytesOf, isBatch, maxPayloadBytes, type ChannelName, type WireFrame } from "./envelope.js";
import { Metrics } from "./metrics.js";
import { FrameReader, lengthPrefix, reuseBytesMin, type StreamReader } from "./stream-frames.js";
import { binaryHeader, newUpgradeKey, pongFrame, ServerFrameReader, UpgradeReader, upgradeRequest } from "./ws-client.js";
import type { LinkShaper } from "./shaper.js";

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
  readonly onMessage: (from: string, msg: Message, channel: ChannelName) => void;
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
  /** Connection hygiene (see the file's header); defaults in `hygieneDefaults`. */
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
   * The unix-socket carrier (see "Carriers"): this node also listens at `unixPathOf(dir, port)`,
   * and dials the listed peers there instead of over WebSocket. Both ends of a pair must have it.
   */
  readonly unix?: { readonly dir: string; readonly peers: ReadonlySet<string> } | undefined;
  /** Checks `poolInvariants` after every send and every frame from a peer (tests). */
  readonly checkInvariants?: boolean;
}

/** Where a node that listens on `port` takes unix-socket connections. */
export const unixPathOf = (dir: string, port: number): string => join(dir, `gaia-${port}.sock`);

export interface Hygiene {
  /** A connection must finish the handshake within this many milliseconds. */
  readonly handshakeMs: number;
  /** Connections still in the handshake, at most, per node ... */
  readonly pendingMax: number;
  /** ... and per source address. */
  readonly pendingPerAddressMax: number;
  /** Bytes queued above one socket's backpressure before the peer is disconnected as too slow. */
  readonly queueBytesMax: number;
}

export const hygieneDefaults: Hygiene = { handshakeMs: 10_000, pendingMax: 256, pendingPerAddressMax: 64, queueBytesMax: 256 * 1024 * 1024 };

export type WanCutMode = "hold" | "drop";

/** Probabilities of a lossy fault, per frame. */
export interface FrameLoss {
  readonly loss: number;
  readonly duplicate: number;
  readonly reorder: number;
}

/** One live, authenticated connection. */
interface Conn {
  send(bytes: Uint8Array): void;
  close(): void;
  readonly id: number;
}

interface PeerChannel {
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
interface Accepted {
  state: "challenged" | "open" | "closed";
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
interface ListenerConn extends Conn {
  closed: boolean;
  /** Called once when the queue grows past its bound (the transport disconnects the peer). */
  onOverflow: (() => void) | null;
  queueBytesMax: number;
}

interface ServerSocketData {
  accepted: Accepted;
  uws: UwsConn | null;
}

const highWaterBytes = 8 * 1024 * 1024;
/** Links of earlier epochs kept per peer and channel (see "Restarted peers"). */
const retiredMax = 2;
/** The unix-socket read buffers (the dialer's, and the one its accepted connections share). */
const unixReadBytes = 256 * 1024;
/** A burst of small frames leaves corked; once it holds this much it leaves at once. */
const burstBytesMax = 64 * 1024;

/**
 * Frames of at least `poolBytesMin` bytes handed to a connection and not yet written out (counted
 * per frame, from `send` until the socket has written it or uWS has copied it): a pooled body is
 * given back only at a count of 0. A frame whose write never completes (its connection closed
 * first) keeps its count, and so is never pooled: the safe way to be wrong.
 */
const writesPending = new WeakMap<Uint8Array, number>();
/** What to do with a frame once its last pending write is done (give an acknowledged body back). */
const afterWrites = new WeakMap<Uint8Array, () => void>();
const tracked = (bytes: Uint8Array): boolean => bytes.byteLength >= poolBytesMin;
const writeStarted = (bytes: Uint8Array): void => void writesPending.set(bytes, (writesPending.get(bytes) ?? 0) + 1);
const writeDone = (bytes: Uint8Array): void => {
  const n = (writesPending.get(bytes) ?? 1) - 1;
  if (n > 0) {
    writesPending.set(bytes, n);
    return;
  }
  writesPending.delete(bytes);
  const then = afterWrites.get(bytes);
  if (then === undefined) return;
  afterWrites.delete(bytes);
  then();
};
/** Whether a write of `bytes` may still read it (see writesPending). */
const beingWritten = (bytes: Uint8Array): boolean => writesPending.has(bytes);

/**
 * The sends of one burst (one turn of the event loop, or burstBytesMax bytes, whichever comes
 * first), handed to `flush` together so that a connection can cork and coalesce them.
 */
class Burst {
  private frames: Uint8Array[] = [];
  private bytes = 0;
  private queued = false;
  constructor(private readonly flush: (frames: Uint8Array[]) => void) {}
  push(frame: Uint8Array): void {
    if (tracked(frame)) writeStarted(frame);
    this.frames.push(frame);
    this.bytes += frame.byteLength;
    if (this.bytes >= burstBytesMax) this.take();
    else if (!this.queued) {
      this.queued = true;
      process.nextTick(() => {
        this.queued = false;
        this.take();
      });
    }
  }
  private take(): void {
    const frames = this.frames;
    if (frames.length === 0) return;
    this.frames = [];
    this.bytes = 0;
    this.flush(frames);
  }
}
let nextConnId = 1;

/**
 * A uWS socket with our own queue above its backpressure limit, drained on `drain`. Frames sent in
 * one burst of synchronous work (a role step's effects, a link's resends) leave together: they are
 * collected and written corked once the burst is over, one system call instead of one per frame,
 * and small ones coalesced into batches (envelope.ts), one WebSocket message instead of one per
 * frame. A burst leaves as soon as it holds `burstBytesMax`, so large frames are not held back.
 */
class UwsConn implements ListenerConn {
  readonly id = nextConnId++;
  private readonly queue: Uint8Array[] = [];
  private queueBytes = 0;
  /** Called once when the queue grows past its bound (the transport disconnects the peer). */
  onOverflow: (() => void) | null = null;
  queueBytesMax = hygieneDefaults.queueBytesMax;
  private readonly burst = new Burst((frames) => this.flush(frames));
  closed = false;
  constructor(private readonly ws: UwsSocket<ServerSocketData>) {}
  send(bytes: Uint8Array): void {
    if (this.closed) return;
    this.burst.push(bytes);
  }
  private flush(burst: Uint8Array[]): void {
    if (this.closed) return;
    this.ws.cork(() => {
      for (const bytes of burst.length > 1 ? coalesce(burst) : burst) {
        if (this.queue.length > 0 || this.ws.getBufferedAmount() > highWaterBytes) {
          this.queue.push(bytes);
          this.queueBytes += bytes.byteLength;
        } else {
          // uWS copies what it cannot write at once: ours again on return.
          this.ws.send(bytes, true, false);
          if (tracked(bytes)) writeDone(bytes);
        }
      }
    });
    if (this.queueBytes > this.queueBytesMax && !this.closed) {
      this.queue.length = 0;
      this.queueBytes = 0;
      this.onOverflow?.();
    }
  }
  drain(): void {
    while (!this.closed && this.queue.length > 0 && this.ws.getBufferedAmount() <= highWaterBytes) {
      const bytes = this.queue.shift()!;
      this.queueBytes -= bytes.byteLength;
      this.ws.send(bytes, true, false);
      if (tracked(bytes)) writeDone(bytes);
    }
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.end(1008, "protocol error");
  }
}

/** A `ws` client; a burst of sends leaves corked and coalesced, as UwsConn's does. */
class WsConn implements Conn {
  readonly id = nextConnId++;
  private readonly burst = new Burst((frames) => this.flush(frames));
  constructor(private readonly ws: WebSocket) {}
  send(bytes: Uint8Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.burst.push(bytes);
  }
  private flush(burst: Uint8Array[]): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // ws keeps its net.Socket in `_socket` (not part of its typed API; without it, no corking).
    const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    socket?.cork();
    for (const bytes of burst.length > 1 ? coalesce(burst) : burst) {
      if (tracked(bytes)) this.ws.send(bytes, { binary: true }, () => writeDone(bytes));
      else this.ws.send(bytes, { binary: true });
    }
    socket?.uncork();
  }
  close(): void {
    this.ws.terminate();
  }
}

/**
 * A stream socket, either end of a unix socket (frames length-prefixed, stream-frames.ts) or the
 * dialer's end of a WebSocket (`framing: binaryHeader`, ws-client.ts); a burst leaves corked and
 * coalesced, as on the other connections. Node queues what the socket cannot take yet; past
 * `queueBytesMax` the peer is a slow reader and is disconnected.
 */
class NetConn implements ListenerConn {
  readonly id = nextConnId++;
  private readonly burst = new Burst((frames) => this.flush(frames));
  closed = false;
  onOverflow: (() => void) | null = null;
  queueBytesMax = hygieneDefaults.queueBytesMax;
  constructor(
    private readonly socket: NetSocket,
    /** What goes ahead of each frame's bytes. */
    private readonly framing: (bytes: number) => Uint8Array = lengthPrefix,
  ) {}
  send(bytes: Uint8Array): void {
    if (this.closed) return;
    this.burst.push(bytes);
  }
  /** One frame at once (the handshake). */
  sendRaw(bytes: Uint8Array): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.cork();
    this.socket.write(this.framing(bytes.byteLength));
    this.socket.write(bytes);
    this.socket.uncork();
  }
  private flush(burst: Uint8Array[]): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.cork();
    for (const bytes of burst.length > 1 ? coalesce(burst) : burst) {
      this.socket.write(this.framing(bytes.byteLength));
      // Node keeps the very chunk until it is written; its callback says when.
      if (tracked(bytes)) this.socket.write(bytes, () => writeDone(bytes));
      else this.socket.write(bytes);
    }
    this.socket.uncork();
    if (this.socket.writableLength > this.queueBytesMax && !this.closed) this.onOverflow?.();
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }
}

const zeroMask = (mask: Buffer): void => void mask.fill(0);

/** `msg` with every typed array that is a view of `memory` replaced by a copy. */
function ownArrays(msg: Message, memory: ArrayBufferLike): Message {
  let out: Record<string, unknown> | null = null;
  for (const [key, value] of Object.entries(msg)) {
    if (!ArrayBuffer.isView(value) || value.buffer !== memory) continue;
    out ??= { ...msg };
    out[key] = (value as Uint8Array).slice();
  }
  return (out as Message | null) ?? msg;
}

const toBytes = (data: WebSocket.RawData): Uint8Array => {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
};

/** Bodies at least this large are taken from, and given back to, the transport's BodyPool. */
export const poolBytesMin = 32 * 1024;
/**
 * The pool keeps at most this many bytes of free bodies, or as many as the transport has had
 * unacknowledged at once, if that is more: a window of large messages in flight (a burst of 1.1 MB
 * pushes, say) is given back in bursts of acks, and a pool smaller than the window dropped the
 * excess, so that the next window wrote into fresh memory (first-touch page faults, and the
 * external-memory collections the pool is there to avoid). Free plus in flight thus stays within
 * twice the most the traffic itself has needed at once.
 */
export const poolBytesMax = 64 * 1024 * 1024;

/**
 * Memory for large message bodies, given back once the peer acknowledged the message, so that a
 * node that sends the same large messages every clock (pushes, read replies) does not allocate
 * them afresh each time (fresh external memory is what drives V8's full collections at 10 MB
 * rounds). A body is given back only when nothing can read it any more: the link has dropped it
 * (acknowledged), the connection has written out everything it was handed, and no fault or WAN
 * emulation holds frames on the side (held, cut, reordered or gated frames, checkpoint snapshots:
 * the transport stops pooling for good once any of those was in use). Free bodies are found by
 * exact size (a node's large messages repeat their sizes).
 */
class BodyPool {
  private readonly free = new Map<number, Uint8Array[]>();
  private bytes = 0;
  /** Most bytes of free bodies kept (poolBytesMax, raised to the transport's peak in flight). */
  limit = poolBytesMax;
  /** Bodies handed out again (for tests and metrics). */
  reused = 0;
  take(bytes: number): Uint8Array | null {
    const list = this.free.get(bytes);
    const body = list?.pop();
    if (body === undefined) return null;
    this.bytes -= bytes;
    this.reused++;
    return body;
  }
  give(body: Uint8Array): void {
    if (body.byteLength < poolBytesMin || this.bytes + body.byteLength > this.limit) return;
    let list = this.free.get(body.byteLength);
    if (!list) this.free.set(body.byteLength, (list = []));
    list.push(body);
    this.bytes += body.byteLength;
  }
  clear(): void {
    this.free.clear();
    this.bytes = 0;
  }
  holds(body: Uint8Array): boolean {
    return this.free.get(body.byteLength)?.includes(body) ?? false;
  }
  /** Bytes of free bodies held now. */
  get freeBytes(): number {
    return this.bytes;
  }
}

export class Transport {
  private readonly channels = new Map<string, PeerChannel>();
  private listenSocket: us_listen_socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  /** Frames held by WAN emulation, in release order per channel. */
  private readonly held: { at: number; pc: PeerChannel; conn: Conn; bytes: Uint8Array }[] = [];
  private closed = false;
  private cutUntil = -Infinity;
  /** Output commit: while set, frames wait here instead of going out. */
  private gated: { pc: PeerChannel; frames: readonly LinkFrame<Uint8Array>[] }[] | null = null;
  private readonly origin: number;
  /** Lossy faults in force, by the peer's data center. */
  private readonly lossy = new Map<string, FrameLoss>();
  /** Data centers whose peers are cut off (WAN partition faults). */
  private readonly wanCut = new Set<string>();
  /** Frames held by a WAN cut, by the peer's data center; `shaped` ones already paid the bandwidth. */
  private readonly cutHeld = new Map<string, { pc: PeerChannel; conn: Conn; bytes: Uint8Array; shaped: boolean }[]>();
  private readonly serverSockets = new Set<Accepted>();
  /** Server connections still in the handshake, and how many per source address. */
  private readonly pendingSockets = new Set<Accepted>();
  private unixServer: NetServer | null = null;
  private readonly pendingByAddress = new Map<string, number>();
  private hygieneTimer: NodeJS.Timeout | null = null;
  readonly hygiene: Hygiene;
  readonly epoch: string;
  /** Which link each snapshot was taken of, so a commit never reaches a link built after it. */
  private readonly snapshotOf = new WeakMap<LinkSnapshot<Uint8Array>, ReliableLink<Uint8Array>>();
  private readonly pool = new BodyPool();
  /** Bytes of pooled-size bodies the links hold unacknowledged now (the `sent` lists), and the most at once. */
  private unackedLargeBytes = 0;
  private peakUnackedLargeBytes = 0;
  /** What accepted unix connections read into (see onUnixOpen), once this transport listens there. */
  private unixReadBuffer: Buffer | null = null;
  /** Whether acknowledged bodies go back to the pool (off for good once anything may hold frames aside). */
  private pooling: boolean;
  private readonly allocateBody = (bytes: number): Uint8Array => (bytes >= poolBytesMin ? this.pool.take(bytes) : null) ?? allocateUnzeroed(bytes);

  constructor(readonly options: TransportOptions) {
    // performance.now() is monotonic; timeOrigin ties it to the wall clock once per process.
    this.origin = options.epochMs !== undefined ? options.epochMs - performance.timeOrigin : performance.now();
    this.hygiene = { ...hygieneDefaults, ...options.hygiene };
    this.epoch = options.epoch ?? randomBytes(8).toString("hex");
    for (const peer of options.peers.keys()) {
      for (const channel of ["data", "control"] as const) {
        const key = `${peer}|${channel}`;
        const link = new ReliableLink<Uint8Array>({ sizeOf: (body) => (body as Uint8Array).byteLength, ...options.link }, options.restore?.get(key));
        const keys = {
          messagesSent: Metrics.key("messages_sent_total", { channel }),
          messageBytesSent: Metrics.key("message_bytes_sent_total", { peer }),
          bytesSent: Metrics.key("bytes_sent_total", { peer }),
          messagesReceived: Metrics.key("messages_received_total", { channel }),
        };
        this.channels.set(key, { peer, channel, link, peerEpoch: options.restorePeerEpochs?.[key] ?? null, retired: new Map(), conn: null, dialing: null, retryTimer: null, retryDelayMs: 100, shaper: options.shaperFor?.(peer) ?? null, sent: [], sentCount: 0, keys });
      }
    }
    // Restored links hold bodies of an earlier life; shaped links hold frames in their queues.
    this.pooling = options.restore === undefined && [...this.channels.values()].every((pc) => pc.shaper === null);
  }

  nowMs(): number {
    return performance.now() - this.origin;
  }

  /** Starts listening, then dials every peer with a larger id. Resolves with the bound port. */
  async start(): Promise<number> {
    const { tls, listenHost, port } = this.options;
    const app = tls ? uWS.SSLApp({ cert_file_name: tls.cert, key_file_name: tls.key }) : uWS.App();
    for (const [path, render] of Object.entries(this.options.routes ?? {})) {
      app.get(path, (res, req) => {
        // The request is valid only during this call: read the query before anything async.
        const query = req.getQuery() ?? "";
        let aborted = false;
        res.onAborted(() => (aborted = true));
        void Promise.resolve(render(query)).then(
          (body) => !aborted && res.cork(() => res.writeHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(body)),
          (error: Error) => !aborted && res.cork(() => res.writeStatus("500 Internal Server Error").end(`${error.message}\n`)),
        );
      });
    }
    // Any other plain HTTP request (WebSocket upgrades go to the handler below).
    app.any("/*", (res, req) => {
      if (req.getHeader("upgrade") !== "") {
        req.setYield(true);
        return;
      }
      res.writeStatus("404 Not Found").writeHeader("content-type", "text/plain; charset=utf-8").end(`not found; this node serves ${Object.keys(this.options.routes ?? {}).join(", ") || "no HTTP paths"}\n`);
    });
    app.ws<ServerSocketData>("/*", {
      maxPayloadLength: maxPayloadBytes,
      maxBackpressure: maxPayloadBytes * 2,
      idleTimeout: 0,
      compression: uWS.DISABLED,
      open: (ws) => {
        const data = ws.getUserData();
        data.uws = null;
        data.accepted = {
          state: "challenged",
          nonce: newNonce(),
          pc: null,
          conn: null,
          address: Buffer.from(ws.getRemoteAddressAsText()).toString(),
          openedAt: this.nowMs(),
          sendRaw: (bytes) => void ws.send(bytes, true),
          closeNow: () => ws.close(),
          end: (code, reason) => ws.end(code, reason),
          open: () => (data.uws = new UwsConn(ws)),
        };
        this.onServerOpen(data.accepted);
      },
      // A view of uWS's memory, valid during this call only: the frame is decoded at once, and a
      // body the link must keep (an early frame) is copied (see onLinkFrame).
      message: (ws, message) => void this.onServerMessage(ws.getUserData().accepted, new Uint8Array(message), true),
      drain: (ws) => ws.getUserData().uws?.drain(),
      close: (ws) => this.onServerClose(ws.getUserData().accepted),
    });
    const bound = await new Promise<number>((resolve, reject) => {
      app.listen(listenHost, port, (socket) => {
        if (!socket) reject(new Error(`cannot listen on ${listenHost}:${port} (port in use?)`));
        else {
          this.listenSocket = socket;
          resolve(uWS.us_socket_local_port(socket));
        }
      });
    });
    if (this.options.unix) await this.listenUnix(unixPathOf(this.options.unix.dir, bound));
    for (const pc of this.channels.values()) if (this.options.self < pc.peer) this.dial(pc);
    this.arm();
    const sweepMs = Math.max(10, Math.min(1000, this.hygiene.handshakeMs / 4));
    this.hygieneTimer = setInterval(() => this.sweepPending(), sweepMs);
    this.hygieneTimer.unref();
    return bound;
  }

  send(to: string, msg: Message, channel: ChannelName): void {
    const pc = this.channels.get(`${to}|${channel}`);
    if (!pc) throw new Error(`${this.options.self} has no link to ${to}`);
    // Packed once; the link keeps these bytes, and every (re)send writes its header in front.
    const body = this.pooling ? encodeBody(msg, this.allocateBody) : encodeBody(msg);
    const { metrics } = this.options;
    metrics.countKey(pc.keys.messagesSent);
    metrics.countKey(pc.keys.messageBytesSent, body.byteLength - headerBytesOf(body));
    if (this.pooling && body.byteLength >= poolBytesMin) {
      pc.sent.push({ index: pc.sentCount, body });
      this.unackedLargeBytes += body.byteLength;
      if (this.unackedLargeBytes > this.peakUnackedLargeBytes) {
        this.peakUnackedLargeBytes = this.unackedLargeBytes;
        this.pool.limit = Math.max(poolBytesMax, this.peakUnackedLargeBytes);
      }
    }
    pc.sentCount++;
    this.write(pc, pc.link.step({ kind: "send", body }, this.nowMs()).frames);
    if (this.options.checkInvariants) this.poolInvariants();
    this.armFor(pc);
  }

  /** Link state for a checkpoint, keyed `${peer}|${channel}`. */
  snapshotLinks(): Map<string, LinkSnapshot<Uint8Array>> {
    // A snapshot keeps bodies for as long as its checkpoint is being written.
    this.stopPooling();
    return new Map(
      [...this.channels].map(([key, pc]) => {
        const snapshot = pc.link.snapshot();
        this.snapshotOf.set(snapshot, pc.link);
        return [key, snapshot];
      }),
    );
  }

  /** The peer epoch of every link, keyed `${peer}|${channel}` (take it with `snapshotLinks`). */
  peerEpochs(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, pc] of this.channels) if (pc.peerEpoch !== null) out[key] = pc.peerEpoch;
    return out;
  }

  /** Durable acks: everything delivered through the snapshot's positions is on disk. */
  commit(snapshots: ReadonlyMap<string, LinkSnapshot<Uint8Array>>): void {
    const now = this.nowMs();
    for (const [key, snap] of snapshots) {
      const pc = this.channels.get(key);
      // A link started over since the snapshot (its peer restarted) has nothing of it on disk.
      if (pc && this.snapshotOf.get(snap) === pc.link) this.write(pc, pc.link.step({ kind: "commit", through: snap.delivered }, now).frames);
    }
    this.arm();
  }

  /** Holds every outgoing frame until `ungate` (a checkpoint covering them is being written). */
  gate(): void {
    this.stopPooling();
    this.gated ??= [];
  }

  /** Bodies given back to the pool and handed out again so far (for tests). */
  get pooledBodiesReused(): number {
    return this.pool.reused;
  }

  /** Bytes of free bodies the pool holds, and the most it may hold now (for tests). */
  get poolBytes(): { readonly free: number; readonly limit: number } {
    return { free: this.pool.freeBytes, limit: this.pool.limit };
  }

  /**
   * Throws when the pool's bookkeeping is broken (for tests, after any step): a free body that a
   * link still holds for a resend, or a list of sent bodies that is not the link's unacknowledged.
   */
  poolInvariants(): void {
    for (const pc of this.channels.values()) {
      const unacked = pc.link.snapshot().unacked;
      for (const u of unacked) invariant(!this.pool.holds(u.body), () => `${this.options.self}: a body of seq ${u.seq} to ${pc.peer} is free in the pool but unacknowledged`);
      if (!this.pooling) continue;
      const acked = pc.sentCount - unacked.length;
      for (const { index, body } of pc.sent) {
        invariant(index < acked || unacked[index - acked]?.body === body, () => `${this.options.self}: sent body ${index} to ${pc.peer} is not the link's unacknowledged one there`);
      }
      const large = unacked.filter((u) => u.body.byteLength >= poolBytesMin).length;
      invariant(pc.sent.filter((s) => s.index >= acked).length === large, () => `${this.options.self}: the link to ${pc.peer} holds large bodies the pool does not track`);
    }
    if (!this.pooling) return;
    let listed = 0;
    for (const pc of this.channels.values()) for (const { body } of pc.sent) listed += body.byteLength;
    invariant(listed === this.unackedLargeBytes, () => `${this.options.self}: ${this.unackedLargeBytes} bytes of large bodies counted unacknowledged, ${listed} listed`);
    invariant(this.pool.freeBytes <= this.pool.limit && this.pool.limit === Math.max(poolBytesMax, this.peakUnackedLargeBytes), () => `${this.options.self}: the pool holds ${this.pool.freeBytes} free bytes against a limit of ${this.pool.limit} (peak in flight ${this.peakUnackedLargeBytes})`);
  }

  private stopPooling(): void {
    if (!this.pooling) return;
    this.pooling = false;
    this.pool.clear();
    for (const pc of this.channels.values()) pc.sent.length = 0;
    this.unackedLargeBytes = 0;
  }

  /**
   * After a frame from the peer (the only step that takes acks): the bodies the link no longer
   * holds were acknowledged; each goes back to the pool, at once or, while a write may still read it
   * (a burst of frames still leaving, a resend still queued: see writesPending), once that write is
   * done. One whose write never completes is left to the collector.
   */
  private reclaim(pc: PeerChannel): void {
    const sent = pc.sent;
    const acked = pc.sentCount - pc.link.unackedCount;
    if (sent[0]!.index >= acked) return;
    while (sent.length > 0 && sent[0]!.index < acked) {
      const { body } = sent.shift()!;
      this.unackedLargeBytes -= body.byteLength;
      if (!this.pooling) continue;
      if (!beingWritten(body)) this.pool.give(body);
      else afterWrites.set(body, () => this.pooling && this.pool.give(body));
    }
  }

  ungate(): void {
    const gated = this.gated ?? [];
    this.gated = null;
    for (const { pc, frames } of gated) this.write(pc, frames);
    this.arm();
  }

  /** Frames sent but not yet acknowledged, over all links. */
  get unacked(): number {
    let n = 0;
    for (const pc of this.channels.values()) n += pc.link.unackedCount;
    return n;
  }

  /**
   * Cuts (or heals) the emulated WAN to every peer in `dataCenter`: frames to them are held or
   * dropped (`wanCutMode`) while the cut lasts. Connections stay up, as the simulator's links do.
   */
  setWanCut(dataCenter: string, cut: boolean): void {
    if (cut === this.wanCut.has(dataCenter)) return;
    if (cut) {
      this.stopPooling();
      this.wanCut.add(dataCenter);
      this.options.metrics.count("wan_cuts_total", 1, { target: dataCenter }, "WAN partitions that cut this node off a data center");
      return;
    }
    this.wanCut.delete(dataCenter);
    const held = this.cutHeld.get(dataCenter) ?? [];
    this.cutHeld.delete(dataCenter);
    const now = this.nowMs();
    if ((this.options.wanCutMode ?? "hold") === "drop") {
      // Everything sent into the cut is gone: resend what is unacknowledged, and acknowledge again.
      for (const pc of this.channels.values()) {
        if (!pc.conn || dataCenterOf(pc.peer) !== dataCenter) continue;
        pc.link.step({ kind: "disconnected" }, now);
        this.write(pc, pc.link.step({ kind: "connected" }, now).frames);
      }
    } else {
      for (const h of held) {
        if (h.pc.conn !== h.conn) continue; // a reconnect resent it on the new connection
        if (h.shaped || !h.pc.shaper) h.conn.send(h.bytes);
        else this.hold(h.pc, h.conn, h.bytes, now);
      }
    }
    this.arm();
  }

  /** A lossy fault on the frames to every peer in `dataCenter` (null: it heals). */
  setLossy(dataCenter: string, spec: FrameLoss | null): void {
    if (spec === null || (spec.loss <= 0 && spec.duplicate <= 0 && spec.reorder <= 0)) this.lossy.delete(dataCenter);
    else {
      // Doubled and reordered frames wait on the side, past their acknowledgement.
      this.stopPooling();
      this.lossy.set(dataCenter, spec);
    }
  }

  /**
   * Cuts every connection for `ms` milliseconds: no dialing out, incoming connections refused.
   * The links hold their frames and resend them once the connections are back.
   */
  cutFor(ms: number): void {
    this.cutUntil = this.nowMs() + ms;
    this.dropConnections();
    setTimeout(() => {
      if (this.closed) return;
      for (const pc of this.channels.values()) if (this.options.self < pc.peer && !pc.dialing && !pc.retryTimer) this.dial(pc);
    }, ms + 1);
  }

  /** Cuts every connection (the links resend after the peers reconnect). For tests and faults. */
  dropConnections(): void {
    for (const pc of this.channels.values()) if (pc.conn) this.disconnect(pc, pc.conn);
    for (const a of [...this.serverSockets]) a.closeNow();
  }

  /** Per peer: whether its connections are up, whether it was heard lately, frames unacknowledged. */
  peerStatus(): { readonly peer: string; readonly connected: boolean; readonly up: boolean; readonly unacked: number }[] {
    const byPeer = new Map<string, { peer: string; connected: boolean; up: boolean; unacked: number }>();
    for (const pc of this.channels.values()) {
      const s = byPeer.get(pc.peer) ?? { peer: pc.peer, connected: true, up: true, unacked: 0 };
      s.connected &&= pc.conn !== null;
      if (pc.channel === "control") s.up = pc.link.isPeerUp;
      s.unacked += pc.link.unackedCount;
      byPeer.set(pc.peer, s);
    }
    return [...byPeer.values()];
  }

  /** Server connections still in the handshake (for tests and metrics). */
  get pendingConnections(): number {
    return this.pendingSockets.size;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.hygieneTimer) clearInterval(this.hygieneTimer);
    for (const pc of this.channels.values()) {
      if (pc.retryTimer) clearTimeout(pc.retryTimer);
      pc.dialing?.terminate();
      pc.conn?.close();
    }
    for (const a of [...this.serverSockets]) a.closeNow();
    if (this.listenSocket) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = null;
    this.unixServer?.close();
    this.unixServer = null;
  }

  // ---- dialing side ----

  private dial(pc: PeerChannel): void {
    if (this.closed || this.nowMs() < this.cutUntil) return;
    const address = this.options.peers.get(pc.peer)!;
    if (this.options.unix?.peers.has(pc.peer)) {
      this.dialStream(pc, { path: unixPathOf(this.options.unix.dir, address.port) }, lengthPrefix, (onBytes) => new FrameReader(onBytes, true));
      return;
    }
    if (!this.options.tls) {
      this.dialWebSocket(pc, address);
      return;
    }
    const scheme = "wss";
    // A zero masking key: ws then sends our bytes as they are, with no masked copy of every frame.
    // Masking protects HTTP proxies from a browser script's frames; these links are node to node,
    // authenticated by the handshake, and encrypted where TLS is on.
    const ws = new WebSocket(`${scheme}://${address.host}:${address.port}/`, { maxPayload: maxPayloadBytes, perMessageDeflate: false, rejectUnauthorized: false, generateMask: zeroMask });
    const dialer = this.dialer(pc, ws, new WsConn(ws), (bytes) => ws.send(bytes));
    ws.on("message", (data) => void dialer.onBytes(toBytes(data)));
    ws.on("close", dialer.retry);
    ws.on("error", () => ws.terminate());
  }

  /**
   * A WebSocket to `address` on a plain socket (ws-client.ts): the upgrade, then messages gathered
   * as on the unix carrier; frames go out as they are, behind a masked header with a zero key.
   */
  private dialWebSocket(pc: PeerChannel, address: PeerAddress): void {
    const key = newUpgradeKey();
    this.dialStream(
      pc,
      { host: address.host, port: address.port, noDelay: true },
      binaryHeader,
      (onBytes, socket) =>
        new ServerFrameReader(
          {
            onMessage: onBytes,
            onPing: (payload) => void (socket.destroyed || socket.write(pongFrame(payload))),
            onClose: () => socket.destroy(),
          },
          maxPayloadBytes,
          reuseBytesMin,
          new UpgradeReader(key),
        ),
      (socket) => socket.write(upgradeRequest(address.host, address.port, key)),
    );
  }

  /**
   * Dials a stream socket (a unix socket, or a WebSocket's TCP connection) for `pc`: reads land in
   * one reused buffer, or straight into a large frame being gathered (StreamReader), and the
   * reader's frames go to the dialer's side of the handshake and links; `framing` goes ahead of
   * each frame sent; `onConnect` writes what must go first (the WebSocket upgrade).
   */
  private dialStream(pc: PeerChannel, where: { path: string } | { host: string; port: number; noDelay: boolean }, framing: (bytes: number) => Uint8Array, readerFor: (onBytes: (bytes: Uint8Array) => boolean, socket: NetSocket) => StreamReader, onConnect?: (socket: NetSocket) => void): void {
    let reader: StreamReader | null = null;
    const scratch = Buffer.allocUnsafe(unixReadBytes);
    const socket: NetSocket = netConnect({
      ...where,
      onread: {
        buffer: () => (reader === null ? scratch : reader.readInto(scratch)),
        callback: (n: number): boolean => {
          if (this.closed || reader === null || socket.destroyed) return true;
          try {
            reader.readDone(n, scratch);
          } catch (error) {
            this.onRemoteError(error, pc.peer);
            socket.destroy();
          }
          return true;
        },
      },
    });
    const conn = new NetConn(socket, framing);
    const handle = { terminate: () => socket.destroy() };
    const dialer = this.dialer(pc, handle, conn, (bytes) => conn.sendRaw(bytes));
    reader = readerFor(dialer.onBytes, socket);
    if (onConnect) socket.once("connect", () => onConnect(socket));
    socket.on("close", dialer.retry);
    socket.on("error", () => socket.destroy());
  }

  /**
   * The dialer's side of the handshake and then of the links, the same over either carrier:
   * `onBytes` takes each frame the connection delivers (bytes this process owns), `retry` is called
   * when the connection closes.
   */
  private dialer(pc: PeerChannel, handle: { terminate(): void }, conn: Conn, sendRaw: (bytes: Uint8Array) => void): { onBytes: (bytes: Uint8Array) => boolean; retry: () => void } {
    pc.dialing = handle;
    let state: "wait-challenge" | "wait-welcome" | "open" = "wait-challenge";
    let nonce: Uint8Array = new Uint8Array(0);
    // A peer that accepts the connection and then says nothing does not hold it for ever.
    const deadline = setTimeout(() => {
      if (state === "open" || pc.dialing !== handle) return;
      this.refused("handshake-timeout");
      handle.terminate();
    }, this.hygiene.handshakeMs);
    deadline.unref();
    /** True when nothing keeps any part of `bytes` (see TransportOptions.onMessage). */
    const onBytes = (bytes: Uint8Array): boolean => {
      if (this.closed) return false;
      try {
        if (state === "open" && isBatch(bytes)) {
          for (const frame of decodeBatch(bytes)) this.onLinkFrame(pc, conn, frame, false);
          return false;
        }
        const frame = decodeFrame(bytes);
        if (state === "wait-challenge") {
          if (frame.t !== "challenge") throw new RemoteError("unauthenticated", `expected a challenge, got ${frame.t}`);
          if (frame.node !== pc.peer) throw new RemoteError("unknown-peer", `dialed ${pc.peer} but ${frame.node} answered`);
          nonce = newNonce();
          const mac = helloMac(this.options.secret, frame.nonce, this.options.self, pc.peer, pc.channel, this.epoch);
          sendRaw(encodeFrame({ t: "hello", node: this.options.self, target: pc.peer, channel: pc.channel, nonce, mac, epoch: this.epoch }));
          state = "wait-welcome";
        } else if (state === "wait-welcome") {
          if (frame.t !== "welcome" || !sameMac(frame.mac, welcomeMac(this.options.secret, nonce, pc.peer, this.options.self, frame.epoch))) {
            this.options.metrics.count("auth_rejected_total", 1, {}, "connections refused for a failed handshake");
            throw new RemoteError("unauthenticated", `${pc.peer} failed to prove the shared secret`);
          }
          state = "open";
          clearTimeout(deadline);
          pc.retryDelayMs = 100;
          this.attach(pc, conn, frame.epoch);
        } else return this.onLinkFrame(pc, conn, frame, false);
      } catch (error) {
        this.onRemoteError(error, pc.peer);
        handle.terminate();
      }
      return false;
    };
    const retry = (): void => {
      clearTimeout(deadline);
      if (pc.dialing !== handle) return;
      pc.dialing = null;
      if (pc.conn === conn) this.disconnect(pc, conn);
      if (this.closed || pc.retryTimer) return;
      pc.retryTimer = setTimeout(() => {
        pc.retryTimer = null;
        this.options.metrics.count("reconnects_total", 1, { peer: pc.peer });
        this.dial(pc);
      }, pc.retryDelayMs);
      pc.retryDelayMs = Math.min(pc.retryDelayMs * 2, 2000);
    };
    return { onBytes, retry };
  }

  // ---- listening side ----

  /** Listens for unix-socket connections at `path` (a stale file from a dead process is removed). */
  private async listenUnix(path: string): Promise<void> {
    // This node holds the port the path is named after, so a file there is a dead node's.
    rmSync(path, { force: true });
    // Paused, so that onUnixOpen can take the connection over before anything is read from it.
    const server = netServer({ pauseOnConnect: true }, (socket) => this.onUnixOpen(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error) => reject(new Error(`cannot listen on ${path}: ${error.message}`)));
      server.listen(path, () => resolve());
    });
    this.unixServer = server;
  }

  /**
   * An accepted unix connection, read into one buffer that every accepted connection of this
   * transport shares (each read is consumed, its frames copied out, before the next read into it),
   * as the dialer reads into its own: no fresh 64 kB chunk per read. `net.Server` has no `onread`,
   * so the accepted socket's handle is adopted by a socket built with it, the way the server builds
   * its own; where the handle is not there to adopt, the connection is read through `data` events.
   */
  private onUnixOpen(accepted: NetSocket): void {
    let reader: FrameReader | null = null;
    const adopted = this.adoptForReading(
      accepted,
      // Asked once as the socket is built, before `data` and the reader exist.
      () => (reader === null || data.state === "closed" ? null : reader),
      (error) => fail(error),
    );
    const socket = adopted ?? accepted;
    let conn: NetConn | null = null;
    const data: Accepted = {
      state: "challenged",
      nonce: newNonce(),
      pc: null,
      conn: null,
      address: "unix",
      openedAt: this.nowMs(),
      sendRaw: (bytes) => {
        socket.write(lengthPrefix(bytes.byteLength));
        socket.write(bytes);
      },
      closeNow: () => socket.destroy(),
      end: () => socket.destroy(),
      open: () => (conn = new NetConn(socket)),
    };
    reader = new FrameReader((frame) => this.onServerMessage(data, frame, false), adopted !== null);
    const fail = (error: unknown): void => {
      this.onRemoteError(error, data.pc?.peer ?? "(unauthenticated)");
      this.unpend(data);
      data.state = "closed";
      if (conn) conn.close();
      else socket.destroy();
    };
    if (adopted === null) {
      socket.on("data", (chunk: Buffer) => {
        if (data.state === "closed" || this.closed) return;
        try {
          reader!.push(chunk);
        } catch (error) {
          fail(error);
        }
      });
      socket.resume();
    }
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.onServerClose(data));
    this.onServerOpen(data);
  }

  /** `socket`'s handle under a socket that reads into the shared buffer, or null (see onUnixOpen). */
  private adoptForReading(socket: NetSocket, readerOf: () => StreamReader | null, onError: (error: unknown) => void): NetSocket | null {
    const internal = socket as unknown as { _handle?: object | null };
    const handle = internal._handle;
    if (handle === null || handle === undefined) return null;
    internal._handle = null;
    let adopted: NetSocket | null = null;
    const closedNow = (): boolean => this.closed || adopted === null || adopted.destroyed;
    const scratch = (this.unixReadBuffer ??= Buffer.allocUnsafe(unixReadBytes));
    adopted = new NetSocketClass({
      handle,
      readable: true,
      writable: true,
      onread: {
        // Straight into a large frame being gathered, else into the shared scratch buffer.
        buffer: () => readerOf()?.readInto(scratch) ?? scratch,
        callback: (n: number): boolean => {
          if (closedNow()) return true;
          try {
            readerOf()?.readDone(n, scratch);
          } catch (error) {
            onError(error);
          }
          return true;
        },
      },
    } as ConstructorParameters<typeof NetSocketClass>[0]);
    return adopted;
  }

  private onServerOpen(data: Accepted): void {
    this.serverSockets.add(data);
    if (this.nowMs() < this.cutUntil) {
      data.state = "closed";
      data.end(1013, "link cut");
      return;
    }
    const fromAddress = this.pendingByAddress.get(data.address) ?? 0;
    const reason = this.pendingSockets.size >= this.hygiene.pendingMax ? "pending-cap" : fromAddress >= this.hygiene.pendingPerAddressMax ? "address-cap" : null;
    if (reason !== null) {
      // Closed at once (no closing handshake to wait for), so the descriptor is free again.
      data.state = "closed";
      this.refused(reason);
      data.closeNow();
      return;
    }
    this.pendingSockets.add(data);
    this.pendingByAddress.set(data.address, fromAddress + 1);
    data.sendRaw(encodeFrame({ t: "challenge", node: this.options.self, nonce: data.nonce }));
  }

  /** The connection left the handshake (authenticated, refused or closed). */
  private unpend(data: Accepted): void {
    if (!this.pendingSockets.delete(data)) return;
    const n = (this.pendingByAddress.get(data.address) ?? 1) - 1;
    if (n <= 0) this.pendingByAddress.delete(data.address);
    else this.pendingByAddress.set(data.address, n);
  }

  /** Closes every server connection past its handshake deadline. */
  private sweepPending(): void {
    if (this.closed) return;
    const expired = this.nowMs() - this.hygiene.handshakeMs;
    for (const data of [...this.pendingSockets]) {
      if (data.openedAt > expired) continue;
      this.unpend(data);
      data.state = "closed";
      this.refused("handshake-timeout");
      data.closeNow();
    }
  }

  private refused(reason: "pending-cap" | "address-cap" | "handshake-timeout" | "slow-reader"): void {
    this.options.metrics.count("connections_refused_total", 1, { reason }, "connections refused or closed by connection hygiene (caps, handshake deadline, slow readers)");
  }

  /**
   * `borrowed`: the bytes are valid during this call only (uWS); a unix socket's are owned. True
   * when nothing keeps any part of them (see TransportOptions.onMessage).
   */
  private onServerMessage(data: Accepted, bytes: Uint8Array, borrowed: boolean): boolean {
    if (data.state === "closed" || this.closed) return false;
    try {
      if (data.state === "open" && isBatch(bytes)) {
        for (const frame of decodeBatch(bytes)) this.onLinkFrame(data.pc!, data.conn!, frame, borrowed);
        return false;
      }
      const frame = decodeFrame(bytes);
      if (data.state === "challenged") {
        if (frame.t !== "hello") throw new RemoteError("unauthenticated", `expected hello, got ${frame.t}`);
        const pc = this.channels.get(`${frame.node}|${frame.channel}`);
        const expected = helloMac(this.options.secret, data.nonce, frame.node, this.options.self, frame.channel, frame.epoch);
        if (frame.target !== this.options.self || !pc || !sameMac(frame.mac, expected)) {
          this.options.metrics.count("auth_rejected_total", 1, {}, "connections refused for a failed handshake");
          throw new RemoteError("unauthenticated", `handshake from ${frame.node.slice(0, 64)} refused`);
        }
        data.sendRaw(encodeFrame({ t: "welcome", mac: welcomeMac(this.options.secret, frame.nonce, this.options.self, frame.node, this.epoch), epoch: this.epoch }));
        this.unpend(data);
        data.state = "open";
        data.pc = pc;
        const conn = data.open();
        data.conn = conn;
        conn.queueBytesMax = this.hygiene.queueBytesMax;
        conn.onOverflow = () => {
          this.refused("slow-reader");
          this.disconnect(pc, conn);
        };
        this.attach(pc, conn, frame.epoch);
      } else return this.onLinkFrame(data.pc!, data.conn!, frame, borrowed);
    } catch (error) {
      this.onRemoteError(error, data.pc?.peer ?? "(unauthenticated)");
      this.unpend(data);
      data.state = "closed";
      data.conn?.close();
      if (!data.conn) data.end(1008, "protocol error");
    }
    return false;
  }

  private onServerClose(data: Accepted): void {
    this.serverSockets.delete(data);
    this.unpend(data);
    data.state = "closed";
    if (data.conn) data.conn.closed = true;
    if (data.pc && data.conn && data.pc.conn === data.conn) this.disconnect(data.pc, data.conn);
  }

  // ---- links ----

  private attach(pc: PeerChannel, conn: Conn, peerEpoch: string): void {
    const now = this.nowMs();
    if (pc.peerEpoch !== null && pc.peerEpoch !== peerEpoch) this.startOver(pc, peerEpoch);
    pc.peerEpoch = peerEpoch;
    if (pc.conn && pc.conn !== conn) {
      const old = pc.conn;
      pc.link.step({ kind: "disconnected" }, now);
      pc.conn = null;
      old.close();
    }
    pc.conn = conn;
    this.options.metrics.count("connections_total", 1, { peer: pc.peer, channel: pc.channel });
    if (conn instanceof NetConn) this.options.metrics.count("unix_connections_total", 1, { peer: pc.peer, channel: pc.channel });
    this.write(pc, pc.link.step({ kind: "connected" }, now).frames);
    this.arm();
  }

  /**
   * The peer came back with another epoch: the link of that epoch if it was set aside, else a fresh
   * one; nothing of the current one goes out. Throws (before any change) for a peer that may not.
   */
  private startOver(pc: PeerChannel, epoch: string): void {
    if (!(this.options.restartable?.(pc.peer) ?? false)) throw new RemoteError("bad-field", `${pc.peer} came back with link epoch ${epoch.slice(0, 20)}, not ${pc.peerEpoch}; only workers may start over`);
    // Links are swapped and their bodies moved between them: the send order is no longer ours.
    this.stopPooling();
    pc.retired.set(pc.peerEpoch!, pc.link);
    while (pc.retired.size > retiredMax) pc.retired.delete(pc.retired.keys().next().value!);
    const kept = pc.retired.get(epoch);
    pc.retired.delete(epoch);
    // Back to an epoch set aside: what the interloping epoch did not acknowledge was meant for this
    // peer, and goes on the link it comes back to (its frames leave on the `connected` resend).
    if (kept) for (const u of pc.link.snapshot().unacked) kept.step({ kind: "send", body: u.body }, this.nowMs());
    pc.link = kept ?? new ReliableLink<Uint8Array>({ sizeOf: (body) => (body as Uint8Array).byteLength, ...this.options.link });
    if (this.gated) this.gated = this.gated.filter((g) => g.pc !== pc);
    this.options.metrics.count("peer_restarts_total", 1, { peer: pc.peer, channel: pc.channel }, "peers that came back without their link state (their links here started over)");
  }

  private disconnect(pc: PeerChannel, conn: Conn): void {
    if (pc.conn !== conn) return;
    pc.conn = null;
    pc.link.step({ kind: "disconnected" }, this.nowMs());
    conn.close();
    this.arm();
  }

  /**
   * `borrowed`: the frame's bytes are only valid during this call. A data frame delivered now is
   * decoded now (the decoder copies what the message keeps); one the link holds for later (it
   * arrived ahead of a gap) gets its own copy.
   *
   * Returns true when nothing keeps any part of the frame's bytes past this call: it was not held
   * for later, and every message delivered now is one the receiver uses up (`usesUp`).
   */
  private onLinkFrame(pc: PeerChannel, conn: Conn, frame: WireFrame, borrowed: boolean): boolean {
    if (frame.t !== "data" && frame.t !== "ack" && frame.t !== "hb") throw new RemoteError("unknown-kind", `handshake frame ${frame.t} after the handshake`);
    if (pc.conn !== conn) return true;
    const early = frame.t === "data" && frame.seq > pc.link.deliveredSeq + 1;
    if (borrowed && early && frame.t === "data") frame = { ...frame, body: frame.body.slice() };
    let released = !early;
    const out = pc.link.step({ kind: "frame", frame }, this.nowMs());
    if (pc.sent.length > 0) this.reclaim(pc);
    if (this.options.checkInvariants) this.poolInvariants();
    this.write(pc, out.frames);
    if (out.peer !== null && pc.channel === "control") this.options.onPeer(pc.peer, out.peer);
    const usesUp = this.options.usesUp;
    for (const body of out.delivered) {
      let msg: Message;
      try {
        // The decoder also checks every float payload (push deltas, read-reply values).
        // A ws Buffer or a unix frame is this process's: the message's large arrays may be views
        // of it. uWS's memory is valid during this call only: views of it only for a message the
        // receiver uses up during the call, copies for any other.
        msg = decodeMessage(body, maxPayloadBytes, !borrowed || usesUp !== undefined);
        if (channelOf(msg) !== pc.channel) throw new RemoteError("wrong-channel", `${msg.kind} on the ${pc.channel} channel`);
      } catch (error) {
        // The link delivered it (and acknowledges it); the message itself is refused and counted.
        this.onRemoteError(error, pc.peer);
        continue;
      }
      if (usesUp === undefined || !usesUp(pc.peer, msg)) {
        released = false;
        if (borrowed) msg = ownArrays(msg, body.buffer);
      }
      this.options.metrics.countKey(pc.keys.messagesReceived);
      this.options.onMessage(pc.peer, msg, pc.channel);
    }
    this.armFor(pc);
    return released;
  }

  private onRemoteError(error: unknown, peer: string): void {
    if (!(error instanceof RemoteError)) throw error;
    this.options.metrics.count("remote_errors_total", 1, { code: error.code }, "frames or messages refused as protocol violations");
    void peer;
  }

  private write(pc: PeerChannel, frames: readonly LinkFrame<Uint8Array>[]): void {
    if (this.gated) {
      if (frames.length > 0) this.gated.push({ pc, frames });
      return;
    }
    const conn = pc.conn;
    if (!conn || frames.length === 0) return;
    const now = this.nowMs();
    const lossy = this.lossy.size > 0 ? this.lossy.get(dataCenterOf(pc.peer)) : undefined;
    for (const frame of frames) {
      const bytes = encodeFrame(frame);
      this.options.metrics.countKey(pc.keys.bytesSent, bytes.byteLength);
      if (this.wanCut.size > 0 && this.intoCut(pc, conn, bytes, false)) continue;
      if (lossy !== undefined && this.injectLoss(pc, conn, bytes, lossy, now)) continue;
      if (pc.shaper) this.hold(pc, conn, bytes, now);
      else conn.send(bytes);
    }
  }

  /** A lossy fault's effect on one frame; true when it took the frame (lost, doubled or delayed). */
  private injectLoss(pc: PeerChannel, conn: Conn, bytes: Uint8Array, spec: FrameLoss, now: number): boolean {
    const random = this.options.random ?? Math.random;
    const { metrics } = this.options;
    if (spec.loss > 0 && random() < spec.loss) {
      metrics.count("lossy_frames_total", 1, { effect: "lost" }, "frames a lossy fault lost, doubled or reordered");
      return true;
    }
    const copies = spec.duplicate > 0 && random() < spec.duplicate ? 2 : 1;
    if (copies === 2) metrics.count("lossy_frames_total", 1, { effect: "duplicated" });
    const delay = spec.reorder > 0 && random() < spec.reorder ? random() * (this.options.reorderMs ?? 50) : 0;
    if (delay === 0 && copies === 1) return false;
    if (delay > 0) metrics.count("lossy_frames_total", 1, { effect: "reordered" });
    for (let i = 0; i < copies; i++) {
      const at = (pc.shaper ? pc.shaper.releaseAt(bytes.byteLength, now, pc.channel) : now) + delay;
      let k = this.held.length;
      while (k > 0 && this.held[k - 1]!.at > at) k--;
      this.held.splice(k, 0, { at, pc, conn, bytes });
    }
    this.arm();
    return true;
  }

  /** Queues a frame behind the link's shaper. */
  private hold(pc: PeerChannel, conn: Conn, bytes: Uint8Array, now: number): void {
    const at = pc.shaper!.releaseAt(bytes.byteLength, now, pc.channel);
    let i = this.held.length;
    while (i > 0 && this.held[i - 1]!.at > at) i--;
    this.held.splice(i, 0, { at, pc, conn, bytes });
  }

  /** A frame to a cut-off data center is held or dropped (true); false when the link is not cut. */
  private intoCut(pc: PeerChannel, conn: Conn, bytes: Uint8Array, shaped: boolean): boolean {
    const dataCenter = dataCenterOf(pc.peer);
    if (!this.wanCut.has(dataCenter)) return false;
    if ((this.options.wanCutMode ?? "hold") === "drop") {
      this.options.metrics.count("wan_cut_frames_dropped_total", 1, { peer: pc.peer });
      return true;
    }
    let list = this.cutHeld.get(dataCenter);
    if (!list) this.cutHeld.set(dataCenter, (list = []));
    list.push({ pc, conn, bytes, shaped });
    this.options.metrics.count("wan_cut_frames_held_total", 1, { peer: pc.peer });
    return true;
  }

  private release(now: number): void {
    let n = 0;
    while (n < this.held.length && this.held[n]!.at <= now) {
      const h = this.held[n++]!;
      if (h.pc.conn !== h.conn) continue;
      // In flight when the WAN was cut: it waits at the far end until the cut heals.
      if (this.wanCut.size > 0 && this.intoCut(h.pc, h.conn, h.bytes, true)) continue;
      h.conn.send(h.bytes);
    }
    if (n > 0) this.held.splice(0, n);
  }

  private onTimer(): void {
    this.timer = null;
    this.timerAt = Infinity;
    if (this.closed) return;
    const now = this.nowMs();
    this.release(now);
    for (const pc of this.channels.values()) {
      const deadline = pc.link.nextDeadlineMs();
      if (deadline === null || deadline > now) continue;
      const out = pc.link.step({ kind: "timer" }, now);
      this.write(pc, out.frames);
      if (out.peer !== null && pc.channel === "control") this.options.onPeer(pc.peer, out.peer);
    }
    this.arm();
  }

  /**
   * After a step of one link: only its deadline and the shaper queue's head can have moved, and
   * only earlier; the full scan runs only when they beat the armed timer.
   */
  private armFor(pc: PeerChannel): void {
    if (this.closed) return;
    if (this.timer) {
      const d = pc.link.nextDeadlineMs();
      const h = this.held.length > 0 ? this.held[0]!.at : Infinity;
      if ((d === null || d >= this.timerAt - 0.5) && h >= this.timerAt - 0.5) return;
    }
    this.arm();
  }

  /** Arms one timer for the earliest link deadline or held frame. */
  private arm(): void {
    if (this.closed) return;
    let next = this.held.length > 0 ? this.held[0]!.at : Infinity;
    for (const pc of this.channels.values()) {
      const d = pc.link.nextDeadlineMs();
      if (d !== null && d < next) next = d;
    }
    if (next === Infinity || (this.timer && next >= this.timerAt - 0.5)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, next - this.nowMs()));
  }
}
