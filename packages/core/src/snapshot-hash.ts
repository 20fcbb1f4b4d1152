/**
 * A fingerprint of a role's snapshot (a shard's or a hub's `snapshot()`: plain data of objects,
 * arrays, maps, sets, typed arrays, numbers, strings, booleans and null), for the check that a
 * restored role holds exactly the state it was checkpointed with. FNV-1a (32 bits) over a walk
 * that tags every value with its type, takes object keys in sorted order and maps, sets and arrays
 * in their order, and typed arrays by their bytes: equal snapshots hash equal, and a value lost,
 * added, moved or changed in a restore changes the hash (up to collisions).
 */

const prime = 0x01000193;

class Fnv {
  h = 0x811c9dc5;

  byte(b: number): void {
    this.h = Math.imul(this.h ^ (b & 0xff), prime);
  }

  word(w: number): void {
    this.h = Math.imul(this.h ^ (w >>> 0), prime);
  }

  text(s: string): void {
    this.word(s.length);
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
  }
}

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);

function walk(f: Fnv, value: unknown): void {
  if (value === null || value === undefined) return f.byte(value === null ? 1 : 2);
  switch (typeof value) {
    case "number":
      f.byte(3);
      scratch[0] = value;
      f.word(scratchWords[0]!);
      f.word(scratchWords[1]!);
      return;
    case "string":
      f.byte(4);
      return f.text(value);
    case "boolean":
      return f.byte(value ? 5 : 6);
    case "bigint":
      f.byte(7);
      return f.text(value.toString());
    case "object":
      break;
    default:
      throw new Error(`snapshotHash: a ${typeof value} is not snapshot data`);
  }
  if (ArrayBuffer.isView(value)) {
    f.byte(8);
    f.text(value.constructor.name);
    // Word by word whatever the view's alignment (a deserialized checkpoint's arrays may start at
    // any byte of one shared buffer): an unaligned view is copied first.
    let bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    if (bytes.byteOffset % 4 !== 0) bytes = bytes.slice();
    f.word(bytes.length);
    const whole = bytes.length - (bytes.length % 4);
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, whole / 4);
    for (let i = 0; i < words.length; i++) f.word(words[i]!);
    for (let i = whole; i < bytes.length; i++) f.byte(bytes[i]!);
    return;
  }
  if (Array.isArray(value)) {
    f.byte(9);
    f.word(value.length);
    for (const v of value) walk(f, v);
    return;
  }
  if (value instanceof Map) {
    f.byte(10);
    f.word(value.size);
    for (const [k, v] of value) {
      walk(f, k);
      walk(f, v);
    }
    return;
  }
  if (value instanceof Set) {
    f.byte(11);
    f.word(value.size);
    for (const v of value) walk(f, v);
    return;
  }
  f.byte(12);
  const keys = Object.keys(value).sort();
  f.word(keys.length);
  for (const k of keys) {
    f.text(k);
    walk(f, (value as Record<string, unknown>)[k]);
  }
}

/** The fingerprint of `snapshot` (8 hex digits). */
export function snapshotHash(snapshot: unknown): string {
  const f = new Fnv();
  walk(f, snapshot);
  return (f.h >>> 0).toString(16).padStart(8, "0");
}
