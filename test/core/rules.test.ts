// Model-based tests of the protocol rules (fast-check `fc.commands`). The commands are the inputs a
// network can produce — deliver some queued message, finish some compute, stop a worker, cut or
// heal a pair of data centers — in any interleaving. One small model per rule, much simpler than
// the roles, re-derives from the trace what the rule demands and checks every served read:
//   BSP: no worker reads clock c before all updates of clock c-1 are applied;
//   SSP: staleness never exceeds s;
//   SSP cache: a read a worker serves from its cache is as fresh as SSP demands, and the values it
//        computes on are exactly the last copy each shard served it plus its own later updates;
//   ASP: the mirror-clock gap never exceeds DS; a read of a row named by a received barrier waits
//        until its values arrive, and other reads do not wait;
//   conservation: after healing and the final flush, every replica equals initial + every update.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { LayoutSpec, ShardSync, TraceEvent } from "@gaia/core";
import { aspPlain, dataCenterOf } from "@gaia/core";
import { Cluster, type Queued } from "../support/cluster.js";
import { params, seedTitle } from "../support/fc.js";

/** What every rule model sees: the trace, plus each delivered item with the events it caused. */
interface RuleModel {
  onDelivered(item: Queued, events: readonly TraceEvent[], cluster: Cluster): void;
}

/** Derives clocks from the trace, as a checker outside the roles would. */
class Clocks {
  readonly pushes = new Map<string, number>();
  readonly done = new Set<string>();
  readonly mirror = new Map<string, number>();
  readonly finished = new Set<string>();
  readonly barrierRows = new Map<string, Map<string, readonly number[]>>();

  see(e: TraceEvent): void {
    if (e.type === "push-applied") {
      this.pushes.set(`${e.shard}|${e.worker}`, e.clock + 1);
      if (e.last) this.done.add(`${e.shard}|${e.worker}`);
    } else if (e.type === "mirror-applied" && e.clock === null) {
      for (const s of e.sources) this.finished.add(`${e.shard}|${s}`);
    } else if (e.type === "mirror-applied" && e.clock !== null) {
      for (const s of e.sources) {
        this.mirror.set(`${e.shard}|${s}`, e.clock + 1);
        this.barrierRows.get(e.shard)?.delete(`${s}@${e.clock}`);
      }
    } else if (e.type === "barrier-received") {
      let m = this.barrierRows.get(e.shard);
      if (!m) this.barrierRows.set(e.shard, (m = new Map()));
      m.set(`${e.source}@${e.clock}`, e.rows);
    }
  }

  /** Local clock of a shard: clocks every client that is not done has pushed. */
  local(cluster: Cluster, shard: string): number {
    const info = cluster.layout.shard(shard);
    let min = Infinity;
    let max = 0;
    for (const w of info.clients) {
      const n = this.pushes.get(`${shard}|${w}`) ?? 0;
      max = Math.max(max, n);
      if (!this.done.has(`${shard}|${w}`)) min = Math.min(min, n);
    }
    return min === Infinity ? max : min;
  }

  /** Slowest mirror's completed clock, or null without mirrors. */
  mirrorMin(cluster: Cluster, shard: string): number | null {
    const info = cluster.layout.shard(shard);
    if (info.mirrors.length === 0 || cluster.options.sync.asp === null) return null;
    const open = info.mirrors.map((m) => `${shard}|${dataCenterOf(m)}`).filter((k) => !this.finished.has(k));
    return open.length === 0 ? null : Math.min(...open.map((k) => this.mirror.get(k) ?? 0));
  }

  blocked(shard: string, rows: Uint32Array | null, start: number, end: number): number[] {
    const hit: number[] = [];
    for (const list of this.barrierRows.get(shard)?.values() ?? []) {
      for (const r of list) if ((rows === null ? r >= start && r < end : rows.includes(r)) && !hit.includes(r)) hit.push(r);
    }
    return hit;
  }
}

/** SSP (BSP when s = 0): a read of clock c is served only once every client has pushed c - s - 1. */
class StalenessRule implements RuleModel {
  readonly clocks = new Clocks();
  constructor(readonly staleness: number) {}
  onDelivered(_item: Queued, events: readonly TraceEvent[], cluster: Cluster): void {
    for (const e of events) {
      if (e.type === "read-served") {
        const local = this.clocks.local(cluster, e.shard);
        assert.ok(e.clock - local <= this.staleness, `${e.shard} served ${e.worker} clock ${e.clock} with clients at ${local} (staleness ${this.staleness})`);
      }
      this.clocks.see(e);
    }
  }
}

/** The mirror-clock bound, and the selective barrier in both directions. */
class AspRule implements RuleModel {
  readonly clocks = new Clocks();
  constructor(readonly bound: number, readonly staleness: number) {}
  onDelivered(item: Queued, events: readonly TraceEvent[], cluster: Cluster): void {
    let served = false;
    for (const e of events) {
      if (e.type === "read-served") {
        const local = this.clocks.local(cluster, e.shard);
        const mirror = this.clocks.mirrorMin(cluster, e.shard);
        if (mirror !== null) assert.ok(local - mirror <= this.bound, `${e.shard} served at local clock ${local}, slowest mirror ${mirror}, DS ${this.bound}`);
        const { start, end } = cluster.layout.shard(e.shard).range;
        const hit = this.clocks.blocked(e.shard, e.requested, start, end);
        assert.deepEqual(hit, [], `${e.shard} served rows ${hit} named by an outstanding barrier`);
        if (item.msg.kind === "read" && e.worker === item.from) served = true;
      }
      this.clocks.see(e);
    }
    if (item.msg.kind === "read" && !served) {
      // The read waited: some rule must have demanded it.
      const shard = item.to;
      const local = this.clocks.local(cluster, shard);
      const mirror = this.clocks.mirrorMin(cluster, shard);
      const { start, end } = cluster.layout.shard(shard).range;
      const sspHolds = item.msg.clock - local > this.staleness;
      const mirrorHolds = mirror !== null && local - mirror > this.bound;
      const barrierHolds = this.clocks.blocked(shard, item.msg.rows, start, end).length > 0;
      assert.ok(sspHolds || mirrorHolds || barrierHolds, `${shard} held a read of clock ${item.msg.clock} that no rule blocks (local ${local}, mirror ${mirror})`);
    }
  }
}

/**
 * The SSP cache, from outside the worker: every read-cached event names a read whose serving saw
 * every client through clock - s - 1, and every compute gets, for each row, the last copy served to
 * that worker plus the deltas it computed since (the worker's own view, kept here independently).
 */
class CacheRule implements RuleModel {
  readonly clocks = new Clocks();
  /** "shard|worker|clock" -> the shard's local clock (from the trace) when it served that read. */
  private readonly servedLocal = new Map<string, number>();
  private readonly view = new Map<string, Map<number, Float32Array>>();
  private readonly checked = new Set<string>();
  cachedReads = 0;
  cachedRows = 0;
  constructor(readonly staleness: number) {}

  onDelivered(item: Queued, events: readonly TraceEvent[], cluster: Cluster): void {
    const cols = cluster.layout.spec.cols;
    if (item.from === "" && cluster.lastCompleted !== null) {
      // A completed compute: the worker's own deltas go into its view of the rows it holds.
      const { worker, rows, deltas } = cluster.lastCompleted;
      const view = this.view.get(worker);
      if (view) rows.forEach((r, i) => {
        const v = view.get(r);
        if (v) for (let k = 0; k < cols; k++) v[k]! += deltas[i * cols + k]!;
      });
    }
    for (const e of events) {
      if (e.type === "read-served") {
        const local = this.clocks.local(cluster, e.shard);
        assert.ok(e.clock - local <= this.staleness, `${e.shard} served ${e.worker} clock ${e.clock} with clients at ${local} (staleness ${this.staleness})`);
        this.servedLocal.set(`${e.shard}|${e.worker}|${e.clock}`, local);
      }
      if (e.type === "read-cached") {
        const local = this.servedLocal.get(`${e.shard}|${e.worker}|${e.readClock}`);
        assert.ok(local !== undefined, `${e.worker} used a copy from read ${e.readClock} of ${e.shard}, never served`);
        assert.ok(e.clock - local <= this.staleness, `${e.worker} read ${e.shard} from its cache at clock ${e.clock} with a copy served at local clock ${local} (staleness ${this.staleness})`);
        this.cachedReads++;
        this.cachedRows += e.rows;
      }
      this.clocks.see(e);
    }
    const worker = cluster.layout.workers.includes(item.to) ? cluster.worker(item.to) : null;
    if (item.msg.kind === "read-reply" && worker !== null && !worker.done && worker.clock === item.msg.clock) {
      let view = this.view.get(item.to);
      if (!view) this.view.set(item.to, (view = new Map()));
      const { rows, values } = item.msg;
      rows.forEach((r, i) => view.set(r, values.slice(i * cols, (i + 1) * cols)));
    }
    for (const [w, c] of cluster.computes) {
      const key = `${w}@${c.clock}`;
      if (this.checked.has(key)) continue;
      this.checked.add(key);
      const view = this.view.get(w);
      c.rows.forEach((r, i) => {
        const expected = view?.get(r);
        assert.ok(expected, `${w} computed clock ${c.clock} on row ${r}, never served to it`);
        for (let k = 0; k < cols; k++) assert.ok(Math.abs(c.values[i * cols + k]! - expected[k]!) <= 1e-5, `${w} clock ${c.clock} row ${r}: computed on ${c.values[i * cols + k]}, its view holds ${expected[k]}`);
      });
    }
  }
}

/** Commands: the inputs a network and the machines can produce. */
interface Real {
  cluster: Cluster;
  rule: RuleModel;
  cut: Set<string>;
}
type Model = Record<string, never>;

const crossesCut = (real: Real, item: { from: string; to: string }): boolean => {
  const a = dataCenterOf(item.from);
  const b = dataCenterOf(item.to);
  return a !== b && (real.cut.has(`${a}|${b}`) || real.cut.has(`${b}|${a}`));
};

class Deliver implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = () => true;
  run(_m: Model, real: Real): void {
    const keys = real.cluster.queueKeys().filter((k) => !crossesCut(real, real.cluster.queues.get(k)![0]!));
    if (keys.length === 0) return;
    const { item, events } = real.cluster.deliver(keys[this.pick % keys.length]!);
    real.rule.onDelivered(item, events, real.cluster);
  }
  toString = () => `Deliver(${this.pick})`;
}

/** What a rule model is handed for a completed compute (no message was delivered). */
const completedItem: Queued = { from: "", to: "", channel: "data", msg: { kind: "push", clock: 0, rows: new Uint32Array(0), deltas: new Float32Array(0), last: false } };

class Complete implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = () => true;
  run(_m: Model, real: Real): void {
    const workers = [...real.cluster.computes.keys()].sort();
    if (workers.length === 0) return;
    const events = real.cluster.complete(workers[this.pick % workers.length]!);
    real.rule.onDelivered(completedItem, events, real.cluster);
  }
  toString = () => `Complete(${this.pick})`;
}

class Stop implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = () => true;
  run(_m: Model, real: Real): void {
    const workers = real.cluster.layout.workers;
    real.cluster.stop(workers[this.pick % workers.length]!);
  }
  toString = () => `Stop(${this.pick})`;
}

class Partition implements fc.Command<Model, Real> {
  constructor(readonly a: number, readonly b: number) {}
  check = () => true;
  run(_m: Model, real: Real): void {
    const dcs = real.cluster.layout.spec.dataCenters;
    real.cut.add(`${dcs[this.a % dcs.length]}|${dcs[this.b % dcs.length]}`);
  }
  toString = () => `Partition(${this.a},${this.b})`;
}

class Heal implements fc.Command<Model, Real> {
  check = () => true;
  run(_m: Model, real: Real): void {
    real.cut.clear();
  }
  toString = () => "Heal";
}

const commands = fc.commands(
  [
    fc.nat(50).map((p) => new Deliver(p)),
    fc.nat(50).map((p) => new Deliver(p)),
    fc.nat(50).map((p) => new Deliver(p)),
    fc.nat(10).map((p) => new Complete(p)),
    fc.nat(10).map((p) => new Complete(p)),
    fc.nat(10).map((p) => new Stop(p)),
    fc.tuple(fc.nat(4), fc.nat(4)).map(([a, b]) => new Partition(a, b)),
    fc.constant(new Heal()),
  ],
  { maxCommands: 300 },
);

interface Shape {
  layout: LayoutSpec;
  maxClock: number;
  seed: number;
}

const shape = (placement: "mirrored" | "global", dcMin: number, dcMax: number, hubs: boolean): fc.Arbitrary<Shape> =>
  fc
    .record({
      dcs: fc.integer({ min: dcMin, max: dcMax }),
      workers: fc.integer({ min: 1, max: 2 }),
      shards: fc.integer({ min: 1, max: 2 }),
      rows: fc.integer({ min: 3, max: 8 }),
      cols: fc.integer({ min: 1, max: 3 }),
      maxClock: fc.integer({ min: 2, max: 6 }),
      seed: fc.nat(),
    })
    .map(({ dcs, workers, shards, rows, cols, maxClock, seed }) => {
      const names = ["virginia", "tokyo", "frankfurt", "oregon", "seoul"].slice(0, dcs);
      const hubGroups = hubs && dcs >= 3 ? [{ hub: names[0]!, members: names.slice(0, 2) }, { hub: names[2]!, members: names.slice(2) }] : [];
      return { layout: { dataCenters: names, workersPerDataCenter: workers, shardsPerDataCenter: shards, rows, cols, placement, hubGroups }, maxClock, seed };
    });

/** Runs the commands, then heals, drains and checks liveness and conservation. */
function runModel(s: Shape, sync: ShardSync, rule: RuleModel, cmds: Iterable<fc.Command<Model, Real>>): void {
  const cluster = new Cluster({ layout: s.layout, sync, maxClock: s.maxClock, seed: s.seed, deltaScale: 0.5 });
  cluster.start();
  const real: Real = { cluster, rule, cut: new Set() };
  fc.modelRun(() => ({ model: {}, real }), cmds);
  real.cut.clear();
  for (let guard = 0; guard < 100_000; guard++) {
    const keys = cluster.queueKeys();
    const workers = [...cluster.computes.keys()].sort();
    if (keys.length === 0 && workers.length === 0) break;
    if (keys.length > 0) {
      const { item, events } = cluster.deliver(keys[guard % keys.length]!);
      rule.onDelivered(item, events, cluster);
    } else rule.onDelivered(completedItem, cluster.complete(workers[0]!), cluster);
  }
  for (const w of cluster.layout.workers) assert.ok(cluster.worker(w).done, `liveness: ${w} stuck at clock ${cluster.worker(w).clock}`);
  const expected = cluster.initial.map((v, i) => v + cluster.totalDeltas[i]!);
  const dcs = s.layout.placement === "global" ? [s.layout.dataCenters[0]!] : s.layout.dataCenters;
  for (const dc of dcs) {
    cluster.replica(dc).forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= 1e-4 * Math.max(1, Math.abs(expected[i]!)), `conservation: ${dc}[${i}] = ${v}, expected ${expected[i]}`));
  }
  for (const [id, role] of cluster.roles) assert.deepEqual(role.remoteErrors.map((e) => e.message), [], `${id} rejected input`);
}

describe(seedTitle("protocol rules (model-based)"), () => {
  test("BSP: no worker reads clock c before all updates of clock c-1 are applied (global baseline and LAN)", () => {
    fc.assert(
      fc.property(fc.oneof(shape("global", 1, 3, false), shape("mirrored", 1, 1, false)), commands, (s, cmds) => runModel(s, { staleness: 0, asp: null }, new StalenessRule(0), cmds)),
      params(150),
    );
  });

  test("SSP: staleness never exceeds s", () => {
    fc.assert(
      fc.property(shape("global", 1, 3, false), fc.integer({ min: 1, max: 3 }), commands, (s, staleness, cmds) => runModel(s, { staleness, asp: null }, new StalenessRule(staleness), cmds)),
      params(150),
    );
  });

  test("SSP cache: cached reads stay within s, and workers compute on the last served copy plus their own updates", () => {
    const rules: CacheRule[] = [];
    fc.assert(
      fc.property(fc.oneof(shape("global", 1, 3, false), shape("mirrored", 1, 2, false)), fc.integer({ min: 1, max: 3 }), commands, (s, staleness, cmds) => {
        const rule = new CacheRule(staleness);
        rules.push(rule);
        runModel(s, { staleness, asp: s.layout.placement === "mirrored" && s.layout.dataCenters.length > 1 ? { threshold: 0.01, thresholdSchedule: { kind: "constant" }, mirrorClockBound: 1, selectiveBarrier: "off", ...aspPlain } : null }, rule, cmds);
      }),
      params(150),
    );
    // The property is not vacuous: the cache served reads, rows included, in these runs.
    assert.ok(rules.reduce((n, r) => n + r.cachedRows, 0) > 0, "no read was served from a cache");
  });

  test("ASP: mirror-clock gap stays within DS; barrier rows wait for their values and other reads do not", () => {
    fc.assert(
      fc.property(
        shape("mirrored", 2, 4, false),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        fc.constantFrom(0, 0.01, 0.5),
        commands,
        (s, staleness, bound, threshold, cmds) =>
          runModel(s, { staleness, asp: { threshold, thresholdSchedule: { kind: "constant" }, mirrorClockBound: bound, selectiveBarrier: "always", ...aspPlain } }, new AspRule(bound, staleness), cmds),
      ),
      params(150),
    );
  });

  test("conservation: through hubs, every replica ends at initial + every update, none lost or doubled", () => {
    fc.assert(
      fc.property(
        shape("mirrored", 3, 5, true),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        fc.constantFrom(0, 0.05, 1),
        fc.constantFrom("always" as const, "off" as const),
        commands,
        (s, staleness, bound, threshold, barrier, cmds) =>
          runModel(s, { staleness, asp: { threshold, thresholdSchedule: { kind: "inverse-sqrt" }, mirrorClockBound: bound, selectiveBarrier: barrier, ...aspPlain } }, new AspRule(bound, staleness), cmds),
      ),
      params(150),
    );
  });
});
