// The compact mirror-update encoding: every codec round-trips what it says it applied, a body is
// never larger than the row layout needs, the range-coded layout changes sizes and never values,
// f32 costs at most ~4.6 bytes a value and int8 ~1.6 on dense rows and on MNIST-like sparse ones,
// and the decoder turns any malformed body into a RemoteError.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeUpdate, encodeUpdate, halfBits, halfValue, RemoteError, SignificanceFilter, type ValueEncoding } from "@gaia/core";
import { params, seedTitle } from "../support/fc.js";

const encodings: ValueEncoding[] = ["f32", "f16", "int8"];

/** Sorted unique offsets in a range of rows x cols, with values. */
const entries = fc.record({ cols: fc.integer({ min: 1, max: 40 }), rows: fc.integer({ min: 1, max: 60 }) }).chain(({ cols, rows }) =>
  fc.record({
    cols: fc.constant(cols),
    size: fc.constant(cols * rows),
    offsets: fc.uniqueArray(fc.nat(cols * rows - 1), { maxLength: cols * rows }).map((a) => Uint32Array.from(a).sort()),
    scale: fc.constantFrom(1e-6, 1, 1e3),
  }).chain((e) => fc.record({ ...Object.fromEntries(Object.entries(e).map(([k, v]) => [k, fc.constant(v)])), values: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: e.offsets.length, maxLength: e.offsets.length }) }) as fc.Arbitrary<{ cols: number; size: number; offsets: Uint32Array; scale: number; values: number[] }>),
);

/** Wide rows with runs of present columns (as MNIST's mirror bodies have), where the coded layout wins. */
const runs = fc
  .record({ cols: fc.integer({ min: 32, max: 300 }), rows: fc.integer({ min: 1, max: 12 }), starts: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 40 }), scale: fc.constantFrom(1e-6, 1, 1e3) })
  .chain(({ cols, rows, starts, scale }) => {
    const set = new Set<number>();
    for (const [start, length] of starts) for (let k = 0; k < length; k++) set.add((start + k) % (cols * rows));
    const offsets = Uint32Array.from(set).sort();
    return fc.record({ cols: fc.constant(cols), size: fc.constant(cols * rows), offsets: fc.constant(offsets), scale: fc.constant(scale), values: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: offsets.length, maxLength: offsets.length }) });
  });

/** Any bytes either decode to ascending in-range indices with finite deltas or are a RemoteError. */
function decodesSafely(body: Uint8Array, size: number): void {
  try {
    const u = decodeUpdate(body, size);
    for (let i = 0; i < u.indices.length; i++) {
      assert.ok(u.indices[i]! < size && (i === 0 || u.indices[i]! > u.indices[i - 1]!));
      assert.ok(Number.isFinite(u.deltas[i]!));
    }
  } catch (error) {
    assert.ok(error instanceof RemoteError, String(error));
  }
}

describe(seedTitle("update encoding"), () => {
  test("every codec decodes to exactly the values it reports as applied, at the same offsets", () => {
    fc.assert(
      fc.property(entries, fc.constantFrom(...encodings), ({ cols, size, offsets, values, scale }, encoding) => {
        const scaled = values.map((v) => v * scale);
        const { body, applied } = encodeUpdate(offsets, scaled, cols, encoding);
        const decoded = decodeUpdate(body, size);
        // Entries that round to zero travel as zeros: same offsets, exact values.
        assert.deepEqual([...decoded.indices], [...offsets]);
        assert.deepEqual([...decoded.deltas], [...applied]);
        for (let i = 0; i < applied.length; i++) {
          const v = scaled[i]!;
          const error = Math.abs(applied[i]! - v);
          if (encoding === "f32") assert.equal(applied[i], Math.fround(v));
          else if (encoding === "f16") assert.ok(error <= Math.max(Math.abs(v) * 2 ** -10, 2 ** -24), `f16 error ${error} at ${v}`);
        }
      }),
      params(400),
    );
  });

  test("integer values (LDA's count deltas) travel as zigzag varints under every codec, exactly", () => {
    fc.assert(
      fc.property(
        entries,
        fc.constantFrom(...encodings),
        fc.constantFrom(3, 300, 2 ** 24),
        ({ cols, size, offsets }, encoding, magnitude) => {
          const values = Array.from(offsets, (o, i) => ((o * 7919 + i) % (2 * magnitude + 1)) - magnitude);
          const { body, applied } = encodeUpdate(offsets, values, cols, encoding);
          const decoded = decodeUpdate(body, size);
          assert.deepEqual([...decoded.indices], [...offsets]);
          assert.deepEqual([...decoded.deltas], [...applied]);
          // Under f32 always, and under f16/int8 when it is no larger, the integer code: lossless.
          if (offsets.length > 0 && (encoding === "f32" || magnitude < 64)) assert.ok(body[0] === 3 || body[0] === 4, `code ${body[0]}`);
          if (body[0]! >= 3) assert.deepEqual([...applied], values);
          // Never larger than the requested codec would have been (the integer code is chosen only then).
          const floats = encodeUpdate(offsets, values.map((v) => (v === 0 ? -0 : v + 0.5)), cols, encoding).body;
          if (offsets.length > 0) assert.ok(body.byteLength <= floats.byteLength, `${body.byteLength} > ${floats.byteLength}`);
        },
      ),
      params(300),
    );
    // LDA-like rows: 4 of 20 topics change by +-1 or +-2, 5 apart: one byte an entry, position included.
    const offsets = Uint32Array.from({ length: 400 }, (_, i) => Math.floor(i / 4) * 20 + (i % 4) * 5);
    const values = Array.from(offsets, (_, i) => (i % 2 === 0 ? 1 : -2));
    for (const e of encodings) {
      const per = encodeUpdate(offsets, values, 20, e).body.byteLength / offsets.length;
      assert.ok(per <= 1.05, `${e}: ${per} bytes per integer value`);
    }
    // Non-integers, -0 and integers beyond 2^24 keep the float codecs.
    assert.equal(encodeUpdate(Uint32Array.of(1), [0.5], 4, "f32").body[0], 0);
    assert.equal(encodeUpdate(Uint32Array.of(1), [-0], 4, "f32").body[0], 0);
    assert.equal(encodeUpdate(Uint32Array.of(1), [2 ** 24 + 2], 4, "int8").body[0], 2);
  });

  test("bytes per value: f32 at most 4.6 and int8 at most 1.6 on full rows of 16", () => {
    const cols = 16;
    const rows = 200;
    const offsets = Uint32Array.from({ length: rows * cols }, (_, i) => i * 1).filter((i) => Math.floor(i / cols) % 3 !== 1);
    const values = Array.from(offsets, (o) => Math.sin(o) * 0.01);
    const per = (e: ValueEncoding): number => encodeUpdate(offsets, values, cols, e).body.byteLength / offsets.length;
    assert.ok(per("f32") <= 4.6, `f32: ${per("f32")}`);
    assert.ok(per("f16") <= 2.6, `f16: ${per("f16")}`);
    assert.ok(per("int8") <= 1.6, `int8: ${per("int8")}`);
    assert.ok(per("f32") < 8, "half the old cost of an index and a value per entry");
  });

  test("the coded layout decodes to the plain layout's values, and is taken only when smaller", () => {
    let coded = 0;
    fc.assert(
      fc.property(fc.oneof(entries, runs), fc.constantFrom(...encodings), ({ cols, size, offsets, values, scale }, encoding) => {
        const scaled = values.map((v) => v * scale);
        const chosen = encodeUpdate(offsets, scaled, cols, encoding);
        const plain = encodeUpdate(offsets, scaled, cols, encoding, { coded: false });
        assert.deepEqual([...chosen.applied], [...plain.applied], "the layout never changes the values");
        assert.ok(chosen.body.byteLength <= plain.body.byteLength, `${chosen.body.byteLength} > ${plain.body.byteLength}`);
        if (chosen.body[0] === 5) {
          coded++;
          assert.ok(chosen.body.byteLength < plain.body.byteLength);
        }
        const decoded = decodeUpdate(chosen.body, size);
        assert.deepEqual([...decoded.indices], [...offsets]);
        assert.deepEqual([...decoded.deltas], [...plain.applied]);
      }),
      params(400),
    );
    assert.ok(coded >= 40, `only ${coded} of 400 bodies took the coded layout`);
  });

  test("MNIST-like rows (blocks of present columns, 1 in 8 of 256): f32 under 4.6 and int8 under 1.6 bytes a value", () => {
    // Columns present in runs (a zero pixel's weights all stay zero), values of varied magnitude.
    const cols = 256;
    const picked: number[] = [];
    for (let row = 0; row < 60; row++) for (let c = 0; c < cols; c++) if (((c >> 3) * 7 + row * 3) % 8 === 0 && ((c * 31 + row) % 5 !== 0)) picked.push(row * cols + c);
    const offsets = Uint32Array.from(picked);
    const values = Array.from(offsets, (o) => Math.sin(o * 1.7) * 10 ** -(2 + (o % 3)));
    const per = (e: ValueEncoding, coded = true): number => encodeUpdate(offsets, values, cols, e, { coded }).body.byteLength / offsets.length;
    for (const e of encodings) {
      const { body, applied } = encodeUpdate(offsets, values, cols, e);
      assert.equal(body[0], 5, `${e} takes the coded layout`);
      const decoded = decodeUpdate(body, 60 * cols);
      assert.deepEqual([...decoded.indices], [...offsets]);
      assert.deepEqual([...decoded.deltas], [...applied]);
    }
    assert.ok(per("f32") <= 4.6, `f32: ${per("f32")} (plain ${per("f32", false)})`);
    assert.ok(per("int8") <= 1.6, `int8: ${per("int8")} (plain ${per("int8", false)})`);
    assert.ok(per("int8", false) > 1.6 && per("f32", false) > 4.6, `the plain layout misses both here: ${per("f32", false)}, ${per("int8", false)}`);
  });

  test("sparse rows take a column list or a bitmap, whichever is smaller", () => {
    const one = encodeUpdate(Uint32Array.of(5 * 100 + 7), [1], 100, "f32").body.byteLength;
    assert.ok(one <= 1 + 1 + 1 + 1 + 1 + 1 + 4, `one entry of a 100-wide row: ${one} bytes`);
    const half = Uint32Array.from({ length: 50 }, (_, i) => 2 * i);
    const halfBytes = encodeUpdate(half, new Array(50).fill(1), 100, "f32").body.byteLength;
    assert.ok(halfBytes <= 1 + 1 + 1 + 1 + 13 + 200, `every other column: ${halfBytes} bytes (bitmap)`);
  });

  test("with error feedback, a lossy codec loses nothing: the accumulator keeps what was rounded away", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.tuple(fc.nat(47), fc.double({ min: -1, max: 1, noNaN: true })), { maxLength: 30 }), { maxLength: 15 }), fc.constantFrom(...encodings), (clocks, encoding) => {
        const f = new SignificanceFilter(48);
        const values = Float32Array.from({ length: 48 }, (_, i) => 0.1 + i / 48);
        const added = new Float64Array(48);
        const applied = new Float64Array(48);
        for (const adds of clocks) {
          for (const [at, d] of adds) {
            f.add(at, d);
            added[at]! += d;
          }
          const s = f.select(values, 0.01);
          const enc = encodeUpdate(s.offsets, s.values, 8, encoding);
          f.settle(s.offsets, enc.applied);
          const dec = decodeUpdate(enc.body, 48);
          dec.indices.forEach((i, k) => (applied[i]! += dec.deltas[k]!));
        }
        for (let i = 0; i < 48; i++) assert.ok(Math.abs(added[i]! - applied[i]! - f.accumulated(i)) < 1e-9, `element ${i}: added ${added[i]}, applied ${applied[i]}, left ${f.accumulated(i)}`);
      }),
      params(300),
    );
  });

  test("malformed bodies are RemoteErrors, never crashes or half-valid updates", () => {
    const good = encodeUpdate(Uint32Array.of(0, 3, 17), [1.5, 2, 3], 4, "int8").body;
    const integers = encodeUpdate(Uint32Array.from({ length: 8 }, (_, i) => i), [100, -200, 300, 100, 100, 100, 100, 100], 4, "f32").body;
    assert.equal(integers[0], 3, "integer values in rows take the integer codec");
    const pairs = encodeUpdate(Uint32Array.of(0, 3, 17), [1, -200, 3], 4, "f32").body;
    assert.equal(pairs[0], 4, "scattered integer values take the flat list");
    const expectRemote = (body: Uint8Array, size = 40): void => {
      try {
        decodeUpdate(body, size);
      } catch (error) {
        assert.ok(error instanceof RemoteError, String(error));
        return;
      }
      assert.fail(`accepted ${[...body]}`);
    };
    for (let n = 0; n < good.length; n++) expectRemote(good.subarray(0, n));
    for (let n = 0; n < integers.length; n++) expectRemote(integers.subarray(0, n));
    for (let n = 0; n < pairs.length; n++) expectRemote(pairs.subarray(0, n));
    expectRemote(Uint8Array.of(...pairs, 0)); // trailing byte
    expectRemote(pairs, 17); // element 17 outside a shard of 17 elements
    expectRemote(Uint8Array.of(4, 1, 7, 0x80, 0x80, 0x80, 0x10)); // one integer beyond 2^24
    expectRemote(Uint8Array.of(4, 50, 0)); // more entries than bytes
    expectRemote(Uint8Array.of(3, 4, 1, 0, 0x81, 0x80, 0x80, 0x10)); // one integer of 2^25 + 1 (zigzag), beyond 2^24
    expectRemote(good, 16); // row 4 outside a shard of 16 elements
    expectRemote(Uint8Array.of(...good, 0)); // trailing byte
    expectRemote(Uint8Array.of(9, 4, 0)); // unknown codec
    expectRemote(Uint8Array.of(0, 4, 1, 0, 0, 0, 0xc0, 0x7f, 0, 0, 0xc0, 0x7f, 0, 0, 0xc0, 0x7f, 0, 0, 0xc0, 0x7f)); // NaN values
    expectRemote(Uint8Array.of(0, 0, 0)); // zero columns
    // The coded layout (code 5): every prefix, a trailing byte, a bad stream start, a bad codec.
    // Runs of 4 columns in rows of 64: positions dominate the plain body.
    const coded = encodeUpdate(Uint32Array.from({ length: 24 }, (_, i) => Math.floor(i / 4) * 64 + 10 + (i % 4)), Array.from({ length: 24 }, (_, i) => (i + 1) / 7), 64, "int8").body;
    assert.equal(coded[0], 5, "patterned float rows take the coded layout");
    assert.equal(decodeUpdate(coded, 384).indices.length, 24);
    for (let n = 0; n < coded.length; n++) expectRemote(coded.subarray(0, n), 384);
    expectRemote(Uint8Array.of(...coded, 0), 384);
    expectRemote(coded, 320); // rows past a shard of 320 elements
    expectRemote(Uint8Array.of(5, 3, ...coded.subarray(2)), 384); // value codec 3 is not a float codec
    expectRemote(Uint8Array.of(...coded.subarray(0, 5), 1, ...coded.subarray(6)), 384); // the stream must start with 0
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 2), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 8 }), fc.uint8Array({ maxLength: 64 }), (codec, cols, rows, stream) => {
        const body = Uint8Array.of(5, codec, cols, rows, stream.length > 0 ? stream[0]! % (stream.length + 1) : 0, 0, ...stream);
        decodesSafely(body, cols * rows + 3);
      }),
      params(2000),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 500 }), decodesSafely),
      params(2000),
    );
  });

  test("f16 conversion rounds to nearest even and clamps instead of overflowing", () => {
    assert.equal(halfValue(halfBits(1)), 1);
    assert.equal(halfValue(halfBits(65504)), 65504);
    assert.equal(halfValue(halfBits(1e9)), 65504);
    assert.equal(halfValue(halfBits(-1e9)), -65504);
    assert.equal(halfValue(halfBits(1 + 2 ** -11)), 1, "a tie rounds to even");
    assert.equal(halfValue(halfBits(2 ** -24)), 2 ** -24, "the smallest subnormal");
    assert.equal(halfValue(halfBits(2 ** -26)), 0);
  });
});
