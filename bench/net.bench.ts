// The runtime's transport against a bare uWebSockets.js echo, on loopback, in the same run:
// messages per second and MB/s of role messages (push updates of several sizes) echoed A -> B -> A
// through the full stack (core codec, link envelope, reliable link with acks, HMAC-authenticated
// uWS / ws connections), against the same encoded payload bytes echoed by a bare uWS server to a
// ws client, alternating in the same process so both share the machine's load; each figure is the
// best of `rounds` alternations.
// Then the wall time of one BSP round on a real 2-data-center cluster (4 processes). The figures go
// to bench/results/net.json (BENCH_WRITE=0: not written).
//   npm run bench:net                  BENCH_ROUNDS=3 npm run bench:net
import { performance } from "node:perf_hooks";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import uWS from "uWebSockets.js";
import type { us_listen_socket } from "uWebSockets.js";
import WebSocket from "ws";
import { encodeMessage, type Message } from "@gaia/core";
import { launchCluster, loadCluster } from "@gaia/net";
import { transportPair } from "./lib/transport-pair.js";
const rounds = Number(process.env["BENCH_ROUNDS"] ?? 2);

const sizes = [
  { name: "16 rows x 16", rows: 16, cols: 16, count: 20_000 },
  { name: "1k rows x 16", rows: 1000, cols: 16, count: 4_000 },
  { name: "16k rows x 16", rows: 16_000, cols: 16, count: 300 },
];
const window = 256;

const pushOf = (rows: number, cols: number, clock: number): Message => ({
  kind: "push",
  clock,
  rows: Uint32Array.from({ length: rows }, (_, i) => i),
  deltas: Float32Array.from({ length: rows * cols }, (_, i) => (i % 7) * 0.01),
  last: false,
});

async function measureTransport(rows: number, cols: number, count: number): Promise<number> {
  const { a, b, echoed } = await transportPair();
  const msg = pushOf(rows, cols, 1);
  // Warm up and wait for the connection.
  a.send("bench/b", msg, "data");
  while (echoed.n < 1) await new Promise((r) => setTimeout(r, 5));
  echoed.n = 0;
  const start = performance.now();
  let sent = 0;
  while (echoed.n < count) {
    while (sent < count && sent - echoed.n < window) {
      a.send("bench/b", msg, "data");
      sent++;
    }
    await new Promise((r) => setImmediate(r));
  }
  const seconds = (performance.now() - start) / 1000;
  a.close();
  b.close();
  return seconds;
}

async function measureBareUws(payload: Uint8Array, count: number): Promise<number> {
  const app = uWS.App().ws("/*", { maxPayloadLength: 64 * 1024 * 1024, maxBackpressure: 256 * 1024 * 1024, idleTimeout: 0, message: (ws, message) => void ws.send(message, true) });
  let listen: us_listen_socket | null = null;
  const port = await new Promise<number>((resolve) =>
    app.listen("127.0.0.1", 0, (s) => {
      listen = s as us_listen_socket;
      resolve(uWS.us_socket_local_port(listen));
    }),
  );
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  await new Promise((r) => ws.on("open", r));
  let echoed = 0;
  ws.on("message", () => echoed++);
  ws.send(payload);
  while (echoed < 1) await new Promise((r) => setTimeout(r, 5));
  echoed = 0;
  const start = performance.now();
  let sent = 0;
  while (echoed < count) {
    while (sent < count && sent - echoed < window) {
      ws.send(payload);
      sent++;
    }
    await new Promise((r) => setImmediate(r));
  }
  const seconds = (performance.now() - start) / 1000;
  ws.terminate();
  if (listen) uWS.us_listen_socket_close(listen);
  return seconds;
}

async function bspRound(): Promise<{ roundMs: number; rounds: number }> {
  const dir = mkdtempSync(join(tmpdir(), "gaia-bench-net-"));
  const file = join(dir, "bsp.yaml");
  writeFileSync(
    file,
    `name: bench-bsp
seed: 3
cluster:
  secret: bench-secret-bsp
  basePort: ${30000 + Math.floor(Math.random() * 2000) * 10}
  checkpoint: { enabled: false, dir: ${join(dir, "ckpt")} }
topology: { preset: ec2-11, dataCenters: [virginia, california], machinesPerDataCenter: 1, shardsPerDataCenter: 1 }
workload: { kind: mf, users: 300, items: 100, ratings: 8000, rank: 6, batchSize: 300 }
sync: { model: bsp }
stop: { maxIterations: 110, evalEvery: 10 }
`,
  );
  const times = new Map<number, number>();
  const launch = await launchCluster(loadCluster(file), { onProgress: (p) => times.set(p.iteration, performance.now()) });
  await launch.result;
  const first = 10;
  const last = Math.max(...times.keys());
  return { roundMs: (times.get(last)! - times.get(first)!) / (last - first), rounds: last - first };
}

console.log(`transport echo on loopback (full stack vs bare uWS, same payload bytes, window ${window}; best of ${rounds})`);
console.log("payload              bytes | gaia transport            | bare uWS                  | gaia/bare");
const results: { payload: string; bytes: number; count: number; gaiaMessagesPerSecond: number; bareMessagesPerSecond: number; ratio: number }[] = [];
for (const s of sizes) {
  const payload = encodeMessage(pushOf(s.rows, s.cols, 1));
  const best = { current: Infinity, bare: Infinity };
  for (let r = 0; r < rounds; r++) {
    best.current = Math.min(best.current, await measureTransport(s.rows, s.cols, s.count));
    best.bare = Math.min(best.bare, await measureBareUws(payload, s.count));
  }
  const mb = (payload.byteLength * s.count) / 1e6;
  const cell = (seconds: number): string => `${(s.count / seconds).toFixed(0).padStart(7)} msg/s ${(mb / seconds).toFixed(1).padStart(7)} MB/s`;
  const pct = (x: number): string => `${(100 * x).toFixed(0)}%`.padStart(5);
  results.push({ payload: s.name, bytes: payload.byteLength, count: s.count, gaiaMessagesPerSecond: s.count / best.current, bareMessagesPerSecond: s.count / best.bare, ratio: best.bare / best.current });
  console.log(`${s.name.padEnd(14)} ${String(payload.byteLength).padStart(10)} | ${cell(best.current)} | ${cell(best.bare)} | ${pct(best.bare / best.current)}`);
}
const { roundMs, rounds: clocks } = await bspRound();
console.log(`BSP round on a 2-data-center cluster (4 processes, loopback, no WAN emulation): ${roundMs.toFixed(2)} ms per clock (mean of ${clocks})`);
if (process.env["BENCH_WRITE"] !== "0") {
  const file = join(dirname(fileURLToPath(import.meta.url)), "results", "net.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ bench: "net", date: new Date().toISOString(), loadAverage: loadavg()[0], window, rounds, echo: results, bspRoundMs: roundMs, bspClocks: clocks }, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
