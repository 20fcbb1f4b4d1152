// A BSP round measured the way gloo's all-reduce is: 3 processes on loopback, each a worker and its
// shard of one data center (3 workers, 3 shards, the table split by rows), a dense table of 25k,
// 250k and 2.5M floats that every worker pushes whole and reads back whole each clock, against
// torch.distributed's gloo all-reduce of a tensor of the same size among 3 processes, in the same
// run. A round is the time from the clock before: per clock, when the last of the 3 workers
// finished it (BSP keeps them in lockstep), the same definition for both; each figure is the
// median over 50 rounds after 5 warm-up rounds, the best of `BENCH_ROUNDS` (default 2) runs that
// alternate gaia and gloo, so both share the machine's load.
//
// The gaia side runs the core roles over the runtime's Transport exactly as node.ts drives them
// (role steps, send effects to the transport, compute effects to the program), with a program
// whose step costs nothing: its deltas are the same dense vector every clock, as an all-reduce's
// input is. The gloo side (bench/allreduce-gloo.py) runs where python3 has torch (Debian's
// python3-torch); without it the gaia side runs alone and the ratio is not printed.
// gaia runs over both carriers, alternating with gloo: the unix-socket carrier (the runtime's default
// between nodes of one data center on one host) and WebSocket (BENCH_CARRIERS=unix or ws: one).
//   npm run bench:allreduce            BENCH_ROUNDS=3 BENCH_SIZES=250000 npm run bench:allreduce
// BENCH_GLOO=0 skips the gloo reference; BENCH_WRITE=0 keeps bench/results/allreduce.json as it is;
// BENCH_PROFILE_DIR=DIR writes a CPU profile of every gaia process there; BENCH_NODE_FLAGS="--trace-gc"
// passes node flags to the gaia processes.
import { fork, spawnSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { createRole, usesUp, Layout, type Effect, type Input, type Message, type NodeId, type Role, type WorkerProgram } from "@gaia/core";
import { Metrics, Transport, type PeerAddress } from "@gaia/net";

const here = dirname(fileURLToPath(import.meta.url));
const processes = 3;
const warmupRounds = 5;
const measuredRounds = 50;
const cols = 1000;
const dataCenter = "lan";
/** Between the nodes (all of one data center on one host): the runtime's default, the unix-socket carrier, or WebSocket. */
type Carrier = "unix" | "ws";

interface ChildSpec {
  readonly carrier: Carrier;
  readonly index: number;
  readonly floats: number;
  readonly ports: Readonly<Record<NodeId, number>>;
}

/** What a child tells the parent. */
type ChildReport = { readonly ev: "ready" } | { readonly ev: "clocks"; readonly worker: NodeId; readonly atMs: readonly number[]; readonly cpuMs: readonly number[] };

/** One process's clocks: when each ended (wall-clock ms), and its CPU time (ms) by then. */
interface ProcessClocks {
  readonly atMs: readonly number[];
  readonly cpuMs: readonly number[];
}

/** A run's figures: the median round, and the CPU time one process spent per round (mean). */
interface RunFigures {
  readonly roundMs: number;
  readonly cpuMsPerRound: number;
}

const layoutOf = (floats: number): Layout =>
  new Layout({ dataCenters: [dataCenter], workersPerDataCenter: processes, shardsPerDataCenter: processes, rows: floats / cols, cols, placement: "mirrored" });

/** A worker program that reads every row and pushes the same dense deltas every clock. */
function denseProgram(rows: number): WorkerProgram {
  const all = Uint32Array.from({ length: rows }, (_, i) => i);
  const deltas = new Float32Array(rows * cols).fill(1e-3);
  return { rowsFor: () => null, step: () => ({ rows: all, deltas, samples: 1 }) };
}

/** One child process: a worker and a shard, each with its own transport, driven like node.ts. */
async function child(spec: ChildSpec): Promise<void> {
  const layout = layoutOf(spec.floats);
  const worker = `${dataCenter}/w${spec.index}`;
  const shard = `${dataCenter}/s${spec.index}`;
  const maxClock = warmupRounds + measuredRounds + 1;
  const programs = new Map([[worker, denseProgram(layout.spec.rows)]]);
  // As node.ts: every send is encoded at once, so shards lend their replica to read replies.
  const options = { sync: { staleness: 0, asp: null }, initial: new Float32Array(spec.floats), maxClock, programs, lendReplies: true };
  const clocks: number[] = [];
  const cpu: number[] = [];
  const drivers: { transport: Transport; deliver: (input: Input) => void }[] = [];
  const peersOf = (id: NodeId): NodeId[] => (id === worker ? layout.shards.map((s) => s.id) : layout.shard(id).clients.slice());
  const send = (report: ChildReport): boolean => process.send!(report);
  let connected = 0;
  const needed = peersOf(worker).length + peersOf(shard).length;
  for (const id of [worker, shard]) {
    const role: Role = createRole(layout, id, options);
    let transport: Transport | null = null;
    const deliver = (input: Input): void => apply(role.step(input, transport!.nowMs()));
    const apply = (effects: readonly Effect[]): void => {
      for (const e of effects) {
        if (e.kind === "send") transport!.send(e.to, e.msg, e.channel);
        else if (e.kind === "compute") {
          const program = programs.get(id)!;
          const clock = e.clock;
          const { rows, values } = e;
          // Off the current I/O callback, as node.ts runs a step.
          setImmediate(() => {
            const result = program.step(clock, rows, values);
            deliver({ kind: "computed", clock, rows: result.rows, deltas: result.deltas, samples: result.samples });
          });
        } else if (e.kind === "trace" && e.event.type === "worker-clock") {
          clocks.push(performance.timeOrigin + performance.now());
          const used = process.cpuUsage();
          cpu.push((used.user + used.system) / 1000);
        } else if (e.kind === "done" && id === worker) send({ ev: "clocks", worker, atMs: clocks, cpuMs: cpu });
      }
    };
    transport = new Transport({
      self: id,
      secret: "bench-allreduce",
      listenHost: "127.0.0.1",
      port: spec.ports[id]!,
      peers: new Map<string, PeerAddress>(peersOf(id).map((p) => [p, { host: "127.0.0.1", port: spec.ports[p]! }])),
      link: { heartbeatMs: 250, peerTimeoutMs: 2000, retransmitMs: 15_000, retransmitMaxMs: 60_000, ackDelayMs: 5 },
      metrics: new Metrics(id),
      onMessage: (from: string, msg: Message) => deliver({ kind: "message", from, msg }),
      // As node.ts: a message the role uses up in its step may be a view of memory reused after it.
      usesUp: (_from: string, msg: Message) => usesUp(role, msg.kind),
      ...(spec.carrier === "unix" ? { unix: { dir: tmpdir(), peers: new Set(peersOf(id)) } } : {}),
      onPeer: (peer: string, up: boolean) => {
        deliver({ kind: "peer", peer, up });
        if (up && ++connected === needed) send({ ev: "ready" });
      },
    });
    drivers.push({ transport, deliver });
  }
  for (const d of drivers) await d.transport.start();
  process.on("message", (m: unknown) => {
    if (m === "go") for (const d of drivers) d.deliver({ kind: "start" });
    if (m === "exit") {
      for (const d of drivers) d.transport.close();
      process.exit(0);
    }
  });
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * Per clock: when the last process finished it; the rounds are the differences, and the figure is
 * their median. CPU: what each process spent over the measured rounds, per round, averaged over the
 * processes (it does not move with the machine's load as much as the wall time does).
 */
function figuresOf(perProcess: readonly ProcessClocks[]): RunFigures {
  const clocks = Math.min(...perProcess.map((t) => t.atMs.length));
  if (clocks < warmupRounds + measuredRounds + 1) throw new Error(`only ${clocks} clocks reported`);
  const last = Array.from({ length: clocks }, (_, c) => Math.max(...perProcess.map((t) => t.atMs[c]!)));
  const rounds = last.slice(warmupRounds, warmupRounds + measuredRounds + 1).map((t, i, all) => (i === 0 ? NaN : t - all[i - 1]!)).slice(1);
  rounds.sort((a, b) => a - b);
  const mid = rounds.length >> 1;
  const roundMs = rounds.length % 2 === 1 ? rounds[mid]! : (rounds[mid - 1]! + rounds[mid]!) / 2;
  const cpu = perProcess.map((t) => (t.cpuMs[warmupRounds + measuredRounds]! - t.cpuMs[warmupRounds]!) / measuredRounds);
  return { roundMs, cpuMsPerRound: cpu.reduce((a, b) => a + b, 0) / cpu.length };
}

async function gaiaRound(floats: number, carrier: Carrier): Promise<RunFigures> {
  const layout = layoutOf(floats);
  const nodes = [...layout.workers, ...layout.shards.map((s) => s.id)];
  const free = await freePorts(nodes.length);
  const ports = Object.fromEntries(nodes.map((id, i) => [id, free[i]!]));
  const children = Array.from({ length: processes }, (_, index) =>
    fork(fileURLToPath(import.meta.url), ["--child", JSON.stringify({ carrier, index, floats, ports } satisfies ChildSpec)], { execArgv: ["--conditions=source", "--import", "tsx", ...(process.env["BENCH_PROFILE_DIR"] ? ["--cpu-prof", `--cpu-prof-dir=${process.env["BENCH_PROFILE_DIR"]}`] : []), ...(process.env["BENCH_NODE_FLAGS"] ?? "").split(" ").filter((f) => f !== "")], stdio: ["ignore", "inherit", "inherit", "ipc"] }),
  );
  const ready = children.map((c) => new Promise<void>((resolve) => c.on("message", (m: ChildReport) => m.ev === "ready" && resolve())));
  const clocks = children.map((c) => new Promise<ProcessClocks>((resolve) => c.on("message", (m: ChildReport) => m.ev === "clocks" && resolve(m))));
  const failed = new Promise<never>((_, reject) => children.forEach((c) => c.on("exit", (code) => code !== 0 && reject(new Error(`a bench process exited with ${code}`)))));
  await Promise.race([Promise.all(ready), failed]);
  for (const c of children) c.send("go");
  const times = await Promise.race([Promise.all(clocks), failed]);
  for (const c of children) c.send("exit");
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on("exit", r)))));
  return figuresOf(times);
}

/** A python3 that has torch with gloo, or null (the gloo reference is then skipped). */
function findTorchPython(): string | null {
  if (process.env["BENCH_GLOO"] === "0") return null;
  for (const python of ["python3", "/usr/bin/python3"]) {
    const probe = spawnSync(python, ["-c", "import torch, torch.distributed as d; assert d.is_gloo_available()"], { stdio: "ignore", timeout: 60_000 });
    if (probe.status === 0) return python;
  }
  return null;
}

async function glooRound(python: string, floats: number): Promise<RunFigures> {
  const [port] = await freePorts(1);
  const script = join(here, "allreduce-gloo.py");
  const ranks = Array.from({ length: processes }, (_, rank) =>
    new Promise<ProcessClocks>((resolve, reject) => {
      const p = spawn(python, [script, String(rank), String(processes), String(port), String(floats), String(warmupRounds + measuredRounds + 1)], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      p.stdout.on("data", (d: Buffer) => (out += d.toString()));
      p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as ProcessClocks) : reject(new Error(`gloo rank ${rank} exited with ${code}`))));
    }),
  );
  return figuresOf(await Promise.all(ranks));
}

async function main(): Promise<void> {
  const runs = Number(process.env["BENCH_ROUNDS"] ?? 2);
  const sizes = (process.env["BENCH_SIZES"] ?? "25000,250000,2500000").split(",").map(Number);
  for (const floats of sizes) if (!Number.isInteger(floats / cols) || floats / cols < processes) throw new Error(`BENCH_SIZES: ${floats} is not a multiple of ${cols} of at least ${processes * cols}`);
  const python = findTorchPython();
  console.log(`BSP round (3 processes, each a worker and its shard, loopback) vs gloo all-reduce (3 processes): median of ${measuredRounds} rounds, best of ${runs} alternating runs`);
  if (python === null) console.log("gloo reference skipped: no python3 with torch (Debian: apt-get install python3-torch)");
  const carriers = (process.env["BENCH_CARRIERS"] ?? "unix,ws").split(",") as Carrier[];
  for (const c of carriers) if (c !== "unix" && c !== "ws") throw new Error(`BENCH_CARRIERS: ${String(c)} is neither unix nor ws`);
  console.log(`gaia over ${carriers.join(" and ")} (unix: the unix-socket carrier, "lanCarrier: unix", for nodes of one data center on one host; ws: the default)`);
  console.log("floats      | carrier | gaia BSP round | gloo all-reduce | gaia / gloo | CPU per round and process: gaia | gloo | gaia / gloo");
  const rows: { floats: number; carrier: Carrier; gaiaMs: number; glooMs: number | null; ratio: number | null; gaiaCpuMs: number; glooCpuMs: number | null; cpuRatio: number | null }[] = [];
  const cell = (ms: number | null, width: number): string => (ms === null ? "-".padStart(width + 3) : `${ms.toFixed(2).padStart(width)} ms`);
  const times = (x: number | null): string => (x === null ? "-" : `${x.toFixed(2)}x`);
  for (const floats of sizes) {
    const gaia = new Map(carriers.map((c) => [c, { roundMs: Infinity, cpuMsPerRound: Infinity }]));
    const gloo = { roundMs: Infinity, cpuMsPerRound: Infinity };
    for (let r = 0; r < runs; r++) {
      for (const c of carriers) {
        const g = await gaiaRound(floats, c);
        const best = gaia.get(c)!;
        best.roundMs = Math.min(best.roundMs, g.roundMs);
        best.cpuMsPerRound = Math.min(best.cpuMsPerRound, g.cpuMsPerRound);
      }
      if (python === null) continue;
      const t = await glooRound(python, floats);
      gloo.roundMs = Math.min(gloo.roundMs, t.roundMs);
      gloo.cpuMsPerRound = Math.min(gloo.cpuMsPerRound, t.cpuMsPerRound);
    }
    const glooMs = python === null ? null : gloo.roundMs;
    const glooCpuMs = python === null ? null : gloo.cpuMsPerRound;
    for (const c of carriers) {
      const g = gaia.get(c)!;
      const row = { floats, carrier: c, gaiaMs: g.roundMs, glooMs, ratio: glooMs === null ? null : g.roundMs / glooMs, gaiaCpuMs: g.cpuMsPerRound, glooCpuMs, cpuRatio: glooCpuMs === null ? null : g.cpuMsPerRound / glooCpuMs };
      rows.push(row);
      console.log(`${String(floats).padEnd(11)} | ${c.padEnd(7)} | ${cell(row.gaiaMs, 11)} | ${cell(row.glooMs, 12)} | ${times(row.ratio).padStart(11)} | ${cell(row.gaiaCpuMs, 27)} | ${cell(row.glooCpuMs, 5)} | ${times(row.cpuRatio)}`);
    }
  }
  if (process.env["BENCH_WRITE"] !== "0") {
    const file = join(here, "results", "allreduce.json");
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify({ bench: "allreduce", date: new Date().toISOString(), loadAverage: loadavg()[0], processes, cols, warmupRounds, measuredRounds, runs, gloo: python !== null, rows }, null, 2)}\n`);
    console.log(`wrote ${file}`);
  }
}

const at = process.argv.indexOf("--child");
if (at >= 0) await child(JSON.parse(process.argv[at + 1]!) as ChildSpec);
else await main();
