// Property tests of the flow model (flows.ts) on generated link sets and flows with routes of one
// to four links, weights 1 (max-min) or arbitrary (CM02-style):
// - no link carries more than its capacity;
// - max-min's bottleneck property: every flow crosses a saturated link on which no other flow has
//   a larger share per unit of weight (so no flow could grow without taking from a poorer one);
// - no idle capacity: a link with spare capacity carries only flows that are bound elsewhere;
// - the incremental solve (only the component of what changed) gives the same completion times
//   as a from-scratch reference that recomputes every flow at every event, under flow starts,
//   flow ends and capacity changes.
// GAIA_SEED pins the seed, GAIA_RUNS the number of runs.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Engine, FlowModel, flowState, type FlowState } from "@gaia/sim";
import { params, seedTitle } from "../support/fc.js";

interface Case {
  readonly capacities: readonly number[];
  readonly flows: readonly { readonly route: readonly number[]; readonly weight: number; readonly size: number; readonly startMs: number }[];
  readonly changes: readonly { readonly atMs: number; readonly link: number; readonly capacity: number }[];
}

const caseArb = (weighted: boolean, dynamic: boolean): fc.Arbitrary<Case> =>
  fc.integer({ min: 1, max: 10 }).chain((links) =>
    fc.record({
      capacities: fc.array(fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 12, arbitrary: fc.double({ min: 0.5, max: 5000, noNaN: true }) }), { minLength: links, maxLength: links }),
      flows: fc.array(
        fc.record({
          route: fc.uniqueArray(fc.integer({ min: 0, max: links - 1 }), { minLength: 1, maxLength: Math.min(4, links) }),
          weight: weighted ? fc.double({ min: 0.01, max: 100, noNaN: true }) : fc.constant(1),
          size: fc.integer({ min: 1, max: 1_000_000 }),
          startMs: dynamic ? fc.integer({ min: 0, max: 2000 }) : fc.constant(0),
        }),
        { minLength: 1, maxLength: 40 },
      ),
      changes: dynamic ? fc.array(fc.record({ atMs: fc.integer({ min: 0, max: 3000 }), link: fc.integer({ min: 0, max: links - 1 }), capacity: fc.double({ min: 0.5, max: 5000, noNaN: true }) }), { maxLength: 5 }) : fc.constant([]),
    }),
  );

type Flow = FlowState & { readonly id: number };

/** Starts every flow of a static case at t = 0 and runs the solve; returns the model. */
function solveStatic(c: Case): { model: FlowModel<Flow>; flows: Flow[] } {
  const engine = new Engine();
  const model = new FlowModel<Flow>(engine, () => {});
  for (const cap of c.capacities) model.addLink(cap);
  const flows = c.flows.map((f, id) => {
    const flow: Flow = { ...flowState(), id };
    model.start(flow, f.route, f.weight, f.size);
    return flow;
  });
  engine.run(0);
  return { model, flows };
}

const tolerance = (x: number): number => 1e-9 * Math.max(1, Math.abs(x));

function checkAllocation(c: Case): void {
  const { flows } = solveStatic(c);
  const load = c.capacities.map(() => 0);
  for (const f of flows) for (const l of f.route) load[l]! += f.rate;
  c.capacities.forEach((cap, l) => assert.ok(load[l]! <= cap + tolerance(cap), `link ${l} carries ${load[l]} > capacity ${cap}`));
  const saturated = (l: number): boolean => load[l]! >= c.capacities[l]! - tolerance(c.capacities[l]!);
  for (const f of flows) {
    assert.ok(f.rate >= 0 && Number.isFinite(f.rate), `flow ${f.id} has rate ${f.rate}`);
    const share = f.rate / f.weight;
    const bottleneck = f.route.find((l) => saturated(l) && flows.every((g) => !g.route.includes(l) || g.rate / g.weight <= share + tolerance(share)));
    assert.ok(bottleneck !== undefined, `flow ${f.id} (rate ${f.rate}, weight ${f.weight}) has no bottleneck link among ${f.route.join(", ")}`);
  }
  // No idle capacity: a flow on a link with spare capacity is bound by a saturated link elsewhere.
  for (const f of flows) for (const l of f.route) if (!saturated(l)) assert.ok(f.route.some(saturated), `flow ${f.id} crosses only links with spare capacity`);
}

/** From scratch: at every event, weighted progressive filling over every active flow. */
function reference(c: Case): number[] {
  const capacity = [...c.capacities];
  const n = c.flows.length;
  const remaining = c.flows.map((f) => f.size);
  const doneAt = c.flows.map(() => NaN);
  const active = new Set<number>();
  const starts = c.flows.map((f, i) => ({ at: f.startMs, i })).sort((a, b) => a.at - b.at || a.i - b.i);
  const changes = [...c.changes].sort((a, b) => a.atMs - b.atMs);
  let now = 0;
  let s = 0;
  let k = 0;
  while (active.size > 0 || s < n) {
    while (s < n && starts[s]!.at <= now) active.add(starts[s++]!.i);
    while (k < changes.length && changes[k]!.atMs <= now) {
      capacity[changes[k]!.link] = changes[k]!.capacity;
      k++;
    }
    const rate = new Map<number, number>();
    const left = [...capacity];
    const unfrozen = new Set(active);
    while (unfrozen.size > 0) {
      let best = Infinity;
      let bestLink = -1;
      for (let l = 0; l < capacity.length; l++) {
        let w = 0;
        for (const i of unfrozen) if (c.flows[i]!.route.includes(l)) w += c.flows[i]!.weight;
        if (w > 0 && Math.max(0, left[l]!) / w < best) {
          best = Math.max(0, left[l]!) / w;
          bestLink = l;
        }
      }
      for (const i of [...unfrozen]) {
        if (!c.flows[i]!.route.includes(bestLink)) continue;
        const r = best * c.flows[i]!.weight;
        rate.set(i, r);
        unfrozen.delete(i);
        for (const l of c.flows[i]!.route) left[l]! -= r;
      }
    }
    let next = s < n ? starts[s]!.at : Infinity;
    if (k < changes.length) next = Math.min(next, changes[k]!.atMs);
    for (const i of active) if (rate.get(i)! > 0) next = Math.min(next, now + remaining[i]! / rate.get(i)!);
    if (next === Infinity) break;
    for (const i of active) remaining[i]! -= rate.get(i)! * (next - now);
    now = next;
    for (const i of [...active]) {
      if (remaining[i]! <= 1e-9 * c.flows[i]!.size) {
        doneAt[i] = now;
        active.delete(i);
      }
    }
  }
  return doneAt;
}

function incremental(c: Case): number[] {
  const engine = new Engine();
  const doneAt = c.flows.map(() => NaN);
  const model = new FlowModel<Flow>(engine, (f) => (doneAt[f.id] = engine.now));
  for (const cap of c.capacities) model.addLink(cap);
  c.flows.forEach((f, id) => engine.at(f.startMs, () => model.start({ ...flowState(), id }, f.route, f.weight, f.size)));
  for (const change of c.changes) engine.at(change.atMs, () => model.setCapacity(change.link, change.capacity));
  engine.run(Infinity, null, 1_000_000);
  return doneAt;
}

describe(seedTitle("flow model properties"), () => {
  for (const weighted of [false, true]) {
    const name = weighted ? "weighted (CM02-style)" : "max-min";
    test(`${name}: no link over capacity, every flow has a bottleneck, no idle capacity`, () => {
      fc.assert(fc.property(caseArb(weighted, false), checkAllocation), params(300));
    });
    test(`${name}: the incremental solve matches a from-scratch reference under starts, ends and capacity changes`, () => {
      fc.assert(
        fc.property(caseArb(weighted, true), (c) => {
          const expected = reference(c);
          const actual = incremental(c);
          expected.forEach((t, i) => {
            if (Number.isNaN(t)) assert.ok(Number.isNaN(actual[i]!), `flow ${i} completed at ${actual[i]} but never does in the reference`);
            else assert.ok(Math.abs(actual[i]! - t) <= 1e-8 * Math.max(1, t), `flow ${i}: completes at ${actual[i]}, the reference says ${t}`);
          });
        }),
        params(200),
      );
    });
  }
});
