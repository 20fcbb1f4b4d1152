// The unix-socket carrier: length-prefixed frames are read back whole however the stream is cut,
// and bad lengths are remote errors; two transports over it exchange messages exactly once and in
// order, large arrays intact, across a cut connection; a peer that sends a bad length, a frame
// before the handshake or nothing at all is refused and counted, and the node keeps serving.
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { FrameReader, lengthPrefix, Metrics, Transport, unixPathOf, type PeerAddress } from "@gaia/net";
import { RemoteError, type Message } from "@gaia/core";
import { params, seedTitle } from "../support/fc.js";
import { until } from "./support.js";

const secret = "s3cret-unix";
const dir = mkdtempSync(join(tmpdir(), "gaia-unix-test-"));
const fast = { heartbeatMs: 50, peerTimeoutMs: 400, retransmitMs: 300 };
const live: Transport[] = [];
after(() => live.forEach((t) => t.close()));


async function node(self: string, peers: Record<string, number>, handshakeMs = 10_000) {
  const metrics = new Metrics(self);
  const got: { from: string; msg: Message }[] = [];
  const addresses = new Map<string, PeerAddress>(Object.entries(peers).map(([p, port]) => [p, { host: "127.0.0.1", port }]));
  const transport = new Transport({
    self,
    secret,
    listenHost: "127.0.0.1",
    port: 0,
    peers: addresses,
    link: fast,
    metrics,
    hygiene: { handshakeMs },
    unix: { dir, peers: new Set(Object.keys(peers)) },
    onMessage: (from, msg) => got.push({ from, msg }),
    onPeer: () => undefined,
  });
  live.push(transport);
  const port = await transport.start();
  return { transport, metrics, got, port };
}

const frames = (bytes: Uint8Array[]): Uint8Array => {
  const out: number[] = [];
  for (const b of bytes) out.push(...lengthPrefix(b.byteLength), ...b);
  return Uint8Array.from(out);
};

describe(seedTitle("unix-socket carrier"), () => {
  test("frames come out whole and in order however the stream is cut, from fresh or reused chunks", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 8 }), fc.array(fc.nat({ max: 50 }), { maxLength: 10 }), fc.boolean(), (list, cuts, reused) => {
        const stream = frames(list);
        const out: Uint8Array[] = [];
        const reader = new FrameReader((f) => out.push(reused ? f : f.slice()), reused);
        const scratch = new Uint8Array(stream.byteLength);
        let at = 0;
        for (const cut of [...cuts, stream.byteLength]) {
          const to = Math.min(stream.byteLength, at + cut);
          // A reused read buffer: the same memory every time, overwritten by the next read.
          const chunk = reused ? scratch.subarray(0, to - at) : stream.slice(at, to);
          if (reused) chunk.set(stream.subarray(at, to));
          reader.push(chunk);
          at = to;
        }
        assert.deepEqual(out.map((f) => Buffer.from(f)), list.map((f) => Buffer.from(f)));
        assert.equal(reader.partialBytes, 0);
      }),
      params(300),
    );
  });

  test("a length of 0 or above the bound is a remote error", () => {
    for (const [bytes, code] of [
      [Uint8Array.of(0, 0, 0, 0), "truncated-frame"],
      [Uint8Array.of(0xff, 0xff, 0xff, 0xff), "oversized-frame"],
      [lengthPrefix(65), "oversized-frame"],
    ] as const) {
      const reader = new FrameReader(() => assert.fail("a frame came out"), false, 64);
      assert.throws(() => reader.push(bytes), (e: unknown) => e instanceof RemoteError && e.code === code);
    }
  });

  test("messages cross exactly once and in order, large arrays intact, across a cut connection", async () => {
    const b = await node("dc/b", { "dc/a": 1 });
    const a = await node("dc/a", { "dc/b": b.port });
    const big = Float32Array.from({ length: 300_000 }, (_, i) => (i % 97) * 0.25);
    const msg = (clock: number): Message => ({ kind: "push", clock, rows: Uint32Array.of(clock), deltas: clock % 3 === 0 ? big : Float32Array.of(clock), last: false });
    for (let c = 1; c <= 10; c++) a.transport.send("dc/b", msg(c), "data");
    await until("the first half", () => b.got.length === 10);
    a.transport.dropConnections();
    for (let c = 11; c <= 20; c++) a.transport.send("dc/b", msg(c), "data");
    b.transport.send("dc/a", msg(1), "data");
    await until("the second half", () => b.got.length === 20 && a.got.length === 1);
    assert.deepEqual(b.got.map((g) => (g.msg as { clock: number }).clock), Array.from({ length: 20 }, (_, i) => i + 1));
    for (const g of b.got) assert.deepEqual(g.msg, msg((g.msg as { clock: number }).clock));
    assert.ok((a.metrics.get("connections_total", { peer: "dc/b", channel: "data" }) ?? 0) >= 2, "the cut connection came back");
  });

  test("a bad length, a link frame before the handshake, or silence: refused, counted, and the node keeps serving", async () => {
    const b = await node("dc/d", { "dc/c": 1 }, 300);
    const path = unixPathOf(dir, b.port);
    const raw = async (bytes: Uint8Array | null): Promise<void> => {
      const socket = connect(path);
      socket.on("error", () => undefined);
      socket.resume();
      await new Promise((r) => socket.on("connect", r));
      if (bytes) socket.write(bytes);
      await new Promise((r) => socket.on("close", r));
    };
    await raw(Uint8Array.of(0xff, 0xff, 0xff, 0x7f));
    await raw(frames([Uint8Array.of(0xc1, 0x03)]));
    await raw(null);
    assert.equal(b.metrics.get("remote_errors_total", { code: "oversized-frame" }), 1);
    assert.equal(b.metrics.get("remote_errors_total", { code: "unauthenticated" }), 1);
    assert.equal(b.metrics.get("connections_refused_total", { reason: "handshake-timeout" }), 1);
    const a = await node("dc/c", { "dc/d": b.port });
    a.transport.send("dc/d", { kind: "push", clock: 1, rows: Uint32Array.of(0), deltas: Float32Array.of(1), last: true }, "data");
    await until("a message after the refusals", () => b.got.length === 1);
  });
});
