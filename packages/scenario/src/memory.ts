/**
 * A run's memory, estimated from its scenario before anything is built, and the check that refuses
 * a run that cannot fit.
 *
 *   estimate = protocol state (core state-bytes.ts: replicas, accumulators, residuals, caches of the
 *              layout `planLayout` gives) + the workload's data and programs (@gaia/workloads
 *              shape.ts) + messages in flight (each worker's read replies and its push: twice the
 *              rows it reads a step) + the driver's own books + a fixed base for the runtime itself
 *
 * The simulator's books are per-parameter arrays: the conservation check's initial + pushed sum
 * (float64) and magnitude (float32), and the replica it evaluates (float32). The base (`BASE_BYTES`)
 * is what Node, V8 and the loaded modules take with an empty table (measured: 159 MB resident once
 * @gaia/sim is loaded); MNIST adds TensorFlow.js (`TFJS_BYTES`, measured: 79 MB more once loaded).
 *
 * The limit is the machine's memory (os.totalmem()) unless the user sets one: `--max-memory` on
 * `gaia simulate` / `launch` / `scenarios validate`, or the GAIA_MAX_MEMORY environment variable
 * (bytes, or a number with a unit: 512MB, 8GB, 1.5GiB); without either, a cgroup memory limit
 * (memory.max) below the machine's memory is the limit. A run whose estimate exceeds it is
 * refused before it starts, with the estimate and what to change.
 */
import { estimateStateBytes, type StateBytes } from "@gaia/core";
import { dataParts, tableShape, type DataPart } from "@gaia/workloads";
import { readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { planLayout } from "./layout-plan.js";
import type { Scenario } from "./scenario.js";

/** Node, V8 and the loaded modules with an empty table, per process. */
export const BASE_BYTES = 150e6;
/** TensorFlow.js and its backend, in every process that builds an MNIST workload. */
export const TFJS_BYTES = 80e6;

export interface MemoryEstimate {
  readonly rows: number;
  readonly cols: number;
  /** Bytes of one full replica of the table (float32). */
  readonly tableBytes: number;
  /** How many full replicas the shards hold (data centers under mirrored placement, 1 under global). */
  readonly replicaCount: number;
  readonly state: StateBytes;
  readonly data: readonly DataPart[];
  /** The driver's per-parameter books. */
  readonly driverBytes: number;
  /** Messages in flight at once: every worker's read replies and push of one step. */
  readonly inFlightBytes: number;
  /** The runtime itself in every process: BASE_BYTES, plus TFJS_BYTES for MNIST. */
  readonly baseBytes: number;
  /** The processes that hold the run on this machine (1: the simulator). */
  readonly processes: number;
  readonly totalBytes: number;
}

export interface EstimateOptions {
  /** Workers keep the SSP cache under staleness > 0 (default true). */
  readonly workerCache?: boolean;
  /** Which driver: the simulator keeps conservation books over the whole table; a node process of the runtime does not (default "sim"). */
  readonly driver?: "sim" | "node";
}

/**
 * Whether a run's memory can be estimated from its sections alone: the bundled mf, lda and mnist
 * (generated data; a data file's size is known only once it is read). A module's or tfjs's tables
 * are known only once it is set up, so those runs are not estimated (and never refused).
 */
export function estimable(scenario: Scenario): boolean {
  return ["mf", "lda", "mnist"].includes(scenario.workload.kind) && scenario.workload["data"] === undefined;
}

const baseBytesOf = (scenario: Scenario): number => BASE_BYTES + (scenario.workload.kind === "mnist" ? TFJS_BYTES : 0);

/** The memory a run of `scenario` needs, from its sections alone (the workload is not built). */
export function estimateMemory(scenario: Scenario, options: EstimateOptions = {}): MemoryEstimate {
  const shape = tableShape(scenario.workload);
  const { layout, sync } = planLayout(scenario, shape);
  const state = estimateStateBytes(layout, sync, { rowsPerStep: shape.rowsPerStep, ...(options.workerCache !== undefined ? { workerCache: options.workerCache } : {}) });
  const tableBytes = shape.rows * shape.cols * 4;
  const data = dataParts(scenario.workload, layout.workers.length);
  const driverBytes = options.driver === "node" ? 0 : shape.rows * shape.cols * (8 + 4 + 4);
  const inFlightBytes = layout.workers.length * 2 * (shape.rowsPerStep ?? shape.rows) * shape.cols * 4;
  const baseBytes = baseBytesOf(scenario);
  const total = state.total + data.reduce((n, p) => n + p.bytes, 0) + driverBytes + inFlightBytes + baseBytes;
  return { rows: shape.rows, cols: shape.cols, tableBytes, replicaCount: state.replicas / Math.max(1, tableBytes), state, data, driverBytes, inFlightBytes, baseBytes, processes: 1, totalBytes: total };
}

const units: Readonly<Record<string, number>> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

/** Bytes from "8GB", "512 MiB", "1.5g" or a plain number of bytes; null when it is none of those. */
export function parseByteSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (m === null) return null;
  const unit = m[2]!.toLowerCase();
  const factor = unit === "" ? 1 : units[unit];
  if (factor === undefined) return null;
  const bytes = Number(m[1]) * factor;
  return Number.isFinite(bytes) && bytes > 0 ? Math.round(bytes) : null;
}

/**
 * The memory limit of this process's control group, if it has one: cgroup v2's memory.max, else
 * cgroup v1's memory.limit_in_bytes (a container's `--memory`, a Kubernetes pod's limit, a SLURM
 * job's). Null without a limit ("max", or v1's huge "unlimited" value) or without the files.
 */
export function cgroupMemoryLimit(readText: (path: string) => string | null = readIfPresent): number | null {
  const v2 = readText("/sys/fs/cgroup/memory.max")?.trim();
  if (v2 !== undefined && v2 !== "") return /^\d+$/.test(v2) ? Number(v2) : null;
  const v1 = readText("/sys/fs/cgroup/memory/memory.limit_in_bytes")?.trim();
  // v1 says "no limit" with a number near 2^63 rounded down to the page size.
  if (v1 !== undefined && /^\d+$/.test(v1) && Number(v1) < 2 ** 60) return Number(v1);
  return null;
}

function readIfPresent(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

export interface MemoryLimit {
  readonly bytes: number;
  /** Where the limit came from, for the refusal's message: "--max-memory", "GAIA_MAX_MEMORY", "this machine's memory" or "this process's cgroup memory limit". */
  readonly source: string;
}

/**
 * The memory limit: the flag's value, else GAIA_MAX_MEMORY, else the smaller of os.totalmem() and
 * the control group's limit; with where it came from. A bad size is a RangeError naming its source.
 */
export function memoryLimit(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cgroup: () => number | null = cgroupMemoryLimit): MemoryLimit {
  if (flag !== undefined) {
    const bytes = parseByteSize(flag);
    if (bytes === null) throw new RangeError(`--max-memory: expected bytes or a size such as 8GB or 512MiB, got ${JSON.stringify(flag)}`);
    return { bytes, source: "--max-memory" };
  }
  const fromEnv = env["GAIA_MAX_MEMORY"];
  if (fromEnv !== undefined && fromEnv !== "") {
    const bytes = parseByteSize(fromEnv);
    if (bytes === null) throw new RangeError(`GAIA_MAX_MEMORY: expected bytes or a size such as 8GB or 512MiB, got ${JSON.stringify(fromEnv)}`);
    return { bytes, source: "GAIA_MAX_MEMORY" };
  }
  const machine = totalmem();
  const group = cgroup();
  return group !== null && group < machine ? { bytes: group, source: "this process's cgroup memory limit" } : { bytes: machine, source: "this machine's memory" };
}

/** "6.40 GB", "762 GB", "20.0 MB": decimal units, three digits (the refusal's and validate's sizes). */
export const formatByteSize = (bytes: number): string => {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toPrecision(3)} ${units[u]}`;
};

/** The estimate's parts, largest first, each with what to change to shrink it. */
export function memoryParts(scenario: Scenario, e: MemoryEstimate): { readonly label: string; readonly bytes: number; readonly advice: string }[] {
  const shape = tableShape(scenario.workload);
  const table = `${shape.rowsFrom} gives a ${e.rows}x${e.cols} table (${formatByteSize(e.tableBytes)} a replica)`;
  const dcs = scenario.topology.dataCenters.length;
  const field = shape.rowsFrom.slice(0, shape.rowsFrom.indexOf(":"));
  const parts = [
    { label: `replicas: ${table}; the shards hold ${+e.replicaCount.toFixed(2)} of them (${scenario.sync.model === "bsp" || scenario.sync.model === "ssp" ? "one copy, sharded" : `one per data center of ${dcs}`})`, bytes: e.state.replicas, advice: `reduce ${field} or the data centers (topology), or train under sync.model bsp/ssp (one sharded copy)` },
    { label: `accumulators: ${table}; ${scenario.sync.model === "diloco" ? "DiLoCo's outer state (global, momentum, float64 residuals)" : "the significance filter's float64 accumulators"} beside every replica`, bytes: e.state.accumulators, advice: `reduce ${field} or the data centers (topology)` },
    { label: `hub residuals: float64 per stream of every hub (lossy sync.encoding)`, bytes: e.state.residuals, advice: `reduce ${field}, use sync.encoding f32, or fewer hubs (sync.hubs)` },
    { label: `worker caches: ${scenario.topology.dataCenters.length * scenario.topology.workersPerDataCenter} workers, each caching every shard it reads (${table})`, bytes: e.state.caches, advice: `reduce ${field} or topology.machinesPerDataCenter, or use sync.staleness 0` },
    ...e.data.map((p) => ({ label: `workload data: ${p.label}`, bytes: p.bytes, advice: `reduce ${p.field}${p.label.includes("workers") ? " or topology.machinesPerDataCenter" : ""}` })),
    { label: "driver books: the conservation sums (float64) and scales, and the evaluated replica", bytes: e.driverBytes, advice: `reduce ${field}` },
    { label: `messages in flight: every worker's read replies and push of one step`, bytes: e.inFlightBytes, advice: `reduce ${scenario.workload.kind === "mnist" ? field : "workload.batchSize"} or topology.machinesPerDataCenter` },
    { label: `the runtime itself (Node, V8, modules${scenario.workload.kind === "mnist" ? ", TensorFlow.js" : ""}${e.processes > 1 ? `, in each of ${e.processes} processes` : ""})`, bytes: e.baseBytes, advice: e.processes > 1 ? "run fewer nodes on this machine" : "raise the limit" },
  ];
  return parts.filter((p) => p.bytes > 0).sort((a, b) => b.bytes - a.bytes);
}

/**
 * Null when the estimate fits under `limit`; else why not: the estimate, its largest parts and
 * what to change (the first line names the estimate and the limit).
 */
export function memoryProblem(scenario: Scenario, e: MemoryEstimate, limit: MemoryLimit, what = "the run"): string | null {
  if (e.totalBytes <= limit.bytes) return null;
  const parts = memoryParts(scenario, e).slice(0, 3);
  const lines = [
    `${what} needs about ${formatByteSize(e.totalBytes)} of memory, more than ${formatByteSize(limit.bytes)} (${limit.source}):`,
    ...parts.map((p) => `  ${formatByteSize(p.bytes)}  ${p.label}`),
    `  to fit: ${parts[0]!.advice}; or raise the limit (--max-memory, GAIA_MAX_MEMORY)`,
  ];
  return lines.join("\n");
}

/** One line for people: "1.87 GB (protocol state 1.23 GB, data 300 MB)". */
export function formatEstimate(e: MemoryEstimate): string {
  const data = e.data.reduce((n, p) => n + p.bytes, 0);
  return `${formatByteSize(e.totalBytes)} (protocol state ${formatByteSize(e.state.total)}, data ${formatByteSize(data)}, in flight ${formatByteSize(e.inFlightBytes)}, books and runtime ${formatByteSize(e.driverBytes + e.baseBytes)})`;
}

/**
 * `gaia launch`: every node process (and the launcher) builds the workload and runs on this
 * machine, so the total is the protocol state (spread over the nodes) plus, per process, the
 * workload's data and the runtime's base. Per node, its share is the base, the data and its role's
 * state; the total is what this machine must hold.
 */
export function estimateLaunchMemory(scenario: Scenario): MemoryEstimate {
  const e = estimateMemory(scenario, { driver: "node" });
  const shape = tableShape(scenario.workload);
  const processes = planLayout(scenario, shape).layout.nodes.length + 1;
  const data = e.data.map((p) => ({ ...p, label: `${p.label}, in each of ${processes} processes`, bytes: p.bytes * processes }));
  const baseBytes = baseBytesOf(scenario) * processes;
  const totalBytes = e.state.total + data.reduce((n, p) => n + p.bytes, 0) + e.inFlightBytes + baseBytes;
  return { ...e, data, baseBytes, totalBytes, processes };
}
