/**
 * The compact encoding of mirror traffic: which elements of a shard's row range changed, and by
 * how much, in as few bytes as the entries allow.
 *
 * Layout of a body (little-endian, varints are unsigned LEB128):
 *
 *   u8 values        0 = f32, 1 = f16, 2 = int8 (one f16 scale per row), 3 = integers
 *                    (zigzag varints; exact, chosen whatever the requested codec when every value
 *                    is an integer of magnitude at most 2^24 and it is no larger)
 *   varint cols      elements per row
 *   varint rowCount
 *   per row, rows ascending:
 *     varint (gap << 2 | mode)   gap = row - previous row - 1 (the first row: its index)
 *     mode 0 dense:   every column is present
 *     mode 1 bitmap:  ceil(cols / 8) bytes, bit k set when column k is present
 *     mode 2 list:    varint count, then count varints of column gaps
 *     int8 only: f16 scale, at least max|value| / 127 (so no value clips unless the scale saturates)
 *     the present values, in column order (4, 2 or 1 bytes each)
 *
 * Or, for integer values only, a flat list of entries (code 4), with no rows at all:
 *
 *   u8 4
 *   varint count
 *   per entry, offsets ascending: varint (gap << 3 | min(z, 7)), then varint (z - 7) when z >= 7
 *     gap = offset - previous offset - 1 (the first: its offset); z = zigzag(value)
 *
 * LDA's count deltas are mostly +-1 and +-2 a few columns apart, so most entries take one byte
 * with their position. A body takes the flat list when it is smaller than the rows.
 *
 * Each row takes whichever of dense, bitmap and list is smallest, so a body is never larger than
 * the entries need under this layout: a full row costs its values plus one or two bytes.
 *
 * Or, for float values (codes 0-2), the same rows and values with the positions range-coded
 * (code 5, `encodeCoded`), taken when it is smaller than the plain rows:
 *
 *   u8 5, u8 value codec (0-2), varint cols, varint rowCount, varint stream bytes,
 *   the stream (per row: row gap, entries - 1, column gaps; adaptive Elias gamma, range-coder.ts),
 *   then per row, as in the plain layout: (int8: f16 scale) and the present values
 *
 * A column gap is coded in the context of the gap before it, so the runs of neighbouring columns
 * in MNIST's rows (about 34 of 256 columns a row) cost a fraction of a bit each: positions fall
 * from about 0.65 bytes a value (bitmap or list) to about 0.35. The values are the plain layout's
 * bytes, so the layout changes sizes (and so timing), never values.

 * Lossy value codecs (f16, int8) are paired with error feedback by the sender: `encodeUpdate`
 * returns the values exactly as every receiver will decode them (`applied`), and the sender
 * subtracts those, not what it wanted to send, from its accumulators. The quantization error stays
 * accumulated and goes out later, so no update is lost.
 *
 * The decoder trusts nothing: a truncated body, a row or column out of range, a count that does
 * not fit, or a non-finite value is a RemoteError.
 */
import { RemoteError } from "./errors.js";
import { numberModel, RangeDecoder, RangeEncoder } from "./range-coder.js";

export type ValueEncoding = "f32" | "f16" | "int8";
export const valueEncodings: readonly ValueEncoding[] = ["f32", "f16", "int8"];

/** A decoded update: element offsets (ascending, unique) and their deltas. */
export interface SparseUpdate {
  readonly indices: Uint32Array;
  readonly deltas: Float32Array;
}

export interface EncodedUpdate {
  readonly body: Uint8Array;
  /** The values as every receiver decodes them (what error feedback subtracts). */
  readonly applied: Float32Array;
}

const codeOf: Record<ValueEncoding, number> = { f32: 0, f16: 1, int8: 2 };
/** Bytes per value of codes 0-2; code 3 (integers) is variable and has 0 here. */
const widthOf = [4, 2, 1, 0] as const;
const INTEGERS = 3;
const INTEGER_PAIRS = 4;
const CODED = 5;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** Bodies of fewer entries keep the plain layout without trying the coded one. */
const CODED_MIN_ENTRIES = 16;
/** Integers up to 2^24 are exact in f32, so an integer body decodes to what an f32 body would. */
const MAX_INTEGER = 2 ** 24;
const zigzag = (v: number): number => (v >= 0 ? 2 * v : -2 * v - 1);
const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
const DENSE = 0;
const BITMAP = 1;
const LIST = 2;

/** Writes `v` (unsigned, below 2^35) as a LEB128 varint at `at`; returns the offset after it. */
function putVarint(body: Uint8Array, at: number, v: number): number {
  while (v >= 0x80) {
    body[at++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  body[at++] = v;
  return at;
}

const varintSize = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);

/**
 * Encodes the entries `offsets[i] -> values[i]` (offsets ascending and unique) of a shard whose rows
 * have `cols` elements. Values are rounded to the chosen codec; `applied` says to what, and is the
 * same whichever layout is taken. `layouts.coded: false` keeps to the plain layouts (for tests and
 * benches that compare them).
 */
export function encodeUpdate(offsets: Uint32Array, values: ArrayLike<number>, cols: number, encoding: ValueEncoding, layouts: { readonly coded?: boolean } = {}): EncodedUpdate {
  const n = offsets.length;
  let integerBytes = 0;
  let pairBytes = 1 + varintSize(n);
  for (let k = 0; k < n; k++) {
    const v = values[k]!;
    // -0 is left to the float codecs, so an integer body decodes bit for bit as f32 would.
    if (!Number.isInteger(v) || Math.abs(v) > MAX_INTEGER || Object.is(v, -0)) {
      integerBytes = Infinity;
      pairBytes = Infinity;
      break;
    }
    const z = zigzag(v);
    integerBytes += varintSize(z);
    const gap = k === 0 ? offsets[0]! : offsets[k]! - offsets[k - 1]! - 1;
    pairBytes += varintSize(gap * 8 + Math.min(z, 7)) + (z >= 7 ? varintSize(z - 7) : 0);
  }
  const requested = codeOf[encoding];
  const bitmapBytes = (cols + 7) >> 3;
  // Pass 1: rows, their modes and the body's size.
  const rowStart: number[] = [];
  let size = 1 + varintSize(cols);
  let rowCount = 0;
  let previousRow = -1;
  let i = 0;
  const modes: number[] = [];
  let valueBytes = 0;
  let positionBytes = 0;
  while (i < n) {
    const row = Math.floor(offsets[i]! / cols);
    let j = i + 1;
    while (j < n && Math.floor(offsets[j]! / cols) === row) j++;
    const count = j - i;
    let listBytes = varintSize(count);
    let previousCol = -1;
    for (let k = i; k < j; k++) {
      const col = offsets[k]! - row * cols;
      listBytes += varintSize(col - previousCol - 1);
      previousCol = col;
    }
    const mode = count === cols ? DENSE : listBytes < bitmapBytes ? LIST : BITMAP;
    const gap = row - previousRow - 1;
    const positions = mode === DENSE ? 0 : mode === BITMAP ? bitmapBytes : listBytes;
    size += varintSize(gap * 4 + mode) + positions;
    positionBytes += positions;
    valueBytes += (requested === 2 ? 2 : 0) + count * widthOf[requested]!;
    rowStart.push(i);
    modes.push(mode);
    rowCount++;
    previousRow = row;
    i = j;
  }
  rowStart.push(n);
  size += varintSize(rowCount);
  const code = integerBytes <= valueBytes ? INTEGERS : requested;
  size += code === INTEGERS ? integerBytes : valueBytes;
  if (code === INTEGERS && pairBytes < size) return { body: integerPairs(offsets, values, pairBytes), applied: Float32Array.from(values) };
  // The coded layout saves on positions only, at several times the plain layout's CPU per entry:
  // it is tried where positions are at least a tenth of the plain body.
  if (code !== INTEGERS && n >= CODED_MIN_ENTRIES && positionBytes * 10 >= size && layouts.coded !== false) {
    const coded = encodeCoded(offsets, values, cols, code, rowStart, size, valueBytes);
    if (coded !== null) return coded;
  }

  // Pass 2: write.
  const body = new Uint8Array(size);
  const view = new DataView(body.buffer);
  const applied = new Float32Array(n);
  let at = 0;
  const varint = (v: number): void => {
    at = putVarint(body, at, v);
  };
  body[at++] = code;
  varint(cols);
  varint(rowCount);
  previousRow = -1;
  for (let r = 0; r < rowCount; r++) {
    const first = rowStart[r]!;
    const end = rowStart[r + 1]!;
    const row = Math.floor(offsets[first]! / cols);
    const mode = modes[r]!;
    varint((row - previousRow - 1) * 4 + mode);
    previousRow = row;
    if (mode === BITMAP) {
      for (let k = first; k < end; k++) {
        const col = offsets[k]! - row * cols;
        body[at + (col >> 3)]! |= 1 << (col & 7);
      }
      at += bitmapBytes;
    } else if (mode === LIST) {
      varint(end - first);
      let previousCol = -1;
      for (let k = first; k < end; k++) {
        const col = offsets[k]! - row * cols;
        varint(col - previousCol - 1);
        previousCol = col;
      }
    }
    if (code === INTEGERS) {
      for (let k = first; k < end; k++) {
        const v = values[k]!;
        varint(zigzag(v));
        applied[k] = v;
      }
    } else {
      at = writeRowValues(body, view, at, values, first, end, code, applied);
    }
  }
  return { body, applied };
}

/** The f16 scale of an int8 row: at least max|value| / 127, so no value clips unless it saturates. */
function rowScaleBits(values: ArrayLike<number>, first: number, end: number): number {
  let max = 0;
  for (let k = first; k < end; k++) max = Math.max(max, Math.abs(values[k]!));
  return halfScaleBits(max / 127);
}

const quantize = (v: number, scale: number): number => (scale === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(v / scale))));

/** Writes the values of one row (int8: its scale first) at `at`, as every receiver decodes them. */
function writeRowValues(body: Uint8Array, view: DataView, at: number, values: ArrayLike<number>, first: number, end: number, code: number, applied: Float32Array): number {
  if (code === 0) {
    for (let k = first; k < end; k++) {
      const v = Math.fround(values[k]!);
      view.setFloat32(at, v, true);
      applied[k] = v;
      at += 4;
    }
  } else if (code === 1) {
    for (let k = first; k < end; k++) {
      const bits = halfBits(values[k]!);
      view.setUint16(at, bits, true);
      applied[k] = halfValue(bits);
      at += 2;
    }
  } else {
    const scaleBits = rowScaleBits(values, first, end);
    const scale = halfValue(scaleBits);
    view.setUint16(at, scaleBits, true);
    at += 2;
    for (let k = first; k < end; k++) {
      const q = quantize(values[k]!, scale);
      body[at++] = q & 0xff;
      applied[k] = q === 0 ? 0 : Math.fround(q * scale);
    }
  }
  return at;
}

/**
 * The coded layout (code 5) of a float body: the plain layout's rows and values, with the
 * positions (row gaps, entries per row, column gaps) range-coded (range-coder.ts) instead of
 * written as varints and bitmaps. A column gap is coded in the context of the gap before it (0, 1,
 * or more), so runs of neighbouring columns, which MNIST's rows are full of, cost a fraction of a
 * bit. The values follow the stream exactly as the plain rows carry them.
 *
 *   u8 5, u8 value codec (0-2), varint cols, varint rowCount, varint stream bytes, the stream,
 *   then per row: (int8: f16 scale) and its values, as in the plain layout
 *
 * Returns null when it would not be smaller than `plainSize`.
 */
function encodeCoded(offsets: Uint32Array, values: ArrayLike<number>, cols: number, code: number, rowStart: readonly number[], plainSize: number, valueBytes: number): EncodedUpdate | null {
  const rowCount = rowStart.length - 1;
  const rc = new RangeEncoder(plainSize >> 2);
  const models = codedModels();
  let previousRow = -1;
  for (let r = 0; r < rowCount; r++) {
    const first = rowStart[r]!;
    const end = rowStart[r + 1]!;
    const row = Math.floor(offsets[first]! / cols);
    const base = row * cols;
    rc.number(models.rows, row - previousRow - 1);
    previousRow = row;
    rc.number(models.counts, end - first - 1);
    let previousCol = -1;
    let context = 1;
    for (let k = first; k < end; k++) {
      const gap = offsets[k]! - base - previousCol - 1;
      rc.number(models.gaps[context]!, gap);
      context = gap < 2 ? gap : 2;
      previousCol += gap + 1;
    }
  }
  const stream = rc.finish();
  const headBytes = 2 + varintSize(cols) + varintSize(rowCount) + varintSize(stream.byteLength);
  const size = headBytes + stream.byteLength + valueBytes;
  if (size >= plainSize) return null;
  const body = new Uint8Array(size);
  const view = new DataView(body.buffer);
  let at = 0;
  body[at++] = CODED;
  body[at++] = code;
  at = putVarint(body, at, cols);
  at = putVarint(body, at, rowCount);
  at = putVarint(body, at, stream.byteLength);
  body.set(stream, at);
  at += stream.byteLength;
  const applied = new Float32Array(offsets.length);
  for (let r = 0; r < rowCount; r++) at = writeRowValues(body, view, at, values, rowStart[r]!, rowStart[r + 1]!, code, applied);
  return { body, applied };
}

const codedModels = (): { rows: Uint16Array; counts: Uint16Array; gaps: Uint16Array[] } => ({ rows: numberModel(), counts: numberModel(), gaps: [numberModel(), numberModel(), numberModel()] });

/** Decodes a coded body (code 5) after its code byte; see `encodeCoded`. */
function decodeCoded(r: BodyReader, view: DataView, size: number): SparseUpdate {
  const body = r.body;
  const code = r.byte();
  if (code > 2) throw new RemoteError("bad-field", `coded update body has unknown value codec ${code}`);
  const width = widthOf[code as 0 | 1 | 2];
  const cols = r.varint();
  if (cols < 1 || cols > size) throw new RemoteError("bad-field", `update body has ${cols} columns for ${size} elements`);
  const rowsInRange = Math.floor(size / cols);
  const rowCount = r.varint();
  if (rowCount < 1 || rowCount > rowsInRange) throw new RemoteError("bad-field", `update body lists ${rowCount} rows of ${rowsInRange}`);
  const streamBytes = r.varint();
  r.need(streamBytes);
  const valuesAt = r.at + streamBytes;
  // Every entry's value follows the stream, so the entries are at most what those bytes can hold.
  const capacity = Math.min(rowCount * cols, Math.floor((body.byteLength - valuesAt) / width));
  const indices = new Uint32Array(capacity);
  const rowEnds = new Uint32Array(rowCount);
  const rowIds = new Uint32Array(rowCount);
  const rc = new RangeDecoder(body.subarray(0, valuesAt), r.at);
  const models = codedModels();
  let count = 0;
  let previousRow = -1;
  for (let k = 0; k < rowCount; k++) {
    const row = previousRow + 1 + rc.number(models.rows);
    if (row >= rowsInRange) throw new RemoteError("out-of-range", `update body names row ${row} of ${rowsInRange}`);
    previousRow = row;
    const present = rc.number(models.counts) + 1;
    if (present > cols) throw new RemoteError("bad-field", `update body row ${row} lists ${present} columns of ${cols}`);
    if (count + present > capacity) throw new RemoteError("truncated-frame", `update body ends at byte ${body.byteLength} before the values of row ${row}`);
    let col = -1;
    let context = 1;
    for (let k = 0; k < present; k++) {
      const gap = rc.number(models.gaps[context]!);
      col += gap + 1;
      if (col >= cols) throw new RemoteError("out-of-range", `update body names column ${col} of ${cols}`);
      indices[count++] = row * cols + col;
      context = gap < 2 ? gap : 2;
    }
    rowEnds[k] = count;
    rowIds[k] = row;
  }
  if (rc.offset !== valuesAt) throw new RemoteError("bad-field", `coded update stream ends at byte ${rc.offset}, not at ${valuesAt}`);
  r.at = valuesAt;
  const deltas = new Float32Array(count);
  for (let row = 0; row < rowCount; row++) readRowValues(r, view, code, deltas, row === 0 ? 0 : rowEnds[row - 1]!, rowEnds[row]!, rowIds[row]!);
  if (r.at !== body.byteLength) throw new RemoteError("bad-field", `update body has ${body.byteLength - r.at} trailing bytes`);
  return { indices: indices.subarray(0, count), deltas };
}

/** Reads the values of entries `first..end` of a row (int8: its scale first) at the reader. */
function readRowValues(r: BodyReader, view: DataView, code: number, deltas: Float32Array, first: number, end: number, row: number): void {
  const body = r.body;
  let scale = 1;
  if (code === 2) {
    r.need(2);
    scale = halfValue(view.getUint16(r.at, true));
    r.at += 2;
    if (!Number.isFinite(scale)) throw new RemoteError("bad-field", `update body row ${row} has a non-finite scale`);
  }
  const width = widthOf[code as 0 | 1 | 2];
  r.need((end - first) * width);
  let at = r.at;
  for (let k = first; k < end; k++) {
    let v: number;
    if (code === 0) v = view.getFloat32(at, true);
    else if (code === 1) v = halfValue(view.getUint16(at, true));
    else v = Math.fround(((body[at]! << 24) >> 24) * scale);
    at += width;
    if (!Number.isFinite(v)) throw new RemoteError("bad-field", `update body has a non-finite value at row ${row}`);
    deltas[k] = v;
  }
  r.at = at;
}

/** The flat integer layout (code 4) of `bytes` bytes; every value is an integer up to 2^24. */
function integerPairs(offsets: Uint32Array, values: ArrayLike<number>, bytes: number): Uint8Array {
  const body = new Uint8Array(bytes);
  let at = 0;
  const varint = (v: number): void => {
    at = putVarint(body, at, v);
  };
  body[at++] = INTEGER_PAIRS;
  varint(offsets.length);
  for (let k = 0; k < offsets.length; k++) {
    const z = zigzag(values[k]!);
    varint((k === 0 ? offsets[0]! : offsets[k]! - offsets[k - 1]! - 1) * 8 + Math.min(z, 7));
    if (z >= 7) varint(z - 7);
  }
  return body;
}

/** A cursor over an update body: every read past its end is a RemoteError. */
class BodyReader {
  constructor(
    readonly body: Uint8Array,
    public at = 0,
  ) {}

  need(bytes: number): void {
    if (this.at + bytes > this.body.byteLength) throw new RemoteError("truncated-frame", `update body ends at byte ${this.body.byteLength}, needed ${this.at + bytes}`);
  }

  byte(): number {
    this.need(1);
    return this.body[this.at++]!;
  }

  varint(): number {
    let v = 0;
    let scale = 1;
    for (let k = 0; k < 5; k++) {
      const b = this.byte();
      v += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return v;
      scale *= 128;
    }
    throw new RemoteError("bad-field", "update body has a varint longer than 5 bytes");
  }
}

/**
 * Decodes a body for a shard of `size` elements. Every failure is a RemoteError; the result's
 * indices are ascending and below `size`, and every delta is finite.
 */
/**
 * Bodies decoded, by body: in the simulator one body object reaches every mirror of its shard (ten
 * on ec2-11), and each used to decode it again. The result depends only on the bytes and `size`,
 * and no receiver writes to it (the shard adds it into its replica, the hub merges it into scratch
 * buffers), so it is shared. A body must not change after it was decoded; the encoders never
 * reuse one. In a real run each frame's body is new, so this only costs a lookup.
 */
const decoded = new WeakMap<Uint8Array, { readonly size: number; readonly update: SparseUpdate }>();

export function decodeUpdate(body: Uint8Array, size: number): SparseUpdate {
  if (!(body instanceof Uint8Array)) throw new RemoteError("bad-field", "an update body must be bytes");
  const known = decoded.get(body);
  if (known !== undefined && known.size === size) return known.update;
  const update = decodeFresh(body, size);
  decoded.set(body, { size, update });
  return update;
}

function decodeFresh(body: Uint8Array, size: number): SparseUpdate {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const r = new BodyReader(body);
  const code = r.byte();
  if (code === INTEGER_PAIRS) {
    const n = r.varint();
    if (n > size || n > body.byteLength - r.at) throw new RemoteError("bad-field", `update body lists ${n} entries for ${size} elements in ${body.byteLength - r.at} bytes`);
    const indices = new Uint32Array(n);
    const deltas = new Float32Array(n);
    let offset = -1;
    for (let k = 0; k < n; k++) {
      const head = r.varint();
      offset += 1 + Math.floor(head / 8);
      if (offset >= size) throw new RemoteError("out-of-range", `update body names element ${offset} of ${size}`);
      const z = head % 8 === 7 ? 7 + r.varint() : head % 8;
      if (z > 2 * MAX_INTEGER) throw new RemoteError("out-of-range", `update body has an integer beyond 2^24 at element ${offset}`);
      indices[k] = offset;
      deltas[k] = unzigzag(z);
    }
    if (r.at !== body.byteLength) throw new RemoteError("bad-field", `update body has ${body.byteLength - r.at} trailing bytes`);
    return { indices, deltas };
  }
  if (code === CODED) return decodeCoded(r, view, size);
  if (code > 3) throw new RemoteError("bad-field", `unknown value codec ${code}`);
  // Integers take at least one byte each, like int8 values.
  const width = code === INTEGERS ? 1 : widthOf[code as 0 | 1 | 2];
  const cols = r.varint();
  if (cols < 1 || cols > size) throw new RemoteError("bad-field", `update body has ${cols} columns for ${size} elements`);
  const rowsInRange = Math.floor(size / cols);
  const rowCount = r.varint();
  if (rowCount > rowsInRange) throw new RemoteError("bad-field", `update body lists ${rowCount} rows of ${rowsInRange}`);
  // Entries are at most what the remaining bytes can hold: `need` checks each row's values fit.
  const bitmapBytes = (cols + 7) >> 3;
  const capacity = Math.min(size, rowCount * cols, Math.floor((body.byteLength - r.at) / width));
  const indices = new Uint32Array(capacity);
  const deltas = new Float32Array(capacity);
  let count = 0;
  let previousRow = -1;
  const columns = new Uint32Array(cols);
  for (let rowIndex = 0; rowIndex < rowCount; rowIndex++) {
    const head = r.varint();
    const mode = head % 4;
    const row = previousRow + 1 + Math.floor(head / 4);
    if (row >= rowsInRange) throw new RemoteError("out-of-range", `update body names row ${row} of ${rowsInRange}`);
    previousRow = row;
    let present = 0;
    if (mode === DENSE) {
      for (let c = 0; c < cols; c++) columns[present++] = c;
    } else if (mode === BITMAP) {
      r.need(bitmapBytes);
      for (let c = 0; c < cols; c++) if ((body[r.at + (c >> 3)]! >> (c & 7)) & 1) columns[present++] = c;
      if ((cols & 7) !== 0 && body[r.at + bitmapBytes - 1]! >> (cols & 7) !== 0) throw new RemoteError("bad-field", "update bitmap sets a column past the row");
      r.at += bitmapBytes;
      if (present === 0) throw new RemoteError("bad-field", `update body row ${row} is empty`);
    } else if (mode === LIST) {
      const n = r.varint();
      if (n < 1 || n > cols) throw new RemoteError("bad-field", `update body row ${row} lists ${n} columns of ${cols}`);
      let previousCol = -1;
      for (let k = 0; k < n; k++) {
        const col = previousCol + 1 + r.varint();
        if (col >= cols) throw new RemoteError("out-of-range", `update body names column ${col} of ${cols}`);
        columns[present++] = col;
        previousCol = col;
      }
    } else {
      throw new RemoteError("bad-field", `unknown row mode ${mode}`);
    }
    if (code === INTEGERS) {
      r.need(present);
      for (let k = 0; k < present; k++) {
        const z = r.varint();
        if (z > 2 * MAX_INTEGER) throw new RemoteError("out-of-range", `update body has an integer beyond 2^24 at row ${row}`);
        indices[count] = row * cols + columns[k]!;
        deltas[count++] = unzigzag(z);
      }
      continue;
    }
    readRowValues(r, view, code, deltas, count, count + present, row);
    for (let k = 0; k < present; k++) indices[count++] = row * cols + columns[k]!;
  }
  if (r.at !== body.byteLength) throw new RemoteError("bad-field", `update body has ${body.byteLength - r.at} trailing bytes`);
  return { indices: indices.subarray(0, count), deltas: deltas.subarray(0, count) };
}

// IEEE 754 half precision, round to nearest even; values beyond the largest half clamp to it
// (the sender's error feedback keeps the rest).

export function halfBits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7bff; // non-finite in: clamp (never sent by a shard)
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7bff;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  if ((half & 0x7fff) >= 0x7c00) half = 0x7bff;
  return sign | half;
}

/** The smallest finite half at least `wanted` (>= 0), saturating at the largest half. */
function halfScaleBits(wanted: number): number {
  let bits = halfBits(wanted);
  if (halfValue(bits) < wanted && bits < 0x7bff) bits++;
  return bits;
}

export function halfValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
