// Proves the transport's connection hygiene and its distrust of authenticated peers: silent and
// half-sent connections are closed at the handshake deadline; pending connections are capped per
// node and per source address; a bogus ack, a frame far beyond the window and a message on the
// wrong channel are refused and counted; a refused frame does not use up the sender's sequence
// numbers; and after all of it the node still serves honest peers.
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { decodeFrame, encodeBody, encodeFrame, helloMac, Metrics, newNonce, Transport, upgradeProof, upgradeProofHeader, type Hygiene, type PeerAddress } from "@gaia/net";
import type { Message } from "@gaia/core";
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
  got: { from: string; msg: Message }[];
  port: number;
}

async function node(self: string, peers: Record<string, number>, hygiene: Partial<Hygiene> = {}, restartable?: (peer: string) => boolean): Promise<Node> {
  const metrics = new Metrics(self);
  const got: Node["got"] = [];
  const addresses = new Map<string, PeerAddress>(Object.entries(peers).map(([p, port]) => [p, { host: "127.0.0.1", port }]));
  const transport = new Transport({ self, secret, listenHost: "0.0.0.0", port: 0, peers: addresses, link: fast, metrics, hygiene, onMessage: (from, msg) => got.push({ from, msg }), onPeer: () => undefined, routes: { "/metrics": () => metrics.prometheus() }, ...(restartable ? { restartable } : {}) });
  live.push(transport);
  const port = await transport.start();
  return { transport, metrics, got, port };
}

/** The upgrade header of a secret holder posing as `self` to `target` (see auth.ts's upgradeProof). */
const proof = (self: string, target: string, channel = "data"): Record<string, string> => ({ [upgradeProofHeader]: upgradeProof(secret, self, target, channel, Date.now()) });

/**
 * A connection from `localAddress` that proves the secret in its upgrade and then never says a
 * word (it only holds the socket): a secret holder; one without the secret gets no WebSocket.
 */
async function silent(port: number, localAddress = "127.0.0.1", self = "h1/a", target = "h1/b"): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { localAddress, headers: proof(self, target) });
  sockets.push(ws);
  ws.on("error", () => undefined);
  await new Promise<void>((resolve) => {
    ws.on("open", () => resolve());
    ws.on("close", () => resolve());
  });
  return ws;
}

const isOpen = (ws: WebSocket): boolean => ws.readyState === WebSocket.OPEN;

/** A hostile peer that knows the secret: it authenticates as `self` to `target`, then sends `frames`. */
async function authenticated(port: number, self: string, target: string, channel: "data" | "control", epoch = ""): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: proof(self, target, channel) });
  sockets.push(ws);
  ws.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once("message", (data) => {
      const frame = decodeFrame(new Uint8Array(data as Buffer));
      if (frame.t !== "challenge") return reject(new Error("no challenge"));
      ws.send(encodeFrame({ t: "hello", node: self, target, channel, nonce: newNonce(), mac: helloMac(secret, frame.nonce, self, target, channel, epoch), epoch }));
      ws.once("message", () => resolve());
    });
  });
  return ws;
}

const push = (clock: number): Message => ({ kind: "push", clock, rows: Uint32Array.of(clock), deltas: Float32Array.of(1), last: false });

describe("transport: connection hygiene", () => {
  test("silent connections are closed at the handshake deadline and counted", async () => {
    const b = await node("h1/b", { "h1/a": 1 }, { handshakeMs: 300 });
    const conns = await Promise.all(Array.from({ length: 20 }, () => silent(b.port)));
    assert.equal(b.transport.pendingConnections, 20);
    await until("deadline", () => conns.every((ws) => !isOpen(ws)), 4000);
    assert.equal(b.transport.pendingConnections, 0);
    assert.equal(b.metrics.get("connections_refused_total", { reason: "handshake-timeout" }), 20);
  });

  test("pending connections are capped per source address and per node; an honest peer still gets in", async () => {
    const b = await node("h2/b", { "h2/a": 1 }, { handshakeMs: 800, pendingMax: 12, pendingPerAddressMax: 5 });
    const one = await Promise.all(Array.from({ length: 15 }, () => silent(b.port, "127.0.0.1", "h2/a", "h2/b")));
    await sleep(50);
    assert.equal(one.filter(isOpen).length, 5, "five from one address");
    assert.equal(b.metrics.get("connections_refused_total", { reason: "address-cap" }), 10);
    const others = await Promise.all(["127.0.0.2", "127.0.0.3", "127.0.0.4"].flatMap((address) => Array.from({ length: 5 }, () => silent(b.port, address, "h2/a", "h2/b"))));
    await sleep(50);
    assert.equal(b.transport.pendingConnections, 12, "at most twelve in all");
    assert.equal(others.filter(isOpen).length, 7);
    assert.equal(b.metrics.get("connections_refused_total", { reason: "pending-cap" }), 8);
    // Once the silent ones time out, an honest peer connects and delivers.
    const a = await node("h2/a", { "h2/b": b.port });
    a.transport.send("h2/b", push(0), "data");
    await until("honest delivery", () => b.got.length === 1, 6000);
    const text = await (await fetch(`http://127.0.0.1:${b.port}/metrics`)).text();
    assert.match(text, /^# HELP gaia_connections_refused_total /m);
    assert.match(text, /^gaia_connections_refused_total\{[^}]*reason="address-cap"[^}]*\} 10$/m);
  });
});

describe("transport: authenticated but hostile peers", () => {
  test("a bogus ack, a seq far beyond the window and a barrier on the data channel are refused and counted", async () => {
    const b = await node("h3/b", { "h3/a": 1 });
    const ack = await authenticated(b.port, "h3/a", "h3/b", "data");
    ack.send(encodeFrame({ t: "ack", ack: 1_000_000 }));
    await until("bad-ack closes", () => !isOpen(ack));
    assert.equal(b.metrics.get("remote_errors_total", { code: "bad-ack" }), 1);

    const far = await authenticated(b.port, "h3/a", "h3/b", "data");
    far.send(encodeFrame({ t: "data", seq: 2 ** 40, ack: 0, body: encodeBody(push(0)) }));
    await until("beyond-window closes", () => !isOpen(far));
    assert.equal(b.metrics.get("remote_errors_total", { code: "beyond-window" }), 1);

    const wrong = await authenticated(b.port, "h3/a", "h3/b", "data");
    wrong.send(encodeFrame({ t: "data", seq: 1, ack: 0, body: encodeBody({ kind: "barrier", shard: 0, clock: 0, source: "h3", rows: Uint32Array.of(1) }) }));
    await until("wrong-channel closes", () => !isOpen(wrong));
    assert.equal(b.metrics.get("remote_errors_total", { code: "wrong-channel" }), 1);
    // A read reply that would put 3e38 in a worker's values (3e38 + 3e38 is Infinity in float32).
    // The refused barrier did not use up seq 1, so this one is seq 1 too.
    const huge = await authenticated(b.port, "h3/a", "h3/b", "data");
    huge.send(encodeFrame({ t: "data", seq: 1, ack: 0, body: encodeBody({ kind: "read-reply", clock: 0, localClock: 0, rows: Uint32Array.of(0), values: Float32Array.of(3e38) }) }));
    await until("non-finite counted", () => b.metrics.get("remote_errors_total", { code: "non-finite" }) === 1);
    assert.equal(b.got.length, 0, "nothing was delivered to the role");
  });
});

describe("transport: a secret holder posing as a peer", () => {
  test("posing as a shard with another epoch is refused; posing as a worker sets its link aside, and the real worker continues where it was", async () => {
    // s dials w (the smaller id dials); the impostors connect to s's listener.
    const w = await node("p/w0", { "p/s0": 1 }, {}, () => true);
    const s = await node("p/s0", { "p/w0": w.port, "p/s1": 1 }, {}, (peer) => peer.includes("/w"));
    for (let i = 0; i < 5; i++) w.transport.send("p/s0", push(i), "data");
    for (let i = 0; i < 5; i++) s.transport.send("p/w0", push(i), "data");
    await until("first exchange", () => s.got.length === 5 && w.got.length === 5);
    const workerImpostor = await authenticated(s.port, "p/w0", "p/s0", "data", "impostor");
    workerImpostor.send(encodeFrame({ t: "data", seq: 1, ack: 0, body: encodeBody(push(99)) }));
    await sleep(100);
    // Sent while the impostor holds the link: meant for the worker, and it must get them.
    for (let i = 100; i < 103; i++) s.transport.send("p/w0", push(i), "data");
    await sleep(200);
    workerImpostor.terminate();
    for (let i = 5; i < 10; i++) w.transport.send("p/s0", push(i), "data");
    for (let i = 5; i < 10; i++) s.transport.send("p/w0", push(i), "data");
    await until("the real worker continues", () => s.got.filter((g) => g.msg.kind === "push" && g.msg.clock < 10).length === 10 && w.got.length === 13, 8000);
    assert.deepEqual(w.got.map((g) => (g.msg.kind === "push" ? g.msg.clock : -1)), [0, 1, 2, 3, 4, 100, 101, 102, 5, 6, 7, 8, 9], "exactly once, in order");
    assert.deepEqual(s.got.filter((g) => g.msg.kind === "push" && g.msg.clock !== 99).map((g) => (g.msg.kind === "push" ? g.msg.clock : -1)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(s.metrics.total("peer_restarts_total"), 2, "set aside for the impostor, and back");
  });

  test("a refused frame injected as the worker (its own epoch) does not use up the worker's sequence numbers", async () => {
    const w = await node("r/w0", { "r/s0": 1 }, {}, () => true);
    const s = await node("r/s0", { "r/w0": w.port }, {}, (peer) => peer.includes("/w"));
    for (let i = 0; i < 5; i++) w.transport.send("r/s0", push(i), "data");
    await until("first exchange", () => s.got.length === 5);
    // Seq 6 and 8 are the worker's next numbers: a NaN push in order, then a barrier (wrong channel) early.
    const injected = await authenticated(s.port, "r/w0", "r/s0", "data", w.transport.epoch);
    injected.send(encodeFrame({ t: "data", seq: 6, ack: 0, body: encodeBody({ kind: "push", clock: 98, rows: Uint32Array.of(0), deltas: Float32Array.of(Number.NaN), last: false }) }));
    await until("non-finite refused", () => s.metrics.get("remote_errors_total", { code: "non-finite" }) === 1);
    const early = await authenticated(s.port, "r/w0", "r/s0", "data", w.transport.epoch);
    early.send(encodeFrame({ t: "data", seq: 8, ack: 0, body: encodeBody({ kind: "barrier", shard: 0, clock: 0, source: "r", rows: Uint32Array.of(1) }) }));
    await sleep(200);
    for (let i = 5; i < 10; i++) w.transport.send("r/s0", push(i), "data");
    await until("the real worker's frames 6 to 10 are accepted", () => s.got.length >= 10, 8000);
    assert.deepEqual(s.got.map((g) => (g.msg.kind === "push" ? g.msg.clock : -1)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "exactly once, in order");
    assert.equal(s.metrics.get("remote_errors_total", { code: "wrong-channel" }), 1);
  });

  test("a peer that may not restart (a shard or hub) and shows another epoch is refused; its link is untouched", async () => {
    const b = await node("q/b", { "q/a": 1 }, {}, () => false);
    const a = await node("q/a", { "q/b": b.port });
    for (let i = 0; i < 3; i++) a.transport.send("q/b", push(i), "data");
    await until("first exchange", () => b.got.length === 3);
    const impostor = await authenticated(b.port, "q/a", "q/b", "data", "impostor");
    await until("refused", () => b.metrics.get("remote_errors_total", { code: "bad-field" }) === 1);
    impostor.terminate();
    for (let i = 3; i < 6; i++) a.transport.send("q/b", push(i), "data");
    await until("the real peer continues", () => b.got.length === 6, 8000);
    assert.deepEqual(b.got.map((g) => (g.msg.kind === "push" ? g.msg.clock : -1)), [0, 1, 2, 3, 4, 5]);
    assert.equal(b.metrics.total("peer_restarts_total"), 0);
  });
});
