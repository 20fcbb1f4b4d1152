/**
 * Stream sockets, under two carriers: either end of a unix socket (frames length-prefixed,
 * stream-frames.ts), and the dialer's end of a plain WebSocket (`framing: binaryHeader`,
 * ws-client.ts). A NetConn writes a burst (batching.ts) corked and coalesced; `dialStream` reads
 * into one reused buffer and hands the reader's frames to the dialer's handshake (handshake.ts).
 */
import { connect as netConnect, type Socket as NetSocket } from "node:net";
import { coalesce } from "../envelope.js";
import { lengthPrefix, type StreamReader } from "../stream-frames.js";
import { Burst } from "./batching.js";
import { tracked, writeDone } from "./pool.js";
import { dialHandshake } from "./handshake.js";
import { hygieneDefaults, nextConnId, type LinkHost, type ListenerConn, type PeerChannel } from "./types.js";

/** The stream sockets' read buffers (a dialer's, and the one a unix listener's connections share). */
export const streamReadBytes = 256 * 1024;

/**
 * A stream socket's connection; a burst leaves corked and coalesced, as on the other connections.
 * Node queues what the socket cannot take yet; past `queueBytesMax` the peer is a slow reader and
 * is disconnected.
 */
export class NetConn implements ListenerConn {
  readonly id = nextConnId();
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

/**
 * Dials a stream socket (a unix socket, or a WebSocket's TCP connection) for `pc`: reads land in
 * one reused buffer, or straight into a large frame being gathered (StreamReader), and the
 * reader's frames go to the dialer's side of the handshake and links; `framing` goes ahead of
 * each frame sent; `onConnect` writes what must go first (the WebSocket upgrade).
 */
export function dialStream(host: LinkHost, pc: PeerChannel, where: { path: string } | { host: string; port: number; noDelay: boolean }, framing: (bytes: number) => Uint8Array, readerFor: (onBytes: (bytes: Uint8Array) => boolean, socket: NetSocket) => StreamReader, onConnect?: (socket: NetSocket) => void): void {
  let reader: StreamReader | null = null;
  const scratch = Buffer.allocUnsafe(streamReadBytes);
  const socket: NetSocket = netConnect({
    ...where,
    onread: {
      buffer: () => (reader === null ? scratch : reader.readInto(scratch)),
      callback: (n: number): boolean => {
        if (host.closed || reader === null || socket.destroyed) return true;
        try {
          reader.readDone(n, scratch);
        } catch (error) {
          host.onRemoteError(error, pc.peer);
          socket.destroy();
        }
        return true;
      },
    },
  });
  const conn = new NetConn(socket, framing);
  const handle = { terminate: () => socket.destroy() };
  const dialer = dialHandshake(host, pc, handle, conn, (bytes) => conn.sendRaw(bytes));
  reader = readerFor(dialer.onBytes, socket);
  if (onConnect) socket.once("connect", () => onConnect(socket));
  socket.on("close", dialer.retry);
  socket.on("error", () => socket.destroy());
}
