/**
 * Calibration: what one worker step of each workload costs on this machine, per sample (rating,
 * token, digit), so a scenario can charge compute at this host's speed instead of the figures the
 * workloads declare (which were measured once, on the development host).
 *
 * The measure is process CPU time, not wall time: every kernel here is single-threaded, and the
 * machine may be shared, so CPU time moves less between runs. Wall time is kept beside it.
 *
 * A calibration file (`gaia calibrate` writes one) is JSON with a `figures` list; a scenario points
 * at it with `compute.calibration`, and `calibratedMsPerSample` picks the figure of the scenario's
 * workload kind (for mnist: model and backend) and scales it to the scenario's job by the ratio of
 * the declared costs (`declaredMsPerSample`), which carry the job's size (MF rank, LDA topics,
 * MLP hidden units).
 */
import { Rng, type Workload } from "@gaia/core";
import { cpus, loadavg } from "node:os";
import type { Backend } from "./context.js";
import { createWorkload } from "./create.js";
import { WorkloadError } from "./errors.js";
import { ldaCostMsPerSample } from "./lda.js";
import { mfCostMsPerSample } from "./mf.js";
import { mnistCostMsPerSample, type MnistModel } from "./mnist.js";
import { withDefaults } from "./registry.js";
import { selectBackend } from "./tf.js";

export const calibrationFormat = "gaia-calibration/1";

/** The workload kinds a calibration measures, in order. */
export const calibrationKinds = ["mf", "lda", "mnist"] as const;
export type CalibrationKind = (typeof calibrationKinds)[number];

/** The TensorFlow.js backends a calibration tries, in `auto`'s order of preference. */
export const calibrationBackends: readonly Backend[] = ["node", "wasm", "cpu"];

const mnistModels: readonly MnistModel[] = ["softmax", "mlp", "cnn"];

export interface CalibrationCase {
  readonly name: string;
  readonly spec: { readonly kind: string } & Readonly<Record<string, unknown>>;
  /** TensorFlow.js backend (mnist only). */
  readonly backend?: Backend;
}

export interface StepTiming {
  readonly steps: number;
  readonly samples: number;
  /** Process CPU milliseconds over the timed steps. */
  readonly cpuMs: number;
  readonly wallMs: number;
  /** CPU milliseconds of one evaluation of the objective (after a warm-up evaluation). */
  readonly evaluateMs: number;
}

export interface CalibrationFigure {
  readonly name: string;
  readonly kind: string;
  /** mnist's model, else null. */
  readonly model: string | null;
  /** The TensorFlow.js backend it ran on (tensorflow, wasm, cpu), or null for plain JavaScript. */
  readonly backend: string | null;
  /** The workload section measured, with defaults filled in. */
  readonly spec: Readonly<Record<string, unknown>>;
  readonly steps: number;
  readonly samplesPerStep: number;
  /** CPU milliseconds per step. */
  readonly msPerStep: number;
  readonly wallMsPerStep: number;
  /** Samples per CPU second. */
  readonly samplesPerSecond: number;
  /** CPU milliseconds per sample: the value for a scenario's `compute.msPerSample`. */
  readonly msPerSample: number;
  /** What the workload declares for the same job (its default `compute.msPerSample`). */
  readonly declaredMsPerSample: number;
  readonly evaluateMs: number;
}

export interface Calibration {
  readonly format: typeof calibrationFormat;
  readonly date: string;
  readonly host: { readonly cpu: string | null; readonly cores: number; readonly node: string; readonly loadAverage1m: number | null };
  readonly secondsPerCase: number;
  /** The TensorFlow.js backends that were available (of those asked for). */
  readonly tfBackends: readonly string[];
  readonly figures: readonly CalibrationFigure[];
}

/**
 * Times worker steps of one worker that holds all the data, on a table it keeps updating, for at
 * least `seconds` of wall time and `minSteps` steps, after `warmupSteps` untimed ones.
 */
export function timeSteps(workload: Workload, seconds: number, options: { readonly minSteps?: number; readonly warmupSteps?: number } = {}): StepTiming {
  const minSteps = options.minSteps ?? 3;
  const placement = { dataCenterIndex: 0, dataCenterCount: 1, workerIndex: 0, workersPerDataCenter: 1, globalWorkerIndex: 0, globalWorkerCount: 1 };
  const worker = workload.createWorker(placement, new Rng(1).child("calibrate"));
  const table = workload.initParams();
  const cols = workload.cols;
  const allRows = Uint32Array.from({ length: workload.rows }, (_, k) => k);
  let clock = 0;
  const step = (): number => {
    const rows = worker.rowsFor(clock) ?? allRows;
    const values = new Float32Array(rows.length * cols);
    for (let k = 0; k < rows.length; k++) values.set(table.subarray(rows[k]! * cols, (rows[k]! + 1) * cols), k * cols);
    const result = worker.step(clock++, rows, values);
    for (let k = 0; k < result.rows.length; k++) {
      const base = result.rows[k]! * cols;
      for (let j = 0; j < cols; j++) table[base + j] = table[base + j]! + result.deltas[k * cols + j]!;
    }
    return result.samples;
  };
  for (let k = 0; k < (options.warmupSteps ?? 3); k++) step();
  let steps = 0;
  let samples = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  while (performance.now() - start < seconds * 1000 || steps < minSteps) {
    samples += step();
    steps++;
  }
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  workload.evaluate(table); // warm-up: the first call also compiles, and LDA scores the true topics once
  const evaluateStart = process.cpuUsage();
  workload.evaluate(table);
  const evaluate = process.cpuUsage(evaluateStart);
  return { steps, samples, cpuMs: (cpu.user + cpu.system) / 1000, wallMs, evaluateMs: (evaluate.user + evaluate.system) / 1000 };
}

/** The per-sample cost a workload declares for a job (its default `compute.msPerSample`). */
export function declaredMsPerSample(spec: { readonly kind: string } & Readonly<Record<string, unknown>>): number {
  const full = withDefaults(spec);
  switch (full.kind) {
    case "mf":
      return mfCostMsPerSample(Number(full["rank"]));
    case "lda":
      return ldaCostMsPerSample(Number(full["topics"]));
    case "mnist":
      return mnistCostMsPerSample(full["model"] as MnistModel, Number(full["hidden"]));
    default:
      throw new WorkloadError(`unknown workload kind ${JSON.stringify(full.kind)} (known: ${calibrationKinds.join(", ")})`);
  }
}

/** Builds the case's workload and times it. */
export async function measureCase(c: CalibrationCase, seconds: number): Promise<CalibrationFigure> {
  const workload = await createWorkload(c.spec, { seed: 1, dataCenters: ["calibrate"], workersPerDataCenter: 1, ...(c.backend !== undefined ? { backend: c.backend } : {}) });
  const timing = timeSteps(workload, seconds);
  const spec = withDefaults(c.spec);
  return {
    name: c.name,
    kind: spec.kind,
    model: spec.kind === "mnist" ? String(spec["model"]) : null,
    backend: (workload as { backend?: string }).backend ?? null,
    spec,
    steps: timing.steps,
    samplesPerStep: timing.samples / timing.steps,
    msPerStep: timing.cpuMs / timing.steps,
    wallMsPerStep: timing.wallMs / timing.steps,
    samplesPerSecond: (timing.samples / timing.cpuMs) * 1000,
    msPerSample: timing.cpuMs / timing.samples,
    declaredMsPerSample: workload.costMsPerSample,
    evaluateMs: timing.evaluateMs,
  };
}

/** Which of `backends` load here (their Backend names, in the order given). */
export async function availableBackends(backends: readonly Backend[] = calibrationBackends): Promise<Backend[]> {
  const found: Backend[] = [];
  for (const backend of backends) {
    try {
      await selectBackend(backend);
      found.push(backend);
    } catch {
      // not installed or failed to initialize: not calibrated
    }
  }
  return found;
}

/**
 * The default-size job of each kind; mnist once per model and backend. `backends` is what mnist
 * runs on (already checked to be available).
 */
export function calibrationCases(kinds: readonly string[], backends: readonly Backend[]): CalibrationCase[] {
  const cases: CalibrationCase[] = [];
  for (const kind of kinds) {
    if (kind === "mnist") {
      for (const model of mnistModels) for (const backend of backends) cases.push({ name: `mnist ${model}`, spec: { kind, model }, backend });
    } else if (kind === "mf" || kind === "lda") {
      cases.push({ name: kind, spec: { kind } });
    } else {
      throw new WorkloadError(`unknown workload "${kind}" (known: ${calibrationKinds.join(", ")})`);
    }
  }
  return cases;
}

export interface CalibrateOptions {
  /** Default: every kind. */
  readonly kinds?: readonly string[];
  /** mnist backends; default: every one of `calibrationBackends` that loads. An unavailable one is an error. */
  readonly backends?: readonly Backend[];
  /** Wall seconds of timed steps per case (default 1). */
  readonly seconds?: number;
  /** Called with each figure as soon as it is measured. */
  readonly onFigure?: (figure: CalibrationFigure) => void;
}

const knownBackends: readonly Backend[] = ["auto", "gpu", "node", "wasm", "cpu"];

/** Measures every case; throws a WorkloadError for an unknown kind or an unknown or absent backend. */
export async function calibrate(options: CalibrateOptions = {}): Promise<Calibration> {
  const kinds = options.kinds ?? calibrationKinds;
  const seconds = options.seconds ?? 1;
  if (!(seconds >= 0 && Number.isFinite(seconds))) throw new WorkloadError(`seconds must be a number >= 0, got ${seconds}`);
  for (const kind of kinds) if (!(calibrationKinds as readonly string[]).includes(kind)) throw new WorkloadError(`unknown workload "${kind}" (known: ${calibrationKinds.join(", ")})`);
  for (const backend of options.backends ?? []) if (!knownBackends.includes(backend)) throw new WorkloadError(`unknown backend "${backend}" (known: ${knownBackends.join(", ")})`);
  let backends: Backend[] = [];
  if (kinds.includes("mnist")) {
    if (options.backends === undefined) {
      backends = await availableBackends();
    } else {
      for (const backend of options.backends) await selectBackend(backend); // throws with how to install it
      backends = [...options.backends];
    }
  }
  const figures: CalibrationFigure[] = [];
  for (const c of calibrationCases(kinds, backends)) {
    const figure = await measureCase(c, seconds);
    figures.push(figure);
    options.onFigure?.(figure);
  }
  return {
    format: calibrationFormat,
    date: new Date().toISOString(),
    host: { cpu: cpus()[0]?.model ?? null, cores: cpus().length, node: process.version, loadAverage1m: loadavg()[0] ?? null },
    secondsPerCase: seconds,
    tfBackends: [...new Set(figures.map((f) => f.backend).filter((b): b is string => b !== null))],
    figures,
  };
}

/** The tfjs backend name a scenario's `backend` runs on, or null for `auto` (the first calibrated). */
const tfNameOf = (backend: string): string | null => (backend === "gpu" || backend === "node" ? "tensorflow" : backend === "auto" ? null : backend);

/**
 * The per-sample cost a calibration gives a workload section: the figure of the same kind (mnist:
 * same model, and the same backend, or for `auto` the first one calibrated), scaled by
 * `declaredMsPerSample(spec) / figure.declaredMsPerSample`. Throws a WorkloadError, saying what is
 * missing, when the calibration has no such figure or is not a calibration.
 */
export function calibratedMsPerSample(calibration: unknown, spec: { readonly kind: string } & Readonly<Record<string, unknown>>): { readonly msPerSample: number; readonly figure: CalibrationFigure } {
  const figures = (calibration as { figures?: unknown } | null)?.figures;
  if (typeof calibration !== "object" || calibration === null || !Array.isArray(figures)) throw new WorkloadError(`not a calibration file (no "figures" list; write one with gaia calibrate)`);
  const valid = figures.filter(
    (f): f is CalibrationFigure =>
      typeof f === "object" && f !== null && typeof (f as CalibrationFigure).kind === "string" && (f as CalibrationFigure).msPerSample > 0 && (f as CalibrationFigure).declaredMsPerSample > 0,
  );
  const full = withDefaults(spec);
  let candidates = valid.filter((f) => f.kind === full.kind);
  let wanted = full.kind;
  if (full.kind === "mnist") {
    const model = String(full["model"]);
    const backend = tfNameOf(String(full["backend"]));
    candidates = candidates.filter((f) => f.model === model && (backend === null || f.backend === backend));
    wanted = `mnist ${model}${backend === null ? "" : ` on the ${backend} backend`}`;
  }
  const figure = candidates[0];
  if (figure === undefined) {
    const present = valid.map((f) => (f.backend === null ? f.name : `${f.name} (${f.backend})`));
    throw new WorkloadError(`the calibration has no figure for ${wanted} (it has: ${present.length === 0 ? "none" : present.join(", ")}); run gaia calibrate --workload ${full.kind}`);
  }
  return { msPerSample: figure.msPerSample * (declaredMsPerSample(full) / figure.declaredMsPerSample), figure };
}
