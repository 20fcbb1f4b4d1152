/**
 * The DiLoCo checker: after every outer step, every data center holds the same global state.
 *
 * It reads only trace events: `outer-sent` (a shard sent its delta of a round) and `outer-step` (a
 * shard applied a round, with the participants it counted and a hash of the new global state).
 * Streaming DiLoCo runs the rounds per fragment of a shard's rows (events name the fragment; absent
 * means fragment 0), so every rule below holds per shard index, fragment and round. It keeps, per
 * shard index, fragment and round, the first hash and participant list seen, and asserts:
 * - every data center's shard of that index reports the same hash and the same participants;
 * - each shard applies each fragment's rounds 1, 2, 3, ... in order, none skipped or repeated;
 * - every participant of a round had sent its delta of that round before anyone applied it;
 * - at the end, every shard of an index applied the same rounds of each fragment, and at least one
 *   round happened.
 * It imports no role internals; `shards` (node id -> shard index) comes from the layout.
 */
import type { NodeId, TraceEvent } from "@gaia/core";
import { dataCenterOf } from "@gaia/core";

interface RoundBook {
  readonly hash: string;
  readonly participants: string;
  readonly firstShard: NodeId;
}

export class OuterStepChecker {
  readonly name = "outer-step-identical";
  private violation: string | null = null;
  private readonly books = new Map<string, RoundBook>();
  private readonly sent = new Set<string>();
  /** shard -> fragment -> the last round it applied. */
  private readonly appliedRounds = new Map<NodeId, Map<number, number>>();
  private steps = 0;

  constructor(private readonly shards: ReadonlyMap<NodeId, number>) {
    for (const id of shards.keys()) this.appliedRounds.set(id, new Map());
  }

  observe(e: TraceEvent): void {
    if (this.violation !== null) return;
    if (e.type === "outer-sent") {
      this.sent.add(`${e.index}#${e.fragment ?? 0}@${e.round}@${dataCenterOf(e.shard)}`);
      return;
    }
    if (e.type !== "outer-step") return;
    this.steps++;
    const fragment = e.fragment ?? 0;
    const rounds = this.appliedRounds.get(e.shard);
    if (rounds === undefined) return this.fail(`outer step at unknown shard ${e.shard}`);
    const previous = rounds.get(fragment) ?? 0;
    const what = fragment === 0 && e.fragment === undefined ? `shard ${e.index}` : `shard ${e.index} fragment ${fragment}`;
    if (e.round !== previous + 1) return this.fail(`${e.shard} applied round ${e.round} of ${what} after round ${previous}`);
    rounds.set(fragment, e.round);
    for (const dc of e.participants) if (!this.sent.has(`${e.index}#${fragment}@${e.round}@${dc}`)) return this.fail(`${e.shard} applied round ${e.round} of ${what} counting ${dc}, which had not sent it`);
    const key = `${e.index}#${fragment}@${e.round}`;
    const participants = e.participants.join(",");
    const book = this.books.get(key);
    if (book === undefined) {
      this.books.set(key, { hash: e.hash, participants, firstShard: e.shard });
      return;
    }
    if (book.participants !== participants) return this.fail(`round ${e.round} of ${what}: ${book.firstShard} counted [${book.participants}], ${e.shard} counted [${participants}]`);
    if (book.hash !== e.hash) return this.fail(`round ${e.round} of ${what}: global state ${book.hash} at ${book.firstShard}, ${e.hash} at ${e.shard}`);
  }

  private fail(message: string): void {
    this.violation = message;
  }

  verdict(): string | null {
    if (this.violation !== null) return this.violation;
    if (this.steps === 0) return "no outer step happened";
    const byIndex = new Map<number, { shard: NodeId; rounds: ReadonlyMap<number, number> }>();
    for (const [shard, index] of this.shards) {
      const rounds = this.appliedRounds.get(shard)!;
      const first = byIndex.get(index);
      if (first === undefined) {
        byIndex.set(index, { shard, rounds });
        continue;
      }
      for (const fragment of new Set([...first.rounds.keys(), ...rounds.keys()])) {
        const a = first.rounds.get(fragment) ?? 0;
        const b = rounds.get(fragment) ?? 0;
        const of = first.rounds.size > 1 || rounds.size > 1 ? ` of fragment ${fragment}` : "";
        if (a !== b) return `${first.shard} applied ${a} outer round(s)${of}, ${shard} applied ${b}`;
      }
    }
    return null;
  }

  /** Outer steps observed (one per shard and round). */
  get observed(): number {
    return this.steps;
  }
}

/**
 * Final replicas that must be equal bit for bit: the first difference, or null. The values may be
 * one range of the table starting at element `offset` (messages name table elements).
 */
export function checkReplicasIdentical(replicas: readonly { readonly dataCenter: string; readonly values: Float32Array }[], offset = 0): string | null {
  const first = replicas[0];
  if (first === undefined) return "no replica";
  const a = new Uint32Array(first.values.buffer, first.values.byteOffset, first.values.length);
  for (const r of replicas) {
    const b = new Uint32Array(r.values.buffer, r.values.byteOffset, r.values.length);
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i]) return `replicas differ at element ${i + offset}: ${first.dataCenter} has ${first.values[i]}, ${r.dataCenter} has ${r.values[i]}`;
    }
  }
  return null;
}
