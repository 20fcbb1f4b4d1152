/**
 * Matrix factorization by SGD, the paper's Netflix job, on seeded Netflix-like ratings.
 *
 * Data: user and item popularity follow a Zipf-like power law (popularity ranks are shuffled over
 * ids so that popular rows do not all land on one shard); a rating is the dot product of low-rank
 * ground-truth factors plus Gaussian noise (ratings are centered: no global mean). Ratings live in
 * three typed arrays laid out contiguously by worker, 12 bytes each, so ~100M ratings fit in
 * memory. The generator draws the same seeded stream of users up to three times (ratings per user,
 * ratings per worker, then the write) instead of holding temporary copies.
 *
 * Table: row u is user u's factor vector, row users + i is item i's; cols = rank. A worker step
 * takes the next `batchSize` ratings of its partition (cyclically, so the minibatch is a function of
 * the clock), reads the sorted unique rows they touch, runs sequential SGD over them on a local copy
 * and returns the row deltas. Objective: RMSE over all ratings or a fixed seeded sample.
 */
import { Rng, type Evaluation, type Schedule, type WorkerPlacement, type WorkerProgram, type StepResult } from "@gaia/core";
import type { WorkloadContext } from "./context.js";
import type { TableDeclaration, WorkloadJob } from "./define.js";
import { checkPlacement, contiguousPartitionStats, type PartitionMode, type PartitionStats } from "./partition.js";
import { learningRateAt } from "./learning-rate.js";
import { aliasDraw, aliasTable, shuffledRange, zipfWeights } from "./sampling.js";
import type { RatingsData } from "./data/ratings.js";

export interface MfSpec {
  readonly users: number;
  readonly items: number;
  readonly ratings: number;
  readonly rank: number;
  readonly noise: number;
  readonly popularityExponent: number;
  readonly learningRate: number;
  readonly lrSchedule: Schedule;
  readonly regularization: number;
  readonly batchSize: number;
  readonly evalSamples: number;
  readonly partition: PartitionMode;
  readonly skew: number;
}

/**
 * Virtual cost per rating at rank r, calibrated by bench/workloads.bench.ts (CPU time on the
 * development host: 0.00041 ms at rank 16, 0.00092 ms at rank 32).
 */
export const mfCostMsPerSample = (rank: number): number => 0.000027 * rank;

export class MfWorkload implements WorkloadJob {
  readonly rows: number;
  readonly cols: number;
  readonly objective = { name: "rmse", direction: "minimize" } as const;
  /** Users' factors, then items': row u of the shared table is user u, row users + i item i. */
  readonly tables: Readonly<Record<string, TableDeclaration>>;
  readonly costMsPerSample: number;
  readonly learningRate: Schedule;
  /** Ratings, contiguous by global worker: worker w holds [workerStart[w], workerStart[w + 1]). */
  readonly ratingUser: Uint32Array;
  readonly ratingItem: Uint32Array;
  readonly ratingValue: Float32Array;
  readonly workerStart: Uint32Array;
  /** Each user's home data center (the group of its ratings under `partition: skewed`). */
  readonly userHome: Uint16Array;
  private readonly evalIndex: Uint32Array | null;
  private readonly dataCenterCount: number;

  /** `data`: ratings read from a file (data/ratings.ts) instead of generated; spec.users, items and ratings must be the file's. */
  constructor(
    readonly spec: MfSpec,
    private readonly context: WorkloadContext,
    readonly data?: RatingsData,
  ) {
    const { users, items, ratings, rank } = spec;
    this.rows = users + items;
    this.cols = rank;
    this.tables = { users: { rows: users, cols: rank }, items: { rows: items, cols: rank } };
    this.costMsPerSample = mfCostMsPerSample(rank);
    this.learningRate = spec.lrSchedule;
    const D = context.dataCenters.length;
    const W = D * context.workersPerDataCenter;
    this.dataCenterCount = D;
    const root = new Rng(context.seed).child("workload:mf");
    if (data !== undefined) {
      this.ratingUser = data.user;
      this.ratingItem = data.item;
      this.ratingValue = data.value;
      this.workerStart = data.workerStart;
      this.userHome = data.userHome;
      this.evalIndex = evalSample(ratings, spec.evalSamples, root);
      return;
    }

    const truthRng = root.child("truth");
    const scale = Math.pow(rank, -0.25);
    const truthUser = new Float32Array(users * rank);
    const truthItem = new Float32Array(items * rank);
    for (let k = 0; k < truthUser.length; k++) truthUser[k] = truthRng.normal() * scale;
    for (let k = 0; k < truthItem.length; k++) truthItem[k] = truthRng.normal() * scale;

    const idRng = root.child("ids");
    const userOfRank = shuffledRange(users, idRng);
    const itemOfRank = shuffledRange(items, idRng);
    const userTable = aliasTable(zipfWeights(users, spec.popularityExponent));
    const itemTable = aliasTable(zipfWeights(items, spec.popularityExponent));
    // Users and items come from separate streams so that the counting passes draw users only.
    let userRng = root.child("users");
    const drawUser = (): number => userOfRank[aliasDraw(userTable, userRng)]!;

    // Users are dealt to home data centers with balanced rating counts. Under skewed partitions the
    // homes decide where ratings go, so a first pass counts ratings per user; otherwise the homes
    // only label the data for partitionStats and are dealt after the ratings are drawn.
    const skewed = spec.partition === "skewed" && D > 1;
    this.userHome = new Uint16Array(users);
    if (skewed) {
      const userCount = new Uint32Array(users);
      for (let r = 0; r < ratings; r++) userCount[drawUser()]!++;
      dealHomes(userCount, D, this.userHome);
    }

    let assign = root.child("assign");
    const wpd = context.workersPerDataCenter;
    const workerOf = (user: number): number => {
      if (!skewed) return assign.int(W);
      const home = this.userHome[user]!;
      let dc = home;
      if (!(assign.float() < spec.skew)) {
        const other = assign.int(D - 1);
        dc = other >= home ? other + 1 : other;
      }
      return dc * wpd + assign.int(wpd);
    };

    // Ratings per worker.
    userRng = root.child("users");
    const workerCount = new Float64Array(W);
    for (let r = 0; r < ratings; r++) workerCount[workerOf(drawUser())]!++;
    this.workerStart = new Uint32Array(W + 1);
    for (let w = 0; w < W; w++) this.workerStart[w + 1] = this.workerStart[w]! + workerCount[w]!;

    // Write every rating at its worker's cursor.
    userRng = root.child("users");
    assign = root.child("assign");
    const itemRng = root.child("items");
    const noiseRng = root.child("noise");
    const cursor = this.workerStart.slice(0, W);
    this.ratingUser = new Uint32Array(ratings);
    this.ratingItem = new Uint32Array(ratings);
    this.ratingValue = new Float32Array(ratings);
    for (let r = 0; r < ratings; r++) {
      const user = drawUser();
      const item = itemOfRank[aliasDraw(itemTable, itemRng)]!;
      const at = cursor[workerOf(user)]!++;
      let dot = 0;
      const pu = user * rank;
      const qi = item * rank;
      for (let f = 0; f < rank; f++) dot += truthUser[pu + f]! * truthItem[qi + f]!;
      this.ratingUser[at] = user;
      this.ratingItem[at] = item;
      this.ratingValue[at] = dot + spec.noise * noiseRng.normal();
    }
    if (!skewed && D > 1) {
      const userCount = new Uint32Array(users);
      for (let r = 0; r < ratings; r++) userCount[this.ratingUser[r]!]!++;
      dealHomes(userCount, D, this.userHome);
    }

    this.evalIndex = evalSample(ratings, spec.evalSamples, root);
  }

  init(params: Float32Array): void {
    // Uniform with the spread of N(0, 0.1^2 / sqrt(rank)): one draw per value, for big tables.
    const rng = new Rng(this.context.seed).child("workload:mf").child("init");
    const limit = Math.sqrt(3) * 0.1 * Math.pow(this.cols, -0.25);
    for (let k = 0; k < params.length; k++) params[k] = rng.uniform(-limit, limit);
  }

  worker(placement: WorkerPlacement, _rng: Rng): WorkerProgram {
    const w = checkPlacement(placement, this.dataCenterCount, this.context.workersPerDataCenter);
    return new MfWorker(this, this.workerStart[w]!, this.workerStart[w + 1]!);
  }

  evaluate(params: Float32Array): Evaluation {
    const rank = this.cols;
    const itemBase = this.spec.users;
    const count = this.evalIndex === null ? this.ratingValue.length : this.evalIndex.length;
    let sum = 0;
    for (let k = 0; k < count; k++) {
      const r = this.evalIndex === null ? k : this.evalIndex[k]!;
      const pu = this.ratingUser[r]! * rank;
      const qi = (itemBase + this.ratingItem[r]!) * rank;
      let dot = 0;
      for (let f = 0; f < rank; f++) dot += params[pu + f]! * params[qi + f]!;
      const error = this.ratingValue[r]! - dot;
      sum += error * error;
    }
    const rmse = Math.sqrt(sum / Math.max(1, count));
    return { objective: rmse, metrics: { rmse, evaluatedRatings: count } };
  }

  partitionStats(): PartitionStats {
    const data = this.data;
    return contiguousPartitionStats({
      kind: "mf",
      partition: data?.partition ?? this.spec.partition,
      skew: this.spec.skew,
      groupedBy: data?.partition === "by-column" ? `column ${data.column} of ${data.file} (user home: where most of its ratings were born)` : "user home data center",
      dataCenters: this.context.dataCenters,
      workersPerDataCenter: this.context.workersPerDataCenter,
      workerStart: this.workerStart,
      owns: (dc, r) => this.userHome[this.ratingUser[r]!] === dc,
    });
  }

}

class MfWorker implements WorkerProgram {
  private readonly batch: number;
  private readonly rowIds: Uint32Array;
  /** Row id -> position in the values handed to `step`, -1 elsewhere (reset after each step). */
  private readonly localOf: Int32Array;

  constructor(
    private readonly workload: MfWorkload,
    private readonly start: number,
    private readonly end: number,
  ) {
    this.batch = Math.min(workload.spec.batchSize, end - start);
    this.rowIds = new Uint32Array(2 * this.batch);
    this.localOf = new Int32Array(workload.rows).fill(-1);
  }

  /** Position of the k-th rating of the minibatch for `clock`. */
  private ratingAt(clock: number, k: number): number {
    const count = this.end - this.start;
    return this.start + ((clock * this.batch + k) % count);
  }

  samplesFor(_clock: number): number {
    return this.batch;
  }

  rowsFor(clock: number): Uint32Array {
    const { ratingUser, ratingItem, spec } = this.workload;
    for (let k = 0; k < this.batch; k++) {
      const r = this.ratingAt(clock, k);
      this.rowIds[2 * k] = ratingUser[r]!;
      this.rowIds[2 * k + 1] = spec.users + ratingItem[r]!;
    }
    const sorted = this.rowIds.slice().sort();
    let n = 0;
    for (let i = 0; i < sorted.length; i++) if (n === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
    return sorted.slice(0, n);
  }

  step(clock: number, rows: Uint32Array, values: Float32Array): StepResult {
    const { ratingUser, ratingItem, ratingValue, spec, cols: rank } = this.workload;
    if (values.length !== rows.length * rank) throw new RangeError(`mf step: ${values.length} values for ${rows.length} rows of ${rank}`);
    for (let k = 0; k < rows.length; k++) this.localOf[rows[k]!] = k;
    const current = values.slice();
    const rate = learningRateAt(spec.learningRate, spec.lrSchedule, clock);
    const lambda = spec.regularization;
    try {
      for (let k = 0; k < this.batch; k++) {
        const r = this.ratingAt(clock, k);
        const lu = this.localOf[ratingUser[r]!]!;
        const li = this.localOf[spec.users + ratingItem[r]!]!;
        if (lu < 0 || li < 0) throw new RangeError(`mf step: rows for clock ${clock} lack user ${ratingUser[r]} or item ${ratingItem[r]}`);
        const pu = lu * rank;
        const qi = li * rank;
        let dot = 0;
        for (let f = 0; f < rank; f++) dot += current[pu + f]! * current[qi + f]!;
        const error = ratingValue[r]! - dot;
        for (let f = 0; f < rank; f++) {
          const uf = current[pu + f]!;
          const vf = current[qi + f]!;
          current[pu + f] = uf + rate * (error * vf - lambda * uf);
          current[qi + f] = vf + rate * (error * uf - lambda * vf);
        }
      }
    } finally {
      for (let k = 0; k < rows.length; k++) this.localOf[rows[k]!] = -1;
    }
    for (let k = 0; k < current.length; k++) current[k] = current[k]! - values[k]!;
    return { rows, deltas: current, samples: this.batch };
  }
}

/** A fixed seeded sample of `evalSamples` rating positions when there are more ratings, else null (all). */
function evalSample(ratings: number, evalSamples: number, root: Rng): Uint32Array | null {
  if (ratings <= evalSamples) return null;
  const evalRng = root.child("eval");
  const index = new Uint32Array(evalSamples);
  for (let k = 0; k < evalSamples; k++) index[k] = evalRng.int(ratings);
  return index.sort();
}

/** Deals users to data centers, busiest first, each to the least loaded one (ties: lowest index). */
export function dealHomes(userCount: Uint32Array, dataCenters: number, home: Uint16Array): void {
  const order = Uint32Array.from({ length: userCount.length }, (_, u) => u).sort((a, b) => userCount[b]! - userCount[a]! || a - b);
  const load = new Float64Array(dataCenters);
  for (const u of order) {
    let best = 0;
    for (let d = 1; d < dataCenters; d++) if (load[d]! < load[best]!) best = d;
    home[u] = best;
    load[best]! += userCount[u]!;
  }
}
