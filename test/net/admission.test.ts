// Proves connection admission against peers that do not hold the secret: a WebSocket upgrade
// without a valid proof never becomes a WebSocket (so it can buffer nothing), and a unix-socket
// connection may not announce a frame larger than a hello before its hello; 16 connections that
// each try to send a 64 MiB frame leave the listener's memory flat and are each refused and
// counted. And a peer that restarts while an attacker holds every pending slot it can (and
// re-opens any that close) gets in within a second, over either carrier.
import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { lengthPrefix, Metrics, Transport, unixPathOf, upgradeProof, upgradeProofHeader, type Hygiene, type PeerAddress } from "@gaia/net";
import type { Message } from "@gaia/core";
import { until } from "./support.js";

const secret = "s3cret-admission";
const dir = mkdtempSync(join(tmpdir(), "gaia-admission-test-"));
const fast = { heartbeatMs: 50, peerTimeoutMs: 400, retransmitMs: 300 };
const live: Transport[] = [];
const stops: (() => void)[] = [];
after(() => {
  stops.forEach((stop) => stop());
  live.forEach((t) => t.close());
});

interface Node {
  transport: Transport;
  metrics: Metrics;
  got: { from: string; msg: Message }[];
  port: number;
}

async function node(self: string, peers: Record<string, number>, options: { hygiene?: Partial<Hygiene>; unix?: boolean; port?: number; restartable?: boolean } = {}): Promise<Node> {
  const metrics = new Metrics(self);
  const got: Node["got"] = [];
  const addresses = new Map<string, PeerAddress>(Object.entries(peers).map(([p, port]) => [p, { host: "127.0.0.1", port }]));
  const transport = new Transport({
    self,
    secret,
    listenHost: "127.0.0.1",
    port: options.port ?? 0,
    peers: addresses,
    link: fast,
    metrics,
    hygiene: options.hygiene ?? {},
    ...(options.restartable ? { restartable: () => true } : {}),
    ...(options.unix ? { unix: { dir, peers: new Set(Object.keys(peers)) } } : {}),
    onMessage: (from, msg) => got.push({ from, msg }),
    onPeer: () => undefined,
  });
  live.push(transport);
  const port = await transport.start();
  return { transport, metrics, got, port };
}

const push = (clock: number): Message => ({ kind: "push", clock, rows: Uint32Array.of(clock), deltas: Float32Array.of(1), last: false });

const frameBytes = 64 * 1024 * 1024;
/** One 64 MiB payload, shared by every hostile connection (the sender's memory is not the listener's). */
const payload = Buffer.alloc(frameBytes, 7);

/** A client WebSocket frame header for a binary message of `length` bytes, masked with a zero key. */
function clientHeader(length: number): Buffer {
  const head = Buffer.alloc(14);
  head[0] = 0x82;
  head[1] = 0x80 | 127;
  head.writeBigUInt64BE(BigInt(length), 2);
  return head; // the last four bytes are the zero masking key
}

/**
 * Opens `socket`, writes `chunks` in turn, then (if any) `afterAnswer` once the listener first
 * answers (uWS drops a connection whose frames come before its 101), and resolves once the
 * listener has closed it or after `ms`.
 */
function attempt(open: () => Socket, chunks: readonly Uint8Array[], ms: number, afterAnswer: readonly Uint8Array[] = []): Promise<void> {
  return new Promise((resolve) => {
    const socket = open();
    const timer = setTimeout(() => {
      socket.destroy();
      resolve();
    }, ms);
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on("connect", () => {
      for (const chunk of chunks) socket.write(chunk);
    });
    socket.once("data", () => {
      for (const chunk of afterAnswer) socket.write(chunk);
      socket.on("data", () => undefined);
    });
  });
}

/** The largest resident set seen while `work` runs, above the one before it, in MB. */
async function rssGrowthMb(work: () => Promise<unknown>): Promise<number> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return (peak - before) / 1e6;
}

/**
 * An attacker that keeps `count` connections open (each made by `open`) and re-opens any that
 * close, until stopped.
 */
function holdOpen(count: number, open: (onClose: () => void) => { close(): void }): () => void {
  let stopped = false;
  const held = new Set<{ close(): void }>();
  const one = (): void => {
    if (stopped) return;
    const conn = open(() => {
      held.delete(conn);
      if (!stopped) setTimeout(one, 1);
    });
    held.add(conn);
  };
  for (let i = 0; i < count; i++) one();
  const stop = (): void => {
    stopped = true;
    for (const conn of held) conn.close();
  };
  stops.push(stop);
  return stop;
}

describe("transport: admission before authentication", () => {
  test("16 WebSocket upgrades without a proof, each followed by a 64 MiB frame, are refused and cost the listener no memory", async (t) => {
    const b = await node("m1/b", { "m1/a": 1 });
    const upgrade = Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${b.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`, "latin1");
    const growth = await rssGrowthMb(() => Promise.all(Array.from({ length: 16 }, () => attempt(() => connect({ host: "127.0.0.1", port: b.port }), [upgrade], 8000, [clientHeader(frameBytes - 1024), payload.subarray(1024)]))));
    t.diagnostic(`the listener grew by ${growth.toFixed(1)} MB`);
    assert.ok(growth < 100, `the listener grew by ${growth.toFixed(0)} MB`);
    assert.equal(b.metrics.get("connections_refused_total", { reason: "unauthenticated" }), 16);
    assert.equal(b.transport.pendingConnections, 0);
  });

  test("16 unix connections that each announce a 64 MiB frame before their hello are refused at the length and cost no memory", async (t) => {
    const b = await node("m2/b", { "m2/a": 1 }, { unix: true });
    const growth = await rssGrowthMb(() => Promise.all(Array.from({ length: 16 }, () => attempt(() => connect({ path: unixPathOf(dir, b.port) }), [lengthPrefix(frameBytes), payload], 8000))));
    t.diagnostic(`the listener grew by ${growth.toFixed(1)} MB`);
    assert.ok(growth < 100, `the listener grew by ${growth.toFixed(0)} MB`);
    assert.equal(b.metrics.get("connections_refused_total", { reason: "hello-oversized" }), 16);
    assert.equal(b.transport.pendingConnections, 0);
  });
});

/** Whether an upgrade carrying `proof` becomes a WebSocket. */
function upgrades(port: number, proof: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { [upgradeProofHeader]: proof } });
    ws.on("open", () => {
      ws.terminate();
      resolve(true);
    });
    ws.on("error", () => resolve(false));
  });
}

describe("transport: the upgrade's proof", () => {
  test("a proof with a wrong secret, for another node, stale or replayed is refused and counted; a fresh one gets a WebSocket", async () => {
    const b = await node("p1/b", { "p1/a": 1 });
    const now = Date.now();
    const fresh = upgradeProof(secret, "p1/a", "p1/b", "data", now);
    assert.equal(await upgrades(b.port, fresh), true);
    assert.equal(await upgrades(b.port, fresh), false, "the same proof again");
    assert.equal(b.metrics.get("connections_refused_total", { reason: "replayed-proof" }), 1);
    assert.equal(await upgrades(b.port, upgradeProof(secret, "p1/a", "p1/b", "data", now - 120_000)), false, "two minutes old");
    assert.equal(await upgrades(b.port, upgradeProof(secret, "p1/a", "p1/b", "data", now + 120_000)), false, "two minutes ahead");
    assert.equal(b.metrics.get("connections_refused_total", { reason: "stale-proof" }), 2);
    assert.equal(await upgrades(b.port, upgradeProof("wrong", "p1/a", "p1/b", "data", now)), false, "a wrong secret");
    assert.equal(await upgrades(b.port, upgradeProof(secret, "p1/a", "p1/c", "data", now)), false, "made for another listener");
    assert.equal(await upgrades(b.port, upgradeProof(secret, "p1/z", "p1/b", "data", now)), false, "from a node that is no peer");
    assert.equal(await upgrades(b.port, "v1 garbage"), false, "malformed");
    assert.equal(b.metrics.get("connections_refused_total", { reason: "unauthenticated" }), 4);
  });

  test("when the nonces remembered are full, the oldest go and proofs up to their time are refused as stale", async () => {
    const b = await node("p2/b", { "p2/a": 1 }, { hygiene: { upgradeNoncesMax: 2 } });
    const now = Date.now();
    assert.equal(await upgrades(b.port, upgradeProof(secret, "p2/a", "p2/b", "data", now - 3000)), true);
    const second = upgradeProof(secret, "p2/a", "p2/b", "data", now - 2000);
    assert.equal(await upgrades(b.port, second), true);
    assert.equal(await upgrades(b.port, upgradeProof(secret, "p2/a", "p2/b", "data", now - 1000)), true);
    assert.equal(await upgrades(b.port, upgradeProof(secret, "p2/a", "p2/b", "data", now - 3000)), false, "as old as a forgotten nonce");
    assert.equal(await upgrades(b.port, second), false, "still remembered");
    assert.equal(await upgrades(b.port, upgradeProof(secret, "p2/a", "p2/b", "data", now)), true);
  });
});

describe("transport: a restarted peer under an idle-connection attack", () => {
  const hygiene = { handshakeMs: 5000, pendingMax: 8, pendingPerAddressMax: 4 };

  // The peer is a worker: it comes back with a new epoch, and its links start over.
  /** Starts `a` (which dials `b`), and returns how long until `b` has its next message. */
  async function restartAndDeliver(b: Node, a: () => Promise<Node>): Promise<number> {
    const already = b.got.length;
    const started = performance.now();
    const peer = await a();
    peer.transport.send(b.transport.options.self, push(already), "data");
    await until("the restarted peer's message", () => b.got.length > already, 10_000);
    return performance.now() - started;
  }

  test("over WebSocket: idle connections from the same address do not keep it out", async (t) => {
    const b = await node("r1/b", { "r1/a": 1 }, { hygiene, restartable: true });
    const first = await node("r1/a", { "r1/b": b.port });
    await restartAndDeliver(b, async () => first);
    first.transport.close();
    holdOpen(hygiene.pendingMax, (onClose) => {
      const ws = new WebSocket(`ws://127.0.0.1:${b.port}/`);
      ws.on("error", () => undefined);
      ws.on("close", onClose);
      return { close: () => ws.terminate() };
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const ms = await restartAndDeliver(b, () => node("r1/a", { "r1/b": b.port }));
    t.diagnostic(`the restarted peer got in after ${ms.toFixed(0)} ms`);
    assert.ok(ms < 1000, `the restarted peer got in after ${ms.toFixed(0)} ms`);
  });

  test("over a unix socket: idle connections do not keep it out; the oldest is evicted for it", async (t) => {
    const b = await node("r2/b", { "r2/a": 1 }, { hygiene, unix: true, restartable: true });
    const first = await node("r2/a", { "r2/b": b.port }, { unix: true });
    await restartAndDeliver(b, async () => first);
    first.transport.close();
    holdOpen(hygiene.pendingMax, (onClose) => {
      const socket = connect({ path: unixPathOf(dir, b.port) });
      socket.on("error", () => socket.destroy());
      socket.on("data", () => undefined);
      socket.on("close", onClose);
      return { close: () => socket.destroy() };
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(b.transport.pendingConnections, hygiene.pendingPerAddressMax, "the attacker holds every slot of its address");
    const ms = await restartAndDeliver(b, () => node("r2/a", { "r2/b": b.port }, { unix: true }));
    t.diagnostic(`the restarted peer got in after ${ms.toFixed(0)} ms`);
    assert.ok(ms < 1000, `the restarted peer got in after ${ms.toFixed(0)} ms`);
    assert.ok(b.metrics.get("connections_refused_total", { reason: "address-cap" }) >= 1);
  });

  test("a peer that proved the secret in its upgrade evicts an unauthenticated unix connection at the node's cap", async (t) => {
    const capped = { handshakeMs: 5000, pendingMax: 6, pendingPerAddressMax: 6 };
    const b = await node("r3/b", { "r3/a": 1 }, { hygiene: capped, unix: true, restartable: true });
    holdOpen(capped.pendingMax, (onClose) => {
      const socket = connect({ path: unixPathOf(dir, b.port) });
      socket.on("error", () => socket.destroy());
      socket.on("data", () => undefined);
      socket.on("close", onClose);
      return { close: () => socket.destroy() };
    });
    await until("the attacker holds every slot", () => b.transport.pendingConnections === capped.pendingMax, 5000);
    const ms = await restartAndDeliver(b, () => node("r3/a", { "r3/b": b.port }));
    t.diagnostic(`the peer got in after ${ms.toFixed(0)} ms`);
    assert.ok(ms < 1000, `the peer got in after ${ms.toFixed(0)} ms`);
    assert.ok(b.metrics.get("connections_refused_total", { reason: "pending-cap" }) >= 1);
  });
});
