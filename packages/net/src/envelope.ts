/**
 * The runtime's wire envelope: link frames (data / ack / heartbeat, see core's reliable.ts) and the
 * authentication handshake, packed with msgpackr. Role messages travel inside data frames as the
 * bytes of core's codec (`encodeMessage`), so the simulator and the runtime charge the same sizes.
 *
 * Every decoded frame is checked by a strict validator: anything that is not exactly one of the
 * shapes below is a RemoteError, and the transport closes that connection and counts it.
 */
import { Packr } from "msgpackr";
import { RemoteError, validateLinkFrame, type LinkFrame } from "@gaia/core";

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
}

/** Listener -> dialer: the listener's own proof; after it, link frames flow both ways. */
export interface Welcome {
  readonly t: "welcome";
  readonly mac: Uint8Array;
}

export type HandshakeFrame = Challenge | Hello | Welcome;
export type WireFrame = HandshakeFrame | LinkFrame<Uint8Array>;

const packr = new Packr({ moreTypes: true, useRecords: false, mapsAsObjects: true, bundleStrings: false });

export const maxPayloadBytes = 64 * 1024 * 1024;

export function encodeFrame(frame: WireFrame): Uint8Array {
  return packr.pack(frame);
}

const isBytes = (v: unknown, min: number, max: number): v is Uint8Array => v instanceof Uint8Array && v.byteLength >= min && v.byteLength <= max;
const isNodeName = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= 256;

const body = (v: unknown): Uint8Array => {
  if (!(v instanceof Uint8Array)) throw new RemoteError("bad-field", "data frame body must be bytes");
  return v;
};

/** Decodes and validates one frame; every failure is a RemoteError. */
export function decodeFrame(bytes: Uint8Array): WireFrame {
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
