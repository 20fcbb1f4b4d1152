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
 * no copy and no fresh buffer for the collector. Small ones, and ones that are a small part of the
 * memory behind them, are copied, so an array never keeps a much larger receive buffer alive.
 */

/** Typed arrays by msgpackr's type code (its `typedArrays` list). */
const typedByCode = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array] as const;
type Typed = InstanceType<(typeof typedByCode)[number]>;
const codeMap = new Map<unknown, number>(typedByCode.map((c, i) => [c, i]));
/** msgpackr's type code of a typed array's constructor (the message kinds' own first). */
const codeOf = (constructor: unknown): number | undefined => (constructor === Float32Array ? 7 : constructor === Uint32Array ? 6 : codeMap.get(constructor));

/** Typed arrays of at least this many bytes are decoded as views (when owned and aligned). */
export const viewBytesMin = 4096;

/**
 * ... and take at least 1/viewShareMin of the memory they would keep alive (a socket's read buffer
 * may hold other frames), so a view never holds more than 4 times its own size.
 */
const viewShareMin = 4;

/** What `decodeFlat` returns for bytes outside the fast path. */
export const notFlat: unique symbol = Symbol("not flat");

const isAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
};

/** Keys already known to be ASCII (a message's keys repeat). */
const asciiKeys = new Set<string>();
const asciiKeysMax = 256;

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
      const code = codeOf(v.constructor);
      if (code === undefined) return -1;
      const n = (v as Typed).byteLength;
      return extHeader(n) + n;
    }
    default:
      return -1;
  }
}

/** Writes a string's header and ASCII bytes at `at`; returns the position after it. */
function writeString(out: Uint8Array, view: DataView, at: number, s: string): number {
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
  return at;
}

/** Writes a number as msgpackr does; returns the position after it. */
function writeNumber(out: Uint8Array, view: DataView, at: number, v: number): number {
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
  return at;
}

/** Writes a typed array's ext record; returns the position after it. */
function writeTyped(out: Uint8Array, view: DataView, at: number, typed: Typed): number {
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
  out[at++] = codeOf(typed.constructor)!;
  const bytes = new Uint8Array(typed.buffer, typed.byteOffset, n);
  // TypedArray.prototype.set costs more than a loop for a few bytes.
  if (n <= 64) for (let i = 0; i < n; i++) out[at + i] = bytes[i]!;
  else out.set(bytes, at);
  return at + n;
}

/**
 * How many free bytes to keep in front of a message, given where its largest typed array's bytes
 * start in it and how many there are (-1 and 0 when it has none): so a caller can place that array
 * at an aligned offset.
 */
export type Reserve = number | ((payloadOffset: number, payloadBytes: number) => number);

/**
 * Where encoded bytes are written: a Uint8Array of exactly `bytes` bytes, at offset 0 of its own
 * buffer. The encoder writes every byte after the reserved ones, so memory that is not zeroed (a
 * runtime's allocator) is as good as fresh; the reserved bytes are the caller's to fill.
 */
export type Allocate = (bytes: number) => Uint8Array;

const zeroed: Allocate = (bytes) => new Uint8Array(bytes);

/**
 * The msgpack bytes of a flat message behind `reserve` free bytes, or null when it is not flat.
 * Identical to msgpackr's `pack(msg, RESERVE_START_SPACE | reserve)` (test/core/flat-codec.test.ts).
 */
export function encodeFlat(msg: object, reserve: Reserve = 0, allocate: Allocate = zeroed): Uint8Array | null {
  if (Object.getPrototypeOf(msg) !== Object.prototype) return null;
  const record = msg as Record<string, unknown>;
  let size = 3;
  let fields = 0;
  let payloadOffset = -1;
  let payloadBytes = 0;
  for (const key in record) {
    if (!Object.prototype.hasOwnProperty.call(record, key)) return null;
    if (!asciiKeys.has(key)) {
      if (!isAscii(key)) return null;
      if (asciiKeys.size < asciiKeysMax) asciiKeys.add(key);
    }
    const v = record[key];
    const s = flatValueSize(v);
    if (s < 0) return null;
    const keyBytes = strHeader(key.length) + key.length;
    if (typeof v === "object" && v !== null && (v as Typed).byteLength > payloadBytes) {
      payloadBytes = (v as Typed).byteLength;
      payloadOffset = size + keyBytes + s - payloadBytes;
    }
    size += keyBytes + s;
    fields++;
  }
  if (fields >= 0x10000) return null;
  const reserved = typeof reserve === "number" ? reserve : reserve(payloadOffset, payloadBytes);
  const out = allocate(reserved + size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = reserved;
  out[at] = 0xde;
  view.setUint16(at + 1, fields);
  at += 3;
  for (const key in record) {
    at = writeString(out, view, at, key);
    const v = record[key];
    if (typeof v === "number") at = writeNumber(out, view, at, v);
    else if (typeof v === "boolean") out[at++] = v ? 0xc3 : 0xc2;
    else if (typeof v === "string") at = writeString(out, view, at, v);
    else if (v === null) out[at++] = 0xc0;
    else at = writeTyped(out, view, at, v as Typed);
  }
  return out;
}

// The decoder's cursor (module state: the decoder is synchronous and not re-entrant).
const empty = new Uint8Array(0);
const emptyView = new DataView(empty.buffer);
let src: Uint8Array = empty;
let srcView: DataView = emptyView;
let pos = 0;
let end = 0;

/**
 * Strings seen before (keys and kinds), so that a known one is matched, not rebuilt; it starts
 * with the messages' own, so bytes from a peer cannot crowd them out.
 */
const stringCache: string[] = ["kind", "clock", "rows", "deltas", "last", "values", "localClock", "push", "read", "read-reply"];
const stringCacheMax = 64;

/** A string's length at `pos` (moving past its header), or -1 when no string starts there. */
function stringLength(): number {
  if (pos >= end) return -1;
  const b = src[pos]!;
  if (b >= 0xa0 && b <= 0xbf) {
    pos += 1;
    return b & 0x1f;
  }
  if (b === 0xd9 && pos + 2 <= end) {
    pos += 2;
    return src[pos - 1]!;
  }
  if (b === 0xda && pos + 3 <= end) {
    pos += 3;
    return srcView.getUint16(pos - 2);
  }
  if (b === 0xdb && pos + 5 <= end) {
    pos += 5;
    return srcView.getUint32(pos - 4);
  }
  return -1;
}

/** An ASCII string of `n` bytes at `pos`, or null. */
function asciiAt(n: number): string | null {
  if (n < 0 || pos + n > end) return null;
  if (n <= 16) {
    for (let c = 0; c < stringCache.length; c++) {
      const known = stringCache[c]!;
      if (known.length !== n) continue;
      let same = true;
      for (let i = 0; i < n; i++) {
        if (known.charCodeAt(i) !== src[pos + i]) {
          same = false;
          break;
        }
      }
      if (same) {
        pos += n;
        return known;
      }
    }
  }
  let s = "";
  for (let i = 0; i < n; i++) {
    const c = src[pos + i]!;
    if (c > 0x7f) return null;
    s += String.fromCharCode(c);
  }
  pos += n;
  if (n <= 16 && stringCache.length < stringCacheMax) stringCache.push(s);
  return s;
}

/** Small allocations (`allocateSmall`) are carved out of shared blocks of this size. */
const slabBytes = 64 * 1024;
/** The largest allocation `allocateSmall` takes from a shared block. */
export const smallBytesMax = 4 * 1024;
let slab: ArrayBuffer | null = null;
let slabAt = 0;

/**
 * `bytes` bytes (at most `smallBytesMax`), 8-aligned, carved out of a shared 64 kB block instead
 * of a buffer of their own. Every typed array above 64 bytes that V8 allocates gets its own backing
 * store, and that costs about 0.75 us for 1 kB, five times a view of a shared block (measured side
 * by side): at small messages it was a fifth of the runtime's CPU per message. The price is the
 * one Node's Buffer pool pays: memory that something keeps holds its whole block alive (at most
 * 64 kB per kept allocation). The block is never handed out twice: no reuse, so no aliasing.
 */
export function allocateSmall(bytes: number): Uint8Array {
  if (bytes > smallBytesMax) throw new RangeError(`allocateSmall takes at most ${smallBytesMax} bytes, not ${bytes}`);
  if (slab === null || slabAt + bytes > slabBytes) {
    slab = new ArrayBuffer(slabBytes);
    slabAt = 0;
  }
  const out = new Uint8Array(slab, slabAt, bytes);
  slabAt += (bytes + 7) & ~7;
  return out;
}

/** A typed array's ext record at `pos` (after its lead byte `b`), or notFlat. */
function typedAt(b: number, owned: boolean): Typed | typeof notFlat {
  const lengthBytes = b === 0xc7 ? 1 : b === 0xc8 ? 2 : 4;
  if (pos + 1 + lengthBytes + 2 > end) return notFlat;
  const length = lengthBytes === 1 ? src[pos + 1]! : lengthBytes === 2 ? srcView.getUint16(pos + 1) : srcView.getUint32(pos + 1);
  const start = pos + 1 + lengthBytes;
  if (length < 1 || src[start] !== 0x74 || start + 1 + length > end) return notFlat;
  const type = typedByCode[src[start + 1]!];
  const dataBytes = length - 1;
  if (type === undefined || dataBytes % type.BYTES_PER_ELEMENT !== 0) return notFlat;
  const from = start + 2;
  const absolute = src.byteOffset + from;
  pos = from + dataBytes;
  const count = dataBytes / type.BYTES_PER_ELEMENT;
  if (owned && dataBytes >= viewBytesMin && dataBytes * viewShareMin >= src.buffer.byteLength && absolute % type.BYTES_PER_ELEMENT === 0) return new type(src.buffer as ArrayBuffer, absolute, count);
  // A copy, made with the plain constructors (a Node Buffer's `slice` and `subarray` go through
  // Buffer's own, slower one), into a shared block where it is small. Even an array of a few bytes
  // goes there: V8 would keep a fresh one of up to 64 bytes on its heap, but the first read of its
  // `buffer` (writing its bytes, and every later encode of it) moves it off the heap into a
  // backing store of its own, which costs several times the block's view.
  const target = dataBytes <= smallBytesMax ? allocateSmall(dataBytes) : new Uint8Array(dataBytes);
  target.set(new Uint8Array(src.buffer, absolute, dataBytes));
  return new type(target.buffer as ArrayBuffer, target.byteOffset, count);
}

/** A scalar at `pos` (moving past it), or notFlat. */
function scalarAt(): unknown {
  const b = src[pos]!;
  let width: number;
  let value: unknown;
  if (b <= 0x7f) {
    pos += 1;
    return b;
  }
  if (b >= 0xe0) {
    pos += 1;
    return b - 0x100;
  }
  switch (b) {
    case 0xc0:
      pos += 1;
      return null;
    case 0xc2:
    case 0xc3:
      pos += 1;
      return b === 0xc3;
    case 0xcc:
      width = 2;
      if (pos + width <= end) value = src[pos + 1]!;
      break;
    case 0xcd:
      width = 3;
      if (pos + width <= end) value = srcView.getUint16(pos + 1);
      break;
    case 0xce:
      width = 5;
      if (pos + width <= end) value = srcView.getUint32(pos + 1);
      break;
    case 0xd0:
      width = 2;
      if (pos + width <= end) value = srcView.getInt8(pos + 1);
      break;
    case 0xd1:
      width = 3;
      if (pos + width <= end) value = srcView.getInt16(pos + 1);
      break;
    case 0xd2:
      width = 5;
      if (pos + width <= end) value = srcView.getInt32(pos + 1);
      break;
    case 0xcb:
      width = 9;
      if (pos + width <= end) value = srcView.getFloat64(pos + 1);
      break;
    default:
      return notFlat;
  }
  if (value === undefined) return notFlat;
  pos += width;
  return value;
}

/**
 * A flat message decoded from `bytes` (a plain object, as msgpackr gives it), or `notFlat`.
 * `owned`: the caller owns `bytes` for as long as the message lives, so large aligned typed arrays
 * may be views of it; otherwise every typed array is a copy.
 */
export function decodeFlat(bytes: Uint8Array, owned: boolean): Record<string, unknown> | typeof notFlat {
  src = bytes;
  srcView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  end = bytes.byteLength;
  pos = 0;
  try {
    return readFlat(owned);
  } finally {
    // Let the bytes go.
    src = empty;
    srcView = emptyView;
  }
}

function readFlat(owned: boolean): Record<string, unknown> | typeof notFlat {
  let fields: number;
  const head = src[0];
  if (head === undefined) return notFlat;
  if (head >= 0x80 && head <= 0x8f) {
    fields = head & 0x0f;
    pos = 1;
  } else if (head === 0xde && end >= 3) {
    fields = srcView.getUint16(1);
    pos = 3;
  } else return notFlat;
  const out: Record<string, unknown> = {};
  for (let f = 0; f < fields; f++) {
    const key = asciiAt(stringLength());
    if (key === null || key === "__proto__" || pos >= end) return notFlat;
    const b = src[pos]!;
    let value: unknown;
    if ((b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb)) {
      value = asciiAt(stringLength());
      if (value === null) return notFlat;
    } else if (b >= 0xc7 && b <= 0xc9) value = typedAt(b, owned);
    else value = scalarAt();
    if (value === notFlat) return notFlat;
    out[key] = value;
  }
  return pos === end ? out : notFlat;
}
