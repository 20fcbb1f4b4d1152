/**
 * The WebSocket dialer. Without TLS it is a plain socket (ws-client.ts): the upgrade, then
 * messages gathered as on the unix carrier (stream-conn.ts), frames sent as they are behind a
 * masked header with a zero key. With TLS it is the `ws` client. Either way a burst of sends leaves
 * corked and coalesced (batching.ts), and the connection goes through the dialer's handshake
 * (handshake.ts) to the links. The upgrade request carries the proof of the secret (auth.ts's
 * `upgradeProof`) without which the listener refuses it.
 */
import WebSocket from "ws";
import { upgradeProof, upgradeProofHeader } from "../auth.js";
import { coalesce, maxPayloadBytes } from "../envelope.js";
import { reuseBytesMin } from "../stream-frames.js";
import { binaryHeader, newUpgradeKey, pongFrame, ServerFrameReader, UpgradeReader, upgradeRequest } from "../ws-client.js";
import { Burst } from "./batching.js";
import { tracked, writeDone } from "./pool.js";
import { dialHandshake } from "./handshake.js";
import { dialStream } from "./stream-conn.js";
import { nextConnId, type Conn, type LinkHost, type PeerAddress, type PeerChannel } from "./types.js";

/** A `ws` client; a burst of sends leaves corked and coalesced, as UwsConn's does. */
class WsConn implements Conn {
  readonly id = nextConnId();
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

const zeroMask = (mask: Buffer): void => void mask.fill(0);

const toBytes = (data: WebSocket.RawData): Uint8Array => {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
};

/** The upgrade's proof of the secret (auth.ts), made fresh for each dial. */
const proofHeaders = (host: LinkHost, pc: PeerChannel): Record<string, string> => ({ [upgradeProofHeader]: upgradeProof(host.options.secret, host.options.self, pc.peer, pc.channel, Date.now()) });

/** Dials `pc`'s peer at `address` over WebSocket (wss when the transport has TLS). */
export function dialWebSocket(host: LinkHost, pc: PeerChannel, address: PeerAddress): void {
  if (host.options.tls) dialTls(host, pc, address);
  else dialPlain(host, pc, address);
}

/**
 * A WebSocket to `address` on a plain socket (ws-client.ts): the upgrade, then messages gathered
 * as on the unix carrier; frames go out as they are, behind a masked header with a zero key.
 */
function dialPlain(host: LinkHost, pc: PeerChannel, address: PeerAddress): void {
  const key = newUpgradeKey();
  dialStream(
    host,
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
    (socket) => socket.write(upgradeRequest(address.host, address.port, key, proofHeaders(host, pc))),
  );
}

function dialTls(host: LinkHost, pc: PeerChannel, address: PeerAddress): void {
  // A zero masking key: ws then sends our bytes as they are, with no masked copy of every frame.
  // Masking protects HTTP proxies from a browser script's frames; these links are node to node,
  // authenticated by the handshake, and encrypted where TLS is on.
  const ws = new WebSocket(`wss://${address.host}:${address.port}/`, { maxPayload: maxPayloadBytes, perMessageDeflate: false, rejectUnauthorized: false, generateMask: zeroMask, headers: proofHeaders(host, pc) });
  const dialer = dialHandshake(host, pc, ws, new WsConn(ws), (bytes) => ws.send(bytes));
  ws.on("message", (data) => void dialer.onBytes(toBytes(data)));
  ws.on("close", dialer.retry);
  ws.on("error", () => ws.terminate());
}
