// The codec's fast path writes exactly msgpackr's bytes for every flat value (so sizes, and what
// the simulator charges, are unchanged), reads exactly what msgpackr reads, leaves everything else
// to msgpackr, and hands out views of the received bytes only when the caller owns them and the
// array is large and aligned.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Packr, RESERVE_START_SPACE } from "msgpackr";
import { allocateSmall, decodeFlat, encodeFlat, notFlat, smallBytesMax, viewBytesMin } from "../../packages/core/src/flat-codec.js";
import { decodeMessage, encodeMessage, type Message } from "@gaia/core";
import { params, seedTitle } from "../support/fc.js";

const packr = new Packr({ moreTypes: true, useRecords: false, mapsAsObjects: true, bundleStrings: false });

const asciiKey = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABC_0123456789"), minLength: 1, maxLength: 40 }).filter((k) => k !== "__proto__");
const asciiText = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 300 });
const typed = fc.oneof(
  fc.array(fc.nat(), { maxLength: 80 }).map((a) => Uint32Array.from(a)),
  fc.array(fc.float(), { maxLength: 80 }).map((a) => Float32Array.from(a)),
  fc.uint8Array({ maxLength: 300 }),
  fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 40 }).map((a) => Int16Array.from(a)),
  fc.array(fc.double(), { maxLength: 20 }).map((a) => Float64Array.from(a)),
);
const scalar = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
  fc.constantFrom(0, -0, 127, 128, 255, 256, 65535, 65536, -32, -33, -128, -129, -32768, -32769, 2 ** 40, -(2 ** 40), 1.5, NaN, Infinity),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  asciiText,
);
const flatValue = fc.dictionary(asciiKey, fc.oneof(scalar, typed), { maxKeys: 8 }).map((d) => ({ ...d }));

describe(seedTitle("flat codec"), () => {
  test("writes msgpackr's bytes, with and without reserved space, and reads them as msgpackr does", () => {
    fc.assert(
      fc.property(flatValue, fc.nat({ max: 40 }), (value, reserve) => {
        const ours = encodeFlat(value, reserve);
        assert.ok(ours, "a flat value took the slow path");
        const theirs = reserve > 0 ? packr.pack(value, RESERVE_START_SPACE | reserve) : packr.pack(value);
        assert.deepEqual(Buffer.from(ours.subarray(reserve)), Buffer.from(theirs.subarray(reserve)));
        const bytes = ours.subarray(reserve);
        for (const owned of [false, true]) {
          const decoded = decodeFlat(bytes, owned);
          assert.notEqual(decoded, notFlat);
          assert.deepEqual(decoded, packr.unpack(bytes));
        }
      }),
      params(500),
    );
  });

  test("leaves nested, undefined, non-ASCII and class values to msgpackr", () => {
    for (const [i, value] of [{ a: [1] }, { a: { b: 1 } }, { a: undefined }, { a: "é" }, { "é": 1 }, { a: new Map() }, { a: new BigInt64Array(1) }, Object.create({ inherited: 1 }) as object].entries()) {
      assert.equal(encodeFlat(value), null, `case ${i}`);
      assert.deepEqual(encodeMessage(value as unknown as Message), packr.pack(value));
    }
  });

  test("leaves to msgpackr bytes it would read differently or refuse", () => {
    const cases = [
      packr.pack({ a: [1, 2] }),
      packr.pack({ a: "é" }),
      packr.pack([1, 2]),
      Uint8Array.of(0x81, 0xa1, 0x61, 0xca, 0, 0, 0, 0), // float32
      Uint8Array.of(0x81, 0xa1, 0x61, 0xc7, 0x04, 0x74, 0x07, 1, 2, 3), // 3 bytes of Float32Array
      Uint8Array.of(0x81, 0xa1, 0x61, 0xc7, 0x02, 0x74, 0x30, 1), // unknown element type
      Uint8Array.of(0x81, 0xa1, 0x61, 0xc0, 0xc0), // trailing bytes
      Uint8Array.of(0x82, 0xa1, 0x61, 0xc0), // a field short
      Uint8Array.of(0x81, 0xa9, ...Buffer.from("__proto__"), 0x80),
      Uint8Array.of(0x81, 0x01, 0xc0), // a key that is not a string
      Uint8Array.of(),
    ];
    for (const bytes of cases) assert.equal(decodeFlat(bytes, true), notFlat, Buffer.from(bytes).toString("hex"));
  });

  test("large aligned arrays are views of owned bytes only; small or unaligned ones are copies", () => {
    const deltas = Float32Array.from({ length: viewBytesMin / 4 }, (_, i) => i * 0.5);
    const msg: Message = { kind: "push", clock: 3, rows: Uint32Array.of(1, 2), deltas, last: false };
    const bytes = encodeMessage(msg);
    const at = Buffer.from(bytes).indexOf(Buffer.from(deltas.buffer)) ;
    assert.ok(at > 0);
    for (const shift of [0, 1, 2, 3]) {
      // Place the message so that the deltas land `shift` bytes past a 4-byte boundary.
      const offset = (4 - (at % 4) + shift) % 4;
      const space = new Uint8Array(bytes.byteLength + 8);
      space.set(bytes, offset);
      const placed = space.subarray(offset, offset + bytes.byteLength);
      for (const owned of [false, true]) {
        const decoded = decodeMessage(placed, undefined, owned);
        assert.deepEqual(decoded, msg);
        if (decoded.kind !== "push") throw new Error("not a push");
        const isView = decoded.deltas.buffer === space.buffer;
        assert.equal(isView, owned && shift === 0, `owned ${owned}, shift ${shift}`);
        assert.notEqual(decoded.rows.buffer, space.buffer, "a small array is a view");
      }
    }
  });

  test("an array that is a small part of the memory behind it is a copy", () => {
    const deltas = new Float32Array(viewBytesMin / 4).fill(0.5);
    const bytes = encodeMessage({ kind: "push", clock: 1, rows: Uint32Array.of(0), deltas, last: true });
    for (const [extra, view] of [[0, true], [bytes.byteLength * 4, false]] as const) {
      let views = 0;
      for (let offset = 0; offset < 4; offset++) {
        const space = new Uint8Array(bytes.byteLength + extra + 4);
        space.set(bytes, offset);
        const decoded = decodeMessage(space.subarray(offset, offset + bytes.byteLength), undefined, true);
        if (decoded.kind !== "push") throw new Error("not a push");
        if (decoded.deltas.buffer === space.buffer) views++;
        assert.deepEqual(decoded.deltas, deltas);
      }
      assert.equal(views, view ? 1 : 0, view ? "no view at the aligned offset" : "a view keeps 5 times its size alive");
    }
  });

  test("a Node Buffer's bytes are copied, not viewed, when not owned", () => {
    const deltas = new Float32Array(viewBytesMin / 4).fill(0.25);
    const bytes = Buffer.from(encodeMessage({ kind: "push", clock: 1, rows: Uint32Array.of(0), deltas, last: true }));
    const decoded = decodeMessage(bytes);
    if (decoded.kind !== "push") throw new Error("not a push");
    bytes.fill(0);
    assert.equal(decoded.deltas[0], 0.25);
  });

  test("small allocations from shared blocks never overlap, are 8-aligned, and refuse what is too large", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: smallBytesMax }), { minLength: 1, maxLength: 200 }), (sizes) => {
        const got = sizes.map((n, i) => {
          const a = allocateSmall(n);
          assert.equal(a.byteLength, n);
          assert.equal(a.byteOffset % 8, 0, "8-aligned, so any typed array can view it");
          a.fill(i & 0xff);
          return a;
        });
        // Each still holds its own fill: no two share a byte.
        got.forEach((a, i) => assert.ok(a.every((b) => b === (i & 0xff)), `allocation ${i} was overwritten by a later one`));
      }),
      params(200),
    );
    assert.throws(() => allocateSmall(smallBytesMax + 1), RangeError);
  });

  test("small decoded arrays are the message's own: later decodes and writes to the bytes leave them alone", () => {
    const bytes = encodeMessage({ kind: "push", clock: 1, rows: Uint32Array.from({ length: 40 }, (_, i) => i), deltas: Float32Array.from({ length: 200 }, (_, i) => i / 8), last: false });
    const decoded = Array.from({ length: 300 }, () => decodeMessage(bytes));
    bytes.fill(0);
    for (const [k, m] of decoded.entries()) {
      if (m.kind !== "push") throw new Error("not a push");
      assert.equal(m.deltas.length, 200);
      assert.ok(m.deltas.every((v, i) => v === i / 8), `decode ${k}: deltas changed`);
      assert.ok(m.rows.every((v, i) => v === i), `decode ${k}: rows changed`);
      m.deltas.fill(-1);
    }
    // Writing to one message's arrays changes no other's.
    const fresh = decodeMessage(encodeMessage({ kind: "push", clock: 1, rows: Uint32Array.of(1, 2), deltas: Float32Array.from({ length: 100 }, () => 0.5), last: false }));
    if (fresh.kind !== "push") throw new Error("not a push");
    assert.ok(fresh.deltas.every((v) => v === 0.5));
  });
});
