/**
 * Streams a text file line by line through a synchronous callback: the file is read in 1 MiB
 * chunks, so memory holds one chunk and one partial line, never the file's text. Lines end with
 * "\n" (a "\r" before it is dropped); the last line needs no newline; a leading byte order mark is
 * dropped. Line numbers start at 1.
 */
import { createReadStream, statSync } from "node:fs";
import { resolve } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { WorkloadError } from "../errors.js";

/** The absolute path of `path` (relative paths are taken from `baseDir`, else the working directory). */
export function resolveDataPath(path: string, baseDir: string | undefined): string {
  return resolve(baseDir ?? process.cwd(), path);
}

/** Throws a WorkloadError naming the absolute path when `file` is not a readable regular file. */
export function checkReadable(file: string, what: string): void {
  let reason: string | null = null;
  try {
    if (!statSync(file).isFile()) reason = "not a regular file";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    reason = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (error as Error).message;
  }
  if (reason !== null) throw new WorkloadError(`cannot read ${what} ${file}: ${reason}`);
}

/** Calls `onLine(line, lineNumber)` for every line of `file`; returns the number of lines. */
export async function forEachLine(file: string, what: string, onLine: (line: string, lineNumber: number) => void): Promise<number> {
  checkReadable(file, what);
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  const decoder = new StringDecoder("utf8");
  let carry = "";
  let lineNumber = 0;
  const emit = (line: string): void => {
    lineNumber++;
    if (lineNumber === 1 && line.startsWith("\uFEFF")) line = line.slice(1);
    onLine(line.endsWith("\r") ? line.slice(0, -1) : line, lineNumber);
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const text = carry + decoder.write(chunk);
      let start = 0;
      for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", start)) {
        emit(text.slice(start, end));
        start = end + 1;
      }
      carry = text.slice(start);
    }
  } catch (error) {
    if (error instanceof WorkloadError) throw error;
    throw new WorkloadError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  } finally {
    stream.destroy();
  }
  const rest = carry + decoder.end();
  if (rest.length > 0) emit(rest);
  return lineNumber;
}

/** `file:line: field "name": expected ..., got "text"` as a WorkloadError. */
export function fieldError(file: string, line: number, field: string, expected: string, got: string): WorkloadError {
  return new WorkloadError(`${file}:${line}: field "${field}": expected ${expected}, got ${JSON.stringify(got)}`);
}

/** Counts in a Uint32Array that grows geometrically (x1.5) to hold the largest index seen. */
export class GrowingUint32 {
  array = new Uint32Array(1024);
  length = 0;
  /** Adds one at `index`, growing to hold it (new entries are zero). */
  increment(index: number): void {
    while (index >= this.array.length) {
      const next = new Uint32Array(Math.ceil(this.array.length * 1.5));
      next.set(this.array);
      this.array = next;
    }
    if (index >= this.length) this.length = index + 1;
    this.array[index]!++;
  }
  view(): Uint32Array {
    return this.array.subarray(0, this.length);
  }
}

/** The `delimiter` of forEachFieldLine that splits at runs of spaces and tabs. */
export const whitespace = -1;

/** One line split into fields, as byte offsets into `buf` (fields past `start.length` are counted, not kept). */
export interface FieldLine {
  buf: Buffer;
  readonly start: Int32Array;
  readonly end: Int32Array;
  count: number;
  lineStart: number;
  lineEnd: number;
}

/**
 * Streams `file` line by line, each split at `delimiter` (a byte, or `whitespace`), without making strings: the
 * callback reads fields as byte ranges (fieldText, parseUintAt, parseNumberAt). A "\r" before the
 * "\n" and a leading byte order mark are dropped. Returns the number of lines.
 */
export async function forEachFieldLine(file: string, what: string, delimiter: number, onLine: (fields: FieldLine, lineNumber: number) => void): Promise<number> {
  checkReadable(file, what);
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  const fields: FieldLine = { buf: Buffer.alloc(0), start: new Int32Array(64), end: new Int32Array(64), count: 0, lineStart: 0, lineEnd: 0 };
  let lineNumber = 0;
  const line = (buf: Buffer, from: number, to: number): void => {
    if (to > from && buf[to - 1] === 13) to--;
    lineNumber++;
    fields.buf = buf;
    fields.lineStart = from;
    fields.lineEnd = to;
    let count = 0;
    const max = fields.start.length;
    if (delimiter === whitespace) {
      // Fields are runs of non-blanks; blanks around them do not count.
      let i = from;
      while (i < to) {
        while (i < to && (buf[i] === 32 || buf[i] === 9)) i++;
        if (i === to) break;
        const fieldStart = i;
        while (i < to && buf[i] !== 32 && buf[i] !== 9) i++;
        if (count < max) {
          fields.start[count] = fieldStart;
          fields.end[count] = i;
        }
        count++;
      }
      fields.count = count;
      onLine(fields, lineNumber);
      return;
    }
    let fieldStart = from;
    for (let i = from; i < to; i++) {
      if (buf[i] === delimiter) {
        if (count < max) {
          fields.start[count] = fieldStart;
          fields.end[count] = i;
        }
        count++;
        fieldStart = i + 1;
      }
    }
    if (count < max) {
      fields.start[count] = fieldStart;
      fields.end[count] = to;
    }
    fields.count = count + 1;
    onLine(fields, lineNumber);
  };
  let rest: Buffer | null = null;
  let atStart = true;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf: Buffer = rest === null ? chunk : Buffer.concat([rest, chunk]);
      let from = 0;
      if (atStart && buf.length >= 3) {
        // A UTF-8 byte order mark (as some editors write) is not part of the first field.
        atStart = false;
        if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) from = 3;
      }
      for (let at = buf.indexOf(10, from); at >= 0; at = buf.indexOf(10, from)) {
        line(buf, from, at);
        from = at + 1;
      }
      rest = from < buf.length ? Buffer.from(buf.subarray(from)) : null;
    }
  } catch (error) {
    if (error instanceof WorkloadError) throw error;
    throw new WorkloadError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  } finally {
    stream.destroy();
  }
  if (rest !== null) line(rest, 0, rest.length);
  return lineNumber;
}

/** Field `k`'s text. */
export const fieldText = (f: FieldLine, k: number): string => f.buf.toString("utf8", f.start[k]!, f.end[k]!);

/** Whether the line holds only blanks. */
export function isBlank(f: FieldLine): boolean {
  for (let i = f.lineStart; i < f.lineEnd; i++) {
    const c = f.buf[i]!;
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/** Field `k` as a non-negative integer id (blanks around it allowed), or -1. */
export function parseUintAt(f: FieldLine, k: number): number {
  let s = f.start[k]!;
  let e = f.end[k]!;
  const buf = f.buf;
  while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
  while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
  if (s === e || e - s > 15) {
    if (e - s <= 15) return -1;
    const text = buf.toString("latin1", s, e);
    return /^\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : -1;
  }
  let value = 0;
  for (let i = s; i < e; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Field `k` as a finite decimal number, or NaN (the same values Number() gives, faster for plain decimals). */
export function parseNumberAt(f: FieldLine, k: number): number {
  let s = f.start[k]!;
  let e = f.end[k]!;
  const buf = f.buf;
  while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
  while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
  if (s === e) return NaN;
  let i = s;
  let negative = false;
  if (buf[i] === 45 || buf[i] === 43) negative = buf[i++] === 45;
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  let dot = false;
  for (; i < e; i++) {
    const c = buf[i]!;
    if (c === 46 && !dot) {
      dot = true;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) break;
    mantissa = mantissa * 10 + d;
    digits++;
    if (dot) fraction++;
  }
  if (i === e && digits > 0 && digits <= 15) {
    // Both integers are exact doubles, so the quotient is the correctly rounded value, as Number() gives.
    const value = fraction === 0 ? mantissa : mantissa / 10 ** fraction;
    return negative ? -value : value;
  }
  const text = buf.toString("latin1", s, e);
  const value = Number(text);
  return Number.isFinite(value) && !/^[+-]?0[xob]/i.test(text) && !/^[+-]?(Infinity|NaN)$/.test(text) ? value : NaN;
}

/**
 * Dense ids for raw ids in first-seen order: a direct Int32Array table for raw ids below 2^24 (4
 * bytes per possible id, grown geometrically; MovieLens and Netflix ids fit), a Map above.
 */
export class DenseIds {
  private table = new Int32Array(1024).fill(-1);
  private large: Map<number, number> | null = null;
  size = 0;

  /** The dense id of `raw`, or -1 when it was never added. */
  get(raw: number): number {
    if (raw < this.table.length) return this.table[raw]!;
    if (raw < 1 << 24) return -1;
    return this.large?.get(raw) ?? -1;
  }

  /** The dense id of `raw`, given the next one when it is new. */
  add(raw: number): number {
    if (raw < 1 << 24) {
      if (raw >= this.table.length) {
        const next = new Int32Array(Math.min(1 << 24, Math.max(raw + 1, Math.ceil(this.table.length * 1.5)))).fill(-1);
        next.set(this.table);
        this.table = next;
      }
      const id = this.table[raw]!;
      if (id >= 0) return id;
      this.table[raw] = this.size;
      return this.size++;
    }
    this.large ??= new Map();
    const id = this.large.get(raw);
    if (id !== undefined) return id;
    this.large.set(raw, this.size);
    return this.size++;
  }
}
