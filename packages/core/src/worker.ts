/**
 * The worker role. Its clock is its iteration count.
 *
 * For each clock c: ask the program which rows it needs, send a read to every shard it uses (an
 * empty read still waits for that shard's admission, so the worker never starts clock c unless
 * every shard admits it), gather the replies, emit a `compute` effect, and on `computed` push
 * the deltas to every shard (an empty push still ticks the shard's clock). After its last clock,
 * or on `stop`, its push is marked `last` and it is done.
 *
 * Divergence is a result, not a fault: when the program's update holds NaN, an infinity or a value
 * beyond the wire's magnitude bound (codec.ts), the worker traces `diverged` with the first row it
 * names, sends nothing of it (shards would refuse it, and a replica would go non-finite), and ends
 * as on `stop`, with an empty last push, so the run drains and its driver states the verdict.
 *
 * Rejoin. A worker process that died and starts again has lost its clock; its shards have not.
 * Built with `rejoin` (each shard's count of this worker's pushes, and whether it pushed its last,
 * as the shards report them), it starts at the lowest of those clocks and sends a push only to the
 * shards that do not have that clock yet, so every shard still gets exactly one push per clock.
 * A worker that every shard has seen finish is done at once.
 *
 * Under SSP (staleness s > 0) the worker keeps an SSP cache (worker-cache.ts): rows whose cached
 * copy is fresh for clock c are not read again, and a shard it needs nothing fresh from is not
 * asked at all. Under BSP a copy is never fresh for the next clock, so the cache is not kept.
 */
import { firstNonFinite } from "./codec.js";
import { invariant, RemoteError } from "./errors.js";
import type { Layout, NodeId, ShardInfo } from "./layout.js";
import type { Message } from "./messages.js";
import { rejectRemote, type Effect, type Input, type Role } from "./role.js";
import { ShardCache } from "./worker-cache.js";

export interface RowPlanner {
  rowsFor(clock: number): Uint32Array | null;
}

type Phase = "idle" | "reading" | "computing" | "done";

/** What a shard knows of one of its workers: clocks pushed, and whether the last one was. */
export interface RejoinState {
  readonly clock: number;
  readonly done: boolean;
}

export class WorkerRole implements Role {
  readonly remoteErrors: RemoteError[] = [];
  private phase: Phase = "idle";
  private clockNow = 0;
  private stopRequested = false;
  private readonly shards: readonly ShardInfo[];
  /** Position of each of its shards in `shards`. */
  private readonly shardIndex = new Map<NodeId, number>();
  /** Whether this clock's reply from each shard (by position) arrived, and how many did. */
  private readonly replied: boolean[];
  private replyCount = 0;
  /**
   * Without the cache: this clock's rows and values, in shard order, each reply copied in as it
   * arrives (so a reply's arrays are not kept past its step; a driver may reuse their memory).
   */
  private gathered: { readonly rows: Uint32Array; readonly values: Float32Array; readonly at: readonly number[] } | null = null;
  /**
   * The last clock's gathered values, written over by the next clock's replies: a program's values
   * are its own only during its step (WorkerProgram.step), and a 10 MB table read every clock then
   * costs no fresh memory.
   */
  private valuesMemory: Float32Array | null = null;
  /** Values of every row of its shards. */
  private readonly tableValues: number;
  /** Whether this clock's reads are out (from the read until the push); the rows asked of each shard. */
  private asking = false;
  private readonly requested: (Uint32Array | null)[];
  private readonly cols: number;
  /** Rejoin: clocks each shard already has from this worker (pushes below them are not sent again). */
  private readonly pushedBefore: readonly number[];
  private readonly rejoinedDone: boolean;
  /** With the SSP cache: one per shard, the rows wanted of each this clock, and whether it was asked. */
  private readonly caches: ShardCache[] | null;
  private readonly wanted: (Uint32Array | null)[];
  private readonly asked: boolean[];
  /** Replies this clock waits for (every shard without the cache). */
  private awaiting = 0;

  constructor(
    readonly id: NodeId,
    private readonly layout: Layout,
    private readonly planner: RowPlanner,
    readonly maxClock: number,
    /** SSP staleness s; with s > 0 and `cache` on, the worker keeps an SSP cache. */
    readonly staleness = 0,
    cache = true,
    /** A restarted worker: where each of its shards stands (see RejoinState). */
    rejoin?: ReadonlyMap<NodeId, RejoinState>,
  ) {
    this.shards = layout.shardsOfWorker(id);
    this.cols = layout.spec.cols;
    this.shards.forEach((s, i) => this.shardIndex.set(s.id, i));
    this.replied = this.shards.map(() => false);
    this.requested = this.shards.map(() => null);
    const states = this.shards.map((s) => rejoin?.get(s.id) ?? { clock: 0, done: false });
    this.pushedBefore = states.map((s) => s.clock);
    this.rejoinedDone = rejoin !== undefined && states.every((s) => s.done);
    const open = states.filter((s) => !s.done);
    this.clockNow = open.length > 0 ? Math.min(...open.map((s) => s.clock)) : Math.max(0, ...states.map((s) => s.clock));
    // A worker some of whose shards saw its last push was stopping: the next push is its last.
    if (states.some((s) => s.done)) this.stopRequested = true;
    invariant(this.clockNow <= this.maxClock, () => `${id}: rejoins at clock ${this.clockNow}, past max ${this.maxClock}`);
    this.tableValues = this.shards.reduce((n, s) => n + (s.range.end - s.range.start), 0) * this.cols;
    this.caches = cache && staleness > 0 ? this.shards.map((s) => new ShardCache(s.range.start, s.range.end, this.cols)) : null;
    this.wanted = this.shards.map(() => null);
    this.asked = this.shards.map(() => true);
  }

  /**
   * Bytes of its SSP caches, and of the values buffer it reuses across clocks when that holds the
   * whole table (a dense program); a sparse program's buffer is bounded by its batch, not the table.
   */
  stateBytes(): number {
    let n = this.valuesMemory !== null && this.valuesMemory.length === this.tableValues ? this.valuesMemory.byteLength : 0;
    for (const cache of this.caches ?? []) n += cache.stateBytes();
    return n;
  }

  /** Whether this worker keeps an SSP cache. */
  get caching(): boolean {
    return this.caches !== null;
  }

  get clock(): number {
    return this.clockNow;
  }

  get done(): boolean {
    return this.phase === "done";
  }

  /** What the worker waits for (for watchdogs): its phase and clock, and the shards yet to reply. */
  waitingOn(): { readonly phase: Phase; readonly clock: number; readonly shards: readonly NodeId[] } {
    const shards = this.phase === "reading" ? this.shards.filter((_, k) => this.asked[k] && !this.replied[k]).map((s) => s.id) : [];
    return { phase: this.phase, clock: this.clockNow, shards };
  }

  step(input: Input, _nowMs: number): Effect[] {
    try {
      switch (input.kind) {
        case "start":
          if (this.phase !== "idle") return [];
          if (this.rejoinedDone) {
            this.phase = "done";
            return [{ kind: "done" }];
          }
          return this.stopRequested ? this.push(new Uint32Array(0), new Float32Array(0)) : this.beginClock();
        case "message":
          return this.onMessage(input.from, input.msg);
        case "computed":
          return this.onComputed(input.clock, input.rows, input.deltas);
        case "stop":
          return this.onStop();
        case "timer":
        case "peer":
        case "link-rate":
          return [];
      }
    } catch (error) {
      return rejectRemote(this.id, input, error, this.remoteErrors);
    }
  }

  nextDeadlineMs(): number | null {
    return null;
  }

  invariants(): void {
    invariant(this.clockNow <= this.maxClock, () => `${this.id}: clock ${this.clockNow} past max ${this.maxClock}`);
    invariant(this.replyCount <= this.shards.length, () => `${this.id}: more replies than shards`);
    if (this.phase !== "reading") invariant(this.replyCount === 0, () => `${this.id}: stray replies while ${this.phase}`);
  }

  private beginClock(): Effect[] {
    if (this.clockNow >= this.maxClock || this.stopRequested) {
      this.phase = "done";
      return [{ kind: "done" }];
    }
    this.phase = "reading";
    this.clearReplies();
    this.asking = true;
    const wanted = this.planner.rowsFor(this.clockNow);
    const effects: Effect[] = [];
    // The oldest local clock a cached copy may carry; absent rows (tag -1) never qualify.
    const need = Math.max(0, this.clockNow - this.staleness);
    let cursor = 0;
    this.awaiting = 0;
    for (let k = 0; k < this.shards.length; k++) {
      const shard = this.shards[k]!;
      let rows: Uint32Array | null = null;
      if (wanted !== null) {
        const from = cursor;
        while (cursor < wanted.length && wanted[cursor]! < shard.range.end) cursor++;
        rows = wanted.subarray(from, cursor);
        invariant(rows.length === 0 || rows[0]! >= shard.range.start, () => `${this.id}: rows must be sorted`);
      }
      let ask = rows;
      if (this.caches !== null) {
        const cache = this.caches[k]!;
        this.wanted[k] = rows;
        // Nothing wanted: skip the shard once it is known to have reached `need`.
        const fresh = rows !== null && rows.length === 0 ? cache.knownClock >= need : (ask = cache.stale(rows, need)) !== null && ask.length === 0;
        this.asked[k] = !fresh;
        if (fresh) continue;
      }
      this.requested[k] = ask;
      this.awaiting++;
      effects.push({ kind: "send", to: shard.id, channel: "data", msg: { kind: "read", clock: this.clockNow, rows: ask } });
    }
    invariant(wanted === null || cursor === wanted.length, () => `${this.id}: rowsFor returned unsorted or out-of-range rows`);
    if (this.awaiting === 0) effects.push(...this.startCompute());
    return effects;
  }

  private clearReplies(): void {
    this.gathered = null;
    if (this.replyCount === 0) return;
    this.replied.fill(false);
    this.replyCount = 0;
  }

  private onMessage(from: NodeId, msg: Message): Effect[] {
    if (msg.kind !== "read-reply") throw new RemoteError("unknown-kind", `a worker does not take ${msg.kind}`);
    const k = this.shardIndex.get(from);
    if (!this.asking || k === undefined) {
      if (this.layout.hasShard(from)) return []; // a late reply to an abandoned read
      throw new RemoteError("unknown-peer", `${from} is not a shard of ${this.id}`);
    }
    if (this.phase !== "reading" || msg.clock !== this.clockNow) return []; // stale reply
    if (this.replied[k]) throw new RemoteError("stale-clock", `second reply from ${from} for clock ${msg.clock}`);
    if (!this.asked[k]) throw new RemoteError("stale-clock", `reply from ${from} for clock ${msg.clock}, which was not asked`);
    if (msg.values.length !== msg.rows.length * this.cols) throw new RemoteError("bad-field", `reply from ${from} has ${msg.values.length} values for ${msg.rows.length} rows`);
    const asked = this.requested[k]!;
    const shard = this.shards[k]!;
    const expected = asked === null ? shard.range.end - shard.range.start : asked.length;
    if (msg.rows.length !== expected) throw new RemoteError("bad-field", `reply from ${from} has ${msg.rows.length} rows, asked ${expected}`);
    if (this.caches !== null) {
      if (msg.localClock < msg.clock - this.staleness) throw new RemoteError("stale-clock", `${from} served clock ${msg.clock} at local clock ${msg.localClock}, below the staleness bound`);
      this.caches[k]!.store(msg.clock, msg.localClock, msg.rows, msg.values);
    } else {
      // Every shard is asked: the clock's rows are every shard's, in shard order.
      const gathered = (this.gathered ??= this.gatherArrays());
      const at = gathered.at[k]!;
      gathered.rows.set(msg.rows, at);
      gathered.values.set(msg.values, at * this.cols);
    }
    this.replied[k] = true;
    this.replyCount++;
    if (this.replyCount < this.awaiting) return [];
    if (this.caches !== null) return this.startCompute();
    const { rows, values } = this.gathered!;
    this.clearReplies();
    this.phase = "computing";
    return [{ kind: "compute", clock: this.clockNow, rows, values }];
  }

  /** This clock's arrays for the replies of every shard, and where each shard's rows start. */
  private gatherArrays(): { rows: Uint32Array; values: Float32Array; at: number[] } {
    const at: number[] = [];
    let total = 0;
    for (let k = 0; k < this.shards.length; k++) {
      at.push(total);
      const asked = this.requested[k];
      total += asked === null ? this.shards[k]!.range.end - this.shards[k]!.range.start : asked.length;
    }
    const size = total * this.cols;
    if (this.valuesMemory === null || this.valuesMemory.length !== size) this.valuesMemory = new Float32Array(size);
    return { rows: new Uint32Array(total), values: this.valuesMemory, at };
  }

  /** With the cache: every row wanted this clock is cached and fresh; hand them to the program. */
  private startCompute(): Effect[] {
    const caches = this.caches!;
    let total = 0;
    for (let k = 0; k < this.shards.length; k++) {
      const rows = this.wanted[k]!;
      total += rows === null ? caches[k]!.end - caches[k]!.start : rows.length;
    }
    const rows = new Uint32Array(total);
    const values = new Float32Array(total * this.cols);
    const effects: Effect[] = [];
    let at = 0;
    for (let k = 0; k < this.shards.length; k++) {
      const cache = caches[k]!;
      const wanted = this.wanted[k]!;
      const count = wanted === null ? cache.end - cache.start : wanted.length;
      const asked = this.requested[k];
      const fromCache = !this.asked[k] ? count : count - (asked === null ? cache.end - cache.start : asked.length);
      if (wanted === null) for (let i = 0; i < count; i++) rows[at + i] = cache.start + i;
      else rows.set(wanted, at);
      const [localClock, readClock] = count > 0 ? cache.copyOut(wanted, values, at) : [cache.knownClock, cache.knownReadClock];
      if (fromCache > 0 || !this.asked[k]) {
        effects.push({ kind: "trace", event: { type: "read-cached", worker: this.id, shard: this.shards[k]!.id, clock: this.clockNow, rows: fromCache, localClock, readClock } });
      }
      at += count;
    }
    this.clearReplies();
    this.phase = "computing";
    effects.push({ kind: "compute", clock: this.clockNow, rows, values });
    return effects;
  }

  private onComputed(clock: number, rows: Uint32Array, deltas: Float32Array): Effect[] {
    invariant(this.phase === "computing" && clock === this.clockNow, () => `${this.id}: computed clock ${clock} while ${this.phase} at ${this.clockNow}`);
    invariant(deltas.length === rows.length * this.cols, () => `${this.id}: program returned ${deltas.length} deltas for ${rows.length} rows`);
    const bad = firstNonFinite(deltas);
    if (bad >= 0) {
      this.stopRequested = true;
      const event = { type: "diverged", worker: this.id, clock, row: rows[Math.floor(bad / this.cols)]!, value: deltas[bad]! } as const;
      return [{ kind: "trace", event } as Effect].concat(this.push(new Uint32Array(0), new Float32Array(0)));
    }
    return this.push(rows, deltas);
  }

  private onStop(): Effect[] {
    if (this.phase === "done" || this.stopRequested) return [];
    this.stopRequested = true;
    if (this.phase === "reading" || this.phase === "idle") return this.push(new Uint32Array(0), new Float32Array(0));
    return [];
  }

  private push(rows: Uint32Array, deltas: Float32Array): Effect[] {
    const last = this.stopRequested || this.clockNow + 1 >= this.maxClock;
    const effects: Effect[] = [];
    let cursor = 0;
    for (let k = 0; k < this.shards.length; k++) {
      const shard = this.shards[k]!;
      const from = cursor;
      while (cursor < rows.length && rows[cursor]! < shard.range.end) cursor++;
      invariant(cursor === from || rows[from]! >= shard.range.start, () => `${this.id}: pushed rows must be sorted`);
      if (this.clockNow < this.pushedBefore[k]!) continue; // this shard has the clock from before the restart
      effects.push({
        kind: "send",
        to: shard.id,
        channel: "data",
        // Views, not copies: the step's arrays are the worker's from here on (see StepResult), and a
        // driver packs or delivers the push as it is.
        msg: { kind: "push", clock: this.clockNow, rows: rows.subarray(from, cursor), deltas: deltas.subarray(from * this.cols, cursor * this.cols), last },
      });
    }
    invariant(cursor === rows.length, () => `${this.id}: pushed rows out of range`);
    if (this.caches !== null) {
      cursor = 0;
      for (let k = 0; k < this.shards.length; k++) {
        const from = cursor;
        while (cursor < rows.length && rows[cursor]! < this.shards[k]!.range.end) cursor++;
        // A push skipped after a rejoin is one the shard already had: its value is in what was read.
        if (cursor > from && this.clockNow >= this.pushedBefore[k]!) this.caches[k]!.applyOwn(rows.subarray(from, cursor), deltas.subarray(from * this.cols, cursor * this.cols));
      }
    }
    effects.push({ kind: "trace", event: { type: "worker-clock", worker: this.id, clock: this.clockNow } });
    this.clockNow++;
    this.asking = false;
    this.clearReplies();
    if (last) {
      this.phase = "done";
      effects.push({ kind: "done" });
      return effects;
    }
    return effects.concat(this.beginClock());
  }
}
