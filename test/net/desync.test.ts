// Proves, over the real transport, that a secret holder's forged message on a live link never costs
// the real peer an update, and never leaves a link reconnecting forever: a duplicate flush sent as a
// shard right behind the target's ack, and a push of the wrong clock sent as a worker, are refused
// before the link takes their seq, so the real peer's frames with those seqs are delivered and its
// acks stay in step; and a forged push the receiver takes (the very clock it expects) puts the link
// out of step, which stops the node at once, naming the link (from -> to) and the cause. The
// receivers here refuse what a shard refuses (a second final flush, a push of another clock).
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { decodeFrame, encodeBody, encodeFrame, helloMac, Metrics, newNonce, Transport, upgradeProof, upgradeProofHeader, type PeerAddress } from "@gaia/net";
import { encodeUpdate, RemoteError, type Message } from "@gaia/core";
import { sleep, until } from "./support.js";

const secret = "s3cret";
const fast = { heartbeatMs: 50, peerTimeoutMs: 400, retransmitMs: 300 };
const live: Transport[] = [];
const sockets: WebSocket[] = [];
after(() => {
  sockets.forEach((ws) => ws.terminate());
  live.forEach((t) => t.close());
});

interface Node {
  transport: Transport;
  metrics: Metrics;
  got: Message[];
  port: number;
  /** What `onOutOfStep` said, if it was called. */
  stopped: string[];
}

/** A receiver that refuses a second final flush from one peer, and a push of any clock but the next. */
function shardLike(got: Message[]): (from: string, msg: Message) => void {
  const flushed = new Set<string>();
  const nextClock = new Map<string, number>();
  return (from, msg) => {
    if (msg.kind === "mirror-flush") {
      if (flushed.has(from)) throw new RemoteError("duplicate", `a second final flush from ${from}`);
      flushed.add(from);
    }
    if (msg.kind === "push") {
      const expected = nextClock.get(from) ?? 0;
      if (msg.clock !== expected) throw new RemoteError(msg.clock < expected ? "stale-clock" : "clock-from-future", `${from} pushed clock ${msg.clock}, expected ${expected}`);
      nextClock.set(from, expected + 1);
    }
    got.push(msg);
  };
}

async function node(self: string, peers: Record<string, number>, restartable: (peer: string) => boolean): Promise<Node> {
  const metrics = new Metrics(self);
  const got: Message[] = [];
  const stopped: string[] = [];
  const addresses = new Map<string, PeerAddress>(Object.entries(peers).map(([p, port]) => [p, { host: "127.0.0.1", port }]));
  const transport = new Transport({ self, secret, listenHost: "0.0.0.0", port: 0, peers: addresses, link: fast, metrics, onMessage: shardLike(got), onPeer: () => undefined, onOutOfStep: (message) => stopped.push(message), restartable });
  live.push(transport);
  const port = await transport.start();
  return { transport, metrics, got, port, stopped };
}

/** A secret holder posing as `self` (with `epoch`, the real one's) to `target` on the data channel. */
async function impostor(port: number, self: string, target: string, epoch: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { [upgradeProofHeader]: upgradeProof(secret, self, target, "data", Date.now()) } });
  sockets.push(ws);
  ws.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once("message", (data) => {
      const frame = decodeFrame(new Uint8Array(data as Buffer));
      if (frame.t !== "challenge") return reject(new Error("no challenge"));
      ws.send(encodeFrame({ t: "hello", node: self, target, channel: "data", nonce: newNonce(), mac: helloMac(secret, frame.nonce, self, target, "data", epoch), epoch }));
      ws.once("message", () => resolve());
    });
  });
  return ws;
}

const body = (value: number): Uint8Array => encodeUpdate(Uint32Array.of(0), Float32Array.of(value), 1, "f32").body;
const update = (source: string, clock: number): Message => ({ kind: "mirror-update", shard: 0, clock, sources: [source], body: body(clock + 1) });
const flush = (source: string): Message => ({ kind: "mirror-flush", shard: 0, sources: [source], body: body(0.5) });
const push = (clock: number, delta = 1): Message => ({ kind: "push", clock, rows: Uint32Array.of(clock), deltas: Float32Array.of(delta), last: false });
const names = (got: readonly Message[]): string[] => got.map((m) => (m.kind === "mirror-flush" ? "flush" : m.kind === "push" || m.kind === "mirror-update" ? `${m.kind}:${m.clock}` : m.kind));

describe("links: a refused message never costs the real peer its sequence numbers", () => {
  test("a duplicate flush sent as a shard right behind the target's ack is refused; both shards' next messages are delivered and no ack is out of step", async () => {
    // a dials b (the smaller id dials); the impostor connects to b's listener as a.
    const b = await node("d1/b", { "d1/a": 1 }, () => false);
    const a = await node("d1/a", { "d1/b": b.port }, () => false);
    a.transport.send("d1/b", update("d1", 0), "data");
    a.transport.send("d1/b", update("d1", 1), "data");
    a.transport.send("d1/b", flush("d1"), "data");
    await until("b acknowledged a's flush", () => b.got.length === 3 && a.transport.unacked === 0);
    // Seq 4 is a's next number on its link to b.
    const forged = await impostor(b.port, "d1/a", "d1/b", a.transport.epoch);
    forged.send(encodeFrame({ t: "data", seq: 4, ack: 0, body: encodeBody(flush("d1")) }));
    await until("the duplicate flush refused", () => b.metrics.get("remote_errors_total", { code: "duplicate" }) === 1);
    a.transport.send("d1/b", update("d1", 2), "data");
    for (let clock = 0; clock < 3; clock++) b.transport.send("d1/a", update("d2", clock), "data");
    b.transport.send("d1/a", flush("d2"), "data");
    await until("both shards' messages delivered", () => b.got.length === 4 && a.got.length === 4, 8000);
    assert.deepEqual(names(b.got), ["mirror-update:0", "mirror-update:1", "flush", "mirror-update:2"], "a's seq 4 is its real update, delivered once");
    assert.deepEqual(names(a.got), ["mirror-update:0", "mirror-update:1", "mirror-update:2", "flush"]);
    assert.equal(a.metrics.get("remote_errors_total", { code: "bad-ack" }), 0, "b never acknowledged what a had not sent");
    assert.deepEqual([...a.stopped, ...b.stopped], []);
  });

  test("a forged push that decodes cleanly, sent as the worker on a live link, is refused; the worker's own pushes are all delivered, in order", async () => {
    // s dials w; the impostor connects to s's listener as w.
    const w = await node("d2/w0", { "d2/s0": 1 }, () => true);
    const s = await node("d2/s0", { "d2/w0": w.port }, (peer) => peer.includes("/w"));
    for (let clock = 0; clock < 5; clock++) w.transport.send("d2/s0", push(clock), "data");
    await until("first pushes delivered", () => s.got.length === 5 && w.transport.unacked === 0);
    const forged = await impostor(s.port, "d2/w0", "d2/s0", w.transport.epoch);
    forged.send(encodeFrame({ t: "data", seq: 6, ack: 0, body: encodeBody(push(98)) }));
    await until("the forged push refused", () => s.metrics.get("remote_errors_total", { code: "clock-from-future" }) === 1);
    for (let clock = 5; clock < 10; clock++) w.transport.send("d2/s0", push(clock), "data");
    await until("the worker's pushes 5 to 9 delivered", () => s.got.length === 10, 8000);
    assert.deepEqual(names(s.got), Array.from({ length: 10 }, (_, clock) => `push:${clock}`), "exactly once, in order");
    assert.equal(w.metrics.get("remote_errors_total", { code: "bad-ack" }), 0);
    assert.deepEqual([...w.stopped, ...s.stopped], []);
  });
});

describe("links: out of step stops the node at once, naming the link and the cause", () => {
  test("a forged push the shard takes (the clock it expects): the worker's own push under that seq stops the shard", async () => {
    const w = await node("d3/w0", { "d3/s0": 1 }, () => true);
    const s = await node("d3/s0", { "d3/w0": w.port }, (peer) => peer.includes("/w"));
    for (let clock = 0; clock < 5; clock++) w.transport.send("d3/s0", push(clock), "data");
    await until("first pushes delivered", () => s.got.length === 5 && w.transport.unacked === 0);
    const forged = await impostor(s.port, "d3/w0", "d3/s0", w.transport.epoch);
    forged.send(encodeFrame({ t: "data", seq: 6, ack: 0, body: encodeBody(push(5, 1e6)) }));
    await until("the forgery taken", () => s.got.length === 6);
    forged.terminate();
    w.transport.send("d3/s0", push(5), "data");
    await until("the shard stopped", () => s.stopped.length === 1, 8000);
    assert.match(s.stopped[0]!, /^the link d3\/w0 -> d3\/s0 \(data\) is out of step: two different messages under seq 6/);
    assert.equal(s.metrics.get("links_out_of_step_total", { peer: "d3/w0", channel: "data" }), 1);
    await sleep(300);
    assert.equal(s.got.length, 6, "nothing delivered after it");
  });

  test("a forged push the shard takes before the worker numbered that seq: the worker hears acks of what it never sent, and stops", async () => {
    const w = await node("d4/w0", { "d4/s0": 1 }, () => true);
    const s = await node("d4/s0", { "d4/w0": w.port }, (peer) => peer.includes("/w"));
    for (let clock = 0; clock < 5; clock++) w.transport.send("d4/s0", push(clock), "data");
    await until("first pushes delivered", () => s.got.length === 5 && w.transport.unacked === 0);
    const forged = await impostor(s.port, "d4/w0", "d4/s0", w.transport.epoch);
    forged.send(encodeFrame({ t: "data", seq: 6, ack: 0, body: encodeBody(push(5)) }));
    await until("the forgery taken", () => s.got.length === 6);
    // The impostor leaves; the shard reconnects to the real worker and acknowledges seq 6.
    forged.terminate();
    await until("the worker stopped", () => w.stopped.length === 1, 8000);
    assert.match(w.stopped[0]!, /^the link d4\/w0 -> d4\/s0 \(data\) is out of step: the peer acknowledged messages never sent to it, on 2 connections in a row \(ack 6 beyond the last seq sent \(5\)\)/);
    assert.equal(w.metrics.get("remote_errors_total", { code: "bad-ack" }), 1, "the first connection's bad ack is only refused");
  });
});
