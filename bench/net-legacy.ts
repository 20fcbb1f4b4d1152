// The runtime's transport and wire envelope as they were before the per-message path was reworked
// (commit 96a3830: role messages packed by core's codec, then packed again as bytes inside a
// msgpack envelope; a copy of every received frame; metric labels built per message; every link's
// deadline scanned after every send). Kept only so that `npm run bench:net` can measure the old
// path and the new one side by side in the same run; nothing else imports it.
import { Packr } from "msgpackr";
import uWS from "uWebSockets.js";
import type { us_listen_socket, WebSocket as UwsSocket } from "uWebSockets.js";
import WebSocket from "ws";
import { performance } from "node:perf_hooks";
import { decodeMessage, encodeMessage, RemoteError, ReliableLink, validateLinkFrame, type LinkFrame, type LinkSnapshot, type Message, type ReliableLinkOptions } from "@gaia/core";
import { helloMac, newNonce, sameMac, welcomeMac, type LinkShaper, type Metrics, type PeerAddress } from "@gaia/net";

type ChannelName = "data" | "control";

/** Listener -> dialer, first frame on a new connection. */
interface Challenge {
  readonly t: "challenge";
  readonly node: string;
  readonly nonce: Uint8Array;
}

/** Dialer -> listener: who it is, which channel, and proof it knows the secret. */
interface Hello {
  readonly t: "hello";
  readonly node: string;
  /** Whom the dialer means to reach (a listener refuses frames meant for another node). */
  readonly target: string;
  readonly channel: ChannelName;
  readonly nonce: Uint8Array;
  readonly mac: Uint8Array;
}

/** Listener -> dialer: the listener's own proof; after it, link frames flow both ways. */
interface Welcome {
  readonly t: "welcome";
  readonly mac: Uint8Array;
}

type HandshakeFrame = Challenge | Hello | Welcome;
type WireFrame = HandshakeFrame | LinkFrame<Uint8Array>;

const packr = new Packr({ moreTypes: true, useRecords: false, mapsAsObjects: true, bundleStrings: false });

const maxPayloadBytes = 64 * 1024 * 1024;

function encodeFrame(frame: WireFrame): Uint8Array {
  return packr.pack(frame);
}

const isBytes = (v: unknown, min: number, max: number): v is Uint8Array => v instanceof Uint8Array && v.byteLength >= min && v.byteLength <= max;
const isNodeName = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= 256;

const body = (v: unknown): Uint8Array => {
  if (!(v instanceof Uint8Array)) throw new RemoteError("bad-field", "data frame body must be bytes");
  return v;
};

/** Decodes and validates one frame; every failure is a RemoteError. */
function decodeFrame(bytes: Uint8Array): WireFrame {
  if (bytes.byteLength === 0) throw new RemoteError("truncated-frame", "empty frame");
  if (bytes.byteLength > maxPayloadBytes) throw new RemoteError("oversized-frame", `frame of ${bytes.byteLength} bytes`);
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new RemoteError(/end of/i.test(text) ? "truncated-frame" : "malformed-frame", text.slice(0, 200));
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new RemoteError("malformed-frame", "frame is not a map");
  const v = value as Record<string, unknown>;
  switch (v["t"]) {
    case "challenge":
      if (!isNodeName(v["node"]) || !isBytes(v["nonce"], 16, 64)) throw new RemoteError("bad-field", "challenge needs node and a 16-64 byte nonce");
      return { t: "challenge", node: v["node"], nonce: v["nonce"] };
    case "hello":
      if (!isNodeName(v["node"]) || !isNodeName(v["target"]) || (v["channel"] !== "data" && v["channel"] !== "control") || !isBytes(v["nonce"], 16, 64) || !isBytes(v["mac"], 32, 32)) {
        throw new RemoteError("bad-field", "hello needs node, target, channel, nonce and a 32-byte mac");
      }
      return { t: "hello", node: v["node"], target: v["target"], channel: v["channel"], nonce: v["nonce"], mac: v["mac"] };
    case "welcome":
      if (!isBytes(v["mac"], 32, 32)) throw new RemoteError("bad-field", "welcome needs a 32-byte mac");
      return { t: "welcome", mac: v["mac"] };
    default:
      return validateLinkFrame(v, body);
  }
}


export interface LegacyTransportOptions {
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
  readonly onPeer: (peer: string, up: boolean) => void;
  /** Extra GET routes on the listener (e.g. /metrics). */
  readonly routes?: Readonly<Record<string, () => string>>;
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
  readonly link: ReliableLink<Uint8Array>;
  conn: Conn | null;
  /** Dialer side: the ws client and its retry timer. */
  dialing: WebSocket | null;
  retryTimer: NodeJS.Timeout | null;
  retryDelayMs: number;
  readonly shaper: LinkShaper | null;
}

interface ServerSocketData {
  state: "challenged" | "open" | "closed";
  nonce: Uint8Array;
  pc: PeerChannel | null;
  conn: UwsConn | null;
}

const highWaterBytes = 8 * 1024 * 1024;
let nextConnId = 1;

/** A uWS socket with our own queue above its backpressure limit, drained on `drain`. */
class UwsConn implements Conn {
  readonly id = nextConnId++;
  private readonly queue: Uint8Array[] = [];
  closed = false;
  constructor(private readonly ws: UwsSocket<ServerSocketData>) {}
  send(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.queue.length > 0 || this.ws.getBufferedAmount() > highWaterBytes) this.queue.push(bytes);
    else this.ws.send(bytes, true, false);
  }
  drain(): void {
    while (!this.closed && this.queue.length > 0 && this.ws.getBufferedAmount() <= highWaterBytes) this.ws.send(this.queue.shift()!, true, false);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.end(1008, "protocol error");
  }
}

class WsConn implements Conn {
  readonly id = nextConnId++;
  constructor(private readonly ws: WebSocket) {}
  send(bytes: Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes, { binary: true });
  }
  close(): void {
    this.ws.terminate();
  }
}

const toBytes = (data: WebSocket.RawData): Uint8Array => {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
};

export class LegacyTransport {
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
  private readonly origin = performance.now();
  private readonly serverSockets = new Set<UwsSocket<ServerSocketData>>();

  constructor(readonly options: LegacyTransportOptions) {
    for (const peer of options.peers.keys()) {
      for (const channel of ["data", "control"] as const) {
        const key = `${peer}|${channel}`;
        const link = new ReliableLink<Uint8Array>(options.link ?? {}, options.restore?.get(key));
        this.channels.set(key, { peer, channel, link, conn: null, dialing: null, retryTimer: null, retryDelayMs: 100, shaper: options.shaperFor?.(peer) ?? null });
      }
    }
  }

  nowMs(): number {
    return performance.now() - this.origin;
  }

  /** Starts listening, then dials every peer with a larger id. Resolves with the bound port. */
  async start(): Promise<number> {
    const { tls, listenHost, port } = this.options;
    const app = tls ? uWS.SSLApp({ cert_file_name: tls.cert, key_file_name: tls.key }) : uWS.App();
    for (const [path, render] of Object.entries(this.options.routes ?? {})) {
      app.get(path, (res) => {
        res.writeHeader("content-type", "text/plain; version=0.0.4").end(render());
      });
    }
    app.ws<ServerSocketData>("/*", {
      maxPayloadLength: maxPayloadBytes,
      maxBackpressure: maxPayloadBytes * 2,
      idleTimeout: 0,
      compression: uWS.DISABLED,
      open: (ws) => this.onServerOpen(ws),
      message: (ws, message) => this.onServerMessage(ws, new Uint8Array(message.slice(0))),
      drain: (ws) => ws.getUserData().conn?.drain(),
      close: (ws) => this.onServerClose(ws),
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
    for (const pc of this.channels.values()) if (this.options.self < pc.peer) this.dial(pc);
    this.arm();
    return bound;
  }

  send(to: string, msg: Message, channel: ChannelName): void {
    const pc = this.channels.get(`${to}|${channel}`);
    if (!pc) throw new Error(`${this.options.self} has no link to ${to}`);
    const body = encodeMessage(msg);
    this.options.metrics.count("messages_sent_total", 1, { channel });
    this.options.metrics.count("message_bytes_sent_total", body.byteLength, { peer: to });
    this.write(pc, pc.link.step({ kind: "send", body }, this.nowMs()).frames);
    this.arm();
  }

  /** Link state for a checkpoint, keyed `${peer}|${channel}`. */
  snapshotLinks(): Map<string, LinkSnapshot<Uint8Array>> {
    return new Map([...this.channels].map(([key, pc]) => [key, pc.link.snapshot()]));
  }

  /** Durable acks: everything delivered through the snapshot's positions is on disk. */
  commit(snapshots: ReadonlyMap<string, LinkSnapshot<Uint8Array>>): void {
    const now = this.nowMs();
    for (const [key, snap] of snapshots) {
      const pc = this.channels.get(key);
      if (pc) this.write(pc, pc.link.step({ kind: "commit", through: snap.delivered }, now).frames);
    }
    this.arm();
  }

  /** Holds every outgoing frame until `ungate` (a checkpoint covering them is being written). */
  gate(): void {
    this.gated ??= [];
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
    for (const ws of this.serverSockets) ws.close();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const pc of this.channels.values()) {
      if (pc.retryTimer) clearTimeout(pc.retryTimer);
      pc.dialing?.terminate();
      pc.conn?.close();
    }
    for (const ws of [...this.serverSockets]) ws.close();
    if (this.listenSocket) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = null;
  }

  // ---- dialing side ----

  private dial(pc: PeerChannel): void {
    if (this.closed || this.nowMs() < this.cutUntil) return;
    const address = this.options.peers.get(pc.peer)!;
    const scheme = this.options.tls ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${address.host}:${address.port}/`, { maxPayload: maxPayloadBytes, perMessageDeflate: false, rejectUnauthorized: false });
    pc.dialing = ws;
    let state: "wait-challenge" | "wait-welcome" | "open" = "wait-challenge";
    let nonce: Uint8Array = new Uint8Array(0);
    const conn = new WsConn(ws);
    ws.on("message", (data) => {
      if (this.closed) return;
      try {
        const frame = decodeFrame(toBytes(data));
        if (state === "wait-challenge") {
          if (frame.t !== "challenge") throw new RemoteError("unauthenticated", `expected a challenge, got ${frame.t}`);
          if (frame.node !== pc.peer) throw new RemoteError("unknown-peer", `dialed ${pc.peer} but ${frame.node} answered`);
          nonce = newNonce();
          const mac = helloMac(this.options.secret, frame.nonce, this.options.self, pc.peer, pc.channel);
          ws.send(encodeFrame({ t: "hello", node: this.options.self, target: pc.peer, channel: pc.channel, nonce, mac }));
          state = "wait-welcome";
        } else if (state === "wait-welcome") {
          if (frame.t !== "welcome" || !sameMac(frame.mac, welcomeMac(this.options.secret, nonce, pc.peer, this.options.self))) {
            this.options.metrics.count("auth_rejected_total", 1, {}, "connections refused for a failed handshake");
            throw new RemoteError("unauthenticated", `${pc.peer} failed to prove the shared secret`);
          }
          state = "open";
          pc.retryDelayMs = 100;
          this.attach(pc, conn);
        } else this.onLinkFrame(pc, conn, frame);
      } catch (error) {
        this.onRemoteError(error, pc.peer);
        ws.terminate();
      }
    });
    const retry = (): void => {
      if (pc.dialing !== ws) return;
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
    ws.on("close", retry);
    ws.on("error", () => ws.terminate());
  }

  // ---- listening side ----

  private onServerOpen(ws: UwsSocket<ServerSocketData>): void {
    const data = ws.getUserData();
    data.state = "challenged";
    data.nonce = newNonce();
    data.pc = null;
    data.conn = null;
    this.serverSockets.add(ws);
    if (this.nowMs() < this.cutUntil) {
      data.state = "closed";
      ws.end(1013, "link cut");
      return;
    }
    ws.send(encodeFrame({ t: "challenge", node: this.options.self, nonce: data.nonce }), true);
  }

  private onServerMessage(ws: UwsSocket<ServerSocketData>, bytes: Uint8Array): void {
    const data = ws.getUserData();
    if (data.state === "closed" || this.closed) return;
    try {
      const frame = decodeFrame(bytes);
      if (data.state === "challenged") {
        if (frame.t !== "hello") throw new RemoteError("unauthenticated", `expected hello, got ${frame.t}`);
        const pc = this.channels.get(`${frame.node}|${frame.channel}`);
        const expected = helloMac(this.options.secret, data.nonce, frame.node, this.options.self, frame.channel);
        if (frame.target !== this.options.self || !pc || !sameMac(frame.mac, expected)) {
          this.options.metrics.count("auth_rejected_total", 1, {}, "connections refused for a failed handshake");
          throw new RemoteError("unauthenticated", `handshake from ${frame.node.slice(0, 64)} refused`);
        }
        ws.send(encodeFrame({ t: "welcome", mac: welcomeMac(this.options.secret, frame.nonce, this.options.self, frame.node) }), true);
        data.state = "open";
        data.pc = pc;
        data.conn = new UwsConn(ws);
        this.attach(pc, data.conn);
      } else this.onLinkFrame(data.pc!, data.conn!, frame);
    } catch (error) {
      this.onRemoteError(error, data.pc?.peer ?? "(unauthenticated)");
      data.state = "closed";
      data.conn?.close();
      if (!data.conn) ws.end(1008, "protocol error");
    }
  }

  private onServerClose(ws: UwsSocket<ServerSocketData>): void {
    this.serverSockets.delete(ws);
    const data = ws.getUserData();
    data.state = "closed";
    if (data.conn) data.conn.closed = true;
    if (data.pc && data.conn && data.pc.conn === data.conn) this.disconnect(data.pc, data.conn);
  }

  // ---- links ----

  private attach(pc: PeerChannel, conn: Conn): void {
    const now = this.nowMs();
    if (pc.conn && pc.conn !== conn) {
      const old = pc.conn;
      pc.link.step({ kind: "disconnected" }, now);
      pc.conn = null;
      old.close();
    }
    pc.conn = conn;
    this.options.metrics.count("connections_total", 1, { peer: pc.peer, channel: pc.channel });
    this.write(pc, pc.link.step({ kind: "connected" }, now).frames);
    this.arm();
  }

  private disconnect(pc: PeerChannel, conn: Conn): void {
    if (pc.conn !== conn) return;
    pc.conn = null;
    pc.link.step({ kind: "disconnected" }, this.nowMs());
    conn.close();
    this.arm();
  }

  private onLinkFrame(pc: PeerChannel, conn: Conn, frame: WireFrame): void {
    if (frame.t !== "data" && frame.t !== "ack" && frame.t !== "hb") throw new RemoteError("unknown-kind", `handshake frame ${frame.t} after the handshake`);
    if (pc.conn !== conn) return;
    const out = pc.link.step({ kind: "frame", frame }, this.nowMs());
    this.write(pc, out.frames);
    if (out.peer !== null && pc.channel === "control") this.options.onPeer(pc.peer, out.peer);
    for (const body of out.delivered) {
      let msg: Message;
      try {
        msg = decodeMessage(body);
      } catch (error) {
        // The link delivered it (and acknowledges it); the message itself is refused and counted.
        this.onRemoteError(error, pc.peer);
        continue;
      }
      this.options.metrics.count("messages_received_total", 1, { channel: pc.channel });
      this.options.onMessage(pc.peer, msg, pc.channel);
    }
    this.arm();
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
    for (const frame of frames) {
      const bytes = encodeFrame(frame);
      this.options.metrics.count("bytes_sent_total", bytes.byteLength, { peer: pc.peer });
      if (pc.shaper) {
        const at = pc.shaper.releaseAt(bytes.byteLength, now, pc.channel);
        let i = this.held.length;
        while (i > 0 && this.held[i - 1]!.at > at) i--;
        this.held.splice(i, 0, { at, pc, conn, bytes });
      } else conn.send(bytes);
    }
  }

  private release(now: number): void {
    let n = 0;
    while (n < this.held.length && this.held[n]!.at <= now) {
      const h = this.held[n++]!;
      if (h.pc.conn === h.conn) h.conn.send(h.bytes);
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
