// Small frames of one burst leave coalesced into batch messages, large ones alone (envelope.ts): over
// real connections, in both directions (the listener's uWS side and the dialer's ws side), a burst
// that mixes small and large messages on both channels arrives exactly once and in order per
// channel, with its payloads intact.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Metrics, Transport, type ChannelName, type PeerAddress } from "@gaia/net";
import type { Message } from "@gaia/core";
import { until as waitUntil } from "./support.js";

const live: Transport[] = [];
after(() => live.forEach((t) => t.close()));

interface Node {
  readonly transport: Transport;
  readonly got: { channel: ChannelName; msg: Message }[];
  readonly port: number;
}

async function node(self: string, peers: Record<string, number>): Promise<Node> {
  const got: Node["got"] = [];
  const transport = new Transport({
    self,
    secret: "batch-secret",
    listenHost: "127.0.0.1",
    port: 0,
    peers: new Map<string, PeerAddress>(Object.entries(peers).map(([p, port]) => [p, { host: "127.0.0.1", port }])),
    link: { heartbeatMs: 50, peerTimeoutMs: 2000, retransmitMs: 5000 },
    metrics: new Metrics(self),
    onMessage: (_from, msg, channel) => got.push({ channel, msg }),
    onPeer: () => undefined,
  });
  live.push(transport);
  return { transport, got, port: await transport.start() };
}

/** Message i of a burst: every 25th is a 100 kB push (sent alone), the others small. */
const pushOf = (i: number): Message => {
  const rows = i % 25 === 0 ? 25_000 : 2;
  return { kind: "push", clock: i, rows: Uint32Array.from({ length: rows }, (_, r) => r), deltas: new Float32Array(rows).fill(i / 4), last: false };
};
const barrierOf = (i: number): Message => ({ kind: "barrier", shard: 0, clock: i, source: "dc", rows: Uint32Array.of(i) });

const until = (what: string, check: () => boolean): Promise<void> => waitUntil(what, check, 10_000);

function checkArrived(got: Node["got"], count: number): void {
  const data = got.filter((g) => g.channel === "data").map((g) => g.msg);
  const control = got.filter((g) => g.channel === "control").map((g) => g.msg);
  assert.equal(data.length, count);
  assert.equal(control.length, count);
  data.forEach((msg, i) => {
    assert.ok(msg.kind === "push" && msg.clock === i, `data message ${i} in order`);
    if (msg.kind === "push") {
      assert.equal(msg.deltas.length, i % 25 === 0 ? 25_000 : 2);
      assert.ok(msg.deltas.every((d) => d === i / 4));
    }
  });
  control.forEach((msg, i) => assert.ok(msg.kind === "barrier" && msg.clock === i && msg.rows[0] === i, `control message ${i} in order`));
}

test("a burst of small and large messages on both channels arrives once and in order, both ways", async () => {
  const count = 300;
  const b = await node("dc/b", { "dc/a": 1 });
  const a = await node("dc/a", { "dc/b": b.port });
  // Both directions in the same synchronous burst: a dials (its frames leave through ws), b listens (uWS).
  for (let i = 0; i < count; i++) {
    a.transport.send("dc/b", pushOf(i), "data");
    a.transport.send("dc/b", barrierOf(i), "control");
    b.transport.send("dc/a", pushOf(i), "data");
    b.transport.send("dc/a", barrierOf(i), "control");
  }
  await until("every message both ways", () => a.got.length >= 2 * count && b.got.length >= 2 * count);
  await new Promise((r) => setTimeout(r, 100));
  checkArrived(b.got, count);
  checkArrived(a.got, count);
});
