// The wire envelope: link frames are a binary header in front of the role message, which is packed
// once with its header space reserved. A data frame carries exactly core's codec bytes, survives
// resends with the header rewritten in place, and decoding trusts nothing: any bytes either decode
// to a valid frame or fail as a RemoteError, never as a crash.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeMessage, encodeMessage, encodeUpdate, firstNonFinite, RemoteError, simdBlockValues, simdOver, type Message } from "@gaia/core";
import { batchBytesMax, coalesce, coalesceFrameBytesMax, dataHeaderBytes, decodeBatch, decodeFrame, encodeBody, encodeFrame, isBatch, messageOf } from "@gaia/net";
import { params, seedTitle } from "../support/fc.js";

const update: Message = { kind: "mirror-update", shard: 2, clock: 7, sources: ["virginia"], body: encodeUpdate(Uint32Array.of(1, 5, 9), Float32Array.of(0.5, -1, 2), 4, "f32").body };

describe(seedTitle("wire envelope"), () => {
  test("a data frame carries exactly the codec's bytes, and decodes back to the message", () => {
    const body = encodeBody(update);
    assert.deepEqual(Buffer.from(messageOf(body)), Buffer.from(encodeMessage(update)));
    const bytes = encodeFrame({ t: "data", seq: 12, ack: 3, body });
    assert.equal(bytes, body, "the header is written in place: no copy");
    assert.equal(bytes.byteLength, dataHeaderBytes + encodeMessage(update).byteLength);
    const frame = decodeFrame(bytes);
    assert.ok(frame.t === "data");
    assert.equal(frame.seq, 12);
    assert.equal(frame.ack, 3);
    assert.deepEqual(decodeMessage(frame.body), update);
  });

  test("a resend rewrites the header of the same bytes (same seq, newer ack)", () => {
    const body = encodeBody(update);
    encodeFrame({ t: "data", seq: 4, ack: 1, body });
    const again = decodeFrame(encodeFrame({ t: "data", seq: 4, ack: 9, body }));
    assert.ok(again.t === "data" && again.seq === 4 && again.ack === 9);
  });

  test("ack and heartbeat frames round-trip; handshake frames stay msgpack", () => {
    assert.deepEqual(decodeFrame(encodeFrame({ t: "ack", ack: 2 ** 40 })), { t: "ack", ack: 2 ** 40 });
    assert.deepEqual(decodeFrame(encodeFrame({ t: "hb" })), { t: "hb" });
    const welcome = encodeFrame({ t: "welcome", mac: new Uint8Array(32).fill(7), epoch: "e1" });
    assert.notEqual(welcome[0], 0xc1);
    assert.equal(decodeFrame(welcome).t, "welcome");
  });

  test("malformed binary frames are remote errors with a code", () => {
    const data = (seq: number, ack: number, extra = 1): Uint8Array => {
      const bytes = new Uint8Array(dataHeaderBytes + extra);
      const view = new DataView(bytes.buffer);
      bytes[0] = 0xc1;
      bytes[1] = 1;
      view.setFloat64(2, seq, true);
      view.setFloat64(10, ack, true);
      return bytes;
    };
    const cases: [Uint8Array, string][] = [
      [Uint8Array.of(0xc1), "truncated-frame"],
      [Uint8Array.of(0xc1, 9), "unknown-kind"],
      [Uint8Array.of(0xc1, 2, 0, 0), "truncated-frame"],
      [Uint8Array.of(0xc1, 3, 0), "malformed-frame"],
      [data(1, 0, 0), "truncated-frame"],
      [data(0, 0), "bad-field"],
      [data(-1, 0), "bad-field"],
      [data(1.5, 0), "bad-field"],
      [data(1, Number.NaN), "bad-field"],
      [data(2 ** 60, 0), "bad-field"],
    ];
    for (const [bytes, code] of cases) {
      assert.throws(() => decodeFrame(bytes), (e: unknown) => e instanceof RemoteError && e.code === code, `${Buffer.from(bytes).toString("hex")} -> ${code}`);
    }
  });

  test("any bytes decode to a frame or fail as a RemoteError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (raw, mark) => {
        const bytes = mark && raw.length > 0 ? Uint8Array.from([0xc1, ...raw]) : raw;
        try {
          decodeFrame(bytes);
        } catch (error) {
          if (!(error instanceof RemoteError)) throw error;
        }
      }),
      params(500),
    );
  });

  test("small frames of one burst leave in batches, large ones alone, in order, and come out the same", () => {
    const small = (seq: number): Uint8Array => encodeFrame({ t: "data", seq, ack: seq - 1, body: encodeBody(update) });
    const large = encodeFrame({ t: "data", seq: 4, ack: 0, body: encodeBody({ kind: "push", clock: 1, rows: Uint32Array.of(0), deltas: new Float32Array(coalesceFrameBytesMax / 4), last: false }) });
    const burst = [small(1), encodeFrame({ t: "ack", ack: 7 }), small(2), small(3), large, small(5), encodeFrame({ t: "hb" }), small(6)];
    const out = coalesce(burst);
    assert.equal(out.length, 3);
    assert.ok(isBatch(out[0]!) && !isBatch(out[1]!) && isBatch(out[2]!));
    assert.equal(out[1], large, "a large frame is not copied");
    const frames = out.flatMap((bytes) => (isBatch(bytes) ? decodeBatch(bytes) : [decodeFrame(bytes)]));
    assert.deepEqual(
      frames.map((f) => (f.t === "data" ? `d${f.seq}` : f.t)),
      ["d1", "ack", "d2", "d3", "d4", "d5", "hb", "d6"],
    );
    for (const f of frames) if (f.t === "data") assert.deepEqual(decodeMessage(f.body).kind, f.seq === 4 ? "push" : "mirror-update");
    // A long burst is cut into batches of at most batchBytesMax.
    const many = coalesce(Array.from({ length: 1000 }, (_, i) => small(i + 1)));
    assert.ok(many.length > 1 && many.every((b) => isBatch(b) && b.byteLength <= batchBytesMax));
    assert.equal(many.flatMap((b) => decodeBatch(b)).length, 1000);
    const one = small(9);
    assert.deepEqual(coalesce([one]), [one], "a frame alone is not batched");
  });

  test("a malformed batch is a remote error, and a batch is not a frame before the handshake", () => {
    const batch = (...parts: Uint8Array[]): Uint8Array => {
      const out: number[] = [0xc1, 4];
      for (const p of parts) out.push(p.byteLength & 0xff, (p.byteLength >> 8) & 0xff, 0, 0, ...p);
      return Uint8Array.from(out);
    };
    const hb = Uint8Array.of(0xc1, 3);
    assert.equal(decodeBatch(batch(hb, hb)).length, 2);
    const cases: [Uint8Array, string][] = [
      [Uint8Array.of(0xc1, 4), "truncated-frame"],
      [Uint8Array.of(0xc1, 4, 2, 0), "truncated-frame"],
      [Uint8Array.of(0xc1, 4, 9, 0, 0, 0, 0xc1, 3), "truncated-frame"],
      [Uint8Array.of(0xc1, 4, 1, 0, 0, 0, 0xc1), "truncated-frame"],
      [batch(hb, batch(hb, hb)), "malformed-frame"],
      [batch(encodeFrame({ t: "welcome", mac: new Uint8Array(32), epoch: "" })), "malformed-frame"],
      [batch(Uint8Array.of(0xc1, 3, 0)), "malformed-frame"],
      [Uint8Array.from({ length: batchBytesMax + 6 }, (_, i) => (i === 0 ? 0xc1 : i === 1 ? 4 : (i - 2) % 6 === 0 ? 2 : (i - 2) % 6 === 4 ? 0xc1 : (i - 2) % 6 === 5 ? 3 : 0)), "oversized-frame"],
    ];
    for (const [bytes, code] of cases) {
      assert.throws(() => decodeBatch(bytes), (e: unknown) => e instanceof RemoteError && e.code === code, `${Buffer.from(bytes).toString("hex")} -> ${code}`);
    }
    assert.throws(() => decodeFrame(batch(hb, hb)), (e: unknown) => e instanceof RemoteError && e.code === "unknown-kind");
  });

  test("any bytes after a batch mark decode to frames or fail as a RemoteError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        try {
          decodeBatch(Uint8Array.from([0xc1, 4, ...raw]));
        } catch (error) {
          if (!(error instanceof RemoteError)) throw error;
        }
      }),
      params(500),
    );
  });

  test("a message with a large array goes padded, the array 8-aligned from the frame's start; a bad pad is refused", () => {
    const deltas = Float32Array.from({ length: 2000 }, (_, i) => i + 0.5);
    for (const clock of [1, 200, 70_000, 2 ** 31 - 1]) {
      const msg: Message = { kind: "push", clock, rows: Uint32Array.of(3, 4), deltas, last: false };
      const bytes = encodeFrame({ t: "data", seq: 9, ack: 2, body: encodeBody(msg) });
      assert.equal(bytes[1], 5, "not padded");
      const at = Buffer.from(bytes).indexOf(Buffer.from(deltas.buffer));
      assert.equal(at % 8, 0, `clock ${clock}: the deltas start at ${at}`);
      const frame = decodeFrame(bytes);
      assert.ok(frame.t === "data" && frame.seq === 9 && frame.ack === 2);
      assert.deepEqual(Buffer.from(frame.body), Buffer.from(encodeMessage(msg)));
      assert.deepEqual(Buffer.from(messageOf(bytes)), Buffer.from(encodeMessage(msg)));
      const bad = Uint8Array.from(bytes);
      bad[2] = 8;
      assert.throws(() => decodeFrame(bad), (e: unknown) => e instanceof RemoteError && e.code === "malformed-frame");
      assert.throws(() => decodeFrame(bytes.subarray(0, 19 + bytes[2]!)), (e: unknown) => e instanceof RemoteError && e.code === "truncated-frame");
    }
    // Small messages keep the plain header.
    assert.equal(encodeBody({ kind: "push", clock: 1, rows: Uint32Array.of(1), deltas: Float32Array.of(1), last: true })[1], 1);
  });

  test("a body written into memory that was not zeroed carries the same bytes: a zero pad, the codec's message", () => {
    // Memory as a recycled allocation hands it out: every byte already set.
    const dirty = (bytes: number): Uint8Array => new Uint8Array(bytes).fill(0xab);
    const deltas = Float32Array.from({ length: 2000 }, (_, i) => i - 0.25);
    for (const msg of [update, { kind: "push", clock: 3, rows: Uint32Array.of(3, 4), deltas, last: false } as Message, { kind: "read", clock: 1, rows: null } as Message]) {
      for (const seq of [1, 77]) {
        const clean = encodeFrame({ t: "data", seq, ack: 5, body: encodeBody(msg, (n) => new Uint8Array(n)) });
        const reused = encodeFrame({ t: "data", seq, ack: 5, body: encodeBody(msg, dirty) });
        assert.deepEqual(Buffer.from(reused), Buffer.from(clean), `${msg.kind}: the frame's bytes depend on the memory's old contents`);
      }
    }
    const padded = encodeFrame({ t: "data", seq: 1, ack: 0, body: encodeBody({ kind: "push", clock: 3, rows: Uint32Array.of(3, 4), deltas, last: false }, dirty) });
    assert.ok(padded[2]! > 0, "this case should have a pad");
    assert.deepEqual([...padded.subarray(19, 19 + padded[2]!)], new Array<number>(padded[2]!).fill(0), "the pad is zeros");
  });

  test("the finite check on floats' bits names the same first value as comparing magnitudes", () => {
    const slow = (values: Float32Array, bound: number): number => values.findIndex((v) => !(Math.abs(v) <= Math.fround(bound)));
    const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, 1e30, -1e30, Math.fround(1e30), 1.0000001e30, 3.4e38, -0, 0, 1e-45);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.float(), special), { maxLength: 23 }), fc.constantFrom(1e30, 1e36, 1, 0, -1, Infinity), (list, bound) => {
        const values = Float32Array.from(list);
        assert.equal(firstNonFinite(values, bound), slow(values, bound));
        // A view at an offset reads its own values only.
        const wide = new Float32Array(values.length + 2);
        wide.set(values, 1);
        wide[0] = Number.NaN;
        wide[wide.length - 1] = Number.NaN;
        assert.equal(firstNonFinite(wide.subarray(1, 1 + values.length), bound), slow(values, bound));
      }),
      params(1000),
    );
  });

  test("the SIMD check (long payloads, in blocks) names the same first value as comparing magnitudes", () => {
    assert.ok(simdOver() !== null, "this Node has WebAssembly SIMD, so the SIMD path is the one under test");
    const slow = (values: Float32Array, bound: number): number => values.findIndex((v) => !(Math.abs(v) <= Math.fround(bound)));
    const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, 1e30, -1e30, 1.0000001e30, 3.4e38, 1e36, 2e36, -0);
    fc.assert(
      fc.property(
        // Lengths around the SIMD minimum (256), a block (16384) and its 16-value turns.
        fc.constantFrom(255, 256, 271, 1000, simdBlockValues - 1, simdBlockValues, simdBlockValues + 15, 2 * simdBlockValues + 37),
        fc.array(fc.record({ at: fc.nat(), value: special }), { maxLength: 3 }),
        fc.constantFrom(1e30, 1e36, 1, 0, -1, Infinity),
        fc.nat({ max: 3 }),
        (length, bad, bound, offset) => {
          const wide = new Float32Array(length + offset + 1);
          for (let i = 0; i < wide.length; i++) wide[i] = ((i * 37) % 101) * 0.01 - 0.5;
          wide[wide.length - 1] = Number.NaN;
          if (offset > 0) wide[0] = Number.NaN;
          const values = wide.subarray(offset, offset + length);
          for (const b of bad) values[b.at % length] = b.value;
          assert.equal(firstNonFinite(values, bound), slow(values, bound));
        },
      ),
      params(300),
    );
  });
});
