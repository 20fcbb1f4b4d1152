/**
 * The WebSocket dialer's wire: a client end of RFC 6455 written on a plain `net` socket, so that
 * the dialer reads into one reused buffer (the socket's `onread`) and gathers each message into
 * memory of its own (stream-frames.ts's FrameGatherer, a large frame's memory read into again once
 * its receiver used it up), as the unix carrier does. The `ws` client handed every message over as
 * a fresh Buffer, which at large frames cost a copy into fresh memory and the collections it drives
 * (packages/net/README.md, "Carriers"). The listener is uWS either way, and the bytes on the wire
 * are a WebSocket's, so tc shaping and WAN emulation see the same traffic.
 *
 * What it speaks: the HTTP/1.1 upgrade (the server's 101, `Upgrade: websocket`, and the
 * `Sec-WebSocket-Accept` of our key, checked); binary messages, whole or in fragments; pings
 * (answered with a pong), pongs (ignored) and close (the connection is then closed). Our frames
 * carry the mask bit with a zero key, so the payload goes as it is (see transport/ws-dialer.ts's `zeroMask`).
 * Anything else from the server (a masked frame, reserved bits, a text frame, a control frame in
 * pieces or above 125 bytes, a continuation with nothing to continue, a message above the bound)
 * is a RemoteError; the transport closes the connection and its links resend on the next one.
 * TLS (wss) stays with the `ws` client.
 */
import { createHash, randomBytes } from "node:crypto";
import { allocateSmall, RemoteError } from "@gaia/core";
import { maxPayloadBytes } from "./envelope.js";
import { reuseBytesMin, StreamReader } from "./stream-frames.js";

const acceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** The most bytes of HTTP response we read before the upgrade's end. */
export const upgradeResponseMax = 16 * 1024;

const opContinuation = 0x0;
const opText = 0x1;
const opBinary = 0x2;
const opClose = 0x8;
const opPing = 0x9;
const opPong = 0xa;

/** A fresh `Sec-WebSocket-Key` (16 random bytes, base64). */
export const newUpgradeKey = (): string => randomBytes(16).toString("base64");

/** The `Sec-WebSocket-Accept` a server owes for `key`. */
export const acceptOf = (key: string): string => createHash("sha1").update(key + acceptGuid).digest("base64");

/** The upgrade request for `host:port` with `key`. */
export function upgradeRequest(host: string, port: number, key: string, headers: Readonly<Record<string, string>> = {}): Uint8Array {
  const h = host.includes(":") ? `[${host}]` : host;
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  return Buffer.from(`GET / HTTP/1.1\r\nHost: ${h}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`, "latin1");
}

/**
 * Reads the server's answer to the upgrade: `push` chunks until it returns the bytes after the
 * headers (possibly none, a view of the chunk), or throws a RemoteError for anything but a 101
 * with the right accept.
 */
export class UpgradeReader {
  private head = "";
  constructor(private readonly key: string) {}
  push(chunk: Uint8Array): Uint8Array | null {
    const before = this.head.length;
    this.head += Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
    const end = this.head.indexOf("\r\n\r\n");
    if (end < 0) {
      if (this.head.length > upgradeResponseMax) throw new RemoteError("malformed-frame", `upgrade response has no end within ${upgradeResponseMax} bytes`);
      return null;
    }
    const lines = this.head.slice(0, end).split("\r\n");
    const status = lines[0] ?? "";
    if (!/^HTTP\/1\.1 101 /.test(status + " ")) throw new RemoteError("unauthenticated", `upgrade refused: ${JSON.stringify(status.slice(0, 200))}`);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    if ((headers.get("upgrade") ?? "").toLowerCase() !== "websocket") throw new RemoteError("malformed-frame", "upgrade response without Upgrade: websocket");
    if (headers.get("sec-websocket-accept") !== acceptOf(this.key)) throw new RemoteError("unauthenticated", "upgrade response with a wrong Sec-WebSocket-Accept");
    const used = end + 4 - before;
    return new Uint8Array(chunk.buffer, chunk.byteOffset + used, chunk.byteLength - used);
  }
}

/** The header of one client frame (FIN set) of `op` carrying `bytes` bytes, masked with a zero key. */
function clientHeader(op: number, bytes: number): Uint8Array {
  // From a shared block (allocateSmall), not a fresh on-heap array that the socket would move off
  // the heap; zeroed here, as every byte not set below (the zero masking key) must be 0.
  const h = allocateSmall(bytes < 126 ? 6 : bytes < 0x10000 ? 8 : 14).fill(0);
  h[0] = 0x80 | op;
  if (bytes < 126) {
    h[1] = 0x80 | bytes;
    return h;
  }
  if (bytes < 0x10000) {
    h[1] = 0x80 | 126;
    h[2] = bytes >>> 8;
    h[3] = bytes & 0xff;
    return h;
  }
  h[1] = 0x80 | 127;
  // Bytes above 2^32 never occur (frames are at most 64 MiB).
  h[6] = (bytes >>> 24) & 0xff;
  h[7] = (bytes >>> 16) & 0xff;
  h[8] = (bytes >>> 8) & 0xff;
  h[9] = bytes & 0xff;
  return h;
}

/** The header of a binary client message of `bytes` bytes (its payload follows unchanged). */
export const binaryHeader = (bytes: number): Uint8Array => clientHeader(opBinary, bytes);

/** A whole client pong carrying a ping's `payload` (at most 125 bytes). */
export function pongFrame(payload: Uint8Array): Uint8Array {
  const header = clientHeader(opPong, payload.byteLength);
  const out = new Uint8Array(header.byteLength + payload.byteLength);
  out.set(header);
  out.set(payload, header.byteLength);
  return out;
}

export interface ServerFrameEvents {
  /** A whole binary message (memory the reader owns; see FrameGatherer's reuse). */
  readonly onMessage: (message: Uint8Array) => unknown;
  readonly onPing: (payload: Uint8Array) => void;
  readonly onClose: () => void;
}

/**
 * Reads server frames from a stream of chunks (each may be the same buffer read into again: every
 * byte kept is copied out). A message in one frame is gathered straight into its own memory; one
 * in fragments is joined when its last fragment is in.
 */
export class ServerFrameReader extends StreamReader {
  /** A frame header: at most 2 + 8 bytes (a server's frames are not masked). */
  private readonly head = new Uint8Array(10);
  private headAt = 0;
  /** The current frame: its opcode and FIN bit, while its payload is read. */
  private op = 0;
  private fin = false;
  /** A control frame's payload (at most 125 bytes). */
  private control: Uint8Array | null = null;
  private controlAt = 0;
  /** The fragments of a message in pieces, and their bytes so far. */
  private fragments: Uint8Array[] | null = null;
  private fragmentBytes = 0;
  private closed = false;

  constructor(
    private readonly events: ServerFrameEvents,
    private readonly maxBytes = maxPayloadBytes,
    reuseMin = reuseBytesMin,
    /** The upgrade's answer, read ahead of the first frame (the dialer's); null: frames from the start. */
    private upgrade: UpgradeReader | null = null,
  ) {
    super(reuseMin);
  }

  protected onGathered(frame: Uint8Array): unknown {
    return this.onPayload(frame);
  }

  push(chunk: Uint8Array): void {
    if (this.upgrade !== null) {
      const rest = this.upgrade.push(chunk);
      if (rest === null) return;
      this.upgrade = null;
      chunk = rest;
    }
    let at = 0;
    const n = chunk.byteLength;
    while (at < n && !this.closed) {
      if (this.gather.busy) {
        at = this.gather.fill(chunk, at, this.gathered);
        continue;
      }
      if (this.control !== null) {
        const take = Math.min(this.control.byteLength - this.controlAt, n - at);
        this.control.set(new Uint8Array(chunk.buffer, chunk.byteOffset + at, take), this.controlAt);
        this.controlAt += take;
        at += take;
        if (this.controlAt === this.control.byteLength) this.onControl();
        continue;
      }
      // A header: 2 bytes, then 0, 2 or 8 bytes of length.
      while (this.headAt < 2 && at < n) this.head[this.headAt++] = chunk[at++]!;
      if (this.headAt < 2) return;
      const b0 = this.head[0]!;
      const b1 = this.head[1]!;
      const lengthCode = b1 & 0x7f;
      const headBytes = 2 + (lengthCode === 126 ? 2 : lengthCode === 127 ? 8 : 0);
      while (this.headAt < headBytes && at < n) this.head[this.headAt++] = chunk[at++]!;
      if (this.headAt < headBytes) return;
      this.headAt = 0;
      if ((b0 & 0x70) !== 0) throw new RemoteError("malformed-frame", "WebSocket frame with reserved bits set");
      if ((b1 & 0x80) !== 0) throw new RemoteError("malformed-frame", "masked WebSocket frame from the server");
      let length = lengthCode;
      if (lengthCode === 126) length = (this.head[2]! << 8) | this.head[3]!;
      else if (lengthCode === 127) {
        const h = this.head;
        if (h[2]! !== 0 || h[3]! !== 0 || h[4]! !== 0 || h[5]! !== 0) throw new RemoteError("oversized-frame", "WebSocket frame above 2^32 bytes");
        length = (h[6]! * 0x1000000) + ((h[7]! << 16) | (h[8]! << 8) | h[9]!);
      }
      this.op = b0 & 0x0f;
      this.fin = (b0 & 0x80) !== 0;
      this.begin(length);
    }
  }

  private begin(length: number): void {
    const op = this.op;
    if (op >= 0x8) {
      if (op !== opClose && op !== opPing && op !== opPong) throw new RemoteError("malformed-frame", `WebSocket control frame of unknown opcode ${op}`);
      if (!this.fin || length > 125) throw new RemoteError("malformed-frame", "WebSocket control frame in pieces or above 125 bytes");
      this.control = new Uint8Array(length);
      this.controlAt = 0;
      if (length === 0) this.onControl();
      return;
    }
    if (op === opText) throw new RemoteError("malformed-frame", "WebSocket text frame (every frame here is binary)");
    if (op !== opBinary && op !== opContinuation) throw new RemoteError("malformed-frame", `WebSocket data frame of unknown opcode ${op}`);
    if (op === opContinuation && this.fragments === null) throw new RemoteError("malformed-frame", "WebSocket continuation with no message to continue");
    if (op === opBinary && this.fragments !== null) throw new RemoteError("malformed-frame", "WebSocket message begun inside another");
    const total = (this.fragments === null ? 0 : this.fragmentBytes) + length;
    if (total > this.maxBytes) throw new RemoteError("oversized-frame", `WebSocket message of ${total} bytes or more, above ${this.maxBytes}`);
    if (op === opBinary && !this.fin) {
      this.fragments = [];
      this.fragmentBytes = 0;
    }
    if (length === 0) {
      this.onPayload(new Uint8Array(0));
      return;
    }
    this.gather.start(length);
  }

  /** A data frame's whole payload. */
  private onPayload(payload: Uint8Array): unknown {
    if (this.fragments === null) {
      if (payload.byteLength === 0) throw new RemoteError("truncated-frame", "WebSocket message of 0 bytes");
      return this.events.onMessage(payload);
    }
    // A piece of a message: kept (never released), joined at the last.
    this.fragments.push(payload);
    this.fragmentBytes += payload.byteLength;
    if (!this.fin) return false;
    const whole = new Uint8Array(this.fragmentBytes);
    let at = 0;
    for (const f of this.fragments) {
      whole.set(f, at);
      at += f.byteLength;
    }
    this.fragments = null;
    this.fragmentBytes = 0;
    if (whole.byteLength === 0) throw new RemoteError("truncated-frame", "WebSocket message of 0 bytes");
    this.events.onMessage(whole);
    return false;
  }

  private onControl(): void {
    const payload = this.control!;
    this.control = null;
    if (this.op === opPing) this.events.onPing(payload);
    else if (this.op === opClose) {
      this.closed = true;
      this.events.onClose();
    }
  }
}
