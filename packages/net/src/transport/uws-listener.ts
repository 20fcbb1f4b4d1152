/**
 * The WebSocket listener, on uWebSockets.js: the node's HTTP routes (/metrics and the like), and
 * every WebSocket connection handed to the handshake (handshake.ts) and then to the links, through
 * a UwsConn that batches its bursts (batching.ts) and queues above uWS's backpressure.
 */
import uWS from "uWebSockets.js";
import type { us_listen_socket, WebSocket as UwsSocket } from "uWebSockets.js";
import { coalesce, maxPayloadBytes } from "../envelope.js";
import { newNonce, upgradeProofHeader } from "../auth.js";
import { Burst } from "./batching.js";
import { tracked, writeDone } from "./pool.js";
import type { UpgradeGate } from "./handshake.js";
import { hygieneDefaults, nextConnId, type AcceptSink, type Accepted, type ListenerConn, type RefusedReason, type TransportOptions } from "./types.js";

interface ServerSocketData {
  accepted: Accepted;
  uws: UwsConn | null;
}

/** Bytes uWS may buffer for a socket before our own queue takes the frames. */
const highWaterBytes = 8 * 1024 * 1024;

/**
 * A uWS socket with our own queue above its backpressure limit, drained on `drain`. A burst of
 * frames (batching.ts) is written corked, small ones coalesced into batches.
 */
class UwsConn implements ListenerConn {
  readonly id = nextConnId();
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

export interface UwsListener {
  /** The port bound (the one asked for, or the one the system chose for 0). */
  readonly port: number;
  close(): void;
}

/** Listens on `listenHost:port` (TLS if set); resolves once bound, rejects if it cannot bind. */
export async function listenUws(options: TransportOptions, nowMs: () => number, sink: AcceptSink, gate: UpgradeGate, refused: (reason: RefusedReason) => void): Promise<UwsListener> {
  const { tls, listenHost, port } = options;
  const app = tls ? uWS.SSLApp({ cert_file_name: tls.cert, key_file_name: tls.key }) : uWS.App();
  for (const [path, render] of Object.entries(options.routes ?? {})) {
    app.get(path, (res, req) => {
      // The request is valid only during this call: read the query before anything async.
      const query = req.getQuery() ?? "";
      let aborted = false;
      res.onAborted(() => (aborted = true));
      void Promise.resolve(render(query)).then(
        (body) => !aborted && res.cork(() => res.writeHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(body)),
        // A route rejects with an Error that may carry its HTTP status ("503 Service Unavailable"); else 500.
        (error: Error & { status?: string }) => !aborted && res.cork(() => res.writeStatus(error.status ?? "500 Internal Server Error").end(`${error.message}\n`)),
      );
    });
  }
  // Any other plain HTTP request (WebSocket upgrades go to the handler below).
  app.any("/*", (res, req) => {
    if (req.getHeader("upgrade") !== "") {
      req.setYield(true);
      return;
    }
    res.writeStatus("404 Not Found").writeHeader("content-type", "text/plain; charset=utf-8").end(`not found; this node serves ${Object.keys(options.routes ?? {}).join(", ") || "no HTTP paths"}\n`);
  });
  app.ws<ServerSocketData>("/*", {
    maxPayloadLength: maxPayloadBytes,
    maxBackpressure: maxPayloadBytes * 2,
    idleTimeout: 0,
    compression: uWS.DISABLED,
    // The upgrade must prove the secret (UpgradeGate): without it there is no WebSocket, so
    // nothing is buffered for the peer (uWS's one maxPayloadLength would allow 64 MiB a frame).
    upgrade: (res, req, context) => {
      const verdict = gate.check(req.getHeader(upgradeProofHeader));
      if ("refused" in verdict) {
        refused(verdict.refused);
        res.writeStatus("401 Unauthorized").end(`upgrade refused: ${verdict.refused}\n`, true);
        return;
      }
      res.upgrade<Partial<ServerSocketData>>({}, req.getHeader("sec-websocket-key"), req.getHeader("sec-websocket-protocol"), req.getHeader("sec-websocket-extensions"), context);
    },
    open: (ws) => {
      const data = ws.getUserData();
      data.uws = null;
      data.accepted = {
        state: "challenged",
        authenticated: true,
        nonce: newNonce(),
        pc: null,
        conn: null,
        address: Buffer.from(ws.getRemoteAddressAsText()).toString(),
        openedAt: nowMs(),
        sendRaw: (bytes) => void ws.send(bytes, true),
        closeNow: () => ws.close(),
        end: (code, reason) => ws.end(code, reason),
        open: () => (data.uws = new UwsConn(ws)),
      };
      sink.open(data.accepted);
    },
    // A view of uWS's memory, valid during this call only: the frame is decoded at once, and a
    // body the link must keep (an early frame) is copied (see link.ts's onLinkFrame).
    message: (ws, message) => void sink.message(ws.getUserData().accepted, new Uint8Array(message), true),
    drain: (ws) => ws.getUserData().uws?.drain(),
    close: (ws) => sink.close(ws.getUserData().accepted),
  });
  const socket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(listenHost, port, (listening) => {
      if (!listening) reject(new Error(`cannot listen on ${listenHost}:${port} (port in use?)`));
      else resolve(listening);
    });
  });
  return { port: uWS.us_socket_local_port(socket), close: () => uWS.us_listen_socket_close(socket) };
}
