// The wire envelope: link frames are a binary header in front of the role message, which is packed
// once with its header space reserved. A data frame carries exactly core's codec bytes, survives
// resends with the header rewritten in place, and decoding trusts nothing: any bytes either decode
// to a valid frame or fail as a RemoteError, never as a crash.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeMessage, encodeMessage, encodeUpdate, RemoteError, type Message } from "@gaia/core";
import { dataHeaderBytes, decodeFrame, encodeBody, encodeFrame, messageOf } from "@gaia/net";
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
    const welcome = encodeFrame({ t: "welcome", mac: new Uint8Array(32).fill(7) });
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
});
