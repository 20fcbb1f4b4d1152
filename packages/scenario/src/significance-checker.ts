/**
 * The significance checker: Gaia's filter, checked from what the driver saw, not from what the
 * shards say about themselves.
 *
 * It keeps its own accumulator per ASP shard element: every push the shard accepted, minus every
 * mirror update the shard sent (decoded from the bytes that left). At each clock's flush it reads
 * the shard's replica (the values significance is measured against) and checks, with its own floor
 * `thresholdAt(v, schedule, clock)` from the scenario:
 *
 * - every entry sent scored above the floor (|accum / value|, or the workload's own `significance`);
 * - fixed threshold: nothing left above the floor;
 * - threshold auto: nothing left above the ceiling, and nothing left more significant than an
 *   entry that was sent (the budget sends the most significant first), unless it is at or below
 *   the floor. Entries sent in this flush are not "left": what remains of them is the codec's
 *   rounding, kept by error feedback.
 *
 * It catches a shard that sends nothing (an infinite threshold), ignores the schedule, sends
 * insignificant entries, or drops the most significant ones. Memory: one float64 per element of
 * every ASP replica; runs beyond `maxElements` skip it and say so.
 */
import { decodeUpdate, relativeSignificance, thresholdAt, type AspConfig, type SignificanceScore, type Layout, type MirrorUpdate, type NodeId, type Push, type TraceEvent } from "@gaia/core";

export const significanceCheckerName = "significance";

interface ShardBook {
  readonly accum: Float64Array;
  readonly start: number;
  readonly cols: number;
  /** Offsets sent in the current flush, and the smallest significance among them. */
  sent: Set<number>;
  minSentScore: number;
  lowestSent: number;
}

export class SignificanceChecker {
  readonly name = significanceCheckerName;
  private readonly books = new Map<NodeId, ShardBook>();
  /** The run's measure of significance (the workload's own, or |accum / value|). */
  private readonly score: SignificanceScore;
  private violation: string | null = null;
  private readonly skipped: string | null;

  constructor(
    layout: Layout,
    private readonly asp: AspConfig,
    maxElements = 50_000_000,
  ) {
    this.score = asp.significance ?? relativeSignificance;
    const elements = layout.spec.rows * layout.spec.cols * layout.spec.dataCenters.length;
    this.skipped = elements > maxElements ? `skipped: ${elements} replica elements exceed ${maxElements}` : null;
    if (this.skipped !== null) return;
    for (const s of layout.shards) {
      if (s.mirrors.length === 0) continue;
      this.books.set(s.id, { accum: new Float64Array((s.range.end - s.range.start) * layout.spec.cols), start: s.range.start, cols: layout.spec.cols, sent: new Set(), minSentScore: Infinity, lowestSent: -1 });
    }
  }

  /** A push the shard accepted (call before its flushes are processed). */
  pushed(shard: NodeId, msg: Push): void {
    const book = this.books.get(shard);
    if (!book) return;
    const { cols } = book;
    for (let i = 0; i < msg.rows.length; i++) {
      const base = (msg.rows[i]! - book.start) * cols;
      for (let k = 0; k < cols; k++) {
        const d = msg.deltas[i * cols + k]!;
        if (d !== 0) book.accum[base + k]! += d;
      }
    }
  }

  /** A mirror update the shard sent (once per message, before its `mirror-sent` event). */
  sent(shard: NodeId, msg: MirrorUpdate, values: Float32Array): void {
    const book = this.books.get(shard);
    if (!book) return;
    const { indices, deltas } = decodeUpdate(msg.body, book.accum.length);
    const floor = this.floorAt(msg.clock);
    for (let i = 0; i < indices.length; i++) {
      const offset = indices[i]!;
      const score = this.score(book.accum[offset]!, values[offset]!);
      if (!(score > floor) && this.violation === null) this.violation = `${shard} clock ${msg.clock}: sent element ${offset} at significance ${score.toPrecision(4)}, not above the floor ${floor.toPrecision(4)}`;
      if (score < book.minSentScore) {
        book.minSentScore = score;
        book.lowestSent = offset;
      }
      book.sent.add(offset);
      book.accum[offset]! -= deltas[i]!;
    }
  }

  /** The shard's `mirror-sent` event of a clock: check what it left. */
  flushed(e: Extract<TraceEvent, { type: "mirror-sent" }>, values: Float32Array): void {
    const book = this.books.get(e.shard);
    if (!book || e.clock < 0) return;
    if (this.violation === null) {
      const floor = this.floorAt(e.clock);
      const budgeted = this.asp.budgetLinkFraction !== null;
      const ceiling = budgeted ? this.asp.thresholdCeiling : floor;
      for (let offset = 0; offset < book.accum.length; offset++) {
        const a = book.accum[offset]!;
        if (a === 0 || book.sent.has(offset)) continue;
        const score = this.score(a, values[offset]!);
        if (score <= floor) continue;
        if (score > ceiling) {
          this.violation = `${e.shard} clock ${e.clock}: left element ${offset} at significance ${score.toPrecision(4)}, above the ${budgeted ? "ceiling" : "threshold"} ${ceiling.toPrecision(4)}`;
          break;
        }
        if (budgeted && score > book.minSentScore * (1 + 1e-9)) {
          this.violation = `${e.shard} clock ${e.clock}: left element ${offset} at significance ${score.toPrecision(4)} but sent element ${book.lowestSent} at ${book.minSentScore.toPrecision(4)} (the most significant go first)`;
          break;
        }
      }
    }
    book.sent = new Set();
    book.minSentScore = Infinity;
    book.lowestSent = -1;
  }

  verdict(): string | null {
    return this.violation;
  }

  /** Whether it ran at all (it skips replicas too large to shadow). */
  get skippedReason(): string | null {
    return this.skipped;
  }

  private floorAt(clock: number): number {
    return thresholdAt(this.asp.threshold, this.asp.thresholdSchedule, clock, this.asp.learningRate);
  }
}


