/**
 * The codec's fast path for flat messages: a map whose keys are ASCII strings and whose values are
 * numbers, booleans, null, ASCII strings or typed arrays (every push, read and read reply; the
 * bulk of the traffic). It writes exactly the bytes msgpackr writes for them with the codec's
 * options (map16; integers in the smallest form, other numbers as float64; fixstr / str8 / str16 /
 * str32; typed arrays as ext records of type "t"), so sizes and the simulator's charges do not
 * change; and it reads them back the way msgpackr does. Anything else (nested arrays or maps,
 * undefined, non-ASCII text, trailing bytes, a typed array of a length its element size does not
 * divide, a key `__proto__`) is not flat: the encoder returns null and the decoder `notFlat`, and
 * the caller uses msgpackr, so errors and edge cases stay exactly msgpackr's.
 *
 * Why: msgpackr copies every typed array it reads (to align it) and walks every message
 * generically. Here a typed array of at least `viewBytesMin` bytes whose bytes are aligned for its
 * element type is handed out as a view of the received bytes when the caller owns them (`owned`):
 * no copy and no fresh buffer for the collector. Small ones are copied, so a tiny array never keeps
 * a large receive buffer alive.
 */

/** Typed arrays by msgpackr's type code (its `typedArrays` list). */
const typedByCode = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array] as const;
type Typed = InstanceType<(typeof typedByCode)[number]>;
const codeOf = new Map<unknown, number>(typedByCode.map((c, i) => [c, i]));

/** A copy, also of a Node Buffer (whose own `slice` is a view). */
const sliceCopy = Uint8Array.prototype.slice;

/** Typed arrays of at least this many bytes are decoded as views (when owned and aligned). */
export const viewBytesMin = 4096;

/** What `decodeFlat` returns for bytes outside the fast path. */
export const notFlat: unique symbol = Symbol("not flat");

const isAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
};

const strHeader = (n: number): number => (n < 0x20 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5);
const numberBytes = (v: number): number => {
  if (v >>> 0 === v) return v < 0x80 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : 5;
  if (v >> 0 === v) return v >= -0x20 ? 1 : v >= -0x80 ? 2 : v >= -0x8000 ? 3 : 5;
  return 9;
};
const extHeader = (bytes: number): number => (bytes + 1 < 0x100 ? 4 : bytes + 1 < 0x10000 ? 5 : 7);

/** Encoded size of a flat value, or -1 when it is not one. */
function flatValueSize(v: unknown): number {
  switch (typeof v) {
    case "number":
      return numberBytes(v);
    case "boolean":
      return 1;
    case "string":
      return isAscii(v) ? strHeader(v.length) + v.length : -1;
    case "object": {
      if (v === null) return 1;
      const code = codeOf.get(v.constructor);
      if (code === undefined) return -1;
      const n = (v as Typed).byteLength;
      return extHeader(n) + n;
    }
    default:
      return -1;
  }
}

/**
 * The msgpack bytes of a flat message behind `reserve` free bytes, or null when it is not flat.
 * Identical to msgpackr's `pack(msg, RESERVE_START_SPACE | reserve)` (test/core/flat-codec.test.ts).
 */
export function encodeFlat(msg: object, reserve = 0): Uint8Array | null {
  if (Object.getPrototypeOf(msg) !== Object.prototype) return null;
  const record = msg as Record<string, unknown>;
  let size = 3;
  let fields = 0;
  for (const key in record) {
    if (!Object.prototype.hasOwnProperty.call(record, key)) return null;
    if (!isAscii(key)) return null;
    const s = flatValueSize(record[key]);
    if (s < 0) return null;
    size += strHeader(key.length) + key.length + s;
    fields++;
  }
  if (fields >= 0x10000) return null;
  const out = new Uint8Array(reserve + size);
  const view = new DataView(out.buffer);
  let at = reserve;
  out[at] = 0xde;
  view.setUint16(at + 1, fields);
  at += 3;
  const writeString = (s: string): void => {
    const n = s.length;
    if (n < 0x20) out[at++] = 0xa0 | n;
    else if (n < 0x100) {
      out[at++] = 0xd9;
      out[at++] = n;
    } else if (n < 0x10000) {
      out[at] = 0xda;
      view.setUint16(at + 1, n);
      at += 3;
    } else {
      out[at] = 0xdb;
      view.setUint32(at + 1, n);
      at += 5;
    }
    for (let i = 0; i < n; i++) out[at++] = s.charCodeAt(i);
  };
  for (const key in record) {
    writeString(key);
    const v = record[key];
    if (typeof v === "number") {
      if (v >>> 0 === v) {
        if (v < 0x80) out[at++] = v;
        else if (v < 0x100) {
          out[at++] = 0xcc;
          out[at++] = v;
        } else if (v < 0x10000) {
          out[at] = 0xcd;
          view.setUint16(at + 1, v);
          at += 3;
        } else {
          out[at] = 0xce;
          view.setUint32(at + 1, v);
          at += 5;
        }
      } else if (v >> 0 === v) {
        if (v >= -0x20) out[at++] = v & 0xff;
        else if (v >= -0x80) {
          out[at++] = 0xd0;
          out[at++] = v & 0xff;
        } else if (v >= -0x8000) {
          out[at] = 0xd1;
          view.setInt16(at + 1, v);
          at += 3;
        } else {
          out[at] = 0xd2;
          view.setInt32(at + 1, v);
          at += 5;
        }
      } else {
        out[at] = 0xcb;
        view.setFloat64(at + 1, v);
        at += 9;
      }
    } else if (typeof v === "boolean") out[at++] = v ? 0xc3 : 0xc2;
    else if (typeof v === "string") writeString(v);
    else if (v === null) out[at++] = 0xc0;
    else {
      const typed = v as Typed;
      const n = typed.byteLength;
      if (n + 1 < 0x100) {
        out[at++] = 0xc7;
        out[at++] = n + 1;
      } else if (n + 1 < 0x10000) {
        out[at] = 0xc8;
        view.setUint16(at + 1, n + 1);
        at += 3;
      } else {
        out[at] = 0xc9;
        view.setUint32(at + 1, n + 1);
        at += 5;
      }
      out[at++] = 0x74;
      out[at++] = codeOf.get(typed.constructor)!;
      out.set(new Uint8Array(typed.buffer, typed.byteOffset, n), at);
      at += n;
    }
  }
  return out;
}

/**
 * A flat message decoded from `bytes` (a plain object, as msgpackr gives it), or `notFlat`.
 * `owned`: the caller owns `bytes` for as long as the message lives, so large aligned typed arrays
 * may be views of it; otherwise every typed array is a copy.
 */
export function decodeFlat(bytes: Uint8Array, owned: boolean): Record<string, unknown> | typeof notFlat {
  const end = bytes.byteLength;
  const view = new DataView(bytes.buffer, bytes.byteOffset, end);
  let at = 0;
  let fields: number;
  const head = bytes[0]!;
  if (head >= 0x80 && head <= 0x8f) {
    fields = head & 0x0f;
    at = 1;
  } else if (head === 0xde && end >= 3) {
    fields = view.getUint16(1);
    at = 3;
  } else return notFlat;
  const out: Record<string, unknown> = {};
  /** A string's length at `at` (moving past its header), or -1 when no string starts there. */
  const stringLength = (): number => {
    if (at >= end) return -1;
    const b = bytes[at]!;
    if (b >= 0xa0 && b <= 0xbf) {
      at += 1;
      return b & 0x1f;
    }
    if (b === 0xd9 && at + 2 <= end) {
      at += 2;
      return bytes[at - 1]!;
    }
    if (b === 0xda && at + 3 <= end) {
      at += 3;
      return view.getUint16(at - 2);
    }
    if (b === 0xdb && at + 5 <= end) {
      at += 5;
      return view.getUint32(at - 4);
    }
    return -1;
  };
  /** An ASCII string of `n` bytes at `at`, or null. */
  const ascii = (n: number): string | null => {
    if (n < 0 || at + n > end) return null;
    let s = "";
    for (let i = 0; i < n; i++) {
      const c = bytes[at + i]!;
      if (c > 0x7f) return null;
      s += String.fromCharCode(c);
    }
    at += n;
    return s;
  };
  for (let f = 0; f < fields; f++) {
    const key = ascii(stringLength());
    if (key === null || key === "__proto__") return notFlat;
    if (at >= end) return notFlat;
    const b = bytes[at]!;
    let value: unknown;
    let width = 0;
    if (b <= 0x7f) {
      value = b;
      width = 1;
    } else if (b >= 0xe0) {
      value = b - 0x100;
      width = 1;
    } else if (b >= 0xa0 && b <= 0xbf || (b >= 0xd9 && b <= 0xdb)) {
      const s = ascii(stringLength());
      if (s === null) return notFlat;
      out[key] = s;
      continue;
    } else {
      switch (b) {
        case 0xc0:
          value = null;
          width = 1;
          break;
        case 0xc2:
        case 0xc3:
          value = b === 0xc3;
          width = 1;
          break;
        case 0xcc:
          width = 2;
          if (at + width <= end) value = bytes[at + 1]!;
          break;
        case 0xcd:
          width = 3;
          if (at + width <= end) value = view.getUint16(at + 1);
          break;
        case 0xce:
          width = 5;
          if (at + width <= end) value = view.getUint32(at + 1);
          break;
        case 0xd0:
          width = 2;
          if (at + width <= end) value = view.getInt8(at + 1);
          break;
        case 0xd1:
          width = 3;
          if (at + width <= end) value = view.getInt16(at + 1);
          break;
        case 0xd2:
          width = 5;
          if (at + width <= end) value = view.getInt32(at + 1);
          break;
        case 0xcb:
          width = 9;
          if (at + width <= end) value = view.getFloat64(at + 1);
          break;
        case 0xc7:
        case 0xc8:
        case 0xc9: {
          const lengthBytes = b === 0xc7 ? 1 : b === 0xc8 ? 2 : 4;
          if (at + 1 + lengthBytes + 2 > end) return notFlat;
          const length = lengthBytes === 1 ? bytes[at + 1]! : lengthBytes === 2 ? view.getUint16(at + 1) : view.getUint32(at + 1);
          const start = at + 1 + lengthBytes;
          if (length < 1 || bytes[start] !== 0x74 || start + 1 + length > end) return notFlat;
          const type = typedByCode[bytes[start + 1]!];
          const dataBytes = length - 1;
          if (type === undefined || dataBytes % type.BYTES_PER_ELEMENT !== 0) return notFlat;
          const from = start + 2;
          const absolute = bytes.byteOffset + from;
          value =
            owned && dataBytes >= viewBytesMin && absolute % type.BYTES_PER_ELEMENT === 0
              ? new type(bytes.buffer as ArrayBuffer, absolute, dataBytes / type.BYTES_PER_ELEMENT)
              : new type(sliceCopy.call(bytes, from, from + dataBytes).buffer);
          at = from + dataBytes;
          out[key] = value;
          continue;
        }
        default:
          return notFlat;
      }
    }
    if (value === undefined || at + width > end) return notFlat;
    out[key] = value;
    at += width;
  }
  return at === end ? out : notFlat;
}
