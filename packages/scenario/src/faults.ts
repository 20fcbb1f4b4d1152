/**
 * Faults: the scenario's fault list and its random faults, turned into a timeline of begin/end
 * actions, and the machinery that applies them to the network and the compute model.
 *
 * Every fault with a duration ends (heals) at its end time; random faults all end before
 * `randomFaults.untilS`, so a run with only random faults always reaches a healed phase in which
 * liveness can be checked. Random faults draw from the stream `faults:random` only.
 *
 * Overlapping faults compose: a link is cut while any partition cuts it, bandwidth factors
 * multiply, slow factors multiply, and the loss/duplicate/reorder probabilities of overlapping
 * lossy faults combine as independent events (1 - product of (1 - p)).
 */
import type { NodeId, Rng } from "@gaia/core";
import type { Fault, Scenario } from "./scenario.js";

/** Message loss, duplication and reordering probabilities on a lossy link. */
export interface LossSpec {
  readonly loss: number;
  readonly duplicate: number;
  readonly reorder: number;
}

export type FaultAction =
  | { readonly kind: "cut"; readonly atMs: number; readonly source: string; readonly target: string; readonly cut: boolean }
  | { readonly kind: "bandwidth"; readonly atMs: number; readonly source: string; readonly target: string; readonly factor: number; readonly undo: boolean }
  | { readonly kind: "lossy"; readonly atMs: number; readonly source: string; readonly target: string; readonly spec: LossSpec; readonly on: boolean }
  | { readonly kind: "crash"; readonly atMs: number; readonly node: NodeId }
  | { readonly kind: "restart"; readonly atMs: number; readonly node: NodeId }
  | { readonly kind: "slow"; readonly atMs: number; readonly node: NodeId; readonly factor: number; readonly undo: boolean };

export interface FaultWorld {
  /** WAN data centers (empty or one: link faults do not apply). */
  readonly dataCenters: readonly string[];
  /** The run's node id for a node named in the scenario, or null if it does not exist. */
  resolveNode(name: string): NodeId | null;
  /** Every node random crashes may pick. */
  readonly nodes: readonly NodeId[];
}

const RANDOM_PARTITION_S: readonly [number, number] = [5, 60];
const RANDOM_RESTART_S: readonly [number, number] = [5, 30];

/** The timeline of fault actions, in time order (ties keep list order). */
export function planFaults(scenario: Pick<Scenario, "faults" | "randomFaults">, world: FaultWorld, rng: Rng): FaultAction[] {
  const actions: FaultAction[] = [];
  const dcSet = new Set(world.dataCenters);
  const wan = world.dataCenters.length > 1;
  const requireDc = (where: string, dc: string): void => {
    if (!dcSet.has(dc)) throw new RangeError(`${where}: unknown data center "${dc}" (known: ${world.dataCenters.join(", ")})`);
  };
  const pairs = (where: string, link: readonly [string, string] | "all"): [string, string][] => {
    if (link === "all") return world.dataCenters.flatMap((s) => world.dataCenters.filter((t) => t !== s).map((t): [string, string] => [s, t]));
    requireDc(where, link[0]);
    requireDc(where, link[1]);
    if (link[0] === link[1]) throw new RangeError(`${where}: a link needs two different data centers, got ${link[0]} twice`);
    return [[link[0], link[1]]];
  };
  const window = (where: string, atS: number, forS: number | null): [number, number | null] => {
    if (!(atS >= 0)) throw new RangeError(`${where}: "at" must be >= 0 seconds, got ${atS}`);
    if (forS !== null && !(forS > 0)) throw new RangeError(`${where}: "for" must be > 0 seconds, got ${forS}`);
    return [atS * 1000, forS === null ? null : (atS + forS) * 1000];
  };
  const node = (where: string, name: string): NodeId | null => {
    const id = world.resolveNode(name);
    if (id === null && wan) throw new RangeError(`${where}: unknown node "${name}"`);
    return id;
  };

  scenario.faults.forEach((fault: Fault, i) => {
    const where = `faults[${i}] (${fault.kind})`;
    switch (fault.kind) {
      case "partition":
      case "isolate": {
        const [start, end] = window(where, fault.atS, fault.forS);
        let cuts: [string, string][];
        if (fault.kind === "partition") {
          const [a, b] = fault.between;
          if (!wan) return;
          cuts = pairs(where, [a, b]);
          if (!fault.oneWay) cuts.push([b, a]);
        } else {
          if (!wan) return;
          requireDc(where, fault.dataCenter);
          cuts = world.dataCenters.filter((o) => o !== fault.dataCenter).flatMap((o): [string, string][] => [[fault.dataCenter, o], [o, fault.dataCenter]]);
        }
        for (const [source, target] of cuts) {
          actions.push({ kind: "cut", atMs: start, source, target, cut: true });
          if (end !== null) actions.push({ kind: "cut", atMs: end, source, target, cut: false });
        }
        return;
      }
      case "bandwidth": {
        const [start, end] = window(where, fault.atS, fault.forS);
        if (!(fault.factor > 0)) throw new RangeError(`${where}: factor must be > 0, got ${fault.factor}`);
        if (!wan) return;
        for (const [source, target] of pairs(where, fault.link)) {
          actions.push({ kind: "bandwidth", atMs: start, source, target, factor: fault.factor, undo: false });
          if (end !== null) actions.push({ kind: "bandwidth", atMs: end, source, target, factor: fault.factor, undo: true });
        }
        return;
      }
      case "lossy": {
        const [start, end] = window(where, fault.atS, fault.forS);
        const spec: LossSpec = { loss: fault.loss, duplicate: fault.duplicate, reorder: fault.reorder };
        for (const [name, p] of Object.entries(spec)) if (!(p >= 0 && p < 1)) throw new RangeError(`${where}: ${name} must be in [0, 1), got ${p as number}`);
        if (!wan) return;
        for (const [source, target] of pairs(where, fault.link)) {
          actions.push({ kind: "lossy", atMs: start, source, target, spec, on: true });
          if (end !== null) actions.push({ kind: "lossy", atMs: end, source, target, spec, on: false });
        }
        return;
      }
      case "crash": {
        const [start] = window(where, fault.atS, null);
        if (fault.restartAfterS !== null && !(fault.restartAfterS > 0)) throw new RangeError(`${where}: restartAfter must be > 0 seconds`);
        const id = node(where, fault.node);
        if (id === null) return;
        actions.push({ kind: "crash", atMs: start, node: id });
        if (fault.restartAfterS !== null) actions.push({ kind: "restart", atMs: start + fault.restartAfterS * 1000, node: id });
        return;
      }
      case "slow": {
        const [start, end] = window(where, fault.atS, fault.forS);
        if (!(fault.factor > 0)) throw new RangeError(`${where}: factor must be > 0, got ${fault.factor}`);
        const id = node(where, fault.node);
        if (id === null) return;
        actions.push({ kind: "slow", atMs: start, node: id, factor: fault.factor, undo: false });
        if (end !== null) actions.push({ kind: "slow", atMs: end, node: id, factor: fault.factor, undo: true });
        return;
      }
    }
  });

  const random = scenario.randomFaults;
  if (random !== null && random.untilS > 0) {
    const untilMs = random.untilS * 1000;
    const poisson = (stream: Rng, perHour: number, each: (atMs: number) => void): void => {
      if (!(perHour > 0)) return;
      for (let t = stream.exponential(3_600_000 / perHour); t < untilMs; t += stream.exponential(3_600_000 / perHour)) each(t);
    };
    if (wan) {
      const stream = rng.child("partitions");
      poisson(stream, random.partitionsPerHour, (atMs) => {
        const a = stream.pick(world.dataCenters);
        const b = stream.pick(world.dataCenters.filter((d) => d !== a));
        const endMs = Math.min(untilMs, atMs + stream.uniform(RANDOM_PARTITION_S[0], RANDOM_PARTITION_S[1]) * 1000);
        for (const [source, target] of [[a, b], [b, a]] as const) {
          actions.push({ kind: "cut", atMs, source, target, cut: true });
          actions.push({ kind: "cut", atMs: endMs, source, target, cut: false });
        }
      });
      const spec: LossSpec = { loss: random.loss, duplicate: random.duplicate, reorder: random.reorder };
      if (spec.loss > 0 || spec.duplicate > 0 || spec.reorder > 0) {
        for (const [source, target] of pairs("randomFaults", "all")) {
          actions.push({ kind: "lossy", atMs: 0, source, target, spec, on: true });
          actions.push({ kind: "lossy", atMs: untilMs, source, target, spec, on: false });
        }
      }
    }
    const crashes = rng.child("crashes");
    poisson(crashes, random.crashesPerHour, (atMs) => {
      const id = crashes.pick(world.nodes);
      const endMs = Math.min(untilMs, atMs + crashes.uniform(RANDOM_RESTART_S[0], RANDOM_RESTART_S[1]) * 1000);
      actions.push({ kind: "crash", atMs, node: id });
      actions.push({ kind: "restart", atMs: Math.max(endMs, atMs), node: id });
    });
  }
  // Stable: equal times keep the order above (so a heal listed before a new cut applies first).
  return actions.map((a, i) => ({ a, i })).sort((x, y) => x.a.atMs - y.a.atMs || x.i - y.i).map((x) => x.a);
}

/** Keeps the composed state of overlapping lossy faults per link. */
export class LossComposer {
  private readonly active = new Map<string, LossSpec[]>();

  /** The combined spec of a link after turning `spec` on or off, or null when none is active. */
  update(source: string, target: string, spec: LossSpec, on: boolean): LossSpec | null {
    const key = `${source}->${target}`;
    const list = this.active.get(key) ?? [];
    if (on) list.push(spec);
    else {
      const i = list.indexOf(spec);
      if (i >= 0) list.splice(i, 1);
    }
    this.active.set(key, list);
    if (list.length === 0) return null;
    const combine = (pick: (s: LossSpec) => number): number => 1 - list.reduce((q, s) => q * (1 - pick(s)), 1);
    return { loss: combine((s) => s.loss), duplicate: combine((s) => s.duplicate), reorder: combine((s) => s.reorder) };
  }
}
