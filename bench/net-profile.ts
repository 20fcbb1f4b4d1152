// One side of bench:net, alone, for a CPU profile: the gaia transport echo of one payload size.
//   node --cpu-prof --cpu-prof-dir=DIR --conditions=source --import tsx bench/net-profile.ts ROWS COUNT
// BENCH_CARRIER=ws: over WebSocket instead of the unix-socket carrier.
import type { Message } from "@gaia/core";
import { echoRun, transportPair } from "./lib/transport-pair.js";

const rows = Number(process.argv[2] ?? 16);
const count = Number(process.argv[3] ?? 20_000);
const cols = 16;
const window = Number(process.env["BENCH_WINDOW"] ?? 256);
const msg: Message = { kind: "push", clock: 1, rows: Uint32Array.from({ length: rows }, (_, i) => i), deltas: Float32Array.from({ length: rows * cols }, (_, i) => (i % 7) * 0.01), last: false };
const { a, b, echoed: counter } = await transportPair(process.env["BENCH_CARRIER"] === "ws" ? "ws" : "unix");
const { seconds, cpuUs } = await echoRun(a, counter, msg, count, window);
console.log(`${rows} rows: ${(count / seconds).toFixed(0)} msg/s, ${(cpuUs / count).toFixed(1)} us of CPU per echo`);
a.close();
b.close();
