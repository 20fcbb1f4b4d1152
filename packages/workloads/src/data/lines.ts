/**
 * Streams a text file line by line through a synchronous callback: the file is read in 1 MiB
 * chunks, so memory holds one chunk and one partial line, never the file's text. Lines end with
 * "\n" (a "\r" before it is dropped); the last line needs no newline. Line numbers start at 1.
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

/** A finite number written in decimal (no empty text, no hex, no "Infinity"). */
export function parseNumber(text: string, file: string, line: number, field: string): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (trimmed.length === 0 || !Number.isFinite(value) || /^[+-]?0[xob]/i.test(trimmed)) throw fieldError(file, line, field, "a number", text);
  return value;
}

/** A non-negative integer below 2^53 written in decimal. */
export function parseId(text: string, file: string, line: number, field: string, expected = "a non-negative integer id"): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw fieldError(file, line, field, expected, text);
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value)) throw fieldError(file, line, field, expected, text);
  return value;
}

/** A Uint32Array-backed list that grows geometrically (x1.5). */
export class GrowingUint32 {
  array = new Uint32Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.array.length) {
      const next = new Uint32Array(Math.ceil(this.array.length * 1.5));
      next.set(this.array);
      this.array = next;
    }
    this.array[this.length++] = value;
  }
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
