/**
 * What the paper benchmark and the sensitivity sweep share: the workloads and their compute
 * costs, the topologies, how a scenario is built for one (workload, topology, mode), and how one
 * run becomes one result row.
 *
 * Scenarios are built as scenario documents and passed through `parseScenarioText`, so they get
 * the loader's defaults and checks exactly as a YAML file would.
 */
import { reaches } from "@gaia/core";
import { parseScenarioText, runSimulation, type MetricsPoint, type Scenario, type SimulationResult } from "@gaia/sim";

export type WorkloadName = "mf" | "lda" | "mnist";
export type TopologyName = "ec2-11" | "virginia-california" | "singapore-sao-paulo";
/** lan; the paper's Baseline under BSP or SSP; Gaia (ASP) with hubs auto or none. */
export type Mode = "lan" | "bsp" | "ssp" | "asp" | "asp-nohubs";

export const workloadNames: readonly WorkloadName[] = ["mf", "lda", "mnist"];
export const topologyNames: readonly TopologyName[] = ["ec2-11", "virginia-california", "singapore-sao-paulo"];
export const modes: readonly Mode[] = ["lan", "bsp", "ssp", "asp", "asp-nohubs"];

export interface WorkloadSetup {
  readonly spec: Record<string, unknown>;
  /**
   * Virtual compute cost per sample (rating, token, digit) on a node of speed 1, before the compute
   * regime's factor; null: the workload's calibrated cost.
   */
  readonly msPerSample: number | null;
  /** Iterations the LAN run makes; its final objective defines the target. */
  readonly lanIterations: number;
  readonly evalEvery: number;
}

/**
 * The full-size setups. Compute per iteration is ~0.3 s of virtual time for every workload
 * (batch x msPerSample), the paper's regime: a step costs about as much as Gaia's significant
 * updates take to cross the WAN, while the Baseline's remote reads and writes take longer.
 */
export const fullSetups: Readonly<Record<WorkloadName, WorkloadSetup>> = {
  mf: {
    spec: { kind: "mf", users: 4000, items: 1000, ratings: 100_000, rank: 16, batchSize: 500, learningRate: 0.03, popularityExponent: 0.3, partition: "iid" },
    msPerSample: 0.6,
    lanIterations: 150,
    evalEvery: 2,
  },
  lda: {
    spec: { kind: "lda", documents: 4000, vocabulary: 2000, topics: 20, docLength: 50, batchSize: 10, heldOutDocuments: 100, partition: "iid" },
    msPerSample: 0.6,
    lanIterations: 120,
    evalEvery: 2,
  },
  mnist: {
    spec: { kind: "mnist", model: "mlp", hidden: 32, train: 4000, test: 500, batchSize: 32, learningRate: 0.02, backend: "wasm", partition: "iid" },
    msPerSample: 10,
    lanIterations: 120,
    evalEvery: 2,
  },
};

/**
 * Paper-size jobs: models large enough that the Baseline is bound by WAN bandwidth on ec2-11, with
 * the workloads' calibrated compute costs (the run's compute regime multiplies them).
 * - mf: 180,000 users + 20,000 items at rank 50 = 10.0M parameters (the paper's Netflix job has
 *   ~480k users and 17.8k items); 2M ratings, 10,000 per worker step.
 * - lda: 20,000-word vocabulary x 100 topics = 2.0M counts; 10,000 documents of ~100 tokens, 50
 *   documents per worker step.
 * - mnist: an MLP 784-1260-10 on the real digits, 1.0M weights; 8,000 training digits.
 * LAN runs up to `lanIterations` and stops earlier in the analysis where it has converged (see
 * bench/paper.ts).
 */
export const paperSetups: Readonly<Record<WorkloadName, WorkloadSetup>> = {
  mf: {
    spec: { kind: "mf", users: 180_000, items: 20_000, ratings: 2_000_000, rank: 50, batchSize: 10_000, learningRate: 0.05, popularityExponent: 0.3, evalSamples: 100_000, partition: "iid" },
    msPerSample: null,
    lanIterations: 200,
    evalEvery: 5,
  },
  lda: {
    spec: { kind: "lda", documents: 10_000, vocabulary: 20_000, topics: 100, docLength: 100, batchSize: 50, heldOutDocuments: 100, partition: "iid" },
    msPerSample: null,
    lanIterations: 200,
    evalEvery: 5,
  },
  mnist: {
    spec: { kind: "mnist", model: "mlp", hidden: 1260, train: 8000, test: 1000, batchSize: 32, learningRate: 0.02, backend: "wasm", partition: "iid" },
    msPerSample: null,
    lanIterations: 200,
    evalEvery: 5,
  },
};

/** Tiny setups for --quick and the smoke test: seconds, not minutes. */
export const quickSetups: Readonly<Record<WorkloadName, WorkloadSetup>> = {
  mf: { spec: { kind: "mf", users: 400, items: 100, ratings: 5000, rank: 8, batchSize: 100, learningRate: 0.03, popularityExponent: 0.3 }, msPerSample: 3, lanIterations: 20, evalEvery: 2 },
  lda: { spec: { kind: "lda", documents: 200, vocabulary: 200, topics: 5, docLength: 20, batchSize: 5, heldOutDocuments: 20 }, msPerSample: 3, lanIterations: 20, evalEvery: 2 },
  mnist: { spec: { kind: "mnist", model: "softmax", train: 400, test: 100, batchSize: 16, learningRate: 0.05, backend: "cpu" }, msPerSample: 20, lanIterations: 20, evalEvery: 2 },
};

/**
 * Machines per data center. ec2-11 has 2, as in the paper (22 in all). The two-region pairs get
 * 11 each, so every topology trains the same 22-worker job and only the WAN differs.
 */
export const machinesPerDataCenter = (topology: TopologyName): number => (topology === "ec2-11" ? 2 : 11);

export interface GaiaKnobs {
  /** auto: the budgeted filter (the default) over the floor `floor`; or a fixed threshold v (the paper's: 1%). */
  readonly threshold: number | "auto";
  /** Value codec of mirror updates. */
  readonly encoding?: "f32" | "f16" | "int8";
  /** constant: the paper's experiments; inverse-sqrt: the proof's hard threshold. */
  readonly thresholdSchedule: "constant" | "inverse-sqrt";
  /** DS, the mirror-clock bound. */
  readonly mirrorClockBound: number;
  /** Scales every WAN link's bandwidth. */
  readonly bandwidthScale: number;
}

export const defaultKnobs: GaiaKnobs = { threshold: "auto", encoding: "int8", thresholdSchedule: "constant", mirrorClockBound: 1, bandwidthScale: 1 };

export interface CaseSpec {
  readonly workload: WorkloadName;
  readonly topology: TopologyName;
  readonly mode: Mode;
  readonly setup: WorkloadSetup;
  readonly knobs: GaiaKnobs;
  /** Stop at this objective (null: run lanIterations). */
  readonly target: number | null;
  readonly maxVirtualTimeS: number | null;
  readonly maxIterations: number | null;
  readonly seed: number;
  /** compute.regime: cpu (1x), accelerator, or a factor (default cpu). */
  readonly regime?: "cpu" | "accelerator" | number;
  /** A skewed (non-IID) partition with this skew, instead of the setup's (default: the setup's). */
  readonly skew?: number | null;
  /** Workers keep the SSP cache under SSP (default true). */
  readonly workerCache?: boolean;
  /** network.connectionOrder (default: the scenario's default, shared). */
  readonly connectionOrder?: "shared" | "fifo";
}

export function buildScenario(c: CaseSpec): Scenario {
  const doc = {
    name: `${c.workload}-${c.topology}-${c.mode}`,
    seed: c.seed,
    topology: { preset: c.topology, machinesPerDataCenter: machinesPerDataCenter(c.topology), bandwidthScale: c.knobs.bandwidthScale },
    workload: c.skew === undefined || c.skew === null ? c.setup.spec : { ...c.setup.spec, partition: "skewed", skew: c.skew },
    sync: {
      model: c.mode === "asp-nohubs" ? "asp" : c.mode,
      withinDataCenter: "bsp",
      significance: { threshold: c.knobs.threshold, schedule: c.knobs.thresholdSchedule, ...(c.knobs.encoding !== undefined ? { encoding: c.knobs.encoding } : {}) },
      mirrorClockBound: c.knobs.mirrorClockBound,
      selectiveBarrier: "auto",
      hubs: c.mode === "asp" ? "auto" : "none",
    },
    ...(c.connectionOrder !== undefined ? { network: { connectionOrder: c.connectionOrder } } : {}),
    compute: { ...(c.setup.msPerSample !== null ? { msPerSample: c.setup.msPerSample } : {}), regime: c.regime ?? "cpu" },
    stop: {
      ...(c.target !== null ? { target: { objective: c.target } } : {}),
      ...(c.maxIterations !== null ? { maxIterations: c.maxIterations } : {}),
      ...(c.maxVirtualTimeS !== null ? { maxVirtualTime: c.maxVirtualTimeS } : {}),
      evalEvery: c.setup.evalEvery,
    },
  };
  // JSON is YAML: the loader fills defaults and checks the document as it would a file.
  return parseScenarioText(JSON.stringify(doc), `${doc.name}.json`);
}

/** One row of bench/results/paper.json (the first eight fields are the row shape). */
export interface Row {
  readonly workload: WorkloadName;
  readonly topology: TopologyName;
  readonly sync: Mode;
  /** Virtual seconds to the target objective, null when it was not reached. */
  readonly timeToTargetS: number | null;
  readonly wanBytes: number;
  readonly costUsd: number;
  /** Seconds reads spent blocked, summed over workers (SSP + mirror clock + barrier). */
  readonly blockedS: number;
  readonly finalObjective: number;
  readonly targetObjective: number;
  readonly objectiveName: string;
  readonly direction: "minimize" | "maximize";
  readonly iterations: number;
  /** The objective when the run had made as many iterations as the LAN run (null if it did not). */
  readonly objectiveAtLanIterations: number | null;
  readonly virtualTimeS: number;
  readonly blockedByReasonS: { readonly ssp: number; readonly mirrorClock: number; readonly barrier: number };
  readonly stoppedBy: string;
  readonly events: number;
  readonly wallS: number;
}

/** The target: LAN's final objective relaxed by `tolerance` of its magnitude. */
export function targetFrom(direction: "minimize" | "maximize", lanFinal: number, tolerance: number): number {
  const slack = tolerance * Math.abs(lanFinal);
  return direction === "minimize" ? lanFinal + slack : lanFinal - slack;
}

/** Where LAN converged, by the rule of bench/paper.ts, and the targets derived from it. */
export interface Convergence {
  /** The iteration (completed clocks) where the rule first held, or the last evaluated one. */
  readonly iteration: number;
  readonly virtualTimeS: number;
  /** LAN's objective there: the convergence target. */
  readonly objective: number;
  /** Whether the rule held before the run's last evaluation. */
  readonly converged: boolean;
  /** The first evaluation's objective, from which the looser targets measure progress. */
  readonly start: number;
}

/**
 * Convergence: the first evaluation at iteration n (at least `minEvaluations` in) where the
 * objective improved by less than `improvement` (relative to its magnitude) over the last `window`
 * of the iterations, i.e. since the latest evaluation at or before (1 - window) n. The rule applies
 * only once the objective has improved by `progressMin` (5%) of its magnitude since the first
 * evaluation: a plateau before training takes off (MF's first tens of iterations) is not
 * convergence. A run whose rule never holds is reported at its last evaluation, converged false.
 */
export function convergenceOf(series: readonly MetricsPoint[], direction: "minimize" | "maximize", improvement = 0.005, window = 0.2, minEvaluations = 5, progressMin = 0.05): Convergence {
  if (series.length === 0) throw new RangeError("no evaluations");
  const sign = direction === "minimize" ? 1 : -1;
  const start = series[0]!.objective;
  for (let k = minEvaluations - 1; k < series.length; k++) {
    const now = series[k]!;
    const from = (1 - window) * now.iteration;
    let earlier: MetricsPoint | null = null;
    for (let j = k - 1; j >= 0; j--) if (series[j]!.iteration <= from) { earlier = series[j]!; break; }
    if (earlier === null) continue;
    if ((sign * (start - now.objective)) / Math.abs(now.objective) < progressMin) continue;
    const gained = (sign * (earlier.objective - now.objective)) / Math.abs(now.objective);
    if (gained < improvement) return { iteration: now.iteration, virtualTimeS: now.virtualTimeS, objective: now.objective, converged: true, start };
  }
  const last = series[series.length - 1]!;
  return { iteration: last.iteration, virtualTimeS: last.virtualTimeS, objective: last.objective, converged: false, start };
}

/** A looser target: `fraction` of the way from the start objective to the converged one. */
export const progressTarget = (c: Convergence, fraction: number): number => c.start + fraction * (c.objective - c.start);

/** First evaluation that reaches `target`. */
export function firstReaching(series: readonly MetricsPoint[], direction: "minimize" | "maximize", target: number): MetricsPoint | null {
  return series.find((p) => reaches(direction, p.objective, target)) ?? null;
}

export interface CaseResult {
  readonly result: SimulationResult;
  readonly direction: "minimize" | "maximize";
  readonly scenario: Scenario;
  /** The per-sample cost the run charged (base x regime factor). */
  readonly msPerSample: number;
}

export async function runCase(c: CaseSpec, onProgress?: () => void): Promise<CaseResult> {
  const scenario = buildScenario(c);
  const { createWorkload } = await import("@gaia/workloads");
  const workload = await createWorkload(scenario.workload, { seed: scenario.seed, dataCenters: scenario.topology.dataCenters, workersPerDataCenter: scenario.topology.workersPerDataCenter });
  const result = await runSimulation(scenario, { workload, recordTrace: false, checkInvariants: false, workerCache: c.workerCache ?? true, ...(onProgress ? { onProgress } : {}) });
  return { result, direction: workload.direction, scenario, msPerSample: (scenario.compute.msPerSample ?? workload.costMsPerSample) * (scenario.compute.regime?.factor ?? 1) };
}

export function toRow(c: CaseSpec, r: CaseResult, target: number, lanIterations: number): Row {
  const { summary, series } = r.result;
  const reached = firstReaching(series, r.direction, target);
  const atLan = series.find((p) => p.iteration >= lanIterations) ?? null;
  const b = summary.blockedS;
  return {
    workload: c.workload,
    topology: c.topology,
    sync: c.mode,
    timeToTargetS: reached?.virtualTimeS ?? null,
    wanBytes: summary.wanBytes,
    costUsd: summary.costUsd,
    blockedS: b.ssp + b.mirrorClock + b.barrier,
    finalObjective: summary.objective,
    targetObjective: target,
    objectiveName: summary.objectiveName,
    direction: r.direction,
    iterations: summary.iterations,
    objectiveAtLanIterations: atLan?.objective ?? null,
    virtualTimeS: summary.virtualTimeS,
    blockedByReasonS: b,
    stoppedBy: summary.stoppedBy,
    events: summary.events,
    wallS: summary.wallTimeS,
  };
}

/** Replaces the text between `<!-- name:begin -->` and `<!-- name:end -->`, or appends the block. */
export function replaceBlock(document: string, name: string, content: string): string {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${begin}\n${content.trimEnd()}\n${end}`;
  const i = document.indexOf(begin);
  const j = document.indexOf(end);
  if (i >= 0 && j > i) return document.slice(0, i) + block + document.slice(j + end.length);
  return `${document.trimEnd()}\n\n${block}\n`;
}
