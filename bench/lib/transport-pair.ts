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
 * Keeps at most `window` sends in flight until `count` echoes came back; `send` sends one and
 * `echoed()` counts what came back so far (from 0 at the call); `burst` wraps each turn's sends
 * (a socket's cork and uncork).
 */
export async function pump(send: () => void, echoed: () => number, count: number, window: number, burst: (sends: () => void) => void = (sends) => sends()): Promise<void> {
  let sent = 0;
  while (echoed() < count) {
    burst(() => {
      while (sent < count && sent - echoed() < window) {
        send();
        sent++;
      }
    });
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * One echo that waits for the connection, then a warm-up of `window` echoes at the full window
 * (untimed): a long-running node's steady state, with the JIT warm and, on the gaia side, the body
 * pool filled by one window of acknowledged messages. Every echo loop of bench:net (gaia's and the
 * bare baselines') starts this way, so all of them are timed warm.
 */
export async function warmUp(send: () => void, echoed: () => number, reset: () => void, window: number, burst?: (sends: () => void) => void): Promise<void> {
  send();
  while (echoed() < 1) await new Promise((r) => setTimeout(r, 5));
  reset();
  await pump(send, echoed, window, window, burst);
  reset();
}

/**
 * Sends `msg` from `a` until `count` echoes came back, at most `window` in flight, after the
 * warm-up above; returns the seconds the `count` echoes took and the process's CPU time over them
 * (microseconds, user + system).
 */
export async function echoRun(a: Transport, echoed: { n: number }, msg: Message, count: number, window: number): Promise<{ seconds: number; cpuUs: number }> {
  const send = (): void => a.send("bench/b", msg, "data");
  const got = (): number => echoed.n;
  await warmUp(send, got, () => (echoed.n = 0), window);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await pump(send, got, count, window);
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { seconds, cpuUs: cpu.user + cpu.system };
}
