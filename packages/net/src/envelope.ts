/**
 * The runtime's wire envelope: link frames (data / ack / heartbeat, see core's reliable.ts) and the
 * authentication handshake.
 *
 * Handshake frames are msgpack maps. Link frames, the hot path, are a fixed binary header and the
 * role message right behind it:
 *
 *   data: 0xC1 0x01 seq:float64le ack:float64le message...   (18 bytes of header)
 *   data, padded: 0xC1 0x05 pad:u8 seq:float64le ack:float64le (pad bytes) message...
 *   ack:  0xC1 0x02 ack:float64le
 *   hb:   0xC1 0x03
 *   batch: 0xC1 0x04 (length:uint32le frame)...   (small link frames that left together)
 *
 * A batch carries link frames that left in one burst and are each at most `coalesceFrameBytesMax`
 * bytes: one WebSocket message instead of one per frame, so small messages do not each pay the
 * sockets' per-message cost (both ends' WebSocket framing, the `message` callback, the system
 * calls). It is only a way to carry frames: the receiver takes its frames one by one, exactly as
 * if they had come alone, and a batch inside a batch, a handshake frame inside one, a length that
 * overruns the batch, a batch over `batchBytesMax`, or a batch before the handshake is a RemoteError.
 *
 * 0xC1 is the one byte msgpack never uses, so the two kinds cannot be confused. The message is the
 * msgpack of core's codec (the same bytes `encodeMessage` gives, so the simulator and the runtime
 * charge the same sizes), packed ONCE, into a buffer that keeps the header's 18 bytes free in
 * front of it (`encodeBody`): sending, and every resend, writes the header into that space and
 * hands the same buffer to the socket, with no envelope packing and no copy. A received data
 * frame's message is a view into the frame (`subarray`); the decoder copies what it keeps.
 *
 * A message with a large typed array (a push's deltas, a reply's values; at least `viewBytesMin`
 * bytes) goes padded: 0 to 7 bytes between header and message, so that the array's bytes sit at
 * a multiple of 8 from the frame's start. A receiver that holds the frame at an aligned address
 * (a large frame read into a buffer of its own) then decodes that array as a view, without a copy.
 * The pad's bytes are not read.
 *
 * Every decoded frame is checked by a strict validator: anything that is not exactly one of the
 * shapes below is a RemoteError, and the transport closes that connection and counts it.
 */
import { Packr } from "msgpackr";
import { allocateSmall, encodeMessage, RemoteError, smallBytesMax, validateLinkFrame, viewBytesMin, type Allocate, type LinkFrame, type Message } from "@gaia/core";

export type ChannelName = "data" | "control";

/** Listener -> dialer, first frame on a new connection. */
export interface Challenge {
  readonly t: "challenge";
  readonly node: string;
  readonly nonce: Uint8Array;
}

/** Dialer -> listener: who it is, which channel, and proof it knows the secret. */
export interface Hello {
  readonly t: "hello";
  readonly node: string;
  /** Whom the dialer means to reach (a listener refuses frames meant for another node). */
  readonly target: string;
  readonly channel: ChannelName;
  readonly nonce: Uint8Array;
  readonly mac: Uint8Array;
  /** The dialer's link epoch: which incarnation of its link state it speaks for ("" if none). */
  readonly epoch: string;
}

/** Listener -> dialer: the listener's own proof; after it, link frames flow both ways. */
export interface Welcome {
  readonly t: "welcome";
  readonly mac: Uint8Array;
  readonly epoch: string;
}

export type HandshakeFrame = Challenge | Hello | Welcome;
export type WireFrame = HandshakeFrame | LinkFrame<Uint8Array>;

// The same options as core's codec (handshake frames are packed and read with it).
const packr = new Packr({ moreTypes: true, useRecords: false, mapsAsObjects: true, bundleStrings: false });

export const maxPayloadBytes = 64 * 1024 * 1024;

const linkMark = 0xc1;
const kindData = 1;
const kindAck = 2;
const kindHeartbeat = 3;
const kindBatch = 4;
const kindPadded = 5;
/** Link frames up to this size leave in batches (see `coalesce`); larger ones leave alone. */
export const coalesceFrameBytesMax = 16 * 1024;
/** A batch holds at most this many bytes of frames. */
export const batchBytesMax = 64 * 1024;
/** Bytes of a data frame's header, kept free at the front of every body. */
export const dataHeaderBytes = 18;
/** A padded data frame's header before its pad. */
const paddedHeaderBytes = 19;
/** Padded frames align their largest array to this. */
const payloadAlignBytes = 8;

/**
 * Memory for a body or a gathered frame, not zeroed first (when large): the codec overwrites all
 * of it but the header, which `encodeBody` clears (a zero-fill is one more pass over a 10 MB push).
 * A plain Uint8Array, not a Buffer (a Buffer would pack differently in a checkpoint). Up to 4 kB it
 * is carved out of a shared block (core's `allocateSmall`: a buffer of its own costs several times
 * as much); above, it sits at offset 0 of its own buffer, since a padded frame's alignment is
 * counted from the buffer's start (only arrays of 4 kB or more are padded, so only larger bodies).
 */
export const allocateUnzeroed = (bytes: number): Uint8Array => (bytes <= smallBytesMax ? allocateSmall(bytes) : bytes < unzeroedBytesMin ? new Uint8Array(bytes) : new Uint8Array(Buffer.allocUnsafeSlow(bytes).buffer, 0, bytes));
/** Below this, a zeroed Uint8Array is the cheaper allocation (Buffer's unsafe one costs more per call). */
const unzeroedBytesMin = 16 * 1024;

/**
 * A role message packed for the link: its codec bytes behind `dataHeaderBytes` free bytes. The
 * reliable link keeps this buffer (for resends and checkpoints); `encodeFrame` fills the header.
 * `allocate` (for tests): where the bytes go, memory that need not be zeroed.
 */
export function encodeBody(msg: Message, allocate: Allocate = allocateUnzeroed): Uint8Array {
  let pad = -1;
  let reserved = 0;
  const body = encodeMessage(
    msg,
    (offset, bytes) => {
      if (offset < 0 || bytes < viewBytesMin) return (reserved = dataHeaderBytes);
      pad = (payloadAlignBytes - ((paddedHeaderBytes + offset) % payloadAlignBytes)) % payloadAlignBytes;
      return (reserved = paddedHeaderBytes + pad);
    },
    allocate,
  );
  // The codec wrote every byte after the reserved ones; these are ours (the pad is sent as zeros).
  body.fill(0, 0, reserved);
  body[0] = linkMark;
  body[1] = pad < 0 ? kindData : kindPadded;
  if (pad >= 0) body[2] = pad;
  return body;
}

/** Bytes in front of the message of a body made by `encodeBody` (its header and pad). */
export const headerBytesOf = (body: Uint8Array): number => (body[1] === kindPadded ? paddedHeaderBytes + body[2]! : dataHeaderBytes);

/**
 * A 32-bit digest of a message's bytes (FNV-1a over 4-byte words in four interleaved lanes, so the
 * multiplies do not wait on each other, seeded with the length), for the links' check that one seq
 * never carries two different messages (reliable.ts, "Out of step"). Not cryptographic: it tells an
 * honest resend from another message, not from a crafted collision.
 */
export function bodyDigest(bytes: Uint8Array): number {
  const n = bytes.byteLength;
  const words = n >>> 2;
  const prime = 0x01000193;
  let h0 = 0x811c9dc5 ^ n;
  let h1 = 0x050c5d1f;
  let h2 = 0x2b2ae3f1;
  let h3 = 0x6a09e667;
  let k = 0;
  if (n >= 4096 && bytes.byteOffset % 4 === 0) {
    // Large and aligned (a padded frame's body): whole words at once, worth the view; the same digest either way.
    const view = new Int32Array(bytes.buffer, bytes.byteOffset, words);
    for (; k + 4 <= words; k += 4) {
      h0 = Math.imul(h0 ^ view[k]!, prime);
      h1 = Math.imul(h1 ^ view[k + 1]!, prime);
      h2 = Math.imul(h2 ^ view[k + 2]!, prime);
      h3 = Math.imul(h3 ^ view[k + 3]!, prime);
    }
  } else {
    for (let i = 0; k + 4 <= words; k += 4, i += 16) {
      h0 = Math.imul(h0 ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)), prime);
      h1 = Math.imul(h1 ^ (bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24)), prime);
      h2 = Math.imul(h2 ^ (bytes[i + 8]! | (bytes[i + 9]! << 8) | (bytes[i + 10]! << 16) | (bytes[i + 11]! << 24)), prime);
      h3 = Math.imul(h3 ^ (bytes[i + 12]! | (bytes[i + 13]! << 8) | (bytes[i + 14]! << 16) | (bytes[i + 15]! << 24)), prime);
    }
  }
  for (let i = 4 * k; k < words; k++, i += 4) h0 = Math.imul(h0 ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)), prime);
  for (let i = words * 4; i < n; i++) h1 = Math.imul(h1 ^ bytes[i]!, prime);
  return (Math.imul(h0 ^ Math.imul(h1 ^ Math.imul(h2 ^ h3, prime), prime), prime) ^ n) >>> 0;
}

/** The message bytes of a body made by `encodeBody`. */
export const messageOf = (body: Uint8Array): Uint8Array => body.subarray(headerBytesOf(body));

/**
 * The bytes of a frame. A data frame's body must come from `encodeBody`: its header is written in
 * place (a resend of the same message rewrites the same seq and a newer ack, which is as valid for
 * a copy still waiting in a queue) and the body itself is returned.
 */
export function encodeFrame(frame: WireFrame): Uint8Array {
  switch (frame.t) {
    case "data": {
      const bytes = frame.body;
      if (bytes.byteLength <= dataHeaderBytes) throw new RangeError("a data frame's body must come from encodeBody");
      const view = new DataView(bytes.buffer, bytes.byteOffset, paddedHeaderBytes);
      // A padded body keeps its kind and pad (encodeBody wrote them); any other is a plain frame.
      const at = bytes[1] === kindPadded ? 3 : 2;
      view.setUint8(0, linkMark);
      if (at === 2) view.setUint8(1, kindData);
      view.setFloat64(at, frame.seq, true);
      view.setFloat64(at + 8, frame.ack, true);
      return bytes;
    }
    case "ack": {
      // From a shared block: a fresh 10-byte array lives on V8's heap until a DataView or the
      // socket asks for its buffer, which moves it into a backing store of its own, at several
      // times the cost.
      const bytes = allocateSmall(10);
      const view = new DataView(bytes.buffer, bytes.byteOffset, 10);
      view.setUint8(0, linkMark);
      view.setUint8(1, kindAck);
      view.setFloat64(2, frame.ack, true);
      return bytes;
    }
    case "hb": {
      const bytes = allocateSmall(2);
      bytes[0] = linkMark;
      bytes[1] = kindHeartbeat;
      return bytes;
    }
    default:
      return packr.pack(frame);
  }
}

const count = (v: number, name: string): number => {
  if (!Number.isSafeInteger(v) || v < 0) throw new RemoteError("bad-field", `link frame ${name} must be a non-negative integer`);
  return v;
};

/** The bytes from `from` on, as a plain Uint8Array view (a Buffer's `subarray` is slower). */
const tail = (bytes: Uint8Array, from: number): Uint8Array => new Uint8Array(bytes.buffer, bytes.byteOffset + from, bytes.byteLength - from);

/** A binary link frame; a data frame's body is a view into `bytes`. */
function decodeLinkFrame(bytes: Uint8Array): LinkFrame<Uint8Array> {
  const kind = bytes[1];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (kind) {
    case kindData: {
      if (bytes.byteLength <= dataHeaderBytes) throw new RemoteError("truncated-frame", `data frame of ${bytes.byteLength} bytes`);
      const seq = count(view.getFloat64(2, true), "seq");
      if (seq === 0) throw new RemoteError("bad-field", "link frame seq must be positive");
      return { t: "data", seq, ack: count(view.getFloat64(10, true), "ack"), body: tail(bytes, dataHeaderBytes) };
    }
    case kindPadded: {
      const pad = bytes[2];
      if (pad === undefined || bytes.byteLength <= paddedHeaderBytes) throw new RemoteError("truncated-frame", `padded data frame of ${bytes.byteLength} bytes`);
      if (pad >= payloadAlignBytes) throw new RemoteError("malformed-frame", `padded data frame with a pad of ${pad} bytes`);
      if (bytes.byteLength <= paddedHeaderBytes + pad) throw new RemoteError("truncated-frame", `padded data frame of ${bytes.byteLength} bytes`);
      const seq = count(view.getFloat64(3, true), "seq");
      if (seq === 0) throw new RemoteError("bad-field", "link frame seq must be positive");
      return { t: "data", seq, ack: count(view.getFloat64(11, true), "ack"), body: tail(bytes, paddedHeaderBytes + pad) };
    }
    case kindAck:
      if (bytes.byteLength !== 10) throw new RemoteError(bytes.byteLength < 10 ? "truncated-frame" : "malformed-frame", `ack frame of ${bytes.byteLength} bytes`);
      return { t: "ack", ack: count(view.getFloat64(2, true), "ack") };
    case kindHeartbeat:
      if (bytes.byteLength !== 2) throw new RemoteError("malformed-frame", `heartbeat frame of ${bytes.byteLength} bytes`);
      return { t: "hb" };
    case undefined:
      throw new RemoteError("truncated-frame", "link frame without a kind");
    default:
      throw new RemoteError("unknown-kind", `unknown link frame kind ${kind}`);
  }
}

const isBytes = (v: unknown, min: number, max: number): v is Uint8Array => v instanceof Uint8Array && v.byteLength >= min && v.byteLength <= max;
const isNodeName = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= 256;

const body = (v: unknown): Uint8Array => {
  if (!(v instanceof Uint8Array)) throw new RemoteError("bad-field", "data frame body must be bytes");
  return v;
};

const epochOf = (v: unknown): string => {
  if (v === undefined) return "";
  if (typeof v !== "string" || v.length > 64) throw new RemoteError("bad-field", "a handshake epoch must be a string of at most 64 characters");
  return v;
};

/** Decodes and validates one frame; every failure is a RemoteError. */
export function decodeFrame(bytes: Uint8Array): WireFrame {
  if (bytes.byteLength === 0) throw new RemoteError("truncated-frame", "empty frame");
  if (bytes.byteLength > maxPayloadBytes) throw new RemoteError("oversized-frame", `frame of ${bytes.byteLength} bytes`);
  if (bytes[0] === linkMark) return decodeLinkFrame(bytes);
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
      return { t: "hello", node: v["node"], target: v["target"], channel: v["channel"], nonce: v["nonce"], mac: v["mac"], epoch: epochOf(v["epoch"]) };
    case "welcome":
      if (!isBytes(v["mac"], 32, 32)) throw new RemoteError("bad-field", "welcome needs a 32-byte mac");
      return { t: "welcome", mac: v["mac"], epoch: epochOf(v["epoch"]) };
    default:
      return validateLinkFrame(v, body);
  }
}

/** Whether a WebSocket message is a batch of link frames (take it apart with `decodeBatch`). */
export const isBatch = (bytes: Uint8Array): boolean => bytes.byteLength >= 2 && bytes[0] === linkMark && bytes[1] === kindBatch;

/**
 * The link frames of a batch, in order; each is validated as `decodeFrame` validates a link frame,
 * and a data frame's body is a view into `bytes`.
 */
export function decodeBatch(bytes: Uint8Array): LinkFrame<Uint8Array>[] {
  // Senders cut batches at batchBytesMax; a larger one would make the receiver hold one object per
  // frame of up to 64 MiB of tiny frames at once, so it is refused.
  if (bytes.byteLength > batchBytesMax) throw new RemoteError("oversized-frame", `batch of ${bytes.byteLength} bytes, above ${batchBytesMax}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: LinkFrame<Uint8Array>[] = [];
  let at = 2;
  if (bytes.byteLength === at) throw new RemoteError("truncated-frame", "empty batch");
  while (at < bytes.byteLength) {
    if (at + 4 > bytes.byteLength) throw new RemoteError("truncated-frame", `batch ends inside a frame length at byte ${at}`);
    const length = view.getUint32(at, true);
    at += 4;
    if (length < 2 || at + length > bytes.byteLength) throw new RemoteError("truncated-frame", `batch frame of ${length} bytes at byte ${at} overruns the batch of ${bytes.byteLength}`);
    const frame = new Uint8Array(bytes.buffer, bytes.byteOffset + at, length);
    if (frame[0] !== linkMark || frame[1] === kindBatch) throw new RemoteError("malformed-frame", "a batch holds only link frames");
    frames.push(decodeLinkFrame(frame));
    at += length;
  }
  return frames;
}

/**
 * What goes on the socket for a burst of frames, in order: each run of two or more frames of at
 * most `coalesceFrameBytesMax` bytes becomes batches of at most `batchBytesMax`; every other
 * frame goes as it is (no copy).
 */
export function coalesce(frames: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < frames.length) {
    let j = i;
    let bytes = 2;
    while (j < frames.length && frames[j]!.byteLength <= coalesceFrameBytesMax && bytes + 4 + frames[j]!.byteLength <= batchBytesMax) bytes += 4 + frames[j++]!.byteLength;
    if (j - i < 2) {
      out.push(frames[i]!);
      i++;
      continue;
    }
    const batch = new Uint8Array(bytes);
    const view = new DataView(batch.buffer);
    batch[0] = linkMark;
    batch[1] = kindBatch;
    let at = 2;
    for (; i < j; i++) {
      const frame = frames[i]!;
      view.setUint32(at, frame.byteLength, true);
      batch.set(frame, at + 4);
      at += 4 + frame.byteLength;
    }
    out.push(batch);
  }
  return out;
}
