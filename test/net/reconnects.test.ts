// Proves that gaia_reconnects_total counts connections re-established after a loss, and nothing
// else: the first dials of a run, made before the peer listens (a launch starts every node at once),
// are dial retries (gaia_dial_retries_total), not reconnects; a connection that closes and comes
// back is one reconnect per channel.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { Metrics, Transport, type PeerAddress } from "@gaia/net";
import { until } from "./support.js";

const live: Transport[] = [];
after(() => live.forEach((t) => t.close()));

/** A port nothing listens on yet (bound, read, released). */
async function freePort(): Promise<number> {
  const server = createServer();
  const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function transport(self: string, port: number, peers: Record<string, number>): { transport: Transport; metrics: Metrics; up: Set<string> } {
  const metrics = new Metrics(self, { processMetrics: false });
  const up = new Set<string>();
  const addresses = new Map<string, PeerAddress>(Object.entries(peers).map(([p, peerPort]) => [p, { host: "127.0.0.1", port: peerPort }]));
  const t = new Transport({
    self,
    secret: "s",
    listenHost: "127.0.0.1",
    port,
    peers: addresses,
    link: { heartbeatMs: 50, peerTimeoutMs: 400, retransmitMs: 300 },
    metrics,
    onMessage: () => undefined,
    onPeer: (peer, isUp) => void (isUp ? up.add(peer) : up.delete(peer)),
  });
  live.push(t);
  return { transport: t, metrics, up };
}

test("reconnects: dials that race the peer's listener are retries; a lost connection that comes back is a reconnect", async () => {
  const portB = await freePort();
  // a dials b (the smaller id dials) before b listens: its dials fail and are made again.
  const a = transport("dc/a", 0, { "dc/b": portB });
  await a.transport.start();
  await until("a dialed b again", () => a.metrics.get("dial_retries_total", { peer: "dc/b" }) >= 2, 10_000);
  const b = transport("dc/b", portB, { "dc/a": 1 });
  await b.transport.start();
  await until("a and b connected", () => a.up.has("dc/b") && b.up.has("dc/a"), 10_000);
  await until("both channels connected", () => a.metrics.total("connections_total") === 2, 10_000);
  assert.equal(a.metrics.get("reconnects_total", { peer: "dc/b" }), 0, "the first connection is not a reconnect, however many dials it took");
  assert.equal(b.metrics.get("reconnects_total", { peer: "dc/a" }), 0);

  a.transport.dropConnections();
  await until("both channels back", () => a.metrics.total("connections_total") === 4, 10_000);
  assert.equal(a.metrics.get("reconnects_total", { peer: "dc/b" }), 2, "one reconnect per channel (data, control)");
  assert.equal(b.metrics.get("reconnects_total", { peer: "dc/a" }), 2);
  const text = await a.metrics.prometheus();
  assert.match(text, /^# HELP gaia_reconnects_total Connections to a peer re-established after a loss/m);
  assert.match(text, /^# HELP gaia_dial_retries_total Dials to a peer made again/m);
});
