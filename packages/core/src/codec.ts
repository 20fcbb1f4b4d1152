/**
 * The wire codec: msgpackr with typed arrays preserved (`moreTypes`), so Float32Array payloads
 * travel as raw bytes and the simulator can charge the WAN the exact encoded size.
 *
 * The decoder trusts nothing. A frame that is too large, truncated, not msgpack, or msgpack of the
 * wrong shape becomes a `RemoteError` with a code; it never crashes the caller and never yields a
 * half-valid message.
 */
import { Packr } from "msgpackr";
import { RemoteError } from "./errors.js";
import type { Message } from "./messages.js";

/** Frames larger than this are refused before decoding. */
export const maxFrameBytesDefault = 64 * 1024 * 1024;

const packr = new Packr({ moreTypes: true, useRecords: false, mapsAsObjects: true, bundleStrings: false });

export function encodeValue(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes msgpack bytes into a plain value; every failure is a RemoteError. */
export function decodeValue(bytes: Uint8Array, maxBytes = maxFrameBytesDefault): unknown {
  if (!(bytes instanceof Uint8Array)) throw new RemoteError("malformed-frame", "frame is not binary");
  if (bytes.byteLength > maxBytes) throw new RemoteError("oversized-frame", `frame of ${bytes.byteLength} bytes exceeds ${maxBytes}`);
  if (bytes.byteLength === 0) throw new RemoteError("truncated-frame", "empty frame");
  try {
    return packr.unpack(bytes);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/end of/i.test(text)) throw new RemoteError("truncated-frame", text);
    throw new RemoteError("malformed-frame", text);
  }
}

export function encodeMessage(msg: Message): Uint8Array {
  return packr.pack(msg);
}

/** The number of bytes `msg` takes on the wire. */
export function encodedSize(msg: Message): number {
  return packr.pack(msg).byteLength;
}

export function decodeMessage(bytes: Uint8Array, maxBytes = maxFrameBytesDefault): Message {
  return validateMessage(decodeValue(bytes, maxBytes));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

const field = <T>(o: Record<string, unknown>, name: string, check: (v: unknown) => v is T, what: string): T => {
  const v = o[name];
  if (!check(v)) throw new RemoteError("bad-field", `${String(o["kind"])}.${name} must be ${what}`);
  return v;
};

const isClock = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v < 2 ** 31;
const isU32 = (v: unknown): v is Uint32Array => v instanceof Uint32Array;
const isF32 = (v: unknown): v is Float32Array => v instanceof Float32Array;
const isBool = (v: unknown): v is boolean => typeof v === "boolean";
const isName = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= 256;
const isNames = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.length <= 4096 && v.every(isName);
const isRowsOrNull = (v: unknown): v is Uint32Array | null => v === null || v instanceof Uint32Array;

const sameLength = (kind: string, indices: Uint32Array, values: Float32Array, perIndex = 1): void => {
  if (values.length !== indices.length * perIndex) throw new RemoteError("bad-field", `${kind}: ${values.length} values for ${indices.length} indices`);
};

/** Checks that a decoded value is a well-formed Message. Column counts are checked by the roles. */
export function validateMessage(value: unknown): Message {
  if (!isObject(value)) throw new RemoteError("malformed-frame", "a message must be a map");
  const kind = value["kind"];
  switch (kind) {
    case "read":
      return { kind, clock: field(value, "clock", isClock, "a clock"), rows: field(value, "rows", isRowsOrNull, "a Uint32Array or null") };
    case "read-reply":
      return { kind, clock: field(value, "clock", isClock, "a clock"), rows: field(value, "rows", isU32, "a Uint32Array"), values: field(value, "values", isF32, "a Float32Array") };
    case "push":
      return { kind, clock: field(value, "clock", isClock, "a clock"), rows: field(value, "rows", isU32, "a Uint32Array"), deltas: field(value, "deltas", isF32, "a Float32Array"), last: field(value, "last", isBool, "a boolean") };
    case "mirror-update": {
      const msg = {
        kind,
        shard: field(value, "shard", isClock, "a shard index"),
        clock: field(value, "clock", isClock, "a clock"),
        sources: field(value, "sources", isNames, "a list of data-center names"),
        indices: field(value, "indices", isU32, "a Uint32Array"),
        deltas: field(value, "deltas", isF32, "a Float32Array"),
      } as const;
      sameLength(kind, msg.indices, msg.deltas);
      return msg;
    }
    case "barrier":
      return {
        kind,
        shard: field(value, "shard", isClock, "a shard index"),
        clock: field(value, "clock", isClock, "a clock"),
        source: field(value, "source", isName, "a data-center name"),
        indices: field(value, "indices", isU32, "a Uint32Array"),
      };
    case "mirror-flush": {
      const msg = {
        kind,
        shard: field(value, "shard", isClock, "a shard index"),
        sources: field(value, "sources", isNames, "a list of data-center names"),
        indices: field(value, "indices", isU32, "a Uint32Array"),
        deltas: field(value, "deltas", isF32, "a Float32Array"),
      } as const;
      sameLength(kind, msg.indices, msg.deltas);
      return msg;
    }
    default:
      throw new RemoteError("unknown-kind", `unknown message kind ${JSON.stringify(kind)?.slice(0, 40)}`);
  }
}
