/**
 * The workload API: the one way an ML program enters a Gaia run, for the bundled programs (mf,
 * lda, mnist, tfjs) and for a user's own module (`workload: {kind: module, path, options}`).
 *
 * A definition (`defineWorkload`) names the program, declares its options as a TypeBox schema
 * (which also gives the scenario file's JSON Schema and the options' TypeScript type), and sets
 * up a job from validated options: the job names its tables (rows x columns each), their initial
 * values, its objective (name and direction), a worker program per worker (the rows it reads for a
 * clock, one step over a batch, the deltas to push) and an evaluation. The run lays the tables one
 * after another into the shared parameter table the protocol synchronizes (`Layout`), so every
 * sync model (BSP, SSP, ASP, DiLoCo) trains any job unchanged.
 *
 * `DefinedWorkload` is the adapter to core's `Workload`: it owns the layout, calls the job, and
 * puts the workload's name, the role and the clock in front of any error the job raises.
 */
import { Type, type Static, type TObject, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { Rng, type Evaluation, type Schedule, type StepResult, type WorkerPlacement, type WorkerProgram, type Workload } from "@gaia/core";
import type { WorkloadContext } from "./context.js";
import { WorkloadError } from "./errors.js";
import type { PartitionStats } from "./partition.js";

export { Type, type Static, type TObject, type TSchema };

/** What marks an object as a workload definition (a symbol of the global registry, so that a
 * module that imports another copy of this package still defines workloads this copy accepts). */
export const definitionTag: unique symbol = Symbol.for("gaia.workload-definition") as never;

export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** One table of a job: `rows` x `cols` float32 values. */
export interface TableDeclaration {
  readonly rows: number;
  readonly cols: number;
}

/** A table as laid out in the shared parameter table. */
export interface Table {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  /** The shared table's row of this table's row 0. */
  readonly offset: number;
}

/** What a job's set-up sees: the run (seed, data centers, workers) and the scenario file's folder. */
export interface SetupContext extends WorkloadContext {
  /** The definition's name. */
  readonly name: string;
  /** A seeded random stream of this workload's own (`Rng(seed).child("workload:<name>")`). */
  readonly rng: Rng;
}

/** An ML program set up for one run. */
export interface WorkloadJob {
  /** Its tables, laid out in this order; each row of each table is one row of the shared table. */
  readonly tables: Readonly<Record<string, TableDeclaration>>;
  /** The objective the stop condition and the reports use. */
  readonly objective: { readonly name: string; readonly direction: "minimize" | "maximize" };
  /** Virtual compute milliseconds per sample on a node of speed 1 (default 0.001). */
  readonly costMsPerSample?: number;
  /** The learning-rate schedule, when the program has one (the significance threshold may follow it). */
  readonly learningRate?: Schedule;
  /**
   * Its own measure of how significant an accumulated update is against the parameter's value
   * (a pure function; default the paper's |accumulated / value|). Gaia's filter sends an update
   * when it scores above the threshold, and the significance checker holds runs to the same one.
   */
  readonly significance?: (accumulated: number, value: number) => number;
  /** Notes a run prints (a backend fallback, say). */
  readonly notes?: readonly string[];
  /** Fills `params` (the whole shared table, zeros on entry) with the initial values; default zeros. */
  init?(params: Float32Array, layout: Layout): void;
  /** The program of one worker. */
  worker(placement: WorkerPlacement, rng: Rng, layout: Layout): WorkerProgram;
  /** The objective (and extra metrics) of a whole shared table. */
  evaluate(params: Float32Array, layout: Layout): Evaluation | number;
  /** How the training data is spread over data centers and workers. */
  partitionStats?(): PartitionStats;
}

export interface WorkloadDefinition<S extends TObject = TObject> {
  readonly [definitionTag]: true;
  /** The workload's name: the run's `workload` in summaries (for bundled ones, their `kind`). */
  readonly name: string;
  readonly description: string;
  /** The options' schema; absent options take its defaults. */
  readonly options: S;
  /**
   * Problems of the options (paths like "/rank"), in place of the schema's generic check (the
   * bundled programs word their own messages); the schema is still what editors see.
   */
  readonly validate?: (options: unknown) => readonly Problem[];
  /** Rules across options that the schema cannot state. */
  readonly check?: (options: Static<S>) => readonly Problem[];
  /**
   * The options with their relative file paths made absolute against `baseDir` (the scenario
   * file's folder), called when a scenario is normalized, so that any process can read the files.
   */
  readonly withBaseDir?: (options: Static<S>, baseDir: string) => Static<S>;
  /**
   * The files valid options name (`path`: the option's path, like "/data/csv"; `file`: as
   * written, relative to the scenario file's folder), which loading a scenario checks exist.
   */
  readonly files?: (options: Static<S>) => readonly { readonly path: string; readonly file: string }[];
  /** Sets up the job for a run from valid options (defaults filled in). */
  readonly setup: (options: Static<S>, context: SetupContext) => WorkloadJob | Promise<WorkloadJob>;
}

/** Declares a workload: what a workload module exports (`export default defineWorkload({...})`). */
export function defineWorkload<S extends TObject>(definition: Omit<WorkloadDefinition<S>, typeof definitionTag>): WorkloadDefinition<S> {
  if (typeof definition.name !== "string" || !/^[A-Za-z][\w.-]*$/.test(definition.name)) throw new WorkloadError(`defineWorkload: name must be a word (letters, digits, _ . -), got ${JSON.stringify(definition.name)}`);
  if (typeof definition.setup !== "function") throw new WorkloadError(`defineWorkload ${definition.name}: setup must be a function`);
  if (typeof definition.options !== "object" || definition.options === null || (definition.options as { type?: unknown }).type !== "object") {
    throw new WorkloadError(`defineWorkload ${definition.name}: options must be a TypeBox object schema (Type.Object({...}))`);
  }
  return { ...definition, [definitionTag]: true } as WorkloadDefinition<S>;
}

export function isWorkloadDefinition(value: unknown): value is WorkloadDefinition {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[definitionTag] === true;
}

const show = (value: unknown): string => {
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return String(value);
  }
};

/**
 * The problems of `options` against a definition: its own validator, or the schema's check
 * (unknown fields named with the known ones), then its cross-field rules.
 */
export function optionProblems(definition: WorkloadDefinition, options: unknown): Problem[] {
  if (definition.validate) {
    const found = [...definition.validate(options)];
    if (found.length === 0 && definition.check) found.push(...definition.check(withOptionDefaults(definition, options as Record<string, unknown>)));
    return found;
  }
  if (typeof options !== "object" || options === null || Array.isArray(options)) return [{ path: "", message: `must be a mapping of options, got ${show(options)}` }];
  const problems: Problem[] = [];
  const known = Object.keys(definition.options.properties);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) problems.push({ path: `/${key}`, message: `unknown option for workload ${definition.name} (known: ${known.join(", ") || "none"})` });
  }
  // An option with a default is never required: the schema is checked with the defaults filled in.
  const filled = Value.Default(definition.options, structuredClone(options));
  const seen = new Set<string>();
  for (const error of Value.Errors(definition.options, filled)) {
    if (error.path !== "" && !known.includes(error.path.slice(1).split("/")[0]!)) continue;
    if (seen.has(error.path)) continue;
    seen.add(error.path);
    const message = error.value === undefined ? "is required (the schema gives it no default)" : `${error.message.replace(/^Expected/, "must be")}, got ${show(error.value)}`;
    problems.push({ path: error.path, message });
  }
  if (problems.length === 0 && definition.check) problems.push(...definition.check(withOptionDefaults(definition, options as Record<string, unknown>)));
  return problems;
}

/** The options with the schema's defaults filled in (call after validation). */
export function withOptionDefaults<S extends TObject>(definition: WorkloadDefinition<S>, options: Readonly<Record<string, unknown>>): Static<S> {
  return Value.Default(definition.options, structuredClone(options)) as Static<S>;
}

/** How a job's tables sit in the shared table: row ranges one after another, `cols` wide. */
export class Layout {
  readonly tables: readonly Table[];
  readonly rows: number;
  readonly cols: number;
  private readonly byName = new Map<string, Table>();

  constructor(declared: Readonly<Record<string, TableDeclaration>>, workload: string) {
    const entries = Object.entries(declared ?? {});
    if (entries.length === 0) throw new WorkloadError(`workload ${workload}: the job declares no tables`);
    let rows = 0;
    let cols = 0;
    const tables: Table[] = [];
    for (const [name, table] of entries) {
      if (!Number.isInteger(table?.rows) || table.rows < 1) throw new WorkloadError(`workload ${workload}: table ${name}: rows must be an integer >= 1, got ${show(table?.rows)}`);
      if (!Number.isInteger(table.cols) || table.cols < 1) throw new WorkloadError(`workload ${workload}: table ${name}: cols must be an integer >= 1, got ${show(table.cols)}`);
      if (cols !== 0 && table.cols !== cols) {
        throw new WorkloadError(`workload ${workload}: table ${name} has ${table.cols} columns, table ${tables[0]!.name} ${cols}: every table of a job has the same columns (lay a narrower one out in rows of that width)`);
      }
      cols = table.cols;
      const laid: Table = { name, rows: table.rows, cols: table.cols, offset: rows };
      tables.push(laid);
      this.byName.set(name, laid);
      rows += table.rows;
    }
    if (rows * cols > 2 ** 31) throw new WorkloadError(`workload ${workload}: ${rows} rows x ${cols} columns is more than 2^31 values`);
    this.tables = tables;
    this.rows = rows;
    this.cols = cols;
  }

  /** The table named `name`. */
  table(name: string): Table {
    const table = this.byName.get(name);
    if (table === undefined) throw new WorkloadError(`no table ${JSON.stringify(name)} (tables: ${this.tables.map((t) => t.name).join(", ")})`);
    return table;
  }

  /** The shared table's row of row `row` of table `name`. */
  row(name: string, row: number): number {
    const table = this.table(name);
    if (!Number.isInteger(row) || row < 0 || row >= table.rows) throw new WorkloadError(`table ${name}: row ${row} is outside 0..${table.rows - 1}`);
    return table.offset + row;
  }

  /** The `row`-th row of table `name` in a whole shared table (a view, `cols` values). */
  view(params: Float32Array, name: string, row: number): Float32Array {
    const at = this.row(name, row) * this.cols;
    return params.subarray(at, at + this.cols);
  }

  /** Reads rows of a step's values by table: `values` holds `rows` (sorted) row-major. */
  reader(rows: Uint32Array, values: Float32Array): RowReader {
    return new RowReader(this, rows, values);
  }

  /** Collects a step's deltas by table row; `result` gives them sorted, as a step returns them. */
  deltas(): DeltaBuilder {
    return new DeltaBuilder(this);
  }
}

export class RowReader {
  constructor(
    private readonly layout: Layout,
    readonly rows: Uint32Array,
    readonly values: Float32Array,
  ) {}

  /** Row `row` of table `name` as read for this step (a view; copy it to keep it). */
  get(name: string, row: number): Float32Array {
    const global = this.layout.row(name, row);
    let lo = 0;
    let hi = this.rows.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.rows[mid]!;
      if (at === global) return this.values.subarray(mid * this.layout.cols, (mid + 1) * this.layout.cols);
      if (at < global) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new WorkloadError(`row ${row} of table ${name} was not read for this step (rowsFor must list it)`);
  }
}

export class DeltaBuilder {
  private readonly byRow = new Map<number, Float32Array>();
  constructor(private readonly layout: Layout) {}

  /** Adds `delta` (`cols` values) to row `row` of table `name`. */
  add(name: string, row: number, delta: ArrayLike<number>): void {
    const { cols } = this.layout;
    if (delta.length !== cols) throw new WorkloadError(`table ${name}: a delta row has ${cols} values, got ${delta.length}`);
    const global = this.layout.row(name, row);
    let sum = this.byRow.get(global);
    if (sum === undefined) this.byRow.set(global, (sum = new Float32Array(cols)));
    for (let c = 0; c < cols; c++) sum[c] = sum[c]! + delta[c]!;
  }

  /** The step's result: the touched rows, sorted, and their deltas. */
  result(samples: number): StepResult {
    const rows = Uint32Array.from(this.byRow.keys()).sort();
    const deltas = new Float32Array(rows.length * this.layout.cols);
    rows.forEach((row, k) => deltas.set(this.byRow.get(row)!, k * this.layout.cols));
    return { rows, deltas, samples };
  }
}

const roleOf = (placement: WorkerPlacement, dataCenters: readonly string[]): string => `worker ${dataCenters[placement.dataCenterIndex] ?? `#${placement.dataCenterIndex}`}/w${placement.workerIndex}`;

/** An error the job raised, with the workload's name, the role and the clock in front of it. */
function jobError(workload: string, where: string, error: unknown, during: "input" | "run" = "run"): WorkloadError {
  if (error instanceof WorkloadError && error.message.startsWith(`workload ${workload}:`)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new WorkloadError(`workload ${workload}: ${where}: ${message}`, error instanceof WorkloadError ? error.problems : [], during);
}

/** A job behind core's `Workload` interface (what both drivers run). */
export class DefinedWorkload<J extends WorkloadJob = WorkloadJob> implements Workload {
  readonly kind: string;
  readonly rows: number;
  readonly cols: number;
  readonly direction: "minimize" | "maximize";
  readonly objectiveName: string;
  readonly costMsPerSample: number;
  readonly learningRate?: Schedule;
  readonly significance?: (accumulated: number, value: number) => number;
  readonly notes: readonly string[];
  readonly layout: Layout;

  constructor(
    readonly definition: WorkloadDefinition,
    readonly job: J,
    private readonly context: WorkloadContext,
  ) {
    const name = definition.name;
    this.kind = name;
    this.layout = new Layout(job.tables, name);
    this.rows = this.layout.rows;
    this.cols = this.layout.cols;
    const direction = job.objective?.direction;
    if (direction !== "minimize" && direction !== "maximize") throw new WorkloadError(`workload ${name}: objective.direction must be minimize or maximize, got ${show(direction)}`);
    if (typeof job.objective.name !== "string" || job.objective.name === "") throw new WorkloadError(`workload ${name}: objective.name must be a non-empty string`);
    this.direction = direction;
    this.objectiveName = job.objective.name;
    const cost = job.costMsPerSample ?? 0.001;
    if (!(Number.isFinite(cost) && cost >= 0)) throw new WorkloadError(`workload ${name}: costMsPerSample must be a finite number >= 0, got ${show(cost)}`);
    this.costMsPerSample = cost;
    if (job.learningRate !== undefined) this.learningRate = job.learningRate;
    if (job.significance !== undefined) {
      if (typeof job.significance !== "function") throw new WorkloadError(`workload ${name}: significance must be a function (accumulated, value) => number, got ${show(job.significance)}`);
      const score = job.significance;
      const workload = name;
      // A score that is not a number would make every comparison false: say so where it happens.
      this.significance = (accumulated, value) => {
        const s = score(accumulated, value);
        if (typeof s !== "number" || Number.isNaN(s)) throw new WorkloadError(`workload ${workload}: significance(${accumulated}, ${value}) returned ${show(s)}, not a number`, [], "run");
        return s;
      };
    }
    this.notes = job.notes ?? [];
  }

  /** A fresh initial table on every call (drawn again, not kept: a paper-size table is 40 MB). */
  initParams(): Float32Array {
    const params = new Float32Array(this.rows * this.cols);
    try {
      this.job.init?.(params, this.layout);
    } catch (error) {
      throw jobError(this.kind, "init", error);
    }
    return params;
  }

  createWorker(placement: WorkerPlacement, rng: Rng): WorkerProgram {
    const role = roleOf(placement, this.context.dataCenters);
    let program: WorkerProgram;
    try {
      program = this.job.worker(placement, rng, this.layout);
    } catch (error) {
      throw jobError(this.kind, `${role}, setting up`, error);
    }
    const name = this.kind;
    const samplesFor = program.samplesFor?.bind(program);
    return {
      ...(samplesFor !== undefined
        ? {
            samplesFor(clock: number): number {
              try {
                return samplesFor(clock);
              } catch (error) {
                throw jobError(name, `${role}, clock ${clock}, samplesFor`, error);
              }
            },
          }
        : {}),
      rowsFor(clock: number): Uint32Array | null {
        try {
          return program.rowsFor(clock);
        } catch (error) {
          throw jobError(name, `${role}, clock ${clock}, rowsFor`, error);
        }
      },
      step(clock: number, rows: Uint32Array, values: Float32Array): StepResult {
        try {
          return program.step(clock, rows, values);
        } catch (error) {
          throw jobError(name, `${role}, clock ${clock}, step`, error);
        }
      },
    };
  }

  evaluate(params: Float32Array): Evaluation {
    let result: Evaluation | number;
    try {
      result = this.job.evaluate(params, this.layout);
    } catch (error) {
      throw jobError(this.kind, "evaluate", error);
    }
    if (typeof result === "number") return { objective: result, metrics: { [this.objectiveName]: result } };
    if (typeof result !== "object" || result === null || typeof result.objective !== "number") throw new WorkloadError(`workload ${this.kind}: evaluate must return a number or {objective, metrics}, got ${show(result)}`);
    return result.metrics === undefined ? { objective: result.objective, metrics: {} } : result;
  }

  partitionStats(): PartitionStats {
    if (typeof this.job.partitionStats !== "function") throw new WorkloadError(`workload ${this.kind} does not report partition statistics`);
    return this.job.partitionStats();
  }
}

/** Sets up `definition`'s job for a run from valid options. */
export async function instantiate(definition: WorkloadDefinition, options: Readonly<Record<string, unknown>>, context: WorkloadContext): Promise<DefinedWorkload> {
  const full = withOptionDefaults(definition, options);
  const rng = new Rng(context.seed).child(`workload:${definition.name}`);
  let job: WorkloadJob;
  try {
    job = await definition.setup(full, { ...context, name: definition.name, rng });
  } catch (error) {
    // What set-up refuses (options, data files) is the scenario's input; anything else a bug of the job's.
    throw jobError(definition.name, "setup", error, error instanceof WorkloadError ? error.during : "run");
  }
  if (typeof job !== "object" || job === null || typeof job.worker !== "function" || typeof job.evaluate !== "function") {
    throw new WorkloadError(`workload ${definition.name}: setup must return a job with tables, objective, worker() and evaluate()`);
  }
  return new DefinedWorkload(definition, job, context);
}
