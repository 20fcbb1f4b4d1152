/**
 * An adaptive binary range coder (the one LZMA uses: 11-bit probabilities, shift-5 adaptation,
 * carry propagation through a cached byte), for the coded layout of update bodies.
 *
 * A model is a Uint16Array of probabilities that the next bit is 0, all starting at one half. The
 * encoder and the decoder update their models the same way, so a decoder that reads what an
 * encoder wrote sees the same bits; a stream of `k` normalisations is exactly `k + 5` bytes, and
 * its first byte is always 0. Every read past the end of the body is a RemoteError, as is a first
 * byte that is not 0.
 *
 * Deterministic, pure arithmetic on numbers below 2^40: no floating-point rounding is involved.
 */
import { RemoteError } from "./errors.js";

const BITS = 11;
const ONE = 1 << BITS;
const HALF = ONE >> 1;
const MOVE = 5;
const TOP = 2 ** 24;
const WRAP = 2 ** 32;

/** Probabilities a model for `number` needs: unary lengths 1-33, then one bit per length. */
const NUMBER_MODEL = 67;

/** A fresh model for `number`: every probability one half. */
export const numberModel = (): Uint16Array => new Uint16Array(NUMBER_MODEL).fill(HALF);

export class RangeEncoder {
  private low = 0;
  private range = 0xffffffff;
  private cache = 0;
  private cacheSize = 1;
  private out: Uint8Array;
  private at = 0;

  constructor(expectedBytes = 256) {
    this.out = new Uint8Array(Math.max(16, expectedBytes));
  }

  bit(model: Uint16Array, index: number, bit: number): void {
    const p = model[index]!;
    const bound = (this.range >>> BITS) * p;
    if (bit === 0) {
      this.range = bound;
      model[index] = p + ((ONE - p) >> MOVE);
    } else {
      this.low += bound;
      this.range -= bound;
      model[index] = p - (p >> MOVE);
    }
    // A probability is at least 31/2048, so one shift brings the range back above 2^24.
    if (this.range < TOP) {
      this.range = (this.range << 8) >>> 0;
      this.shiftLow();
    }
  }

  /**
   * `count` bits of `value` (below 2^count) at uniform probability, no model: up to 8 bits at a
   * time, each chunk one step of the coder (the range divided by 2^bits).
   */
  direct(value: number, count: number): void {
    while (count > 0) {
      const bits = count > 8 ? 8 : count;
      count -= bits;
      const chunk = Math.floor(value / 2 ** count) % (1 << bits);
      this.range = this.range >>> bits;
      this.low += chunk * this.range;
      if (this.range < TOP) {
        this.range = (this.range << 8) >>> 0;
        this.shiftLow();
      }
    }
  }

  /**
   * A number below 2^32 as Elias gamma of `value + 1` through a `numberModel()`: its bit length
   * in unary (adaptive), the bit below the leading one (adaptive, by length), then the rest direct. Small numbers, the common case, cost a few adaptive bits.
   */
  number(model: Uint16Array, value: number): void {
    const v = value + 1;
    const length = v >= WRAP ? 33 : 32 - Math.clz32(v);
    for (let k = 1; k < length; k++) this.bit(model, k, 1);
    this.bit(model, length, 0);
    if (length > 1) {
      const rest = v - 2 ** (length - 1);
      const top = Math.floor(rest / 2 ** (length - 2));
      this.bit(model, 33 + length, top);
      if (length > 2) this.direct(rest - top * 2 ** (length - 2), length - 2);
    }
  }

  /** Flushes and returns the stream. */
  finish(): Uint8Array {
    for (let k = 0; k < 5; k++) this.shiftLow();
    return this.out.subarray(0, this.at);
  }

  private shiftLow(): void {
    if (this.low < 0xff000000 || this.low >= WRAP) {
      const carry = this.low >= WRAP ? 1 : 0;
      let temp = this.cache;
      do {
        this.put((temp + carry) & 0xff);
        temp = 0xff;
      } while (--this.cacheSize !== 0);
      this.cache = Math.floor((this.low % WRAP) / TOP);
    }
    this.cacheSize++;
    this.low = (this.low % TOP) * 256;
  }

  private put(byte: number): void {
    if (this.at === this.out.length) {
      const grown = new Uint8Array(this.out.length * 2);
      grown.set(this.out);
      this.out = grown;
    }
    this.out[this.at++] = byte;
  }
}

export class RangeDecoder {
  private range = 0xffffffff;
  private code = 0;
  private at: number;

  constructor(
    private readonly body: Uint8Array,
    start: number,
  ) {
    this.at = start;
    if (this.next() !== 0) throw new RemoteError("bad-field", "coded update body does not start its stream with 0");
    for (let k = 0; k < 4; k++) this.code = ((this.code << 8) | this.next()) >>> 0;
  }

  /** The offset after the last byte read. */
  get offset(): number {
    return this.at;
  }

  bit(model: Uint16Array, index: number): number {
    const p = model[index]!;
    const bound = (this.range >>> BITS) * p;
    let bit: number;
    if (this.code < bound) {
      this.range = bound;
      model[index] = p + ((ONE - p) >> MOVE);
      bit = 0;
    } else {
      this.code -= bound;
      this.range -= bound;
      model[index] = p - (p >> MOVE);
      bit = 1;
    }
    if (this.range < TOP) {
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.next()) >>> 0;
    }
    return bit;
  }

  /** The inverse of `RangeEncoder.direct`; a chunk no encoder could write is a RemoteError. */
  direct(count: number): number {
    let value = 0;
    while (count > 0) {
      const bits = count > 8 ? 8 : count;
      count -= bits;
      this.range = this.range >>> bits;
      const chunk = Math.floor(this.code / this.range);
      if (chunk >= 1 << bits) throw new RemoteError("bad-field", "coded update body has a stream no encoder writes");
      this.code -= chunk * this.range;
      value = value * (1 << bits) + chunk;
      if (this.range < TOP) {
        this.range = (this.range << 8) >>> 0;
        this.code = ((this.code << 8) | this.next()) >>> 0;
      }
    }
    return value;
  }

  /** The inverse of `RangeEncoder.number`; a length past 33 is a RemoteError. */
  number(model: Uint16Array): number {
    let length = 1;
    while (this.bit(model, length) === 1) {
      length++;
      if (length > 33) throw new RemoteError("bad-field", "coded update body has a number longer than 33 bits");
    }
    if (length === 1) return 0;
    const top = this.bit(model, 33 + length);
    const rest = length > 2 ? this.direct(length - 2) : 0;
    return 2 ** (length - 1) + top * 2 ** (length - 2) + rest - 1;
  }

  private next(): number {
    if (this.at >= this.body.byteLength) throw new RemoteError("truncated-frame", `update body ends at byte ${this.body.byteLength} inside its coded stream`);
    return this.body[this.at++]!;
  }
}
