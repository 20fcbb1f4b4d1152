// The wire codec round-trips every message kind with typed arrays intact, and its decoder turns
// random, truncated, oversized or mis-shaped bytes into a typed RemoteError — never a crash,
// never a half-valid message.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeMessage, encodeMessage, encodeValue, encodedSize, RemoteError, valueMagnitudeMax, type Message } from "@gaia/core";
import { params, seedTitle } from "../support/fc.js";

const u32 = fc.array(fc.nat({ max: 1_000_000 }), { maxLength: 20 }).map((a) => Uint32Array.from(a));
// Values workers and shards may send: finite, of magnitude at most valueMagnitudeMax (1e30).
const bound = Math.fround(valueMagnitudeMax);
const f32 = (n: number) => fc.array(fc.float({ noNaN: true, min: -bound, max: bound }), { minLength: n, maxLength: n }).map((a) => Float32Array.from(a));
const clock = fc.nat({ max: 1_000_000 });
const bytes = fc.uint8Array({ maxLength: 40 });
const names = fc.array(fc.constantFrom("virginia", "tokyo", "sao-paulo"), { minLength: 1, maxLength: 3 });

const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ kind: fc.constant("read" as const), clock, rows: fc.option(u32, { nil: null }) }),
  u32.chain((rows) => fc.record({ kind: fc.constant("read-reply" as const), clock, localClock: clock, rows: fc.constant(rows), values: f32(rows.length * 2) })),
  u32.chain((rows) => fc.record({ kind: fc.constant("push" as const), clock, rows: fc.constant(rows), deltas: f32(rows.length * 3), last: fc.boolean() })),
  fc.record({ kind: fc.constant("mirror-update" as const), shard: fc.nat(8), clock, sources: names, body: bytes }),
  fc.record({ kind: fc.constant("barrier" as const), shard: fc.nat(8), clock, source: fc.constant("tokyo"), rows: u32 }),
  fc.record({ kind: fc.constant("mirror-flush" as const), shard: fc.nat(8), sources: names, body: bytes }),
);

const expectRemote = (bytes: Uint8Array, maxBytes?: number): RemoteError | null => {
  try {
    decodeMessage(bytes, maxBytes);
    return null;
  } catch (error) {
    assert.ok(error instanceof RemoteError, `decoder threw ${String(error)} instead of a RemoteError`);
    return error;
  }
};

describe(seedTitle("wire codec"), () => {
  test("every message round-trips with its typed arrays", () => {
    fc.assert(
      fc.property(message, (msg) => {
        const bytes = encodeMessage(msg);
        assert.equal(bytes.byteLength, encodedSize(msg));
        assert.deepEqual(decodeMessage(bytes), { ...msg });
      }),
      params(300),
    );
  });

  test("random bytes never crash the decoder", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => void expectRemote(bytes)), params(2000));
  });

  test("every strict prefix of a valid frame is rejected with a RemoteError", () => {
    fc.assert(
      fc.property(message, fc.nat(), (msg, cut) => {
        const bytes = encodeMessage(msg);
        if (bytes.byteLength < 2) return;
        const error = expectRemote(bytes.subarray(0, cut % bytes.byteLength));
        assert.ok(error, "a truncated frame decoded");
      }),
      params(500),
    );
  });

  test("bit flips in a valid frame give a valid message or a RemoteError", () => {
    fc.assert(
      fc.property(message, fc.nat(), fc.integer({ min: 1, max: 255 }), (msg, at, flip) => {
        const bytes = Uint8Array.from(encodeMessage(msg));
        bytes[at % bytes.length]! ^= flip;
        expectRemote(bytes);
      }),
      params(1000),
    );
  });

  test("oversized frames are refused before decoding", () => {
    const error = expectRemote(new Uint8Array(2048), 1024);
    assert.equal(error?.code, "oversized-frame");
  });

  test("well-formed msgpack of the wrong shape is rejected with the field named", () => {
    const cases: [unknown, string][] = [
      [[1, 2, 3], "malformed-frame"],
      [{ kind: "teleport" }, "unknown-kind"],
      [{ kind: "push", clock: -1, rows: new Uint32Array(0), deltas: new Float32Array(0), last: false }, "bad-field"],
      [{ kind: "push", clock: 1, rows: [1, 2], deltas: new Float32Array(0), last: false }, "bad-field"],
      [{ kind: "mirror-update", shard: 0, clock: 0, sources: ["a"], body: new Uint32Array(2) }, "bad-field"],
      [{ kind: "mirror-flush", shard: 0, sources: [], body: new Uint8Array(0) }, "bad-field"],
    ];
    for (const [value, code] of cases) assert.equal(expectRemote(encodeValue(value))?.code, code, JSON.stringify(value, (_k, v) => (ArrayBuffer.isView(v) ? `[${v.constructor.name}]` : v)));
  });
});
