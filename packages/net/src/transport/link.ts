/**
 * The transport of one node, and its link layer: it listens with uWebSockets.js (uws-listener.ts),
 * dials peers over WebSocket (ws-dialer.ts), authenticates every connection (handshake.ts, auth.ts)
 * before it accepts a single link frame, and runs one reliable link (core's reliable.ts) per peer and
 * channel over whatever connection is current, so role messages reach the peer exactly once and in
 * order across disconnects. This file is that one link layer, whatever the carrier.
 *
 * Carriers. Peers listed in `unix` (nodes of the same data center on the same host, when the
 * cluster file says `lanCarrier: unix`) are dialed over a unix-domain socket instead (unix.ts),
 * with the same frames length-prefixed (stream-frames.ts); the handshake, hygiene, links and faults
 * are the same code for both. Every other peer, and every WAN link, is reached over WebSocket.
 * Every connection sends a burst of frames corked and coalesced (batching.ts).
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
 * Refused frames. A data frame whose seq the link has not delivered yet is decoded and checked
 * (its shape, every float finite, its channel) before the link takes it. A frame that fails is a
 * remote error thrown before the link's receive state moves: the connection is closed and counted,
 * and the seq is not used up, so the real peer's frame with that seq (resent once it reconnects)
 * is still accepted. The role's own check (a duplicate flush, a push of the wrong clock) comes
 * before the seq is taken too: the link hands each message to `onMessage` before it takes its seq
 * (core's reliable.ts, "Refused messages"), and one that `onMessage` refuses (it throws a
 * RemoteError) leaves the seq free; when it was this frame, the connection is closed and counted as
 * well. A frame the link already delivered (a duplicate) is not delivered again.
 *
 * Links out of step. Should a forged message the role accepts take the real peer's seq, the two
 * ends no longer agree on what a seq means, and no resend can repair that: the link sees it (a
 * duplicate whose body differs from the one delivered, the same message refused twice, acks beyond
 * what was sent on connection after connection; see reliable.ts) and the transport stops at once:
 * it closes, counts `links_out_of_step_total`, and calls `onOutOfStep` naming the link (from -> to,
 * channel) and the cause, instead of reconnecting forever.
 *
 * Connection hygiene. A WebSocket upgrade must prove the shared secret (a fresh, timestamped,
 * never-replayed MAC in a header; auth.ts's `upgradeProof`, handshake.ts's UpgradeGate), else it
 * gets an HTTP 401 and no WebSocket: uWS has one payload limit per route, so a peer without the
 * secret that got a WebSocket could make the node buffer a 64 MiB frame before its hello. The unix
 * carrier has no upgrade; there, a frame larger than a hello (`helloBytesMax`) before the hello is
 * refused at its length prefix. A connection that has not finished the handshake is pending; a
 * node keeps at most `pendingMax` of them, at most `pendingPerAddressMax` from one source address,
 * and each for at most `handshakeMs` (dialed connections too). At a cap, the oldest pending
 * connection that has not proved the secret (a unix one before its hello) is closed to make room,
 * so idle connections cannot keep out a restarted peer; only when every pending connection there
 * has proved it is the new one refused. Anything refused, evicted or too slow is closed at once and
 * counted in `connections_refused_total{reason}`, so nobody who can merely reach the port can pin
 * file descriptors; with the default caps a node's descriptors stay far below the usual
 * limit of 1024 (pending + two per peer + checkpoint files). A message on the wrong channel (a
 * barrier on data, an update on control) is a remote error, like a malformed one (see "Refused
 * frames").
 *
 * Memory bounds per peer and channel: the link's early buffer (`windowMessages` frames and
 * `earlyBytesMax` bytes, see reliable.ts); the send window (`windowMessages` frames on the wire);
 * and the queue above a socket's backpressure, at most `queueBytesMax` (default 256 MiB): a peer
 * that reads slower than that is disconnected and counted, and the link resends once it is back.
 *
 * Between a link and its connection, frames pass the WAN emulation (wan.ts): the shaper, WAN cuts
 * (`setWanCut`) and lossy faults (`setLossy`), which act below the reliable links; the links
 * repair what they do to frames. Large bodies are reused once acknowledged (pool.ts).
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { channelOf, dataCenterOf, decodeMessage, RemoteError, ReliableLink, type LinkFrame, type LinkOutput, type LinkSnapshot, type Message, type ReliableLinkOptions } from "@gaia/core";
import { bodyDigest, encodeFrame, headerBytesOf, maxPayloadBytes, type ChannelName, type WireFrame } from "../envelope.js";
import { Metrics } from "../metrics.js";
import { Admission, UpgradeGate } from "./handshake.js";
import { BodyReuse } from "./pool.js";
import { NetConn } from "./stream-conn.js";
import { dialUnix, UnixListener, unixPathOf } from "./unix.js";
import { listenUws, type UwsListener } from "./uws-listener.js";
import { WanEmulation } from "./wan.js";
import { dialWebSocket } from "./ws-dialer.js";
import { hygieneDefaults, type Conn, type FrameLoss, type Hygiene, type LinkHost, type PeerChannel, type RefusedReason, type TransportOptions } from "./types.js";

/** Links of earlier epochs kept per peer and channel (see "Restarted peers"). */
const retiredMax = 2;

/** The link options of every link of a transport: bodies' sizes and digests are those of their bytes. */
const linkOptionsOf = (options: TransportOptions): Partial<ReliableLinkOptions> => ({ sizeOf: (body) => (body as Uint8Array).byteLength, digestOf: (body) => bodyDigest(body as Uint8Array), ...options.link });

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

export class Transport {
  private readonly channels = new Map<string, PeerChannel>();
  private listener: UwsListener | null = null;
  private unixListener: UnixListener | null = null;
  /** The listener's side of the handshake, for every carrier. */
  private readonly admission: Admission;
  /** What the carriers and the handshake call back into (see LinkHost). */
  private readonly host: LinkHost;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  /** The shaper's held frames, WAN cuts and lossy faults, between the links and the connections. */
  private readonly wan: WanEmulation;
  private closed = false;
  private cutUntil = -Infinity;
  /** Output commit: while set, frames wait here instead of going out. */
  private gated: { pc: PeerChannel; frames: readonly LinkFrame<Uint8Array>[] }[] | null = null;
  private readonly origin: number;
  readonly hygiene: Hygiene;
  readonly epoch: string;
  /** Which link each snapshot was taken of, so a commit never reaches a link built after it. */
  private readonly snapshotOf = new WeakMap<LinkSnapshot<Uint8Array>, ReliableLink<Uint8Array>>();
  /** Large bodies, reused once acknowledged (pool.ts). */
  private readonly bodies: BodyReuse;
  /** While a link delivers a frame's messages: what they made this node send, for after its step. */
  private deferred: { pc: PeerChannel; body: Uint8Array }[] | null = null;

  constructor(readonly options: TransportOptions) {
    // performance.now() is monotonic; timeOrigin ties it to the wall clock once per process.
    this.origin = options.epochMs !== undefined ? options.epochMs - performance.timeOrigin : performance.now();
    this.hygiene = { ...hygieneDefaults, ...options.hygiene };
    this.epoch = options.epoch ?? randomBytes(8).toString("hex");
    for (const peer of options.peers.keys()) {
      for (const channel of ["data", "control"] as const) {
        const key = `${peer}|${channel}`;
        const link = new ReliableLink<Uint8Array>(linkOptionsOf(options), options.restore?.get(key));
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
    this.bodies = new BodyReuse(this.channels, options.restore === undefined && [...this.channels.values()].every((pc) => pc.shaper === null));
    const closed = (): boolean => this.closed;
    const cut = (): boolean => this.nowMs() < this.cutUntil;
    this.host = {
      options,
      hygiene: this.hygiene,
      epoch: this.epoch,
      get closed() {
        return closed();
      },
      get cut() {
        return cut();
      },
      nowMs: () => this.nowMs(),
      channel: (peer, channel) => this.channels.get(`${peer}|${channel}`),
      attach: (pc, conn, peerEpoch) => this.attach(pc, conn, peerEpoch),
      disconnect: (pc, conn) => this.disconnect(pc, conn),
      onLinkFrame: (pc, conn, frame, borrowed) => this.onLinkFrame(pc, conn, frame, borrowed),
      onRemoteError: (error, peer) => this.onRemoteError(error, peer),
      refused: (reason) => this.refused(reason),
      dial: (pc) => this.dial(pc),
    };
    this.admission = new Admission(this.host);
    this.wan = new WanEmulation(options, () => this.arm());
  }

  nowMs(): number {
    return performance.now() - this.origin;
  }

  /** Starts listening, then dials every peer with a larger id. Resolves with the bound port. */
  async start(): Promise<number> {
    this.listener = await listenUws(this.options, () => this.nowMs(), this.admission, new UpgradeGate(this.host), (reason) => this.refused(reason));
    const bound = this.listener.port;
    if (this.options.unix) this.unixListener = await UnixListener.listen(unixPathOf(this.options.unix.dir, bound), this.host, this.admission);
    for (const pc of this.channels.values()) if (this.options.self < pc.peer) this.dial(pc);
    this.arm();
    this.admission.start();
    return bound;
  }

  send(to: string, msg: Message, channel: ChannelName): void {
    const pc = this.channels.get(`${to}|${channel}`);
    if (!pc) throw new Error(`${this.options.self} has no link to ${to}`);
    // Packed once; the link keeps these bytes, and every (re)send writes its header in front.
    const body = this.bodies.encode(pc, msg);
    const { metrics } = this.options;
    metrics.countKey(pc.keys.messagesSent);
    metrics.countKey(pc.keys.messageBytesSent, body.byteLength - headerBytesOf(body));
    // Inside a link's step (a message it delivers was answered at once), the link takes it after.
    if (this.deferred !== null) {
      this.deferred.push({ pc, body });
      return;
    }
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
    return this.bodies.reused;
  }

  /** Bytes of free bodies the pool holds, and the most it may hold now (for tests). */
  get poolBytes(): { readonly free: number; readonly limit: number } {
    return this.bodies.bytes;
  }

  /**
   * Throws when the pool's bookkeeping is broken (for tests, after any step): a free body that a
   * link still holds for a resend, or a list of sent bodies that is not the link's unacknowledged.
   */
  poolInvariants(): void {
    this.bodies.invariants(this.options.self);
  }

  private stopPooling(): void {
    this.bodies.stop();
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
    if (cut === this.wan.isCut(dataCenter)) return;
    if (cut) {
      this.stopPooling();
      this.wan.cut(dataCenter);
      return;
    }
    const now = this.nowMs();
    if (this.wan.heal(dataCenter, now) === "drop") {
      // Everything sent into the cut is gone: resend what is unacknowledged, and acknowledge again.
      for (const pc of this.channels.values()) {
        if (!pc.conn || dataCenterOf(pc.peer) !== dataCenter) continue;
        pc.link.step({ kind: "disconnected" }, now);
        this.write(pc, pc.link.step({ kind: "connected" }, now).frames);
      }
    }
    this.arm();
  }

  /** A lossy fault on the frames to every peer in `dataCenter` (null: it heals). */
  setLossy(dataCenter: string, spec: FrameLoss | null): void {
    // Doubled and reordered frames wait on the side, past their acknowledgement.
    if (this.wan.setLossy(dataCenter, spec)) this.stopPooling();
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
    this.admission.closeAll();
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
    return this.admission.pendingCount;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const pc of this.channels.values()) {
      if (pc.retryTimer) clearTimeout(pc.retryTimer);
      pc.dialing?.terminate();
      pc.conn?.close();
    }
    this.admission.stop();
    this.listener?.close();
    this.listener = null;
    this.unixListener?.close();
    this.unixListener = null;
  }

  /** Dials `pc`'s peer over its carrier: the unix socket if it is a unix peer, else WebSocket. */
  private dial(pc: PeerChannel): void {
    if (this.closed || this.nowMs() < this.cutUntil) return;
    const address = this.options.peers.get(pc.peer)!;
    if (this.options.unix?.peers.has(pc.peer)) dialUnix(this.host, pc, this.options.unix.dir, address.port);
    else dialWebSocket(this.host, pc, address);
  }

  private refused(reason: RefusedReason): void {
    this.options.metrics.count("connections_refused_total", 1, { reason }, "connections refused or closed by connection hygiene (caps, handshake deadline, slow readers)");
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
    pc.link = kept ?? new ReliableLink<Uint8Array>(linkOptionsOf(this.options));
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
    // A closed transport (a link out of step stops it) delivers nothing more, even of a batch it is in.
    if (pc.conn !== conn || this.closed) return true;
    const early = frame.t === "data" && frame.seq > pc.link.deliveredSeq + 1;
    if (borrowed && early && frame.t === "data") frame = { ...frame, body: frame.body.slice() };
    let released = !early;
    const usesUp = this.options.usesUp;
    // A frame with a seq not yet delivered is checked before the link takes it: a message refused
    // here (bad bytes, a non-finite value, the wrong channel) is thrown as a remote error before
    // the link's receive state moves, so it never uses up the sender's sequence numbers. The real
    // peer's frame with that seq is still accepted (see "Refused frames" above).
    let checked: Message | undefined;
    if (frame.t === "data" && frame.seq > pc.link.deliveredSeq && !pc.link.holds(frame.seq)) checked = this.admit(pc, frame.body, early || !borrowed || usesUp !== undefined);
    const own = frame.t === "data" ? frame.body : null;
    // What the receiver refused of this very frame: thrown once the link's step is done.
    let refusal = null as RemoteError | null;
    // The link hands over each message before it takes its seq; one the receiver refuses keeps it free.
    const deliver = (body: Uint8Array): string | null => {
      let msg: Message;
      if (checked !== undefined && !early && body === own) msg = checked;
      else {
        try {
          msg = this.admit(pc, body, !borrowed || usesUp !== undefined);
        } catch (error) {
          // Only a frame buffered before this check existed could get here; count it and go on.
          this.onRemoteError(error, pc.peer);
          return error instanceof Error ? error.message : String(error);
        }
      }
      if (usesUp === undefined || !usesUp(pc.peer, msg)) {
        released = false;
        if (borrowed) msg = ownArrays(msg, body.buffer);
      }
      try {
        this.options.onMessage(pc.peer, msg, pc.channel);
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
        if (body === own) refusal = error;
        return error.message;
      }
      this.options.metrics.countKey(pc.keys.messagesReceived);
      return null;
    };
    const deferred: { pc: PeerChannel; body: Uint8Array }[] = [];
    this.deferred = deferred;
    let out: LinkOutput<Uint8Array>;
    try {
      out = pc.link.step({ kind: "frame", frame, deliver }, this.nowMs());
    } finally {
      this.deferred = null;
    }
    if (out.outOfStep !== null) {
      this.outOfStep(pc, out.outOfStep.direction, out.outOfStep.cause);
      return true;
    }
    this.write(pc, out.frames);
    // What the delivered messages made this node send goes on its links now, after their step.
    const now = this.nowMs();
    for (const d of deferred) {
      this.write(d.pc, d.pc.link.step({ kind: "send", body: d.body }, now).frames);
      if (d.pc !== pc) this.armFor(d.pc);
    }
    if (pc.sent.length > 0) this.bodies.reclaim(pc);
    if (this.options.checkInvariants) this.poolInvariants();
    if (out.peer !== null && pc.channel === "control") this.options.onPeer(pc.peer, out.peer);
    this.armFor(pc);
    if (refusal !== null) throw refusal;
    return released;
  }

  /**
   * The link to `pc`'s peer is out of step (see "Links out of step"): this transport stops, and
   * says which link and why.
   */
  private outOfStep(pc: PeerChannel, direction: "receive" | "send", cause: string): void {
    const { self } = this.options;
    const [from, to] = direction === "receive" ? [pc.peer, self] : [self, pc.peer];
    this.options.metrics.count("links_out_of_step_total", 1, { peer: pc.peer, channel: pc.channel }, "links whose two ends fell out of step (the node stops)");
    const message = `the link ${from} -> ${to} (${pc.channel}) is out of step: ${cause}`;
    this.close();
    this.options.onOutOfStep?.(message);
  }

  /**
   * Decodes a link body into a message of this channel, or throws a RemoteError. The decoder also
   * checks every float payload (push deltas, read-reply values). `owned`: a ws Buffer or a unix
   * frame is this process's, so the message's large arrays may be views of it; uWS's memory is
   * valid during the call only, so views of it only for a message the receiver uses up at once.
   */
  private admit(pc: PeerChannel, body: Uint8Array, owned: boolean): Message {
    const msg = decodeMessage(body, maxPayloadBytes, owned);
    if (channelOf(msg) !== pc.channel) throw new RemoteError("wrong-channel", `${msg.kind} on the ${pc.channel} channel`);
    return msg;
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
    const lossy = this.wan.lossyFor(pc.peer);
    for (const frame of frames) {
      const bytes = encodeFrame(frame);
      this.options.metrics.countKey(pc.keys.bytesSent, bytes.byteLength);
      this.wan.send(pc, conn, bytes, lossy, now);
    }
  }

  private onTimer(): void {
    this.timer = null;
    this.timerAt = Infinity;
    if (this.closed) return;
    const now = this.nowMs();
    this.wan.release(now);
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
      const h = this.wan.nextAt;
      if ((d === null || d >= this.timerAt - 0.5) && h >= this.timerAt - 0.5) return;
    }
    this.arm();
  }

  /** Arms one timer for the earliest link deadline or held frame. */
  private arm(): void {
    if (this.closed) return;
    let next = this.wan.nextAt;
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
