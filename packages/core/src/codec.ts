/**
 * The wire codec: msgpackr with typed arrays preserved (`moreTypes`), so Float32Array payloads
 * travel as raw bytes and the simulator can charge the WAN the exact encoded size.
 *
 * The decoder trusts nothing. A frame that is too large, truncated, not msgpack, or msgpack of the
 * wrong shape becomes a `RemoteError` with a code; it never crashes the caller and never yields a
 * half-valid message.
 */
import { simdBlockValues, simdOver } from "./finite-simd.js";
import { Packr, RESERVE_START_SPACE } from "msgpackr";
import { RemoteError } from "./errors.js";
import { decodeFlat, encodeFlat, notFlat, type Allocate, type Reserve } from "./flat-codec.js";

export { allocateSmall, smallBytesMax, viewBytesMin, type Allocate, type Reserve } from "./flat-codec.js";
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

/**
 * A message's bytes; with `reserve`, behind that many free bytes (the runtime writes its link
 * header there; a function chooses them from where the largest typed array lands, see `Reserve`). Flat messages take the fast path (flat-codec.ts), which writes msgpackr's bytes,
 * into memory from `allocate` (default: a fresh, zeroed Uint8Array; the reserved bytes are then
 * the caller's to fill, see `Allocate`).
 */
export function encodeMessage(msg: Message, reserve: Reserve = 0, allocate?: Allocate): Uint8Array {
  const flat = encodeFlat(msg, reserve, allocate);
  if (flat) return flat;
  const reserved = typeof reserve === "number" ? reserve : reserve(-1, 0);
  return reserved > 0 ? packr.pack(msg, RESERVE_START_SPACE | reserved) : packr.pack(msg);
}

/**
 * The number of bytes `msg` takes on the wire: exactly `encodeMessage(msg).byteLength`, computed
 * from the message's fields without encoding it (the simulator charges every message it sends).
 * It follows msgpackr's choices for this Packr: plain objects as map16, arrays as fixarray /
 * array16 / array32, strings by their UTF-8 length, integers in the smallest form, other numbers
 * as float64, and typed arrays as ext8 / ext16 / ext32 records of type "t". Anything else (a Map,
 * a Date, a Buffer, a class instance) is measured by encoding the message.
 */
export function encodedSize(msg: Message): number {
  let size = messageSize(msg);
  if (size < 0) size = valueSize(msg, 0);
  return size >= 0 ? size : packr.pack(msg).byteLength;
}

// Map keys with their string headers, and the kind values: "kind" + "push" is 5 + 5 bytes.
const KIND = 5;
const CLOCK = 6;
const ROWS = 5;
const SHARD = 6;
const DELTAS = 7;
const LAST = 5;
const LOCAL_CLOCK = 11;
const VALUES = 7;
const SOURCES = 8;
const SOURCE = 7;
const BODY = 5;

/**
 * Size of a message that has exactly its type's fields, read field by field: a generic walk over
 * the keys of six message shapes makes every property load megamorphic. The field count and
 * every field's type are checked (a message with a missing, extra or mistyped field gets -1 and
 * is measured the generic way).
 */
function messageSize(msg: Message): number {
  const fields = Object.keys(msg).length;
  let size: number;
  switch (msg.kind) {
    case "read":
      if (fields !== 3 || typeof msg.clock !== "number") return -1;
      size = msg.rows === null ? 1 : typedSize(msg.rows);
      return size < 0 ? -1 : 3 + KIND + 5 + CLOCK + numberSize(msg.clock) + ROWS + size;
    case "read-reply":
      if (fields !== 5 || typeof msg.clock !== "number" || typeof msg.localClock !== "number") return -1;
      size = typedSize(msg.rows) + typedSize(msg.values);
      return size < 0 ? -1 : 3 + KIND + 11 + CLOCK + numberSize(msg.clock) + LOCAL_CLOCK + numberSize(msg.localClock) + ROWS + VALUES + size;
    case "push":
      if (fields !== 5 || typeof msg.clock !== "number" || typeof msg.last !== "boolean") return -1;
      size = typedSize(msg.rows) + typedSize(msg.deltas);
      return size < 0 ? -1 : 3 + KIND + 5 + CLOCK + numberSize(msg.clock) + ROWS + DELTAS + LAST + 1 + size;
    case "mirror-update":
      if (fields !== 5 || typeof msg.shard !== "number" || typeof msg.clock !== "number" || !Array.isArray(msg.sources)) return -1;
      size = bytesSize(msg.body) + valueSize(msg.sources, 1);
      return size < 0 ? -1 : 3 + KIND + 14 + SHARD + numberSize(msg.shard) + CLOCK + numberSize(msg.clock) + SOURCES + BODY + size;
    case "barrier":
      if (fields !== 5 || typeof msg.shard !== "number" || typeof msg.clock !== "number" || typeof msg.source !== "string") return -1;
      size = typedSize(msg.rows);
      return size < 0 ? -1 : 3 + KIND + 8 + SHARD + numberSize(msg.shard) + CLOCK + numberSize(msg.clock) + SOURCE + stringSize(utf8Length(msg.source)) + ROWS + size;
    case "mirror-flush":
      if (fields !== 4 || typeof msg.shard !== "number" || !Array.isArray(msg.sources)) return -1;
      size = bytesSize(msg.body) + valueSize(msg.sources, 1);
      return size < 0 ? -1 : 3 + KIND + 13 + SHARD + numberSize(msg.shard) + SOURCES + BODY + size;
    default:
      return -1;
  }
}

/** A Uint32Array's or Float32Array's ext record, or a large negative number for anything else. */
function typedSize(v: unknown): number {
  if (typeof v !== "object" || v === null) return -1e9;
  const constructor = v.constructor;
  return constructor === Uint32Array || constructor === Float32Array ? typedArraySize((v as ArrayBufferView).byteLength) : -1e9;
}

/** A Uint8Array's ext record (msgpackr with moreTypes writes it like the other typed arrays). */
function bytesSize(v: unknown): number {
  if (typeof v !== "object" || v === null || v.constructor !== Uint8Array) return -1e9;
  return typedArraySize((v as Uint8Array).byteLength);
}

/** Bytes of a UTF-8 string of `bytes` bytes with its header. */
const stringSize = (bytes: number): number => bytes + (bytes < 0x20 ? 1 : bytes < 0x100 ? 2 : bytes < 0x10000 ? 3 : 5);

/** UTF-8 length as msgpackr writes it: a surrogate pair takes 4 bytes, a lone surrogate 3. */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if ((c & 0xfc00) === 0xd800 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // two code units, four bytes
      i++;
    } else n += 2;
  }
  return n;
}

/** Ext record size for a typed array of `bytes` bytes (one more byte holds its element type). */
const typedArraySize = (bytes: number): number => bytes + (bytes + 1 < 0x100 ? 4 : bytes + 1 < 0x10000 ? 5 : 7);

function numberSize(v: number): number {
  if (v >>> 0 === v) return v < 0x80 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : 5;
  if (v >> 0 === v) return v >= -0x20 ? 1 : v >= -0x80 ? 2 : v >= -0x8000 ? 3 : 5;
  return 9;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Encoded size of `v`, or -1 when it holds something this function does not model. */
function valueSize(v: unknown, depth: number): number {
  switch (typeof v) {
    case "number":
      return numberSize(v);
    case "string":
      return stringSize(utf8Length(v));
    case "boolean":
      return 1;
    case "undefined":
      return 3;
    case "object": {
      if (v === null) return 1;
      if (depth > 8) return -1;
      const constructor = (v as object).constructor;
      if (constructor === Uint32Array || constructor === Float32Array || constructor === Float64Array || constructor === Int32Array || constructor === Uint16Array || constructor === Int16Array || constructor === Int8Array || constructor === Uint8Array) {
        return typedArraySize((v as ArrayBufferView).byteLength);
      }
      if (constructor === Array) {
        const a = v as readonly unknown[];
        let size = a.length < 0x10 ? 1 : a.length < 0x10000 ? 3 : 5;
        for (let i = 0; i < a.length; i++) {
          const s = valueSize(a[i], depth + 1);
          if (s < 0) return -1;
          size += s;
        }
        return size;
      }
      if (constructor === Object) {
        const o = v as Record<string, unknown>;
        let size = 3; // map16, always
        const checkOwn = typeof o["hasOwnProperty"] === "function";
        for (const key in o) {
          if (checkOwn && !hasOwn.call(o, key)) continue;
          const s = valueSize(o[key], depth + 1);
          if (s < 0) return -1;
          size += stringSize(utf8Length(key)) + s;
        }
        return size;
      }
      return -1;
    }
    default:
      return -1;
  }
}

/**
 * Decodes and validates a message. `owned`: the caller owns `bytes` for as long as the message
 * lives (it is neither reused nor freed), so large typed arrays may be views of it (flat-codec.ts);
 * by default every typed array is a copy.
 */
export function decodeMessage(bytes: Uint8Array, maxBytes = maxFrameBytesDefault, owned = false): Message {
  if (bytes instanceof Uint8Array && bytes.byteLength <= maxBytes) {
    const flat = decodeFlat(bytes, owned);
    if (flat !== notFlat) return validateMessage(flat);
  }
  return validateMessage(decodeValue(bytes, maxBytes));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

const field = <T>(o: Record<string, unknown>, name: string, check: (v: unknown) => v is T, what: string): T => {
  const v = o[name];
  if (!check(v)) throw new RemoteError("bad-field", `${String(o["kind"])}.${name} must be ${what}`);
  return v;
};

const isClock = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v < 2 ** 31;
const isRound = (v: unknown): v is number => isClock(v) && v >= 1;
const isU32 = (v: unknown): v is Uint32Array => v instanceof Uint32Array;
const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const isF32 = (v: unknown): v is Float32Array => v instanceof Float32Array;
const isBool = (v: unknown): v is boolean => typeof v === "boolean";
const isName = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= 256;
const isNames = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.length <= 4096 && v.every(isName);
const isRowsOrNull = (v: unknown): v is Uint32Array | null => v === null || v instanceof Uint32Array;

/**
 * The largest magnitude a value on the wire may have. No model's parameter or update comes near it
 * (float32 ends at 3.4e38); a peer that sends more, or NaN or an infinity, could turn a replica
 * non-finite with a single message (3e38 + 3e38 overflows), so it is refused at the border. A
 * local program that produces such a value has diverged: the worker stops with a verdict instead
 * of sending it (worker.ts).
 */
export const valueMagnitudeMax = 1e30;
/** The same bound as a float32 holds it (1e30 itself rounds up a little). */
const magnitudeMaxF32 = Math.fround(valueMagnitudeMax);

/**
 * The bound for mirror traffic: accumulated sums of many bounded updates, so larger, but far from
 * float32's end (a replica needs hundreds of such additions to overflow).
 */
export const mirrorMagnitudeMax = 1e36;

const bitsOfF32 = (value: number): number => new Int32Array(Float32Array.of(value).buffer)[0]!;
const magnitudeMaxBits = bitsOfF32(magnitudeMaxF32);

/**
 * Index of the first value that is NaN, infinite or above `bound`; -1 when none.
 *
 * Every payload the runtime receives passes through here, so it reads the floats' bits: with the
 * sign cleared, a float32's bits order like its magnitude, and NaN and the infinities sit above
 * every finite bound. Adding `0x7fffffff - limit` to them sets bit 31 exactly for the values above
 * the limit, so eight values take one OR of their sums and one sign test (about three times as
 * fast as comparing the floats one by one, measured on 2.5M values); the block that fails is then
 * searched value by value. Where the engine has WebAssembly SIMD, payloads of 256 values or more
 * go through the same test four lanes at a time, in blocks copied into the module's memory
 * (finite-simd.ts): about 1.1 ms for 2.5M values here, against 4.1 ms in the JavaScript loop.
 */
export function firstNonFinite(values: Float32Array, bound = valueMagnitudeMax): number {
  // A bound of NaN admits nothing, as the comparison `|v| <= NaN` would.
  if (Number.isNaN(bound)) return values.length > 0 ? 0 : -1;
  const limit = bound === valueMagnitudeMax ? magnitudeMaxBits : bitsOfF32(Math.fround(bound) + 0);
  // A negative bound admits nothing either (and its bits would overflow the sums below).
  if (limit < 0) return values.length > 0 ? 0 : -1;
  const k = 0x7fffffff - limit;
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  const n = bits.length;
  let i = 0;
  const simd = n >= simdValuesMin ? simdOver() : null;
  if (simd !== null) {
    // Blocks through the SIMD check (finite-simd.ts); a block that fails is searched below.
    const { scratch, over } = simd;
    while (i + 16 <= n) {
      const count = Math.min(simdBlockValues, (n - i) & ~15);
      scratch.set(bits.subarray(i, i + count));
      if (over(0, count * 4, k) !== 0) {
        for (let j = i; j < i + count; j++) if ((bits[j]! & 0x7fffffff) > limit) return j;
      }
      i += count;
    }
  }
  for (; i + 8 <= n; i += 8) {
    const over =
      ((bits[i]! & 0x7fffffff) + k) |
      ((bits[i + 1]! & 0x7fffffff) + k) |
      ((bits[i + 2]! & 0x7fffffff) + k) |
      ((bits[i + 3]! & 0x7fffffff) + k) |
      ((bits[i + 4]! & 0x7fffffff) + k) |
      ((bits[i + 5]! & 0x7fffffff) + k) |
      ((bits[i + 6]! & 0x7fffffff) + k) |
      ((bits[i + 7]! & 0x7fffffff) + k);
    if (over < 0) break;
  }
  for (; i < n; i++) if ((bits[i]! & 0x7fffffff) > limit) return i;
  return -1;
}

/** Below this many values, the JavaScript loop alone (a block's copy and call cost more). */
const simdValuesMin = 256;

/** Throws a RemoteError when `values` holds a value `firstNonFinite` names. */
export function checkFinite(kind: string, name: string, values: Float32Array, bound = valueMagnitudeMax): void {
  const i = firstNonFinite(values, bound);
  if (i >= 0) throw new RemoteError("non-finite", `${kind}.${name}[${i}] is ${values[i]}, not a finite value of magnitude at most ${bound}`);
}

/**
 * Checks every float payload of a decoded message (read-reply values, push deltas, and any other
 * Float32Array field named values or deltas) with `checkFinite`, whatever its kind. The runtime
 * calls it on every message it decodes. Mirror bodies are encoded bytes: their values are checked
 * where they are decoded (decodeUpdate).
 */
export function checkMessageValues(msg: Message): void {
  const fields = msg as unknown as Record<string, unknown>;
  for (const name of ["values", "deltas"]) {
    const v = fields[name];
    if (v instanceof Float32Array) checkFinite(msg.kind, name, v);
  }
}

/** Streaming DiLoCo's optional fragment index (absent when a shard is one fragment). */
function fragmentOf(value: Record<string, unknown>): { fragment?: number } {
  return value["fragment"] === undefined ? {} : { fragment: field(value, "fragment", isClock, "a fragment index") };
}

/**
 * Checks that a decoded value is a well-formed Message. Column counts, and the contents of mirror
 * bodies (decodeUpdate), are checked by the roles.
 */
export function validateMessage(value: unknown): Message {
  if (!isObject(value)) throw new RemoteError("malformed-frame", "a message must be a map");
  const kind = value["kind"];
  switch (kind) {
    case "read":
      return { kind, clock: field(value, "clock", isClock, "a clock"), rows: field(value, "rows", isRowsOrNull, "a Uint32Array or null") };
    case "read-reply": {
      const msg = {
        kind,
        clock: field(value, "clock", isClock, "a clock"),
        localClock: field(value, "localClock", isClock, "a clock"),
        rows: field(value, "rows", isU32, "a Uint32Array"),
        values: field(value, "values", isF32, "a Float32Array"),
      } as const;
      checkFinite(kind, "values", msg.values);
      return msg;
    }
    case "push": {
      const msg = { kind, clock: field(value, "clock", isClock, "a clock"), rows: field(value, "rows", isU32, "a Uint32Array"), deltas: field(value, "deltas", isF32, "a Float32Array"), last: field(value, "last", isBool, "a boolean") } as const;
      checkFinite(kind, "deltas", msg.deltas);
      return msg;
    }
    case "mirror-update":
      return {
        kind,
        shard: field(value, "shard", isClock, "a shard index"),
        clock: field(value, "clock", isClock, "a clock"),
        sources: field(value, "sources", isNames, "a list of data-center names"),
        body: field(value, "body", isBytes, "bytes"),
      };
    case "barrier":
      return {
        kind,
        shard: field(value, "shard", isClock, "a shard index"),
        clock: field(value, "clock", isClock, "a clock"),
        source: field(value, "source", isName, "a data-center name"),
        rows: field(value, "rows", isU32, "a Uint32Array"),
      };
    case "mirror-flush":
      return {
        kind,
        shard: field(value, "shard", isClock, "a shard index"),
        sources: field(value, "sources", isNames, "a list of data-center names"),
        body: field(value, "body", isBytes, "bytes"),
      };
    case "outer-delta":
      return {
        kind,
        shard: field(value, "shard", isClock, "a shard index"),
        round: field(value, "round", isRound, "a round number >= 1"),
        source: field(value, "source", isName, "a data-center name"),
        last: field(value, "last", isBool, "a boolean"),
        body: field(value, "body", isBytes, "bytes"),
        ...fragmentOf(value),
      };
    case "outer-update":
      return {
        kind,
        shard: field(value, "shard", isClock, "a shard index"),
        round: field(value, "round", isRound, "a round number >= 1"),
        source: field(value, "source", isName, "a data-center name"),
        participants: field(value, "participants", isNames, "a list of data-center names"),
        body: field(value, "body", isBytes, "bytes"),
        ...fragmentOf(value),
      };
    default:
      throw new RemoteError("unknown-kind", `unknown message kind ${JSON.stringify(kind)?.slice(0, 40)}`);
  }
}
