// The runtime's transport against a bare uWebSockets.js echo, on loopback, in the same run:
// messages per second and MB/s of role messages (push updates of several sizes) echoed A -> B -> A
// through the full stack (core codec, link envelope, reliable link with acks, HMAC-authenticated
// uWS / ws connections), against the same encoded payload bytes echoed by a bare uWS server to a
// ws client, alternating in the same process so both share the machine's load; each figure is the
// best of `rounds` alternations. Every echo loop, gaia's and the bare ones, is timed warm: one
// untimed window of echoes first (JIT, and the gaia side's body pool, as in a long-running node),
// and a full collection before each measurement so none pays for the garbage of the one before.
// Then the wall time of one BSP round on a real 2-data-center cluster (4 processes). The figures go
// to bench/results/net.json (BENCH_WRITE=0: not written).
//   npm run bench:net                  BENCH_ROUNDS=3 npm run bench:net
import { performance } from "node:perf_hooks";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, connect, type Socket } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import uWS from "uWebSockets.js";
import type { us_listen_socket } from "uWebSockets.js";
import WebSocket from "ws";
import { encodeMessage, type Message } from "@gaia/core";
import { FrameReader, launchCluster, lengthPrefix, loadCluster } from "@gaia/net";
import { echoRun, pump, transportPair, warmUp, type Carrier } from "./lib/transport-pair.js";
const rounds = Number(process.env["BENCH_ROUNDS"] ?? 2);
/** A full collection before each measurement (npm's script runs node with --expose-gc), so that no
 * measurement pays for the memory the one before it left: a window of 256 1.1 MB messages is
 * 280 MB per direction. */
const collect = (globalThis as { gc?: () => void }).gc;
async function settled<T>(measure: () => Promise<T>): Promise<T> {
  collect?.();
  await new Promise((r) => setTimeout(r, 20));
  return measure();
}

const sizes = [
  { name: "16 rows x 16", rows: 16, cols: 16, count: 20_000 },
  { name: "1k rows x 16", rows: 1000, cols: 16, count: 4_000 },
  { name: "16k rows x 16", rows: 16_000, cols: 16, count: 600 },
];
const window = 256;

const pushOf = (rows: number, cols: number, clock: number): Message => ({
  kind: "push",
  clock,
  rows: Uint32Array.from({ length: rows }, (_, i) => i),
  deltas: Float32Array.from({ length: rows * cols }, (_, i) => (i % 7) * 0.01),
  last: false,
});

async function measureTransport(rows: number, cols: number, count: number, carrier: Carrier): Promise<number> {
  const { a, b, echoed } = await transportPair(carrier);
  const { seconds } = await echoRun(a, echoed, pushOf(rows, cols, 1), count, window);
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
  const send = (): void => ws.send(payload);
  await warmUp(send, () => echoed, () => (echoed = 0), window);
  const start = performance.now();
  await pump(send, () => echoed, count, window);
  const seconds = (performance.now() - start) / 1000;
  ws.terminate();
  if (listen) uWS.us_listen_socket_close(listen);
  return seconds;
}

/**
 * The raw-socket baseline: the same bytes echoed over a unix-domain socket, length-prefixed, by a
 * plain net server to a plain net client (no WebSocket framing, no gaia code); a frame that spans
 * reads is gathered into one buffer, as the unix-socket carrier does.
 */
async function measureBareUnix(payload: Uint8Array, count: number): Promise<number> {
  const path = join(mkdtempSync(join(tmpdir(), "gaia-bench-unix-")), "echo.sock");
  const framer = (onFrame: (frame: Uint8Array) => void): ((chunk: Uint8Array) => void) => {
    const reader = new FrameReader(onFrame);
    return (chunk) => reader.push(chunk);
  };
  const send = (socket: Socket, bytes: Uint8Array): void => {
    socket.write(lengthPrefix(bytes.byteLength));
    socket.write(bytes);
  };
  const server = createServer((socket) => {
    const push = framer((frame) => send(socket, frame));
    socket.on("data", push);
  });
  await new Promise<void>((resolve) => server.listen(path, () => resolve()));
  let echoed = 0;
  const client = connect(path);
  client.on("data", framer(() => echoed++));
  await new Promise((resolve) => client.on("connect", resolve));
  const one = (): void => send(client, payload);
  const corked = (sends: () => void): void => {
    client.cork();
    sends();
    client.uncork();
  };
  await warmUp(one, () => echoed, () => (echoed = 0), window, corked);
  const start = performance.now();
  await pump(one, () => echoed, count, window, corked);
  const seconds = (performance.now() - start) / 1000;
  client.destroy();
  server.close();
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

console.log(`transport echo on loopback (full stack vs bare sockets, same payload bytes, window ${window}; best of ${rounds}; load average ${loadavg()[0]!.toFixed(1)})`);
console.log("gaia: over the unix-socket carrier (`lanCarrier: unix`, for nodes of one data center on one host) and over WebSocket (uWS listener, ws dialer)");
console.log("bare uWS: ws client -> uWS echo; bare unix: net client -> net echo over a unix socket, length-prefixed (the raw-socket baseline)");
console.log("payload              bytes | gaia unix msg/s | gaia ws msg/s | bare uWS msg/s | bare unix msg/s | unix/bare uWS | ws/bare uWS | unix/bare unix");
const results: { payload: string; bytes: number; count: number; gaiaMessagesPerSecond: number; gaiaWsMessagesPerSecond: number; bareMessagesPerSecond: number; bareUnixMessagesPerSecond: number; ratio: number; wsRatio: number; unixRatio: number }[] = [];
for (const s of sizes) {
  const payload = encodeMessage(pushOf(s.rows, s.cols, 1));
  const best = { unix: Infinity, ws: Infinity, bare: Infinity, bareUnix: Infinity };
  for (let r = 0; r < rounds; r++) {
    best.unix = Math.min(best.unix, await settled(() => measureTransport(s.rows, s.cols, s.count, "unix")));
    best.ws = Math.min(best.ws, await settled(() => measureTransport(s.rows, s.cols, s.count, "ws")));
    best.bare = Math.min(best.bare, await settled(() => measureBareUws(payload, s.count)));
    best.bareUnix = Math.min(best.bareUnix, await settled(() => measureBareUnix(payload, s.count)));
  }
  const rate = (seconds: number): string => (s.count / seconds).toFixed(0);
  const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
  results.push({ payload: s.name, bytes: payload.byteLength, count: s.count, gaiaMessagesPerSecond: s.count / best.unix, gaiaWsMessagesPerSecond: s.count / best.ws, bareMessagesPerSecond: s.count / best.bare, bareUnixMessagesPerSecond: s.count / best.bareUnix, ratio: best.bare / best.unix, wsRatio: best.bare / best.ws, unixRatio: best.bareUnix / best.unix });
  console.log(`${s.name.padEnd(14)} ${String(payload.byteLength).padStart(10)} | ${rate(best.unix).padStart(15)} | ${rate(best.ws).padStart(13)} | ${rate(best.bare).padStart(14)} | ${rate(best.bareUnix).padStart(15)} | ${pct(best.bare / best.unix).padStart(13)} | ${pct(best.bare / best.ws).padStart(11)} | ${pct(best.bareUnix / best.unix).padStart(14)}`);
}
const { roundMs, rounds: clocks } = await bspRound();
console.log(`BSP round on a 2-data-center cluster (4 processes, loopback, no WAN emulation): ${roundMs.toFixed(2)} ms per clock (mean of ${clocks})`);
if (process.env["BENCH_WRITE"] !== "0") {
  const file = join(dirname(fileURLToPath(import.meta.url)), "results", "net.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ bench: "net", date: new Date().toISOString(), loadAverage: loadavg()[0], window, rounds, echo: results, bspRoundMs: roundMs, bspClocks: clocks }, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
