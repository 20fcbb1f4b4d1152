// Reused buffers. Receive side: a large unix frame's memory is read into again (stream-frames.ts),
// and a message decoded from uWS's memory is a view of it, only when its receiver said it keeps
// nothing of it (`usesUp`). Proved two ways: the reader alone, on random streams where the receiver
// keeps some frames and releases others (every kept frame still holds its bytes at the end, and
// released memory is in fact reused); and two transports, over each carrier, where the receiver
// keeps every other large message and a lossy fault reorders frames, so some arrive ahead of a gap
// and wait in the link (every kept message, and every delivered one, holds exactly what was sent). Send side (the transport's BodyPool): a large body goes back to the
// pool only once acknowledged and written out, so messages sent while earlier ones are in flight,
// and resends after a dropped connection, carry exactly their own bytes, over both carriers; and a
// window in flight larger than the pool's base size all comes back, so the next window reuses it.
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { FrameReader, lengthPrefix, Metrics, poolBytesMax, Transport, type PeerAddress } from "@gaia/net";
import type { Message } from "@gaia/core";
import { params, seedTitle } from "../support/fc.js";
import { until } from "./support.js";

const live: Transport[] = [];
after(() => live.forEach((t) => t.close()));

describe(seedTitle("reused receive buffers"), () => {
  test("the reader reuses a frame's memory only once the receiver released it", () => {
    const reuseMin = 32;
    let reusedSomewhere = false;
    fc.assert(
      fc.property(
        fc.array(fc.record({ length: fc.integer({ min: 1, max: 120 }), fill: fc.nat({ max: 255 }), release: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 70 }), { maxLength: 20 }),
        fc.boolean(),
        (specs, cuts, chunksReused) => {
          const sent = specs.map((s, i) => Uint8Array.from({ length: s.length }, (_, k) => (s.fill + i * 7 + k) & 0xff));
          const stream = Buffer.concat(sent.flatMap((f) => [lengthPrefix(f.byteLength), f]));
          const kept: { frame: Uint8Array; bytes: Uint8Array }[] = [];
          const released = new Set<ArrayBufferLike>();
          let n = 0;
          const reader = new FrameReader(
            (frame) => {
              const i = n++;
              assert.deepEqual(Buffer.from(frame), Buffer.from(sent[i]!), `frame ${i} arrived wrong`);
              if (released.has(frame.buffer)) reusedSomewhere = true;
              if (!specs[i]!.release) kept.push({ frame, bytes: frame.slice() });
              else released.add(frame.buffer);
              return specs[i]!.release;
            },
            chunksReused,
            1 << 20,
            reuseMin,
          );
          const scratch = new Uint8Array(stream.byteLength);
          let at = 0;
          for (const cut of [...cuts, stream.byteLength]) {
            const to = Math.min(stream.byteLength, at + cut);
            const chunk = chunksReused ? scratch.subarray(0, to - at) : Uint8Array.from(stream.subarray(at, to));
            if (chunksReused) chunk.set(stream.subarray(at, to));
            reader.push(chunk);
            at = to;
            // A frame the receiver kept is never overwritten, whatever came after it.
            for (const k of kept) assert.deepEqual(Buffer.from(k.frame), Buffer.from(k.bytes), "a kept frame was overwritten");
          }
          assert.equal(n, sent.length);
        },
      ),
      params(400),
    );
    assert.ok(reusedSomewhere, "released memory should be reused for a later frame");
  });

  test("reads straight into a large frame's rest (onread's buffer per read) give the same frames, and released memory is reused", () => {
    let directSomewhere = false;
    fc.assert(
      fc.property(
        fc.array(fc.record({ length: fc.integer({ min: 1, max: 70_000 }), fill: fc.nat({ max: 255 }), release: fc.boolean() }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50_000 }), { maxLength: 40 }),
        (specs, cuts) => {
          const sent = specs.map((s, i) => Uint8Array.from({ length: s.length }, (_, k) => (s.fill + i * 7 + k) & 0xff));
          const stream = Buffer.concat(sent.flatMap((f) => [lengthPrefix(f.byteLength), f]));
          const kept: { frame: Uint8Array; bytes: Uint8Array }[] = [];
          let n = 0;
          const reader = new FrameReader(
            (frame) => {
              const i = n++;
              assert.deepEqual(Buffer.from(frame), Buffer.from(sent[i]!), `frame ${i} arrived wrong`);
              if (!specs[i]!.release) kept.push({ frame, bytes: frame.slice() });
              return specs[i]!.release;
            },
            true,
          );
          // The socket: each read lands in the buffer the reader names, at most its length.
          const scratch = new Uint8Array(4096);
          let at = 0;
          let c = 0;
          while (at < stream.byteLength) {
            const into = reader.readInto(scratch);
            if (into !== scratch) directSomewhere = true;
            const take = Math.min(into.byteLength, stream.byteLength - at, cuts.length > 0 ? cuts[c++ % cuts.length]! : Infinity);
            into.set(stream.subarray(at, at + take));
            at += take;
            reader.readDone(take, scratch);
            scratch.fill(0xee);
            for (const k of kept) assert.deepEqual(Buffer.from(k.frame), Buffer.from(k.bytes), "a kept frame was overwritten");
          }
          assert.equal(n, sent.length);
        },
      ),
      params(150),
    );
    assert.ok(directSomewhere, "some reads should go straight into a frame");
  });

  for (const carrier of ["unix", "ws"] as const) {
    test(`${carrier}: kept messages and frames held ahead of a gap survive the reuse of memory under used-up ones`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "gaia-reuse-test-"));
      const secret = "s3cret-reuse";
      const kept: { msg: Message; values: Float32Array }[] = [];
      const seen: number[] = [];
      // Every other message is kept (as a role keeps what it holds); the rest are used up.
      const keeps = (msg: Message): boolean => msg.kind === "read-reply" && msg.clock % 2 === 0;
      const make = (self: string, peer: string, port: number, onMessage: (from: string, msg: Message) => void): Transport => {
        const transport = new Transport({
          self,
          secret,
          listenHost: "127.0.0.1",
          port,
          peers: new Map<string, PeerAddress>([[peer, { host: "127.0.0.1", port: 0 }]]),
          link: { heartbeatMs: 50, peerTimeoutMs: 2000, retransmitMs: 300 },
          metrics: new Metrics(self),
          ...(carrier === "unix" ? { unix: { dir, peers: new Set([peer]) } } : {}),
          onMessage,
          usesUp: (_from, msg) => !keeps(msg),
          onPeer: () => undefined,
        });
        live.push(transport);
        return transport;
      };
      const cols = 40_000; // 160 kB of values per message: above the reader's reuse bound
      const valueOf = (clock: number, k: number): number => clock * 1000 + (k % 997);
      // b listens (it has the larger id); a dials it.
      const b = make("lan/b", "lan/a", 0, (_from, msg) => {
        if (msg.kind !== "read-reply") return;
        seen.push(msg.clock);
        for (let k = 0; k < cols; k += 613) assert.equal(msg.values[k], valueOf(msg.clock, k), `message ${msg.clock} arrived wrong`);
        if (keeps(msg)) kept.push({ msg, values: msg.values.slice() });
      });
      const port = await b.start();
      const a = make("lan/a", "lan/b", 0, () => undefined);
      (a.options.peers as Map<string, PeerAddress>).set("lan/b", { host: "127.0.0.1", port });
      await a.start();
      // Frames to b are reordered (held back up to 20 ms), so some reach b ahead of a gap.
      a.setLossy("lan", { loss: 0, duplicate: 0, reorder: 0.3 });
      const count = 40;
      for (let clock = 0; clock < count; clock++) {
        const values = Float32Array.from({ length: cols }, (_, k) => valueOf(clock, k));
        a.send("lan/b", { kind: "read-reply", clock, localClock: clock, rows: Uint32Array.of(0), values }, "data");
      }
      await until("every message delivered", () => seen.length === count, 15_000);
      assert.deepEqual(seen, Array.from({ length: count }, (_, i) => i), "in order, exactly once");
      for (const k of kept) {
        assert.ok(k.msg.kind === "read-reply");
        assert.deepEqual(Buffer.from(k.msg.values.buffer, k.msg.values.byteOffset, k.msg.values.byteLength), Buffer.from(k.values.buffer), `kept message ${k.msg.clock} was overwritten`);
      }
    });
  }

  for (const carrier of ["unix", "ws"] as const) {
    test(`${carrier}: pooled bodies carry exactly their own bytes, with messages in flight and across a dropped connection`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "gaia-pool-test-"));
      const cols = 40_000; // 160 kB of values: above the pool's bound
      const valueOf = (clock: number, k: number): number => clock * 1000 + (k % 991);
      const seen: number[] = [];
      const make = (self: string, peer: string, port: number, onMessage: (from: string, msg: Message) => void): Transport => {
        const transport = new Transport({
          self,
          secret: "s3cret-pool",
          listenHost: "127.0.0.1",
          port,
          peers: new Map<string, PeerAddress>([[peer, { host: "127.0.0.1", port: 0 }]]),
          link: { heartbeatMs: 50, peerTimeoutMs: 2000, retransmitMs: 300, ackDelayMs: 0 },
          checkInvariants: true,
          metrics: new Metrics(self),
          ...(carrier === "unix" ? { unix: { dir, peers: new Set([peer]) } } : {}),
          onMessage,
          usesUp: () => true,
          onPeer: () => undefined,
        });
        live.push(transport);
        return transport;
      };
      const b = make("lan/b", "lan/a", 0, (_from, msg) => {
        if (msg.kind !== "read-reply") return;
        seen.push(msg.clock);
        for (let k = 0; k < cols; k += 487) assert.equal(msg.values[k], valueOf(msg.clock, k), `message ${msg.clock} arrived wrong`);
      });
      const port = await b.start();
      const a = make("lan/a", "lan/b", 0, () => undefined);
      (a.options.peers as Map<string, PeerAddress>).set("lan/b", { host: "127.0.0.1", port });
      await a.start();
      let clock = 0;
      const send = (): void => {
        const values = Float32Array.from({ length: cols }, (_, k) => valueOf(clock, k));
        a.send("lan/b", { kind: "read-reply", clock, localClock: clock, rows: Uint32Array.of(0), values }, "data");
        clock++;
      };
      // A window of up to eight messages unacknowledged: each new one is sent as soon as an older
      // one is acknowledged, so bodies come back and go out again while others are in flight. Every
      // tenth message, the connections drop with the window full, and the links resend it.
      const count = 40;
      while (clock < count) {
        send();
        if (clock % 10 === 5) a.dropConnections();
        a.poolInvariants();
        await until(`message ${clock - 1} sent with fewer than 8 in flight`, () => (a.poolInvariants(), a.unacked < 8), 10_000);
      }
      await until("every message delivered and acknowledged", () => (a.poolInvariants(), seen.length === count && a.unacked === 0), 10_000);
      assert.deepEqual(seen, Array.from({ length: clock }, (_, i) => i), "in order, exactly once");
      assert.ok(a.pooledBodiesReused > 0, "bodies should come from the pool");
    });
  }

  test("a window of large messages beyond the pool's base size comes back whole, and the next window reuses all of it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gaia-pool-window-"));
    const cols = 256 * 1024; // 1 MiB of values a message
    const window = Math.ceil((poolBytesMax * 1.25) / (cols * 4)); // 80 MiB in flight at once
    let seen = 0;
    const make = (self: string, peer: string, onMessage: (from: string, msg: Message) => void): Transport => {
      const transport = new Transport({
        self,
        secret: "s3cret-pool",
        listenHost: "127.0.0.1",
        port: 0,
        peers: new Map<string, PeerAddress>([[peer, { host: "127.0.0.1", port: 0 }]]),
        link: { heartbeatMs: 50, peerTimeoutMs: 5000, retransmitMs: 2000, ackDelayMs: 0 },
        checkInvariants: true,
        metrics: new Metrics(self),
        unix: { dir, peers: new Set([peer]) },
        onMessage,
        usesUp: () => true,
        onPeer: () => undefined,
      });
      live.push(transport);
      return transport;
    };
    const b = make("lan/b", "lan/a", () => void seen++);
    const port = await b.start();
    const a = make("lan/a", "lan/b", () => undefined);
    (a.options.peers as Map<string, PeerAddress>).set("lan/b", { host: "127.0.0.1", port });
    await a.start();
    const values = new Float32Array(cols).fill(1.5);
    const burst = async (round: number): Promise<void> => {
      for (let i = 0; i < window; i++) a.send("lan/b", { kind: "read-reply", clock: round * window + i, localClock: 0, rows: Uint32Array.of(0), values }, "data");
      await until(`window ${round} delivered and acknowledged`, () => seen === (round + 1) * window && a.unacked === 0, 30_000);
    };
    await burst(0);
    const first = a.pooledBodiesReused;
    assert.ok(a.poolBytes.limit >= window * cols * 4, `the pool's limit (${a.poolBytes.limit} bytes) should have grown to the window in flight`);
    await until("every acknowledged body back in the pool", () => a.poolBytes.free >= window * cols * 4, 5_000);
    await burst(1);
    assert.equal(a.pooledBodiesReused - first, window, "every body of the second window should come from the pool");
  });
});
