// The transport on loopback: messages arrive exactly once and in order, also across a cut
// connection; a peer without the secret is refused and counted; random bytes and truncated frames
// close only the offending connection, and the node keeps serving.
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { encodeBody, encodeFrame, Metrics, Transport, upgradeProof, upgradeProofHeader, type PeerAddress } from "@gaia/net";
import type { Message } from "@gaia/core";
import { sleep, until } from "./support.js";

const secret = "s3cret";
const fast = { heartbeatMs: 50, peerTimeoutMs: 400, retransmitMs: 300 };
const live: Transport[] = [];
after(() => live.forEach((t) => t.close()));


interface Node {
  transport: Transport;
  metrics: Metrics;
  got: { from: string; msg: Message }[];
  peerUp: Map<string, boolean>;
  port: number;
}

async function node(self: string, port: number, peers: Record<string, number>, key = secret): Promise<Node> {
  const metrics = new Metrics(self);
  const got: Node["got"] = [];
  const peerUp = new Map<string, boolean>();
  const addresses = new Map<string, PeerAddress>(Object.entries(peers).map(([p, port]) => [p, { host: "127.0.0.1", port }]));
  const transport = new Transport({
    self,
    secret: key,
    listenHost: "127.0.0.1",
    port,
    peers: addresses,
    link: fast,
    metrics,
    onMessage: (from, msg) => got.push({ from, msg }),
    onPeer: (peer, up) => peerUp.set(peer, up),
    routes: { "/metrics": () => metrics.prometheus() },
  });
  live.push(transport);
  const bound = await transport.start();
  return { transport, metrics, got, peerUp, port: bound };
}

const push = (clock: number): Message => ({ kind: "push", clock, rows: Uint32Array.of(clock), deltas: Float32Array.of(clock / 2), last: false });

describe("transport over loopback", () => {
  test("messages arrive once, in order, with typed arrays intact, across a cut connection", async () => {
    // The smaller id dials, so b needs a's name but never its address.
    const b2 = await node("dc/b", 0, { "dc/a": 1 });
    const a = await node("dc/a", 0, { "dc/b": b2.port });
    for (let i = 0; i < 200; i++) a.transport.send("dc/b", push(i), "data");
    await until("first half", () => b2.got.length >= 100);
    const text = await (await fetch(`http://127.0.0.1:${b2.port}/metrics`)).text();
    assert.match(text, /^# TYPE gaia_messages_received_total counter$/m);
    assert.match(text, /^gaia_messages_received_total\{channel="data",node="dc\/b"\} \d+$/m);
    a.transport.dropConnections();
    for (let i = 200; i < 400; i++) a.transport.send("dc/b", push(i), "data");
    await until("all messages", () => b2.got.length >= 400);
    await sleep(100);
    assert.equal(b2.got.length, 400);
    b2.got.forEach((g, i) => {
      assert.equal(g.from, "dc/a");
      assert.equal(g.msg.kind, "push");
      if (g.msg.kind === "push") {
        assert.equal(g.msg.clock, i);
        assert.ok(g.msg.deltas instanceof Float32Array);
        assert.equal(g.msg.deltas[0], i / 2);
      }
    });
    await until("peer up", () => b2.peerUp.get("dc/a") === true);
    await until("acks drain", () => a.transport.unacked === 0);
  });

  test("a peer with the wrong secret is refused and counted", async () => {
    const b = await node("x/b", 0, { "x/a": 1 });
    const a = await node("x/a", 0, { "x/b": b.port }, "wrong");
    a.transport.send("x/b", push(1), "data");
    await until("rejections", () => b.metrics.total("auth_rejected_total") >= 2 && a.metrics.total("auth_rejected_total") === 0);
    await sleep(200);
    assert.equal(b.got.length, 0);
    a.transport.close();
  });

  test("random bytes, truncated frames and frames before the hello (from a secret holder past the upgrade) do not crash the node", async () => {
    const b = await node("y/b", 0, { "y/a": 1 });
    const attempts: Uint8Array[] = [
      Uint8Array.of(0xc1),
      Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff),
      encodeFrame({ t: "data", seq: 1, ack: 0, body: encodeBody(push(1)) }),
      encodeFrame({ t: "hb" }).slice(0, 2),
    ];
    for (const bytes of attempts) {
      const ws = new WebSocket(`ws://127.0.0.1:${b.port}/`, { headers: { [upgradeProofHeader]: upgradeProof(secret, "y/a", "y/b", "data", Date.now()) } });
      const closed = new Promise<void>((resolve) => ws.on("close", () => resolve()));
      ws.on("error", () => undefined);
      ws.on("open", () => ws.send(bytes));
      await closed;
    }
    assert.ok(b.metrics.total("remote_errors_total") >= attempts.length);
    // Still serving: a proper peer connects and delivers.
    const a = await node("y/a", 0, { "y/b": b.port });
    a.transport.send("y/b", push(5), "data");
    await until("delivery after garbage", () => b.got.length === 1);
  });
});
