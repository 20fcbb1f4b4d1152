/**
 * The hub role: Gaia's overlay network.
 *
 * With many data centers, direct mirror traffic grows with D^2. Data centers are grouped; each
 * group's hub collects its members' mirror updates for the same shard and clock, sums them per
 * element, and sends ONE message to every other hub and, to each member, the sum of the other
 * members. A hub that receives another hub's message fans it out to its members unchanged.
 * A member's selective barrier is held until its clock's aggregate is ready and then sent, on the
 * control channel, just ahead of the aggregate: forwarding it earlier could block a member's reads
 * on an update that waits for that very member to finish the clock (a cycle). Barriers from other
 * hubs, and final flushes, are forwarded at once.
 *
 * A member shard that sent its final flush announces no more clocks; aggregation of that shard index
 * stops waiting for it (per shard: a data center's shards finish at slightly different times).
 *
 * Aggregates travel in the run's value codec. With a lossy one (f16, int8), each outgoing stream
 * (the total to the other hubs, and each member's sum of the others) keeps, in float64, what its
 * encoding rounded away and adds it to the stream's next aggregate (error feedback, as the shards
 * do). When every member has finished, the hub sends each stream's remainder as a final flush
 * (f32), after everything else on that stream.
 *
 * Guarantee (conservation through hubs): every member update reaches every other data center
 * exactly once, inside exactly one aggregate; `sources` names whose clocks it completes.
 */
import { invariant, RemoteError } from "./errors.js";
import type { HubInfo, Layout, NodeId } from "./layout.js";
import { dataCenterOf, shardId } from "./layout.js";
import type { Barrier, Message, MirrorFlush, MirrorUpdate } from "./messages.js";
import { rejectRemote, type Effect, type Input, type Role } from "./role.js";
import { decodeUpdate, encodeUpdate, type SparseUpdate, type ValueEncoding } from "./update-encoding.js";

/** A member's update for one clock, decoded once. */
interface Received {
  readonly msg: MirrorUpdate;
  readonly update: SparseUpdate;
}

/** A hub's state for checkpoints: opaque plain data (maps, sets, typed arrays); see HubRole.snapshot. */
export interface HubSnapshot {
  readonly [field: string]: unknown;
}

export class HubRole implements Role {
  readonly remoteErrors: RemoteError[] = [];
  private readonly info: HubInfo;
  /** shard index -> clock -> member -> update, until every member has sent that clock. */
  private readonly waiting = new Map<number, Map<number, Map<string, Received>>>();
  /** "shard@clock" -> member -> its barrier, released with the aggregate. */
  private readonly heldBarriers = new Map<string, Map<string, Barrier>>();
  /** shard index -> member -> next expected clock. */
  private readonly nextClock = new Map<number, Map<string, number>>();
  private readonly shardSizes: readonly number[];
  private readonly cols: number;
  /** Per shard index: the members whose shard of that index sent its final flush. */
  private readonly finishedMembers = new Map<number, Set<string>>();
  private readonly memberSet: ReadonlySet<string>;
  private readonly hubSet: ReadonlySet<NodeId>;

  /** Per stream ("<shard>:*" to the other hubs, "<shard>:<member>" to a member): what its encoding left. */
  private readonly residuals = new Map<string, Residual>();
  private residualsFlushed = false;

  constructor(
    readonly id: NodeId,
    private readonly layout: Layout,
    private readonly encoding: ValueEncoding = "f32",
  ) {
    this.info = layout.hub(dataCenterOf(id));
    this.memberSet = new Set(this.info.members);
    this.hubSet = new Set(this.info.otherHubs);
    const dc0 = layout.spec.dataCenters[0]!;
    this.cols = layout.spec.cols;
    this.shardSizes = layout.replicaOf(dc0).map((s) => (s.range.end - s.range.start) * layout.spec.cols);
  }

  /** Bytes of its per-stream residuals (values and carried-block flags); the summing scratch is shared by every hub of the process and not counted. */
  stateBytes(): number {
    let n = 0;
    for (const r of this.residuals.values()) n += r.values.byteLength + r.blocks.byteLength;
    return n;
  }

  /**
   * The hub's mutable state as plain data (a deep copy), for the runtime's checkpoints: the
   * aggregates it holds, the barriers it holds back, the clocks it expects, the flushes it saw and
   * its error-feedback residuals. `restore` puts it back into a hub built with the same layout.
   */
  snapshot(): HubSnapshot {
    return structuredClone({
      waiting: this.waiting,
      heldBarriers: this.heldBarriers,
      nextClock: this.nextClock,
      finishedMembers: this.finishedMembers,
      residuals: this.residuals,
      residualsFlushed: this.residualsFlushed,
    });
  }

  restore(snapshot: HubSnapshot): void {
    const s = structuredClone(snapshot) as unknown as {
      waiting: HubRole["waiting"];
      heldBarriers: HubRole["heldBarriers"];
      nextClock: HubRole["nextClock"];
      finishedMembers: HubRole["finishedMembers"];
      residuals: HubRole["residuals"];
      residualsFlushed: boolean;
    };
    const refill = <K, V>(target: Map<K, V>, source: ReadonlyMap<K, V>): void => {
      target.clear();
      for (const [k, v] of source) target.set(k, v);
    };
    refill(this.waiting, s.waiting);
    refill(this.heldBarriers, s.heldBarriers);
    refill(this.nextClock, s.nextClock);
    refill(this.finishedMembers, s.finishedMembers);
    refill(this.residuals, s.residuals);
    this.residualsFlushed = s.residualsFlushed;
  }

  step(input: Input, _nowMs: number): Effect[] {
    if (input.kind !== "message") return [];
    try {
      return this.onMessage(input.from, input.msg);
    } catch (error) {
      return rejectRemote(this.id, input, error, this.remoteErrors);
    }
  }

  nextDeadlineMs(): number | null {
    return null;
  }

  invariants(): void {
    for (const [shard, clocks] of this.waiting) {
      for (const [clock, members] of clocks) {
        invariant(members.size > 0 && !this.complete(shard, members), () => `${this.id}: shard ${shard} clock ${clock} held though complete`);
      }
    }
  }

  private memberShard(member: string, shard: number): NodeId {
    return shardId(member, shard);
  }

  private sizeOf(shard: number): number {
    const size = this.shardSizes[shard];
    if (size === undefined) throw new RemoteError("unknown-shard", `no shard ${shard}`);
    return size;
  }

  /** Decodes (and so validates) a mirror body of shard `shard`. */
  private decode(shard: number, body: Uint8Array): SparseUpdate {
    return decodeUpdate(body, this.sizeOf(shard));
  }

  private checkRows(shard: number, rows: Uint32Array): void {
    const count = this.sizeOf(shard) / this.cols;
    let previous = -1;
    for (const r of rows) {
      if (r >= count) throw new RemoteError("out-of-range", `barrier row ${r} outside shard ${shard}`);
      if (r <= previous) throw new RemoteError("bad-field", "barrier rows must be sorted and unique");
      previous = r;
    }
  }

  private onMessage(from: NodeId, msg: Message): Effect[] {
    const fromMember = this.memberSet.has(dataCenterOf(from)) && this.layout.hasShard(from);
    const fromHub = this.hubSet.has(from);
    if (!fromMember && !fromHub) throw new RemoteError("unknown-peer", `${from} is neither a member shard nor a hub`);
    switch (msg.kind) {
      case "mirror-update": {
        const update = this.decode(msg.shard, msg.body);
        return fromHub ? this.fanOut(msg, msg.shard, null, update.indices.length) : this.collect(dataCenterOf(from), msg, update);
      }
      case "barrier": {
        this.checkRows(msg.shard, msg.rows);
        if (fromHub) return this.fanOut(msg, msg.shard, null, 0);
        const member = dataCenterOf(from);
        if (msg.source !== member) throw new RemoteError("bad-field", `a member barrier must name its own data center ${member}`);
        const sent = (this.nextClock.get(msg.shard)?.get(member) ?? 0) > msg.clock && !this.waiting.get(msg.shard)?.has(msg.clock);
        if (sent) return []; // the aggregate it announces is already out
        const key = `${msg.shard}@${msg.clock}`;
        let held = this.heldBarriers.get(key);
        if (!held) this.heldBarriers.set(key, (held = new Map()));
        held.set(member, msg);
        return [];
      }
      case "mirror-flush": {
        const entries = this.decode(msg.shard, msg.body).indices.length;
        const source = fromHub ? null : dataCenterOf(from);
        const effects = this.fanOut(msg, msg.shard, source, entries);
        if (fromHub) return effects;
        for (const hub of this.info.otherHubs) effects.push({ kind: "send", to: hub, channel: "data", msg });
        let finished = this.finishedMembers.get(msg.shard);
        if (finished === undefined) this.finishedMembers.set(msg.shard, (finished = new Set()));
        if (finished.has(source!)) throw new RemoteError("stale-clock", `${source} flushed shard ${msg.shard} twice`);
        finished.add(source!);
        // Clocks held for this member will never complete with it: release them without it.
        for (const [shard, byClock] of this.waiting) {
          for (const clock of [...byClock.keys()].sort((a, b) => a - b)) {
            const members = byClock.get(clock)!;
            if (!this.complete(shard, members)) continue;
            byClock.delete(clock);
            effects.push(...this.aggregate(shard, clock, members));
          }
        }
        effects.push(...this.flushResiduals());
        return effects;
      }
      default:
        throw new RemoteError("unknown-kind", `a hub does not take ${msg.kind}`);
    }
  }

  /** Sends `msg` (of `entries` entries) to shard `shard` of every member except `except`. */
  private fanOut(msg: Message, shard: number, except: string | null, entries: number): Effect[] {
    const channel = msg.kind === "barrier" ? "control" : "data";
    const effects: Effect[] = this.info.members.filter((m) => m !== except).map((m) => ({ kind: "send", to: this.memberShard(m, shard), channel, msg }) as const);
    if (msg.kind === "mirror-update" || msg.kind === "mirror-flush") {
      effects.push({ kind: "trace", event: { type: "hub-forwarded", hub: this.id, shard, clock: msg.kind === "mirror-update" ? msg.clock : null, sources: msg.sources, entries } });
    }
    return effects;
  }

  private collect(member: string, msg: MirrorUpdate, update: SparseUpdate): Effect[] {
    if (msg.sources.length !== 1 || msg.sources[0] !== member) throw new RemoteError("bad-field", `a member update must name its own data center ${member}`);
    let expected = this.nextClock.get(msg.shard);
    if (!expected) this.nextClock.set(msg.shard, (expected = new Map()));
    const next = expected.get(member) ?? 0;
    if (msg.clock < next) throw new RemoteError("stale-clock", `${member} sent clock ${msg.clock} again`);
    if (msg.clock > next) throw new RemoteError("clock-from-future", `${member} sent clock ${msg.clock}, expected ${next}`);
    expected.set(member, next + 1);
    let byClock = this.waiting.get(msg.shard);
    if (!byClock) this.waiting.set(msg.shard, (byClock = new Map()));
    let members = byClock.get(msg.clock);
    if (!members) byClock.set(msg.clock, (members = new Map()));
    members.set(member, { msg, update });
    if (!this.complete(msg.shard, members)) return [];
    byClock.delete(msg.clock);
    return this.aggregate(msg.shard, msg.clock, members);
  }

  /** Every member has sent this clock, or has finished and never will. */
  private complete(shard: number, present: ReadonlyMap<string, Received>): boolean {
    const finished = this.finishedMembers.get(shard);
    return this.info.members.every((m) => present.has(m) || finished?.has(m) === true);
  }

  private aggregate(shard: number, clock: number, updates: Map<string, Received>): Effect[] {
    const members = this.info.members.filter((m) => updates.has(m));
    const effects: Effect[] = [];
    const size = this.shardSizes[shard]!;
    // One merge of the members' sorted entries; every stream's sum comes from it, in order.
    const merged = mergeSparse(members.map((m) => updates.get(m)!.update), size);
    const all = sumMerged(merged, -1);
    const total: MirrorUpdate = { kind: "mirror-update", shard, clock, sources: members, body: this.encodeStream(`${shard}:*`, size, all) };
    let barriers = noBarriers;
    if (this.heldBarriers.size > 0) {
      const key = `${shard}@${clock}`;
      barriers = this.heldBarriers.get(key) ?? noBarriers;
      this.heldBarriers.delete(key);
    }
    for (const hub of this.info.otherHubs) {
      for (const b of barriers.values()) effects.push({ kind: "send", to: hub, channel: "control", msg: b });
      effects.push({ kind: "send", to: hub, channel: "data", msg: total });
    }
    for (const m of this.info.members) {
      const others = members.filter((o) => o !== m);
      if (others.length === 0) continue;
      for (const [source, b] of barriers) if (source !== m) effects.push({ kind: "send", to: this.memberShard(m, shard), channel: "control", msg: b });
      const sum = sumMerged(merged, members.indexOf(m));
      effects.push({ kind: "send", to: this.memberShard(m, shard), channel: "data", msg: { kind: "mirror-update", shard, clock, sources: others, body: this.encodeStream(`${shard}:${m}`, size, sum) } });
    }
    effects.push({ kind: "trace", event: { type: "hub-forwarded", hub: this.id, shard, clock, sources: members, entries: all.indices.length } });
    return effects;
  }

  /** Encodes one stream's aggregate with its residual added, keeping what the codec rounds away. */
  private encodeStream(stream: string, size: number, update: SparseUpdate): Uint8Array {
    if (this.encoding === "f32") return encodeUpdate(update.indices, update.deltas, this.cols, "f32").body;
    let residual = this.residuals.get(stream);
    if (residual === undefined) this.residuals.set(stream, (residual = { values: new Float64Array(size), blocks: new Uint8Array(Math.ceil(size / residualBlock)) }));
    const { values: r, blocks } = residual;
    const { indices, deltas } = update;
    const n = indices.length;
    const values = scratchF64(2, n).subarray(0, n);
    for (let i = 0; i < n; i++) values[i] = deltas[i]! + r[indices[i]!]!;
    const { body, applied } = encodeUpdate(indices, values, this.cols, this.encoding);
    for (let i = 0; i < n; i++) {
      const k = indices[i]!;
      r[k] = values[i]! - applied[i]!;
      blocks[k >>> residualShift] = 1;
    }
    return body;
  }

  /** Once every member has finished: each stream's remainder, as a final flush on that stream. */
  private flushResiduals(): Effect[] {
    if (this.residualsFlushed || this.residuals.size === 0) return [];
    for (let shard = 0; shard < this.shardSizes.length; shard++) {
      const finished = this.finishedMembers.get(shard);
      if (!this.info.members.every((m) => finished?.has(m) === true)) return [];
    }
    for (const byClock of this.waiting.values()) if (byClock.size > 0) return [];
    this.residualsFlushed = true;
    const effects: Effect[] = [];
    for (const [stream, residual] of this.residuals) {
      const colon = stream.indexOf(":");
      const shard = Number(stream.slice(0, colon));
      const target = stream.slice(colon + 1);
      // Only blocks the stream ever carried can hold a remainder: no scan of the whole shard.
      const { values, blocks } = residual;
      let count = 0;
      for (let b = 0; b < blocks.length; b++) {
        if (blocks[b] === 0) continue;
        for (let i = b << residualShift, end = Math.min(values.length, i + residualBlock); i < end; i++) if (Math.fround(values[i]!) !== 0) count++;
      }
      if (count === 0) continue;
      const indices = new Uint32Array(count);
      const remainder = new Float64Array(count);
      let at = 0;
      for (let b = 0; b < blocks.length; b++) {
        if (blocks[b] === 0) continue;
        for (let i = b << residualShift, end = Math.min(values.length, i + residualBlock); i < end; i++) {
          if (Math.fround(values[i]!) === 0) continue;
          indices[at] = i;
          remainder[at++] = values[i]!;
        }
      }
      const body = encodeUpdate(indices, remainder, this.cols, "f32").body;
      const sources = target === "*" ? [...this.info.members] : this.info.members.filter((m) => m !== target);
      const msg: MirrorFlush = { kind: "mirror-flush", shard, sources, body };
      const to = target === "*" ? this.info.otherHubs : [this.memberShard(target, shard)];
      for (const peer of to) effects.push({ kind: "send", to: peer, channel: "data", msg });
      effects.push({ kind: "trace", event: { type: "hub-forwarded", hub: this.id, shard, clock: null, sources, entries: indices.length } });
    }
    return effects;
  }
}

const noBarriers: ReadonlyMap<string, Barrier> = new Map();

/** One stream's error-feedback remainder: dense values, and a flag per block of elements it ever carried. */
interface Residual {
  readonly values: Float64Array;
  readonly blocks: Uint8Array;
}
const residualShift = 10;
const residualBlock = 1 << residualShift;

/**
 * Reused buffers for one aggregation's transient tables (the core is single-threaded; each use
 * ends before the next begins): 0 the merged values, 1 the sums, 2 a stream's values with its
 * residual.
 */
const f64Scratch: Float64Array[] = [new Float64Array(0), new Float64Array(0), new Float64Array(0)];
function scratchF64(slot: number, n: number): Float64Array {
  let buffer = f64Scratch[slot]!;
  if (buffer.length < n) f64Scratch[slot] = buffer = new Float64Array(Math.max(n, buffer.length * 2));
  return buffer;
}
let u32Scratch = new Uint32Array(0);

/** The union of K sorted sparse updates: its offsets ascending, and each update's value there (0 where absent), row-major. */
interface Merged {
  readonly indices: Uint32Array;
  readonly values: Float64Array;
  readonly count: number;
  readonly k: number;
}

/** Merges sorted, unique sparse updates (entries at or past `size` are left out). Valid until the next merge. */
function mergeSparse(updates: readonly SparseUpdate[], size: number): Merged {
  const k = updates.length;
  let total = 0;
  for (const u of updates) total += u.indices.length;
  if (u32Scratch.length < total) u32Scratch = new Uint32Array(Math.max(total, u32Scratch.length * 2));
  const indices = u32Scratch;
  const values = scratchF64(0, total * k);
  values.fill(0, 0, total * k);
  const at = new Uint32Array(k);
  let count = 0;
  for (;;) {
    let next = size;
    for (let j = 0; j < k; j++) {
      const u = updates[j]!;
      if (at[j]! < u.indices.length) {
        const x = u.indices[at[j]!]!;
        if (x < next) next = x;
      }
    }
    if (next >= size) break;
    const row = count * k;
    for (let j = 0; j < k; j++) {
      const u = updates[j]!;
      const p = at[j]!;
      if (p < u.indices.length && u.indices[p] === next) {
        values[row + j] = u.deltas[p]!;
        at[j] = p + 1;
      }
    }
    indices[count++] = next;
  }
  return { indices, values, count, k };
}

/**
 * Element-wise sum of the merged updates except update `skip` (-1: all), in float64 in update
 * order, then rounded once; zero sums are left out. An absent value adds 0, which changes no sum,
 * so this is exactly the sum over the updates holding each element.
 */
function sumMerged(m: Merged, skip: number): { indices: Uint32Array; deltas: Float32Array } {
  const { k, values, count } = m;
  const sums = scratchF64(1, count);
  let kept = 0;
  for (let i = 0; i < count; i++) {
    let s = 0;
    const row = i * k;
    for (let j = 0; j < k; j++) if (j !== skip) s += values[row + j]!;
    sums[i] = s;
    if (s !== 0) kept++;
  }
  const indices = new Uint32Array(kept);
  const deltas = new Float32Array(kept);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const s = sums[i]!;
    if (s !== 0) {
      indices[at] = m.indices[i]!;
      deltas[at++] = s;
    }
  }
  return { indices, deltas };
}
