/**
 * A tiny, fully controllable driver for the core roles, for model-based tests: every in-flight
 * message waits in a FIFO queue per (source, target, channel) until the test delivers it, and every
 * compute waits until the test completes it. Nothing here is clever; the point is that a test
 * decides the interleaving.
 */
import {
  createRoles,
  Layout,
  Rng,
  type Effect,
  type LayoutSpec,
  type Message,
  type NodeId,
  type Role,
  type ShardRole,
  type ShardSync,
  type TraceEvent,
  type WorkerRole,
} from "@gaia/core";

export interface Queued {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly channel: "data" | "control";
  readonly msg: Message;
}

export interface PendingCompute {
  readonly worker: NodeId;
  readonly clock: number;
  readonly rows: Uint32Array;
  /** The values the worker handed to its program, row-major. */
  readonly values: Float32Array;
}

/** A compute the test completed: its rows and the deltas it produced. */
export interface Completed {
  readonly worker: NodeId;
  readonly clock: number;
  readonly rows: Uint32Array;
  readonly deltas: Float32Array;
}

export interface ClusterOptions {
  readonly layout: LayoutSpec;
  readonly sync: ShardSync;
  readonly maxClock: number;
  readonly seed: number;
  /** Rows a worker touches per clock (null: all rows). */
  readonly rowsPerStep?: number | null;
  /** Largest absolute delta. */
  readonly deltaScale?: number;
}

export class Cluster {
  readonly layout: Layout;
  readonly roles: Map<NodeId, Role>;
  readonly queues = new Map<string, Queued[]>();
  readonly computes = new Map<NodeId, PendingCompute>();
  readonly trace: TraceEvent[] = [];
  readonly initial: Float32Array;
  /** Sum of every delta every worker computed, per element of the full table (float64). */
  readonly totalDeltas: Float64Array;
  nowMs = 0;
  /** The compute `complete` finished last. */
  lastCompleted: Completed | null = null;
  private readonly rng: Rng;

  constructor(readonly options: ClusterOptions) {
    this.layout = new Layout(options.layout);
    const { rows, cols } = options.layout;
    this.rng = new Rng(options.seed);
    const init = this.rng.child("init");
    this.initial = Float32Array.from({ length: rows * cols }, () => (init.bernoulli(0.2) ? 0 : init.uniform(-1, 1)));
    this.totalDeltas = new Float64Array(rows * cols);
    const programs = new Map<NodeId, { rowsFor(clock: number): Uint32Array | null }>();
    for (const w of this.layout.workers) {
      const r = this.rng.child(`rows:${w}`);
      const perStep = options.rowsPerStep === undefined ? Math.max(1, Math.ceil(rows / 3)) : options.rowsPerStep;
      programs.set(w, {
        rowsFor: () => {
          if (perStep === null) return null;
          const set = new Set<number>();
          for (let i = 0; i < perStep; i++) set.add(r.int(rows));
          return Uint32Array.from([...set].sort((a, b) => a - b));
        },
      });
    }
    this.roles = createRoles(this.layout, { sync: options.sync, initial: this.initial, maxClock: options.maxClock, programs });
  }

  start(): void {
    for (const [id, role] of this.roles) this.apply(id, role.step({ kind: "start" }, this.nowMs));
  }

  worker(id: NodeId): WorkerRole {
    return this.roles.get(id) as WorkerRole;
  }

  shard(id: NodeId): ShardRole {
    return this.roles.get(id) as ShardRole;
  }

  /** Non-empty queue keys in a stable order. */
  queueKeys(): string[] {
    return [...this.queues.keys()].filter((k) => this.queues.get(k)!.length > 0).sort();
  }

  /** Delivers the head of queue `key`; returns it and the trace events the delivery produced. */
  deliver(key: string): { item: Queued; events: TraceEvent[] } {
    const q = this.queues.get(key)!;
    const item = q.shift()!;
    this.nowMs += 1;
    const before = this.trace.length;
    const role = this.roles.get(item.to)!;
    this.apply(item.to, role.step({ kind: "message", from: item.from, msg: item.msg }, this.nowMs));
    return { item, events: this.trace.slice(before) };
  }

  /** Completes worker `id`'s pending compute with seeded deltas. */
  complete(id: NodeId): TraceEvent[] {
    const c = this.computes.get(id)!;
    this.computes.delete(id);
    const { cols } = this.options.layout;
    const r = this.rng.child(`deltas:${id}:${c.clock}`);
    const scale = this.options.deltaScale ?? 0.05;
    const deltas = Float32Array.from({ length: c.rows.length * cols }, () => (r.bernoulli(0.3) ? 0 : r.uniform(-scale, scale)));
    for (let i = 0; i < c.rows.length; i++) for (let k = 0; k < cols; k++) this.totalDeltas[c.rows[i]! * cols + k]! += deltas[i * cols + k]!;
    this.lastCompleted = { worker: id, clock: c.clock, rows: c.rows, deltas };
    this.nowMs += 1;
    const before = this.trace.length;
    this.apply(id, this.roles.get(id)!.step({ kind: "computed", clock: c.clock, rows: c.rows, deltas, samples: c.rows.length }, this.nowMs));
    return this.trace.slice(before);
  }

  stop(id: NodeId): void {
    this.apply(id, this.roles.get(id)!.step({ kind: "stop" }, this.nowMs));
  }

  /** Delivers and completes in a seeded order until nothing is left. */
  runToQuiescence(order: Rng = this.rng.child("order"), limit = 1_000_000): void {
    for (let i = 0; i < limit; i++) {
      const keys = this.queueKeys();
      const workers = [...this.computes.keys()].sort();
      const n = keys.length + workers.length;
      if (n === 0) return;
      const pick = order.int(n);
      if (pick < keys.length) this.deliver(keys[pick]!);
      else this.complete(workers[pick - keys.length]!);
    }
    throw new Error("no quiescence");
  }

  /** Data center `dc`'s full replica, concatenated from its shards. */
  replica(dc: string): Float32Array {
    const { cols, rows } = this.options.layout;
    const out = new Float32Array(rows * cols);
    for (const s of this.layout.replicaOf(dc)) out.set(this.shard(s.id).values(), s.range.start * cols);
    return out;
  }

  private apply(from: NodeId, effects: Effect[]): void {
    this.roles.get(from)!.invariants();
    for (const e of effects) {
      switch (e.kind) {
        case "send": {
          const key = `${from}|${e.to}|${e.channel}`;
          let q = this.queues.get(key);
          if (!q) this.queues.set(key, (q = []));
          q.push({ from, to: e.to, channel: e.channel, msg: e.msg });
          break;
        }
        case "compute":
          this.computes.set(from, { worker: from, clock: e.clock, rows: e.rows, values: e.values });
          break;
        case "trace":
          this.trace.push(e.event);
          break;
        case "done":
          break;
      }
    }
  }
}
