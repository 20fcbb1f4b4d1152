// One side of bench:net, alone, for a CPU profile: the gaia transport echo of one payload size.
//   node --cpu-prof --cpu-prof-dir=DIR --conditions=source --import tsx bench/net-profile.ts ROWS COUNT
import { performance } from "node:perf_hooks";
import type { Message } from "@gaia/core";
import { Metrics, Transport, type PeerAddress } from "@gaia/net";

const rows = Number(process.argv[2] ?? 16);
const count = Number(process.argv[3] ?? 20_000);
const cols = 16;
const window = Number(process.env["BENCH_WINDOW"] ?? 256);
const msg: Message = { kind: "push", clock: 1, rows: Uint32Array.from({ length: rows }, (_, i) => i), deltas: Float32Array.from({ length: rows * cols }, (_, i) => (i % 7) * 0.01), last: false };
let echoed = 0;
let bRef: Transport | null = null;
const mk = (self: string, peers: Record<string, number>, onMessage: (from: string, m: Message) => void): Transport =>
  new Transport({
    self,
    secret: "bench-secret",
    listenHost: "127.0.0.1",
    port: 0,
    peers: new Map<string, PeerAddress>(Object.entries(peers).map(([p, port]) => [p, { host: "127.0.0.1", port }])),
    link: { retransmitMs: 60_000, ackDelayMs: 2 },
    metrics: new Metrics(self),
    onMessage,
    onPeer: () => undefined,
  });
const b = mk("bench/b", { "bench/a": 1 }, (from, m) => bRef!.send(from, m, "data"));
bRef = b;
const a = mk("bench/a", { "bench/b": await b.start() }, () => echoed++);
await a.start();
a.send("bench/b", msg, "data");
while (echoed < 1) await new Promise((r) => setTimeout(r, 5));
echoed = 0;
const start = performance.now();
let sent = 0;
while (echoed < count) {
  while (sent < count && sent - echoed < window) {
    a.send("bench/b", msg, "data");
    sent++;
  }
  await new Promise((r) => setImmediate(r));
}
const seconds = (performance.now() - start) / 1000;
console.log(`${rows} rows: ${(count / seconds).toFixed(0)} msg/s`);
a.close();
b.close();
