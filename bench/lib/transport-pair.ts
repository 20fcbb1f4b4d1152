/**
 * Two gaia transports on loopback, `bench/b` echoing every data message back to `bench/a`; `echoed`
 * counts what came back; `echoRun` times `count` echoes of one message through it. Shared by
 * bench:net and its profiling side (bench/net-profile.ts).
 * `carrier`: "ws" (uWS listener, ws dialer) or "unix" (the unix-socket carrier both ways).
 */
import { tmpdir } from "node:os";
import { performance } from "node:perf_hooks";
import type { Message } from "@gaia/core";
import { Metrics, Transport, type PeerAddress } from "@gaia/net";

export type Carrier = "ws" | "unix";

export async function transportPair(carrier: Carrier = "unix"): Promise<{ a: Transport; b: Transport; echoed: { n: number } }> {
  const echoed = { n: 0 };
  let bRef: Transport | null = null;
  const mk = (self: string, peers: Record<string, number>, onMessage: (from: string, msg: Message) => void): Transport =>
    new Transport({
      self,
      secret: "bench-secret",
      listenHost: "127.0.0.1",
      port: 0,
      peers: new Map<string, PeerAddress>(Object.entries(peers).map(([p, port]) => [p, { host: "127.0.0.1", port }])),
      link: { retransmitMs: 60_000, ackDelayMs: 2 },
      metrics: new Metrics(self),
      onMessage,
      // Both ends use every message up during the call (b encodes it again at once, a counts it),
      // as a shard uses up a push and a worker a read reply: views of reused memory are safe.
      usesUp: () => true,
      onPeer: () => undefined,
      ...(carrier === "unix" ? { unix: { dir: tmpdir(), peers: new Set(Object.keys(peers)) } } : {}),
    });
  const b = mk("bench/b", { "bench/a": 1 }, (from, msg) => bRef!.send(from, msg, "data"));
  bRef = b;
  const bPort = await b.start();
  const a = mk("bench/a", { "bench/b": bPort }, () => echoed.n++);
  await a.start();
  return { a, b, echoed };
}

/**
 * Sends `msg` from `a` until `count` echoes came back, at most `window` in flight, after one
 * warm-up echo that waits for the connection; returns the seconds the `count` echoes took and the
 * process's CPU time over them (microseconds, user + system).
 */
export async function echoRun(a: Transport, echoed: { n: number }, msg: Message, count: number, window: number): Promise<{ seconds: number; cpuUs: number }> {
  a.send("bench/b", msg, "data");
  while (echoed.n < 1) await new Promise((r) => setTimeout(r, 5));
  echoed.n = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let sent = 0;
  while (echoed.n < count) {
    while (sent < count && sent - echoed.n < window) {
      a.send("bench/b", msg, "data");
      sent++;
    }
    await new Promise((r) => setImmediate(r));
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { seconds, cpuUs: cpu.user + cpu.system };
}
