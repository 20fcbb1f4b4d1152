/**
 * Topic modeling (LDA) by collapsed Gibbs sampling.
 *
 * Corpus: drawn from the LDA generative process with `topics` true topics (phi_k ~ Dir(beta) over
 * the vocabulary, theta_d ~ Dir(alpha), z ~ theta_d, w ~ phi_z), so the true topics are known.
 * Under `partition: skewed` a data center's documents are generated so that a fraction `skew` of
 * them are dominated by a topic it owns (the largest entry of theta is swapped onto the wanted
 * topic; Dirichlet draws are exchangeable, so the documents stay LDA documents).
 *
 * Table: row w holds word w's topic counts, row `vocabulary` the topic totals; cols = topics.
 * The initial table counts a seeded random topic for every token; each worker starts from the same
 * assignments for its documents and keeps them, and its documents' topic counts, locally. A step
 * resamples every token of the next `batchSize` documents (cyclically) against a local copy of the
 * rows read, and returns the count deltas. Replicas may hold slightly negative counts for a while
 * under approximate synchronization, so counts are clamped at zero when sampling.
 *
 * Objective: per-token log-likelihood of held-out documents by document completion: each held-out
 * document's topic proportions are fitted on its even-position tokens (20 fixed-point iterations
 * with phi estimated from the word-topic table alone, alpha as pseudo-counts) and the odd-position
 * tokens are scored. The same measure under the true topics is reported as `true-log-likelihood`.
 */
import { Rng, type Evaluation, type WorkerPlacement, type WorkerProgram, type StepResult } from "@gaia/core";
import type { WorkloadContext } from "./context.js";
import type { TableDeclaration, WorkloadJob } from "./define.js";
import { checkPlacement, evenSplit, groupsOf, ownsGroup, sortedUnique, type PartitionMode, type PartitionStats, contiguousPartitionStats } from "./partition.js";
import { searchCumulative } from "./sampling.js";
import type { BagOfWordsData } from "./data/bag-of-words.js";

export interface LdaSpec {
  readonly documents: number;
  readonly vocabulary: number;
  readonly topics: number;
  readonly docLength: number;
  readonly alpha: number;
  readonly beta: number;
  readonly batchSize: number;
  readonly heldOutDocuments: number;
  readonly partition: PartitionMode;
  readonly skew: number;
}

/**
 * Virtual cost per token resampled with K topics, calibrated by bench/workloads.bench.ts (CPU time
 * on the development host: 0.00019 ms at K = 10, 0.00075 ms at K = 50 with a 5000-word vocabulary).
 */
export const ldaCostMsPerSample = (topics: number): number => 0.00005 + 0.000014 * topics;

const foldInIterations = 20;

interface Corpus {
  readonly words: Uint32Array;
  /** Token range of document d: [docStart[d], docStart[d + 1]). */
  readonly docStart: Uint32Array;
}

export class LdaWorkload implements WorkloadJob {
  readonly rows: number;
  readonly cols: number;
  readonly objective = { name: "log-likelihood", direction: "maximize" } as const;
  /** Word-topic counts (row w: word w), then one row of topic totals. */
  readonly tables: Readonly<Record<string, TableDeclaration>>;
  readonly costMsPerSample: number;
  /** Training corpus, documents contiguous by global worker. */
  readonly corpus: Corpus;
  /** Initial topic of every training token (the table's initial counts). */
  readonly initialTopic: Uint16Array;
  /** Document range of worker w: [workerDocStart[w], workerDocStart[w + 1]). */
  readonly workerDocStart: Uint32Array;
  /** The dominant true topic of every training document (its group); for a corpus read from a file, its home data center. */
  readonly dominantTopic: Uint16Array;
  readonly heldOut: Corpus;
  private readonly truePhi: Float64Array;
  private trueLogLikelihood: number | null = null;
  private readonly dataCenterCount: number;

  /** `data`: a corpus read from a file (data/bag-of-words.ts) instead of generated; spec.documents, vocabulary and heldOutDocuments must be its. */
  constructor(
    readonly spec: LdaSpec,
    private readonly context: WorkloadContext,
    readonly data?: BagOfWordsData,
  ) {
    const V = spec.vocabulary;
    const K = spec.topics;
    this.rows = V + 1;
    this.cols = K;
    this.tables = { words: { rows: V, cols: K }, totals: { rows: 1, cols: K } };
    this.costMsPerSample = ldaCostMsPerSample(K);
    const D = context.dataCenters.length;
    const wpd = context.workersPerDataCenter;
    const W = D * wpd;
    this.dataCenterCount = D;
    const root = new Rng(context.seed).child("workload:lda");
    if (data !== undefined) {
      // No true topics: the groups are the documents' home data centers, and there is no true log-likelihood.
      this.corpus = { words: data.words, docStart: data.docStart };
      this.workerDocStart = data.workerDocStart;
      this.dominantTopic = data.docHome;
      this.heldOut = data.heldOut;
      this.truePhi = new Float64Array(0);
      this.initialTopic = initialTopics(this.corpus.words.length, K, root);
      return;
    }

    const topicRng = root.child("topics");
    this.truePhi = new Float64Array(K * V);
    const phiCumulative = new Float64Array(K * V);
    for (let k = 0; k < K; k++) {
      const phi = topicRng.dirichlet(spec.beta, V);
      let sum = 0;
      for (let w = 0; w < V; w++) {
        this.truePhi[k * V + w] = phi[w]!;
        phiCumulative[k * V + w] = sum += phi[w]!;
      }
    }

    const theta = new Float64Array(K);
    const generate = (rng: Rng, target: number | null): { words: number[]; dominant: number } => {
      const drawn = rng.dirichlet(spec.alpha, K);
      let top = 0;
      for (let k = 1; k < K; k++) if (drawn[k]! > drawn[top]!) top = k;
      theta.set(drawn);
      if (target !== null && target !== top) {
        theta[top] = drawn[target]!;
        theta[target] = drawn[top]!;
        top = target;
      }
      const half = Math.floor(spec.docLength / 2);
      const length = Math.max(1, half + rng.int(spec.docLength + 1));
      const words: number[] = new Array<number>(length);
      for (let t = 0; t < length; t++) {
        let u = rng.float();
        let z = 0;
        while (z < K - 1 && u >= theta[z]!) u -= theta[z++]!;
        words[t] = searchCumulative(phiCumulative, z * V, V, rng.float());
      }
      return { words, dominant: top };
    };

    const perWorker: { words: number[]; dominant: number }[][] = Array.from({ length: W }, () => []);
    const docRng = root.child("docs");
    if (spec.partition === "skewed") {
      const perDataCenter = evenSplit(spec.documents, D);
      for (let d = 0; d < D; d++) {
        const n = perDataCenter[d]!;
        const { own, other } = groupsOf(d, D, K);
        const ownCount = other.length === 0 ? n : Math.round(spec.skew * n);
        for (let j = 0; j < n; j++) {
          // Spread the owned documents evenly through the sequence (and so over the workers).
          const isOwn = Math.floor(((j + 1) * ownCount) / n) > Math.floor((j * ownCount) / n);
          const target = isOwn ? docRng.pick(own) : docRng.pick(other);
          perWorker[d * wpd + (j % wpd)]!.push(generate(docRng, target));
        }
      }
    } else {
      for (let j = 0; j < spec.documents; j++) perWorker[j % W]!.push(generate(docRng, null));
    }

    const docs = perWorker.flat();
    this.corpus = pack(docs.map((doc) => doc.words));
    this.dominantTopic = Uint16Array.from(docs, (doc) => doc.dominant);
    this.workerDocStart = new Uint32Array(W + 1);
    for (let w = 0; w < W; w++) this.workerDocStart[w + 1] = this.workerDocStart[w]! + perWorker[w]!.length;

    this.initialTopic = initialTopics(this.corpus.words.length, K, root);

    const heldRng = root.child("held-out");
    this.heldOut = pack(Array.from({ length: spec.heldOutDocuments }, () => generate(heldRng, null).words));
  }

  init(params: Float32Array): void {
    const K = this.cols;
    const totals = this.spec.vocabulary * K;
    const { words } = this.corpus;
    for (let t = 0; t < words.length; t++) {
      const z = this.initialTopic[t]!;
      params[words[t]! * K + z]!++;
      params[totals + z]!++;
    }
  }

  worker(placement: WorkerPlacement, rng: Rng): WorkerProgram {
    const w = checkPlacement(placement, this.dataCenterCount, this.context.workersPerDataCenter);
    return new LdaWorker(this, this.workerDocStart[w]!, this.workerDocStart[w + 1]!, rng.child("gibbs"));
  }

  evaluate(params: Float32Array): Evaluation {
    const V = this.spec.vocabulary;
    const K = this.cols;
    const { beta } = this.spec;
    const totals = new Float64Array(K);
    for (let k = 0; k < K; k++) totals[k] = Math.max(0, params[V * K + k]!) + V * beta;
    const logLikelihood = this.heldOutLogLikelihood((w, k) => (Math.max(0, params[w * K + k]!) + beta) / totals[k]!);
    if (this.data !== undefined) return { objective: logLikelihood, metrics: { "log-likelihood": logLikelihood } };
    if (this.trueLogLikelihood === null) this.trueLogLikelihood = this.heldOutLogLikelihood((w, k) => this.truePhi[k * V + w]! + 1e-12);
    return { objective: logLikelihood, metrics: { "log-likelihood": logLikelihood, "true-log-likelihood": this.trueLogLikelihood } };
  }

  /** Document-completion log-likelihood per token of the held-out documents under phi(w, k). */
  private heldOutLogLikelihood(phiOf: (word: number, topic: number) => number): number {
    const K = this.cols;
    const { alpha } = this.spec;
    const { words, docStart } = this.heldOut;
    const phi = new Float64Array(words.length * K);
    for (let t = 0; t < words.length; t++) for (let k = 0; k < K; k++) phi[t * K + k] = phiOf(words[t]!, k);
    const theta = new Float64Array(K);
    const counts = new Float64Array(K);
    let total = 0;
    let scored = 0;
    for (let d = 0; d + 1 < docStart.length; d++) {
      const start = docStart[d]!;
      const end = docStart[d + 1]!;
      theta.fill(1 / K);
      const fitted = Math.ceil((end - start) / 2);
      for (let iteration = 0; iteration < foldInIterations; iteration++) {
        counts.fill(0);
        for (let t = start; t < end; t += 2) {
          let norm = 0;
          for (let k = 0; k < K; k++) norm += theta[k]! * phi[t * K + k]!;
          for (let k = 0; k < K; k++) counts[k]! += (theta[k]! * phi[t * K + k]!) / norm;
        }
        for (let k = 0; k < K; k++) theta[k] = (counts[k]! + alpha) / (fitted + K * alpha);
      }
      for (let t = start + 1; t < end; t += 2) {
        let p = 0;
        for (let k = 0; k < K; k++) p += theta[k]! * phi[t * K + k]!;
        total += Math.log(p);
        scored++;
      }
    }
    return total / Math.max(1, scored);
  }

  partitionStats(): PartitionStats {
    const K = this.cols;
    const data = this.data;
    return contiguousPartitionStats({
      kind: "lda",
      partition: data?.partition ?? this.spec.partition,
      skew: this.spec.skew,
      groupedBy: data === undefined ? "dominant true topic of the document" : data.bornFile !== null ? `data center named in ${data.bornFile}` : "docID range of the document",
      dataCenters: this.context.dataCenters,
      workersPerDataCenter: this.context.workersPerDataCenter,
      workerStart: this.workerDocStart,
      owns: data === undefined ? (dc, d) => ownsGroup(dc, this.dominantTopic[d]!, this.dataCenterCount, K) : (dc, d) => this.dominantTopic[d] === dc,
    });
  }

}

/** A seeded random topic for every training token (the table's initial counts). */
function initialTopics(tokens: number, topics: number, root: Rng): Uint16Array {
  const initRng = root.child("init");
  const topic = new Uint16Array(tokens);
  for (let t = 0; t < tokens; t++) topic[t] = initRng.int(topics);
  return topic;
}

function pack(documents: readonly (readonly number[])[]): Corpus {
  const docStart = new Uint32Array(documents.length + 1);
  for (let d = 0; d < documents.length; d++) docStart[d + 1] = docStart[d]! + documents[d]!.length;
  const words = new Uint32Array(docStart[documents.length]!);
  for (let d = 0; d < documents.length; d++) words.set(documents[d]!, docStart[d]!);
  return { words, docStart };
}

class LdaWorker implements WorkerProgram {
  private readonly batch: number;
  /** The worker's token topics and document-topic counts (local state, never shared). */
  private readonly topic: Uint16Array;
  private readonly docTopic: Int32Array;
  private readonly tokenBase: number;
  private readonly localOf: Int32Array;
  private readonly weights: Float64Array;

  constructor(
    private readonly workload: LdaWorkload,
    private readonly docFirst: number,
    private readonly docEnd: number,
    private readonly rng: Rng,
  ) {
    const K = workload.cols;
    const { docStart } = workload.corpus;
    this.batch = Math.min(workload.spec.batchSize, docEnd - docFirst);
    this.tokenBase = docStart[docFirst]!;
    this.topic = workload.initialTopic.slice(this.tokenBase, docStart[docEnd]!);
    this.docTopic = new Int32Array((docEnd - docFirst) * K);
    for (let d = docFirst; d < docEnd; d++) {
      for (let t = docStart[d]!; t < docStart[d + 1]!; t++) this.docTopic[(d - docFirst) * K + this.topic[t - this.tokenBase]!]!++;
    }
    this.localOf = new Int32Array(workload.rows).fill(-1);
    this.weights = new Float64Array(K);
  }

  private docAt(clock: number, k: number): number {
    return this.docFirst + ((clock * this.batch + k) % (this.docEnd - this.docFirst));
  }

  /** The tokens of the clock's documents: what `step` resamples. */
  samplesFor(clock: number): number {
    const { docStart } = this.workload.corpus;
    let tokens = 0;
    for (let k = 0; k < this.batch; k++) {
      const d = this.docAt(clock, k);
      tokens += docStart[d + 1]! - docStart[d]!;
    }
    return tokens;
  }

  rowsFor(clock: number): Uint32Array {
    const { words, docStart } = this.workload.corpus;
    let count = 0;
    for (let k = 0; k < this.batch; k++) {
      const d = this.docAt(clock, k);
      count += docStart[d + 1]! - docStart[d]!;
    }
    const ids = new Uint32Array(count + 1);
    let n = 0;
    for (let k = 0; k < this.batch; k++) {
      const d = this.docAt(clock, k);
      for (let t = docStart[d]!; t < docStart[d + 1]!; t++) ids[n++] = words[t]!;
    }
    ids[n++] = this.workload.spec.vocabulary;
    return sortedUnique(ids, n);
  }

  step(clock: number, rows: Uint32Array, values: Float32Array): StepResult {
    const K = this.workload.cols;
    const { vocabulary: V, alpha, beta } = this.workload.spec;
    const { words, docStart } = this.workload.corpus;
    if (values.length !== rows.length * K) throw new RangeError(`lda step: ${values.length} values for ${rows.length} rows of ${K}`);
    for (let k = 0; k < rows.length; k++) this.localOf[rows[k]!] = k;
    const current = values.slice();
    const weights = this.weights;
    const betaTotal = V * beta;
    let tokens = 0;
    try {
      const totals = this.localOf[V]! * K;
      if (totals < 0) throw new RangeError(`lda step: rows for clock ${clock} lack the totals row ${V}`);
      for (let k = 0; k < this.batch; k++) {
        const d = this.docAt(clock, k);
        const docRow = (d - this.docFirst) * K;
        for (let t = docStart[d]!; t < docStart[d + 1]!; t++) {
          const local = this.localOf[words[t]!]!;
          if (local < 0) throw new RangeError(`lda step: rows for clock ${clock} lack word ${words[t]}`);
          const row = local * K;
          const old = this.topic[t - this.tokenBase]!;
          current[row + old]!--;
          current[totals + old]!--;
          this.docTopic[docRow + old]!--;
          let sum = 0;
          for (let z = 0; z < K; z++) {
            const wordCount = current[row + z]!;
            const topicCount = current[totals + z]!;
            sum += ((this.docTopic[docRow + z]! + alpha) * ((wordCount > 0 ? wordCount : 0) + beta)) / ((topicCount > 0 ? topicCount : 0) + betaTotal);
            weights[z] = sum;
          }
          const u = this.rng.float() * sum;
          let next = 0;
          while (next < K - 1 && weights[next]! <= u) next++;
          this.topic[t - this.tokenBase] = next;
          current[row + next]!++;
          current[totals + next]!++;
          this.docTopic[docRow + next]!++;
          tokens++;
        }
      }
    } finally {
      for (let k = 0; k < rows.length; k++) this.localOf[rows[k]!] = -1;
    }
    for (let k = 0; k < current.length; k++) current[k] = current[k]! - values[k]!;
    return { rows, deltas: current, samples: tokens };
  }
}
