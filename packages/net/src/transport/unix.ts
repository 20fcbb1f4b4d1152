/**
 * The unix-socket carrier (`lanCarrier: unix`, nodes of one data center on one host): the same
 * frames as over WebSocket, length-prefixed (stream-frames.ts), through the same handshake
 * (handshake.ts) and links. A node listens at `unixPathOf(dir, port)` besides its WebSocket port,
 * and dials the peers listed as unix ones there.
 */
import { rmSync } from "node:fs";
import { createServer as netServer, Socket as NetSocketClass, type Server as NetServer, type Socket as NetSocket } from "node:net";
import { join } from "node:path";
import { newNonce } from "../auth.js";
import { FrameReader, lengthPrefix, type StreamReader } from "../stream-frames.js";
import { dialStream, NetConn, streamReadBytes } from "./stream-conn.js";
import { maxPayloadBytes } from "../envelope.js";
import { helloBytesMax, type AcceptSink, type Accepted, type LinkHost, type PeerChannel } from "./types.js";

/** Where a node that listens on `port` takes unix-socket connections. */
export const unixPathOf = (dir: string, port: number): string => join(dir, `gaia-${port}.sock`);

/** Dials `pc`'s peer, which listens on `port`, at its socket in `dir`. */
export function dialUnix(host: LinkHost, pc: PeerChannel, dir: string, port: number): void {
  dialStream(host, pc, { path: unixPathOf(dir, port) }, lengthPrefix, (onBytes) => new FrameReader(onBytes, true));
}

/** A node's unix-socket listener: its accepted connections go to `sink` (the handshake). */
export class UnixListener {
  /** What accepted connections read into (see onOpen), once the first one is accepted. */
  private readBuffer: Buffer | null = null;
  private server: NetServer | null = null;

  private constructor(
    private readonly host: LinkHost,
    private readonly sink: AcceptSink,
  ) {}

  /** Listens for unix-socket connections at `path` (a stale file from a dead process is removed). */
  static async listen(path: string, host: LinkHost, sink: AcceptSink): Promise<UnixListener> {
    const listener = new UnixListener(host, sink);
    // This node holds the port the path is named after, so a file there is a dead node's.
    rmSync(path, { force: true });
    // Paused, so that onOpen can take the connection over before anything is read from it.
    const server = netServer({ pauseOnConnect: true }, (socket) => listener.onOpen(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error) => reject(new Error(`cannot listen on ${path}: ${error.message}`)));
      server.listen(path, () => resolve());
    });
    listener.server = server;
    return listener;
  }

  close(): void {
    this.server?.close();
    this.server = null;
  }

  /**
   * An accepted unix connection, read into one buffer that every accepted connection of this
   * listener shares (each read is consumed, its frames copied out, before the next read into it),
   * as the dialer reads into its own: no fresh 64 kB chunk per read. `net.Server` has no `onread`,
   * so the accepted socket's handle is adopted by a socket built with it, the way the server builds
   * its own; where the handle is not there to adopt, the connection is read through `data` events.
   */
  private onOpen(accepted: NetSocket): void {
    const { host, sink } = this;
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
      // A unix connection proves the secret only in its hello (there is no upgrade).
      authenticated: false,
      nonce: newNonce(),
      pc: null,
      conn: null,
      address: "unix",
      openedAt: host.nowMs(),
      sendRaw: (bytes) => {
        socket.write(lengthPrefix(bytes.byteLength));
        socket.write(bytes);
      },
      closeNow: () => socket.destroy(),
      end: () => socket.destroy(),
      open: () => {
        // Authenticated: frames up to the largest payload from now on.
        reader!.maxBytes = maxPayloadBytes;
        return (conn = new NetConn(socket));
      },
    };
    // Before the hello, no frame larger than a hello: a length above it is refused as it is read,
    // so a peer without the secret cannot make this node gather a 64 MiB frame.
    reader = new FrameReader((frame) => sink.message(data, frame, false), adopted !== null, helloBytesMax);
    const fail = (error: unknown): void => {
      sink.refuse(data, error);
      if (conn) conn.close();
      else socket.destroy();
    };
    if (adopted === null) {
      socket.on("data", (chunk: Buffer) => {
        if (data.state === "closed" || host.closed) return;
        try {
          reader!.push(chunk);
        } catch (error) {
          fail(error);
        }
      });
      socket.resume();
    }
    socket.on("error", () => socket.destroy());
    socket.on("close", () => sink.close(data));
    sink.open(data);
  }

  /** `socket`'s handle under a socket that reads into the shared buffer, or null (see onOpen). */
  private adoptForReading(socket: NetSocket, readerOf: () => StreamReader | null, onError: (error: unknown) => void): NetSocket | null {
    const internal = socket as unknown as { _handle?: object | null };
    const handle = internal._handle;
    if (handle === null || handle === undefined) return null;
    internal._handle = null;
    let adopted: NetSocket | null = null;
    const closedNow = (): boolean => this.host.closed || adopted === null || adopted.destroyed;
    const scratch = (this.readBuffer ??= Buffer.allocUnsafe(streamReadBytes));
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
}
