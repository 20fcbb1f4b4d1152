// One side of bench:net, alone, for a CPU profile: the gaia transport echo of one payload size.
//   node --cpu-prof --cpu-prof-dir=DIR --conditions=source --import tsx bench/net-profile.ts ROWS COUNT
// BENCH_CARRIER=ws: over WebSocket instead of the unix-socket carrier.
import { performance } from "node:perf_hooks";
import type { Message } from "@gaia/core";
import { transportPair } from "./lib/transport-pair.js";

const rows = Number(process.argv[2] ?? 16);
const count = Number(process.argv[3] ?? 20_000);
const cols = 16;
const window = Number(process.env["BENCH_WINDOW"] ?? 256);
const msg: Message = { kind: "push", clock: 1, rows: Uint32Array.from({ length: rows }, (_, i) => i), deltas: Float32Array.from({ length: rows * cols }, (_, i) => (i % 7) * 0.01), last: false };
const { a, b, echoed: counter } = await transportPair(process.env["BENCH_CARRIER"] === "ws" ? "ws" : "unix");
a.send("bench/b", msg, "data");
while (counter.n < 1) await new Promise((r) => setTimeout(r, 5));
counter.n = 0;
const start = performance.now();
const cpuStart = process.cpuUsage();
let sent = 0;
while (counter.n < count) {
  while (sent < count && sent - counter.n < window) {
    a.send("bench/b", msg, "data");
    sent++;
  }
  await new Promise((r) => setImmediate(r));
}
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
console.log(`${rows} rows: ${(count / seconds).toFixed(0)} msg/s, ${((cpu.user + cpu.system) / count).toFixed(1)} us of CPU per echo`);
a.close();
b.close();
