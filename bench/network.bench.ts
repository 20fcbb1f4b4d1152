// The network model against SimGrid 3.32 (not a test): conformance and speed on generated flow
// sets over the ec2-11 topology, with routes of three to five links (sender NIC egress, WAN link
// or LAN fabric, data-center WAN caps, receiver NIC ingress) and NICs that bind.
//
//   npm run bench:network [-- --sizes 5000,20000,100000] [-- --conformance 3000] [-- --per-second 80] [-- --repeat 3] [-- --no-write]
//
// Needs SimGrid's C++ library and headers (Debian: apt-get install libsimgrid-dev) and g++: it
// compiles bench/network/simgrid-flows.cpp once into the temp directory. For each sharing model:
//   - max-min: SimGrid's CM02 model with every latency 0 (so every flow has penalty 1 and no
//     latency phase), TCP window bound and cross-traffic off; our arrival = its completion + the
//     route latency;
//   - cm02: SimGrid's CM02 model with the route latencies on the links (penalty = route latency,
//     latency paid first), TCP window bound and cross-traffic off; our arrival = its completion.
// Conformance compares every flow's duration (arrival - start): relative error |ours - SimGrid|
// / SimGrid. Speed compares CPU time, best of --repeat runs: ours is the whole Network (routes,
// transport, events) in this process; SimGrid's is its engine run (platform building and file
// parsing left out), one actor per flow as SimGrid programs do.
// Results go to bench/results/network.json.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { dataCenterOf, Rng } from "@gaia/core";
import { bytesPerMs, Engine, Network, presetTopology, type NetworkSpec, type SharingModel } from "@gaia/sim";
import { replaceBlock } from "./lib/runs.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const sizes = (arg("sizes") ?? "5000,20000,100000").split(",").map(Number);
const conformanceFlows = Number(arg("conformance") ?? 3000);
const write = !process.argv.includes("--no-write");
// 80 flows a second keeps every link below ~65% utilization (the busiest: Sao Paulo's 60 Mbit/s caps), so the number of flows in progress stays bounded and the cost per flow is steady.
const perSecond = Number(arg("per-second") ?? 80);
const repeat = Number(arg("repeat") ?? 3);

const source = join(root, "bench/network/simgrid-flows.cpp");
const binary = join(tmpdir(), "gaia-simgrid-flows");
function simgridBinary(): string {
  if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
    try {
      execFileSync("g++", ["-O2", "-std=c++17", "-o", binary, source, "-lsimgrid"], { stdio: "inherit" });
    } catch {
      console.error("bench:network: could not compile bench/network/simgrid-flows.cpp; it needs g++ and SimGrid (apt-get install libsimgrid-dev)");
      process.exit(2);
    }
  }
  return binary;
}

interface FlowSet {
  readonly name: string;
  readonly spec: NetworkSpec;
  readonly nodes: readonly string[];
  readonly flows: readonly { readonly from: string; readonly to: string; readonly sizeBytes: number; readonly startMs: number }[];
}

/**
 * Flows on ec2-11 with 4 nodes per data center. NICs of 50-1000 Mbit/s (most below the WAN links
 * they feed, so they bind); with `caps`, WAN egress and ingress caps on four data centers. 90% of
 * flows cross the WAN. Sizes log-uniform in [10 kB, 4 MB]; Poisson arrivals, `perSecond` a second.
 */
function flowSet(name: string, count: number, seed: number, caps: boolean, perSecond: number): FlowSet {
  const topology = presetTopology("ec2-11")!;
  const rng = new Rng(seed).child(name);
  const dcs = topology.dataCenters;
  const nodes = dcs.flatMap((dc) => [0, 1, 2, 3].map((i) => `${dc}/n${i}`));
  const nicChoices = [50, 100, 200, 1000];
  const nicBandwidthMbpsByNode = Object.fromEntries(nodes.map((n) => [n, nicChoices[rng.int(nicChoices.length)]!]));
  const dataCenterCaps = caps ? { virginia: { egressMbps: 150, ingressMbps: 200 }, tokyo: { egressMbps: 100 }, frankfurt: { ingressMbps: 120 }, "sao-paulo": { egressMbps: 60, ingressMbps: 60 } } : {};
  const flows: FlowSet["flows"][number][] = [];
  let t = 0;
  for (let i = 0; i < count; i++) {
    t += rng.exponential(1000 / perSecond);
    const from = nodes[rng.int(nodes.length)]!;
    let to = from;
    if (rng.bernoulli(0.9)) {
      while (dataCenterOf(to) === dataCenterOf(from)) to = nodes[rng.int(nodes.length)]!;
    } else {
      while (to === from) to = `${dataCenterOf(from)}/n${rng.int(4)}`;
    }
    const sizeBytes = Math.round(Math.exp(rng.uniform(Math.log(10_000), Math.log(4_000_000))));
    flows.push({ from, to, sizeBytes, startMs: t });
  }
  const spec: NetworkSpec = {
    dataCenters: dcs,
    links: topology.links,
    lanBandwidthMbps: 1000,
    lanLatencyMs: topology.lanLatencyMs,
    egressUsdPerGb: {},
    nicBandwidthMbpsByNode,
    dataCenterCaps,
  };
  return { name, spec, nodes, flows };
}

/** Our model: arrival times (ms) of every flow, and the wall time. */
function runOurs(set: FlowSet, sharing: SharingModel): { arrivalMs: Float64Array; wallS: number; cpuS: number; events: number; maxActive: number; solves: number; visited: number } {
  const engine = new Engine();
  const arrivalMs = new Float64Array(set.flows.length).fill(NaN);
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const net = new Network<number>(engine, { ...set.spec, sharing }, new Rng(1), () => {});
  net.onArrival = (env) => {
    arrivalMs[env.payload] = engine.now;
  };
  let next = 0;
  const flows = set.flows;
  const sendNext = (): void => {
    const f = flows[next]!;
    net.send(f.from, f.to, "data", next, f.sizeBytes);
    next++;
    if (next < flows.length) engine.at(flows[next]!.startMs, sendNext);
  };
  engine.at(flows[0]!.startMs, sendNext);
  let maxActive = 0;
  while (engine.queue.size > 0) {
    engine.run(Infinity, null, 1000);
    maxActive = Math.max(maxActive, net.flows.activeFlows);
  }
  const cpu = process.cpuUsage(cpu0);
  return { arrivalMs, wallS: (performance.now() - start) / 1000, cpuS: (cpu.user + cpu.system) / 1e6, events: engine.events, maxActive, solves: net.flows.solves, visited: net.flows.visited };
}

/** The same flow set as SimGrid input: links, hosts, routes (as our Network builds them), flows. */
function simgridInput(set: FlowSet, sharing: SharingModel): { text: string; routeLatencyMs: Map<string, number> } {
  const lines: string[] = [];
  const links: string[] = [];
  const linkId = new Map<string, number>();
  const addLink = (key: string, mbps: number, latencyMs: number): number => {
    linkId.set(key, links.length);
    // SimGrid: bytes per second and seconds.
    links.push(`${bytesPerMs(mbps) * 1000} ${sharing === "cm02" ? latencyMs / 1000 : 0}`);
    return links.length - 1;
  };
  const hostId = new Map(set.nodes.map((n, i) => [n, i]));
  for (const n of set.nodes) {
    const mbps = set.spec.nicBandwidthMbpsByNode?.[n] ?? set.spec.lanBandwidthMbps;
    addLink(`out:${n}`, mbps, 0);
    addLink(`in:${n}`, mbps, 0);
  }
  const latency = new Map<string, number>();
  for (const l of set.spec.links) {
    addLink(`wan:${l.source}->${l.target}`, l.bandwidthMbps, l.latencyMs);
    latency.set(`${l.source}->${l.target}`, l.latencyMs);
  }
  // The LAN fabric is non-blocking: a link far wider than any NIC, carrying the LAN latency.
  for (const dc of set.spec.dataCenters) addLink(`fabric:${dc}`, 1e9, set.spec.lanLatencyMs);
  for (const [dc, cap] of Object.entries(set.spec.dataCenterCaps ?? {})) {
    if (cap.egressMbps !== undefined) addLink(`egress:${dc}`, cap.egressMbps, 0);
    if (cap.ingressMbps !== undefined) addLink(`ingress:${dc}`, cap.ingressMbps, 0);
  }
  const routes = new Map<string, number[]>();
  const routeLatencyMs = new Map<string, number>();
  for (const f of set.flows) {
    const key = `${f.from} ${f.to}`;
    if (routes.has(key)) continue;
    const a = dataCenterOf(f.from);
    const b = dataCenterOf(f.to);
    const route = [linkId.get(`out:${f.from}`)!];
    if (a === b) route.push(linkId.get(`fabric:${a}`)!);
    else {
      route.push(linkId.get(`wan:${a}->${b}`)!);
      if (linkId.has(`egress:${a}`)) route.push(linkId.get(`egress:${a}`)!);
      if (linkId.has(`ingress:${b}`)) route.push(linkId.get(`ingress:${b}`)!);
    }
    route.push(linkId.get(`in:${f.to}`)!);
    routes.set(key, route);
    routeLatencyMs.set(key, a === b ? set.spec.lanLatencyMs : latency.get(`${a}->${b}`)!);
  }
  lines.push(`L ${links.length}`, ...links, `H ${set.nodes.length}`, `R ${routes.size}`);
  for (const [key, route] of routes) {
    const [from, to] = key.split(" ");
    lines.push(`${hostId.get(from!)} ${hostId.get(to!)} ${route.length} ${route.join(" ")}`);
  }
  lines.push(`F ${set.flows.length}`);
  for (const f of set.flows) lines.push(`${hostId.get(f.from)} ${hostId.get(f.to)} ${f.sizeBytes} ${(f.startMs / 1000).toPrecision(17)}`);
  return { text: `${lines.join("\n")}\n`, routeLatencyMs };
}

// maxmin/precision below 1e-11 crashes SimGrid 3.32's CM02 (lazy update) on these sets.
const maxminPrecision = arg("maxmin-precision") ?? "1e-11";
const simgridConfig = ["--cfg=network/model:CM02", "--cfg=network/crosstraffic:0", "--cfg=network/TCP-gamma:0", "--cfg=surf/precision:1e-12", `--cfg=maxmin/precision:${maxminPrecision}`, "--log=root.thres:warning"];

/** SimGrid's arrival times (ms) in our terms, and its engine's wall time. */
function runSimgrid(set: FlowSet, sharing: SharingModel): { arrivalMs: Float64Array; wallS: number; cpuS: number } {
  const dir = join(tmpdir(), "gaia-bench-network");
  mkdirSync(dir, { recursive: true });
  const input = join(dir, `${set.name}-${sharing}.txt`);
  const output = join(dir, `${set.name}-${sharing}.out`);
  const { text, routeLatencyMs } = simgridInput(set, sharing);
  writeFileSync(input, text);
  const stdout = execFileSync(simgridBinary(), [input, output, ...simgridConfig], { encoding: "utf8", maxBuffer: 1 << 26 });
  const times = /simgrid-run-seconds (\S+) cpu (\S+)/.exec(stdout);
  const wallS = Number(times?.[1]);
  const cpuS = Number(times?.[2]);
  const arrivalMs = new Float64Array(set.flows.length).fill(NaN);
  for (const line of readFileSync(output, "utf8").trim().split("\n")) {
    const [id, doneS] = line.split(" ").map(Number) as [number, number];
    const f = set.flows[id]!;
    if (!(doneS >= 0)) throw new Error(`SimGrid did not complete flow ${id} (${set.name}, ${sharing})`);
    // Under max-min SimGrid ran with latency 0: the route latency comes after the transfer.
    arrivalMs[id] = doneS * 1000 + (sharing === "max-min" ? routeLatencyMs.get(`${f.from} ${f.to}`)! : 0);
  }
  return { arrivalMs, wallS, cpuS };
}

interface Comparison {
  readonly flows: number;
  readonly maxRelativeError: number;
  readonly meanRelativeError: number;
  readonly worstFlow: number;
  /** Best of `repeat` runs each, CPU seconds (the machine is shared; CPU time is the steadier figure). */
  readonly oursCpuS: number;
  readonly simgridCpuS: number;
  readonly oursWallS: number;
  readonly simgridWallS: number;
  readonly speedupCpu: number;
  readonly events: number;
  readonly maxFlowsInProgress: number;
}

function compare(set: FlowSet, sharing: SharingModel, repeat: number): Comparison {
  const oursRuns = Array.from({ length: repeat }, () => runOurs(set, sharing));
  const theirRuns = Array.from({ length: repeat }, () => runSimgrid(set, sharing));
  const ours = oursRuns[0]!;
  const theirs = theirRuns[0]!;
  let max = 0;
  let sum = 0;
  let worst = -1;
  set.flows.forEach((f, i) => {
    const a = ours.arrivalMs[i]! - f.startMs;
    const b = theirs.arrivalMs[i]! - f.startMs;
    const e = Math.abs(a - b) / b;
    if (!(e <= max)) {
      max = e;
      worst = i;
    }
    sum += e;
  });
  const best = (runs: { cpuS: number; wallS: number }[], key: "cpuS" | "wallS"): number => Math.min(...runs.map((r) => r[key]));
  const oursCpuS = best(oursRuns, "cpuS");
  const simgridCpuS = best(theirRuns, "cpuS");
  return {
    flows: set.flows.length,
    maxRelativeError: max,
    meanRelativeError: sum / set.flows.length,
    worstFlow: worst,
    oursCpuS,
    simgridCpuS,
    oursWallS: best(oursRuns, "wallS"),
    simgridWallS: best(theirRuns, "wallS"),
    speedupCpu: simgridCpuS / oursCpuS,
    events: ours.events,
    maxFlowsInProgress: ours.maxActive,
  };
}

const fmt = (x: number): string => x.toExponential(2);
const results: Record<string, unknown> = { simgrid: "3.32 (Debian libsimgrid 3.32), C++ S4U, " + simgridConfig.join(" "), date: new Date().toISOString().slice(0, 10), conformance: [], speed: [] };

if (process.argv.includes("--ours-only")) {
  // For profiling our side alone.
  for (const n of sizes) {
    const set = flowSet("speed", n, 2, true, perSecond);
    for (const sharing of ["max-min", "cm02"] as const) {
      const r = runOurs(set, sharing);
      console.log(`${n} flows ${sharing}: ${r.cpuS.toFixed(3)} s CPU, ${r.events} events, at most ${r.maxActive} in progress, ${r.solves} solves over ${r.visited} flows`);
    }
  }
  process.exit(0);
}
simgridBinary();
console.log("conformance (relative error of each flow's duration, ours vs SimGrid):");
for (const caps of [false, true]) {
  for (const sharing of ["max-min", "cm02"] as const) {
    const set = flowSet(caps ? "nics-and-caps" : "nics", conformanceFlows, 1, caps, 200);
    const c = compare(set, sharing, 1);
    (results["conformance"] as unknown[]).push({ set: set.name, sharing, ...c });
    console.log(`  ${set.name.padEnd(14)} ${sharing.padEnd(8)} ${String(c.flows).padStart(6)} flows: max ${fmt(c.maxRelativeError)}, mean ${fmt(c.meanRelativeError)}`);
  }
}
console.log(`speed (best of ${repeat} runs, CPU seconds; Poisson arrivals, ${perSecond} flows per virtual second, NICs and caps):`);
for (const n of sizes) {
  for (const sharing of ["max-min", "cm02"] as const) {
    const set = flowSet("speed", n, 2, true, perSecond);
    const c = compare(set, sharing, repeat);
    (results["speed"] as unknown[]).push({ sharing, ...c });
    console.log(
      `  ${String(n).padStart(6)} flows ${sharing.padEnd(8)} ours ${c.oursCpuS.toFixed(2)} s, SimGrid ${c.simgridCpuS.toFixed(2)} s CPU: ${c.speedupCpu.toFixed(1)}x (wall ${c.oursWallS.toFixed(2)} / ${c.simgridWallS.toFixed(2)} s; max rel. error ${fmt(c.maxRelativeError)}; at most ${c.maxFlowsInProgress} flows in progress)`,
    );
  }
}
if (write) {
  writeFileSync(join(root, "bench/results/network.json"), `${JSON.stringify(results, null, 2)}\n`);
  const conformance = results["conformance"] as ({ set: string; sharing: string } & Comparison)[];
  const speed = results["speed"] as ({ sharing: string } & Comparison)[];
  const table = [
    `_Generated by \`npm run bench:network\` (${results["date"]}; SimGrid ${results["simgrid"]}). Raw rows: [bench/results/network.json](../bench/results/network.json)._`,
    "",
    "| flow set | sharing | flows | max relative error | mean relative error |",
    "| --- | --- | --- | --- | --- |",
    ...conformance.map((c) => `| ${c.set} | ${c.sharing} | ${c.flows} | ${fmt(c.maxRelativeError)} | ${fmt(c.meanRelativeError)} |`),
    ...speed.map((c) => `| speed (NICs and caps) | ${c.sharing} | ${c.flows} | ${fmt(c.maxRelativeError)} | ${fmt(c.meanRelativeError)} |`),
    "",
    `Speed, best of ${repeat} runs each, ${perSecond} flows per virtual second (every link below ~65% utilization, so the number of flows in progress stays bounded):`,
    "",
    "| flows | sharing | ours, CPU s | SimGrid, CPU s | SimGrid / ours (CPU) | ours, wall s | SimGrid, wall s | flows in progress, at most |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...speed.map((c) => `| ${c.flows} | ${c.sharing} | ${c.oursCpuS.toFixed(3)} | ${c.simgridCpuS.toFixed(3)} | ${c.speedupCpu.toFixed(1)}x | ${c.oursWallS.toFixed(3)} | ${c.simgridWallS.toFixed(3)} | ${c.maxFlowsInProgress} |`),
  ];
  const docPath = join(root, "docs/network.md");
  writeFileSync(docPath, replaceBlock(readFileSync(docPath, "utf8"), "bench", table.join("\n")));
  console.log("wrote bench/results/network.json and docs/network.md");
}
