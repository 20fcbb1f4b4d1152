/**
 * A scenario, after parsing and defaulting: everything one simulated run needs. The YAML file
 * format (scenarios/*.yaml, schema in scenario.schema.json) is parsed into this by `loadScenario`;
 * `runSimulation` consumes it. Cluster files for the real runtime reuse `topology`, `workload` and
 * `sync`. Times are seconds in files and here (suffix S), milliseconds inside the engine.
 */
import type { DilocoConfig, HubGroup, Schedule } from "@gaia/core";

export interface WanLink {
  /** Directed: bandwidth and latency from `source` to `target`. */
  readonly source: string;
  readonly target: string;
  readonly bandwidthMbps: number;
  /** One-way latency. */
  readonly latencyMs: number;
}

export interface Topology {
  /** The preset it came from, if any (ec2-11, virginia-california, singapore-sao-paulo, lan). */
  readonly preset: string | null;
  readonly dataCenters: readonly string[];
  /** Worker machines per data center (the paper: 2). */
  readonly workersPerDataCenter: number;
  /** Parameter-server shards per data center. */
  readonly shardsPerDataCenter: number;
  /** Every ordered pair of distinct data centers has exactly one link. */
  readonly links: readonly WanLink[];
  readonly lanBandwidthMbps: number;
  readonly lanLatencyMs: number;
  /** Egress price per GB leaving each data center, in USD. */
  readonly egressUsdPerGb: Readonly<Record<string, number>>;
}

/** The workload section, validated by @gaia/workloads (`kind` picks the program). */
export type WorkloadSpec = { readonly kind: string } & Readonly<Record<string, unknown>>;

export type SyncModel = "lan" | "bsp" | "ssp" | "asp" | "diloco";

export interface SyncSpec {
  /**
   * lan: every machine in one data center; bsp / ssp: the paper's Baseline, one model sharded over
   * the shards of all data centers; asp: Gaia.
   */
  readonly model: SyncModel;
  /** Staleness bound inside a data center (asp, lan) or globally (bsp = 0, ssp = s). */
  readonly staleness: number;
  /**
   * Significance threshold v (0 sends every update: mirrored BSP when DS = 0). With a budget
   * (threshold auto) it is the floor under the budgeted filter.
   */
  readonly threshold: number;
  readonly thresholdSchedule: Schedule | "learning-rate";
  /** threshold auto: each clock's update fits this fraction of the tightest link over a clock; null: a fixed threshold. */
  readonly budgetLinkFraction: number | null;
  /** threshold auto: accumulators above this significance go out whatever the budget. */
  readonly thresholdCeiling: number;
  /** Value codec of mirror updates. */
  readonly encoding: "f32" | "f16" | "int8";
  /** Selective barrier auto: fire when an update needs more than this fraction of a clock on its link. */
  readonly barrierClockFraction: number;
  /** DS, the mirror-clock bound. */
  readonly mirrorClockBound: number;
  readonly selectiveBarrier: "auto" | "always" | "off";
  /** Hub groups, empty for none. */
  readonly hubGroups: readonly HubGroup[];
  /** diloco: H local clocks under BSP / SSP (staleness) in each data center, then an outer step (sync.diloco in files). */
  readonly diloco?: DilocoConfig;
}

/**
 * The compute regime: every step's cost is the base cost (msPerSample, else the workload's
 * calibrated cost on this project's CPU kernels) times `factor`. cpu is 1; accelerator is
 * `acceleratorFactor`; a number names its own factor.
 */
export interface ComputeRegime {
  readonly name: "cpu" | "accelerator" | "custom";
  readonly factor: number;
}

/**
 * The accelerator regime's cost factor: 1/50 of the calibrated cost. The calibrated costs are those
 * of single-threaded JavaScript and TensorFlow.js-wasm kernels on one core of this project's build
 * machine (`gaia calibrate`, bench/results/workloads.json). The paper's workers were multi-core
 * machines running native code (MF and LDA on CPUs, ImageNet on GPUs): about 10x faster per sample
 * for sparse MF and LDA (8-16 native cores against one JavaScript core), and about 250x for dense
 * layers on a data-center GPU (some 5 TFLOP/s reached against the ~5 GFLOP/s our MLP kernel reaches
 * here). 50x is the geometric middle of the two; the bench sweeps 0.01x-1000x around it.
 */
export const acceleratorFactor = 0.02;

export const computeRegimeOf = (regime: "cpu" | "accelerator" | number): ComputeRegime =>
  regime === "cpu" ? { name: "cpu", factor: 1 } : regime === "accelerator" ? { name: "accelerator", factor: acceleratorFactor } : { name: "custom", factor: regime };

export interface ComputeSpec {
  /** Virtual milliseconds per training sample on a node of speed 1 (default: the workload's). */
  readonly msPerSample: number | null;
  /** Multiplies the per-sample cost (absent: cpu, 1x). */
  readonly regime?: ComputeRegime;
  /** Per-node or per-data-center speed factors (2 = twice as fast). */
  readonly speeds: Readonly<Record<string, number>>;
  /** Straggler model: each step, with probability `probability`, takes `slowdown` times longer. */
  readonly stragglers: { readonly probability: number; readonly slowdown: number } | null;
  /** Relative jitter of step times (lognormal sigma), 0 for none. */
  readonly jitter: number;
}

export type Fault =
  | { readonly kind: "partition"; readonly atS: number; readonly forS: number | null; readonly between: readonly [string, string]; readonly oneWay: boolean }
  | { readonly kind: "isolate"; readonly atS: number; readonly forS: number | null; readonly dataCenter: string }
  | { readonly kind: "bandwidth"; readonly atS: number; readonly forS: number | null; readonly link: readonly [string, string] | "all"; readonly factor: number }
  | { readonly kind: "crash"; readonly atS: number; readonly node: string; readonly restartAfterS: number | null }
  | { readonly kind: "slow"; readonly atS: number; readonly forS: number | null; readonly node: string; readonly factor: number }
  | { readonly kind: "lossy"; readonly atS: number; readonly forS: number | null; readonly link: readonly [string, string] | "all"; readonly loss: number; readonly duplicate: number; readonly reorder: number };

/**
 * The network model's knobs (docs/network.md). Routes cross the sender's NIC egress, the WAN link
 * (or the LAN fabric), the data centers' WAN caps when set, and the receiver's NIC ingress.
 */
export interface NetworkModelSpec {
  /** max-min: equal shares, latency after the transfer; cm02: shares weighted by 1 / route latency, latency first. */
  readonly sharing: "max-min" | "cm02";
  /**
   * shared (when absent): each message is a flow from the moment it is sent; fifo: a connection's
   * messages are transferred one after another, as one TCP stream's bytes are.
   */
  readonly connectionOrder?: "shared" | "fifo";
  /** NIC bandwidth of every node, each direction, Mbit/s (default: topology.lanBandwidthMbps). */
  readonly nicMbps: number;
  /** NIC bandwidth by data center or node id, overriding nicMbps (a node id wins over its data center). */
  readonly nics: Readonly<Record<string, number>>;
  /** Caps on a data center's total WAN egress and ingress, Mbit/s (null: none). */
  readonly wanCaps: Readonly<Record<string, { readonly egressMbps: number | null; readonly ingressMbps: number | null }>>;
}

export interface StopSpec {
  readonly maxIterations: number | null;
  readonly maxVirtualTimeS: number | null;
  readonly targetObjective: number | null;
  /** Evaluate the objective every this many iterations (clocks) of the slowest worker. */
  readonly evalEvery: number;
  /** The scenario set neither maxIterations nor maxVirtualTime: these are the default cap (stop.ts). */
  readonly defaultCap?: true;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  readonly topology: Topology;
  readonly workload: WorkloadSpec;
  readonly sync: SyncSpec;
  readonly compute: ComputeSpec;
  readonly faults: readonly Fault[];
  /** Random faults drawn from the seed, on top of `faults`, during [0, untilS). */
  readonly randomFaults: { readonly untilS: number; readonly partitionsPerHour: number; readonly crashesPerHour: number; readonly loss: number; readonly duplicate: number; readonly reorder: number } | null;
  readonly stop: StopSpec;
  /** The network model (the loader always fills it; absent means every default). */
  readonly network?: NetworkModelSpec;
  /**
   * A cluster file with shard checkpoints on (`cluster.checkpoint`): the runtime's output commit, as
   * the simulator models it. Every message a shard or hub sends leaves only once a checkpoint that
   * covers it is on disk; a checkpoint takes `commitMs`, and the sends made while one is written go
   * with the next (group commit). Absent for a plain scenario.
   */
  readonly outputCommit?: { readonly commitMs: number };
  /** The scenario file's folder, which relative data paths (`workload.data`) are taken from; set only when the workload reads a data file. */
  readonly baseDir?: string;
}
