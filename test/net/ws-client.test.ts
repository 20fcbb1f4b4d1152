// The WebSocket dialer's wire (ws-client.ts): server frames read back whole from any cut of the
// stream, read through one reused buffer, with fragments, pings and a close among them; every
// malformed frame a RemoteError; the upgrade's answer checked; and the client's frames, pongs and
// close against a real uWS server.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type Socket } from "node:net";
import fc from "fast-check";
import uWS from "uWebSockets.js";
import type { us_listen_socket } from "uWebSockets.js";
import { RemoteError } from "@gaia/core";
import { acceptOf, binaryHeader, pongFrame, Metrics, ServerFrameReader, Transport, UpgradeReader, upgradeRequest, newUpgradeKey } from "@gaia/net";
import { params, seedTitle } from "../support/fc.js";
import { until } from "./support.js";

/** A server frame (unmasked) of `op` with `payload`, its length in the shortest or the given form. */
function serverFrame(op: number, payload: Uint8Array, fin = true, form: 7 | 16 | 64 | null = null): Uint8Array {
  const n = payload.byteLength;
  const f = form ?? (n < 126 ? 7 : n < 0x10000 ? 16 : 64);
  const head: number[] = [(fin ? 0x80 : 0) | op];
  if (f === 7) head.push(n);
  else if (f === 16) head.push(126, n >>> 8, n & 0xff);
  else head.push(127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  return Buffer.concat([Uint8Array.from(head), payload]);
}

const bytesOf = (length: number, fill: number): Uint8Array => Uint8Array.from({ length }, (_, k) => (fill + k * 13) & 0xff);

describe(seedTitle("the WebSocket dialer's wire"), () => {
  test("server frames come back whole from any cut of the stream, through one reused buffer", () => {
    let reusedSomewhere = false;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            length: fc.integer({ min: 1, max: 300 }),
            fill: fc.nat({ max: 255 }),
            pieces: fc.integer({ min: 1, max: 3 }),
            ping: fc.boolean(),
            release: fc.boolean(),
            form: fc.constantFrom(null, 16, 64),
          }),
          { minLength: 1, maxLength: 10 },
        ),
        fc.array(fc.integer({ min: 1, max: 90 }), { maxLength: 30 }),
        (specs, cuts) => {
          const sent = specs.map((s, i) => bytesOf(s.length, s.fill + i));
          const parts: Uint8Array[] = [];
          const pings: Uint8Array[] = [];
          specs.forEach((s, i) => {
            const m = sent[i]!;
            const size = Math.ceil(m.byteLength / s.pieces);
            for (let p = 0, at = 0; p < s.pieces; p++, at += size) {
              const last = p === s.pieces - 1;
              parts.push(serverFrame(p === 0 ? 0x2 : 0x0, m.subarray(at, last ? m.byteLength : at + size), last, s.form as 16 | 64 | null));
              // A ping between two pieces of a message, as RFC 6455 allows.
              if (s.ping && !last) {
                const ping = bytesOf(p + 1, i);
                pings.push(ping);
                parts.push(serverFrame(0x9, ping));
              }
            }
            if (s.ping && s.pieces === 1) {
              pings.push(bytesOf(3, i));
              parts.push(serverFrame(0x9, bytesOf(3, i)));
            }
          });
          const stream = Buffer.concat(parts);
          const got: Uint8Array[] = [];
          const kept: { frame: Uint8Array; bytes: Uint8Array }[] = [];
          const released = new Set<ArrayBufferLike>();
          const pinged: Uint8Array[] = [];
          const reader = new ServerFrameReader(
            {
              onMessage: (m) => {
                const i = got.length;
                got.push(m.slice());
                if (released.has(m.buffer)) reusedSomewhere = true;
                if (specs[i]!.release && specs[i]!.pieces === 1) released.add(m.buffer);
                else kept.push({ frame: m, bytes: m.slice() });
                return specs[i]!.release;
              },
              onPing: (p) => pinged.push(p.slice()),
              onClose: () => assert.fail("no close was sent"),
            },
            1 << 20,
            32,
          );
          // One buffer read into again and again, as the socket's `onread` does.
          const scratch = new Uint8Array(stream.byteLength);
          let at = 0;
          for (const cut of [...cuts, stream.byteLength]) {
            const to = Math.min(stream.byteLength, at + cut);
            const chunk = scratch.subarray(0, to - at);
            chunk.set(stream.subarray(at, to));
            reader.push(chunk);
            scratch.fill(0xee);
            at = to;
            for (const k of kept) assert.deepEqual(Buffer.from(k.frame), Buffer.from(k.bytes), "a kept message was overwritten");
          }
          assert.deepEqual(got.map((m) => Buffer.from(m)), sent.map((m) => Buffer.from(m)));
          assert.deepEqual(pinged.map((m) => Buffer.from(m)), pings.map((m) => Buffer.from(m)));
        },
      ),
      params(300),
    );
    assert.ok(reusedSomewhere, "a released message's memory should be reused for a later one");
  });

  test("reads straight into a large message's rest give the same messages, pings and fragments among them", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ length: fc.integer({ min: 1, max: 70_000 }), fill: fc.nat({ max: 255 }), pieces: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 50_000 }), { maxLength: 30 }),
        (specs, cuts) => {
          const sent = specs.map((s, i) => bytesOf(s.length, s.fill + i));
          const parts: Uint8Array[] = [];
          specs.forEach((s, i) => {
            const m = sent[i]!;
            if (s.pieces === 1) parts.push(serverFrame(0x2, m));
            else {
              const half = Math.ceil(m.byteLength / 2);
              parts.push(serverFrame(0x2, m.subarray(0, half), false), serverFrame(0x9, bytesOf(4, i)), serverFrame(0x0, m.subarray(half)));
            }
          });
          const stream = Buffer.concat(parts);
          const got: Uint8Array[] = [];
          let pings = 0;
          const reader = new ServerFrameReader({ onMessage: (m) => void got.push(m.slice()), onPing: () => void pings++, onClose: () => assert.fail("no close was sent") });
          const scratch = new Uint8Array(4096);
          let at = 0;
          let c = 0;
          while (at < stream.byteLength) {
            const into = reader.readInto(scratch);
            const take = Math.min(into.byteLength, stream.byteLength - at, cuts.length > 0 ? cuts[c++ % cuts.length]! : Infinity);
            into.set(stream.subarray(at, at + take));
            at += take;
            reader.readDone(take, scratch);
            scratch.fill(0xee);
          }
          assert.deepEqual(got.map((m) => Buffer.from(m)), sent.map((m) => Buffer.from(m)));
          assert.equal(pings, specs.filter((s) => s.pieces === 2).length);
        },
      ),
      params(100),
    );
  });

  test("a kept message's memory is never read into again; a released one's is", () => {
    const got: Uint8Array[] = [];
    // Kept, released, then one more of the same size.
    const keep = [true, false, false];
    const reader = new ServerFrameReader({ onMessage: (m) => (got.push(m), !keep[got.length - 1]), onPing: () => {}, onClose: () => {} }, 1 << 20, 32);
    const scratch = new Uint8Array(64);
    for (const i of [0, 1, 2]) {
      const frame = serverFrame(0x2, bytesOf(100, i * 50));
      for (let at = 0; at < frame.byteLength; at += 64) {
        const chunk = scratch.subarray(0, Math.min(64, frame.byteLength - at));
        chunk.set(frame.subarray(at, at + chunk.byteLength));
        reader.push(chunk);
      }
    }
    assert.equal(got.length, 3);
    assert.deepEqual(Buffer.from(got[0]!), Buffer.from(bytesOf(100, 0)), "the kept message was overwritten");
    assert.equal(got[2]!.buffer, got[1]!.buffer, "the released message's memory should be reused");
  });

  test("a close ends the stream; what follows it is not read", () => {
    const got: Uint8Array[] = [];
    let closes = 0;
    const reader = new ServerFrameReader({ onMessage: (m) => void got.push(m), onPing: () => {}, onClose: () => closes++ });
    reader.push(Buffer.concat([serverFrame(0x2, bytesOf(5, 1)), serverFrame(0x8, Uint8Array.of(3, 232)), serverFrame(0x2, bytesOf(5, 2))]));
    assert.equal(got.length, 1);
    assert.equal(closes, 1);
  });

  test("every malformed server frame is a RemoteError", () => {
    const cases: [string, Uint8Array, number?][] = [
      ["masked", Uint8Array.of(0x82, 0x81, 1, 2, 3, 4, 9)],
      ["reserved bits", Uint8Array.of(0xc2, 0x01, 9)],
      ["text", serverFrame(0x1, bytesOf(3, 0))],
      ["unknown data opcode", serverFrame(0x3, bytesOf(3, 0))],
      ["unknown control opcode", serverFrame(0xb, bytesOf(3, 0))],
      ["control in pieces", serverFrame(0x9, bytesOf(3, 0), false)],
      ["control above 125 bytes", serverFrame(0x9, bytesOf(126, 0), true, 16)],
      ["continuation of nothing", serverFrame(0x0, bytesOf(3, 0))],
      ["message inside another", Buffer.concat([serverFrame(0x2, bytesOf(3, 0), false), serverFrame(0x2, bytesOf(3, 0))])],
      ["empty message", serverFrame(0x2, new Uint8Array(0))],
      ["above the bound", serverFrame(0x2, bytesOf(101, 0)), 100],
      ["fragments above the bound", Buffer.concat([serverFrame(0x2, bytesOf(60, 0), false), serverFrame(0x0, bytesOf(60, 0))]), 100],
      ["length above 2^32", Uint8Array.of(0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0)],
    ];
    for (const [name, bytes, max] of cases) {
      const reader = new ServerFrameReader({ onMessage: () => {}, onPing: () => {}, onClose: () => {} }, max ?? 1 << 20);
      assert.throws(() => reader.push(bytes), RemoteError, name);
    }
  });

  test("the upgrade's answer: a 101 with our accept, the bytes after it handed on; anything else refused", () => {
    const key = newUpgradeKey();
    const ok = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptOf(key)}\r\n\r\n`;
    const reader = new UpgradeReader(key);
    const whole = Buffer.concat([Buffer.from(ok, "latin1"), Uint8Array.of(0x82, 1, 7)]);
    assert.equal(reader.push(whole.subarray(0, 20)), null);
    assert.deepEqual([...reader.push(whole.subarray(20))!], [0x82, 1, 7]);
    const refused = (text: string): void => assert.throws(() => new UpgradeReader(key).push(Buffer.from(text, "latin1")), RemoteError, text.slice(0, 30));
    refused("HTTP/1.1 403 Forbidden\r\n\r\n");
    refused(ok.replace(acceptOf(key), acceptOf(newUpgradeKey())));
    refused(ok.replace("Upgrade: websocket", "Upgrade: h2c"));
    assert.throws(() => new UpgradeReader(key).push(Buffer.alloc(17 * 1024, 0x41)), RemoteError);
    // RFC 6455's own example.
    assert.equal(acceptOf("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });

  test("against a real uWS server: upgrade, messages of every length form echoed, a ping answered, a close", async () => {
    let pongs = 0;
    const app = uWS.App().ws("/*", {
      maxPayloadLength: 64 * 1024 * 1024,
      idleTimeout: 0,
      open: (ws) => void ws.ping("hi"),
      pong: () => void pongs++,
      message: (ws, message) => {
        if (Buffer.from(message).toString() === "close please") ws.end(1000, "bye");
        else ws.send(message, true);
      },
    });
    let listen: us_listen_socket | null = null;
    const port = await new Promise<number>((resolve) =>
      app.listen("127.0.0.1", 0, (s) => {
        listen = s as us_listen_socket;
        resolve(uWS.us_socket_local_port(listen));
      }),
    );
    const key = newUpgradeKey();
    let upgrade: UpgradeReader | null = new UpgradeReader(key);
    const got: Uint8Array[] = [];
    let closed = false;
    const socket = connect({ host: "127.0.0.1", port });
    const reader = new ServerFrameReader({
      onMessage: (m) => void got.push(m.slice()),
      onPing: (p) => void socket.write(pongFrame(p)),
      onClose: () => (closed = true),
    });
    socket.on("data", (chunk: Buffer) => {
      let rest: Uint8Array | null = chunk;
      if (upgrade !== null) {
        rest = upgrade.push(chunk);
        if (rest !== null) upgrade = null;
      }
      if (rest !== null && rest.byteLength > 0) reader.push(rest);
    });
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    socket.write(upgradeRequest("127.0.0.1", port, key));
    // uWS drops a connection whose frames come before its 101 (the transport's dialer sends nothing
    // before the challenge).
    await until("the upgrade", () => upgrade === null, 10_000);
    const sizes = [1, 125, 126, 65535, 65536, 3_000_001];
    for (const [i, n] of sizes.entries()) {
      const m = bytesOf(n, i);
      socket.write(binaryHeader(n));
      socket.write(m);
    }
    await until("echoes", () => got.length === sizes.length && pongs === 1, 10_000);
    for (const [i, n] of sizes.entries()) assert.deepEqual(Buffer.from(got[i]!), Buffer.from(bytesOf(n, i)), `echo of ${n} bytes`);
    const text = Buffer.from("close please");
    socket.write(binaryHeader(text.byteLength));
    socket.write(text);
    await until("the close", () => closed, 10_000);
    socket.destroy();
    if (listen !== null) uWS.us_listen_socket_close(listen);
  });

  // A listener that is not a gaia node: the dialer refuses its answer, counts it, and dials again
  // with backoff; it never crashes and never opens a link.
  const hostile: [string, string, (socket: Socket, key: string) => void][] = [
    ["a 404 to the upgrade", "unauthenticated", (socket) => socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")],
    ["a 101 with a wrong accept", "unauthenticated", (socket) => socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptOf(newUpgradeKey())}\r\n\r\n`)],
    ["a masked frame after a good 101", "malformed-frame", (socket, key) => socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptOf(key)}\r\n\r\n`, "latin1"), Uint8Array.of(0x82, 0x81, 1, 2, 3, 4, 9)]))],
    ["headers without an end", "malformed-frame", (socket) => socket.write(`HTTP/1.1 101 Switching Protocols\r\nX: ${"y".repeat(20_000)}`)],
  ];
  for (const [what, code, answer] of hostile) {
    test(`a listener that answers with ${what}: refused as ${code}, counted, dialed again`, async () => {
      const server = createServer((socket) => {
        socket.on("error", () => undefined);
        let request = "";
        socket.on("data", (chunk: Buffer) => {
          request += chunk.toString("latin1");
          const key = /Sec-WebSocket-Key: (\S+)/i.exec(request)?.[1];
          if (request.includes("\r\n\r\n") && key !== undefined) answer(socket, key);
        });
      });
      const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
      const metrics = new Metrics("a");
      let ups = 0;
      const transport = new Transport({ self: "a", secret: "s", listenHost: "127.0.0.1", port: 0, peers: new Map([["b", { host: "127.0.0.1", port }]]), metrics, onMessage: () => undefined, onPeer: (_p, up) => void (up && ups++) });
      try {
        await transport.start();
        // Both channels (data, control) dial; each refusal is counted, and each channel dials again.
        await until(`${code} counted on a second attempt`, () => metrics.get("dial_retries_total", { peer: "b" }) >= 2 && metrics.get("remote_errors_total", { code }) >= 3, 10_000);
        assert.equal(ups, 0, "no link opens to a listener that is not a gaia node");
      } finally {
        transport.close();
        server.close();
      }
    });
  }
});
