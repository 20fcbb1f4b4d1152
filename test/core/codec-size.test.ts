// encodedSize computes a message's wire size from its fields without encoding it; this proves it
// is exactly the length of the encoded frame for every message kind, including the sizes where
// msgpack changes header: arrays of 15/16 and 65535/65536 entries, strings of 31/32, 255/256 and
// 65535/65536 UTF-8 bytes (multi-byte characters and lone surrogates included), typed arrays whose
// ext record crosses the ext8/ext16/ext32 boundaries, and integers at every width.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeMessage, encodedSize, type Message } from "@gaia/core";
import { params, seedTitle } from "../support/fc.js";

/** Lengths on both sides of a threshold, plus small ones. */
const around = (...thresholds: number[]): fc.Arbitrary<number> =>
  fc.oneof(fc.nat({ max: 20 }), fc.constantFrom(...thresholds.flatMap((t) => [t - 2, t - 1, t, t + 1]).filter((n) => n >= 0)));

// A typed array's ext record is ext8 while byteLength + 1 < 256, ext16 while < 65536: for 4-byte
// elements that is 63/64 and 16383/16384 elements.
const elementCount = around(63, 64, 16383, 16384);
const u32 = elementCount.chain((n) => fc.array(fc.nat(), { minLength: Math.min(n, 3), maxLength: Math.min(n, 3) }).map((head) => {
  const a = new Uint32Array(n);
  a.set(head.slice(0, n));
  return a;
}));
const f32 = (n: number): fc.Arbitrary<Float32Array> => fc.constant(new Float32Array(n));
/** Update bodies around the ext8/ext16/ext32 boundaries (254/255 and 65534/65535 bytes), views included. */
const bytes = fc.tuple(around(253, 254, 255, 65534, 65535), fc.nat({ max: 3 })).map(([n, skip]) => new Uint8Array(new Uint8Array(n + 2 * skip).buffer, skip, n));
/** A view into a larger buffer: the size must follow the view, not its buffer. */
const u32View = fc.tuple(u32, fc.nat({ max: 3 })).map(([a, skip]) => new Uint32Array(new Uint32Array(a.length + 2 * skip).buffer, 4 * skip, a.length));

const integer = fc.oneof(
  fc.constantFrom(0, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 2 ** 31 - 1, 2 ** 32 - 1, -1, -0x20, -0x21, -0x80, -0x81, -0x8000, -0x8001, -(2 ** 31), 2 ** 32, 1.5, -0),
  fc.integer(),
  fc.nat({ max: 300 }),
);
const clock = integer;

const char = fc.oneof(fc.constantFrom("a", "é", "€", "😀", "\ud800", "\udc00", "-"), fc.string({ unit: "binary", minLength: 1, maxLength: 1 }));
const name = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.tuple(fc.constantFrom(29, 30, 31, 32, 84, 85, 86, 254, 255, 256, 21844, 21845, 65535, 65536), char).map(([n, c]) => c.repeat(Math.max(1, Math.floor(n / utf8(c)))) + "x".repeat(n % utf8(c))),
);
function utf8(s: string): number {
  return new TextEncoder().encode(s).length;
}
/** Source lists: around the fixarray (16) and array16 (65536) thresholds, of short names. */
const sources = fc.oneof(
  fc.array(name, { maxLength: 20 }),
  fc.tuple(fc.constantFrom(15, 16, 17, 65535, 65536), fc.constantFrom("tokyo", "é")).map(([n, s]) => Array.from({ length: n }, () => s)),
);

const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ kind: fc.constant("read" as const), clock, rows: fc.option(fc.oneof(u32, u32View), { nil: null }) }),
  u32.chain((rows) => fc.record({ kind: fc.constant("read-reply" as const), clock, localClock: clock, rows: fc.constant(rows), values: f32(rows.length * 2) })),
  u32.chain((rows) => fc.record({ kind: fc.constant("push" as const), clock, rows: fc.constant(rows), deltas: f32(rows.length), last: fc.boolean() })),
  fc.record({ kind: fc.constant("mirror-update" as const), shard: integer, clock, sources, body: bytes }),
  fc.record({ kind: fc.constant("barrier" as const), shard: integer, clock, source: name, rows: fc.oneof(u32, u32View) }),
  fc.record({ kind: fc.constant("mirror-flush" as const), shard: integer, sources, body: bytes }),
);

describe(seedTitle("encodedSize"), () => {
  test("equals the encoded frame's length for every message kind and size", () => {
    fc.assert(
      fc.property(message, (msg) => {
        assert.equal(encodedSize(msg), encodeMessage(msg).byteLength);
      }),
      params(400),
    );
  });

  test("stays exact for messages with a missing, extra or mistyped field", () => {
    const extra = fc.oneof(fc.constant(undefined), fc.constant(null), fc.boolean(), integer, name, fc.constant(new Uint32Array(3)), fc.constant(["a"]));
    fc.assert(
      fc.property(message, fc.nat(), fc.option(fc.tuple(fc.constantFrom("x", "clock", "rows", "last", "sources", "source", "shard"), extra), { nil: null }), (msg, drop, add) => {
        const keys = Object.keys(msg).filter((k) => k !== "kind");
        const odd: Record<string, unknown> = { ...msg };
        if (drop % 3 === 0 && keys.length > 0) delete odd[keys[drop % keys.length]!];
        if (add !== null) odd[add[0]] = add[1];
        const m = odd as unknown as Message;
        assert.equal(encodedSize(m), encodeMessage(m).byteLength);
      }),
      params(400),
    );
  });

  test("crosses every header threshold exactly", () => {
    const tokyo = ["tokyo"];
    for (const n of [0, 1, 62, 63, 64, 65, 16382, 16383, 16384, 16385]) {
      const indices = new Uint32Array(n);
      const deltas = new Float32Array(n);
      const msgs: Message[] = [
        { kind: "mirror-update", shard: 0, clock: 1, sources: tokyo, body: new Uint8Array(deltas.buffer) },
        { kind: "read-reply", clock: 2, localClock: 1, rows: indices, values: new Float32Array(n * 3) },
        { kind: "barrier", shard: 1, clock: 300, source: "tokyo", rows: indices },
      ];
      for (const msg of msgs) assert.equal(encodedSize(msg), encodeMessage(msg).byteLength, `${msg.kind} with ${n} entries`);
    }
    for (const n of [15, 16, 65535, 65536]) {
      const msg: Message = { kind: "mirror-flush", shard: 0, sources: Array.from({ length: n }, (_, i) => `dc${i}`), body: new Uint8Array(5) };
      assert.equal(encodedSize(msg), encodeMessage(msg).byteLength, `${n} sources`);
    }
    for (const n of [31, 32, 255, 256, 65535, 65536]) {
      for (const c of ["a", "é", "€", "😀"]) {
        const source = c.repeat(Math.ceil(n / utf8(c)));
        const msg: Message = { kind: "barrier", shard: 0, clock: 0, source, rows: new Uint32Array(0) };
        assert.equal(encodedSize(msg), encodeMessage(msg).byteLength, `source of ${utf8(source)} bytes`);
      }
    }
  });

  test("typed arrays of any element width cross the ext8/ext16/ext32 boundaries exactly", () => {
    for (const bytes of [253, 254, 255, 256, 65533, 65534, 65535, 65536]) {
      for (const make of [(n: number) => new Uint8Array(n), (n: number) => new Int16Array(n >> 1), (n: number) => new Float64Array(n >> 3)]) {
        const msg = { kind: "read", clock: 0, rows: make(bytes) } as unknown as Message;
        assert.equal(encodedSize(msg), encodeMessage(msg).byteLength, `${bytes} bytes`);
      }
    }
  });

  test("falls back to encoding for values it does not model", () => {
    const odd = { kind: "read", clock: 1, rows: new Uint8ClampedArray(3) } as unknown as Message;
    assert.equal(encodedSize(odd), encodeMessage(odd).byteLength);
    const withMap = { kind: "barrier", shard: 0, clock: 0, source: "x", indices: new Uint32Array(0), extra: new Map([[1, 2]]) } as unknown as Message;
    assert.equal(encodedSize(withMap), encodeMessage(withMap).byteLength);
  });
});
