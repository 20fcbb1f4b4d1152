// The incremental significance filter selects exactly what a scan of every accumulator selects:
// against a reference (the scan), under random adds, mirror value changes, threshold schedules that
// fall and rise, budgets, ceilings and lossy settlements.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { deserialize, serialize } from "node:v8";
import { SignificanceFilter, type Selection } from "@gaia/core";
import { params, seedTitle } from "../support/fc.js";

/** The scan: every listed accumulator, every selection (the filter before it rescanned only what changed). */
class ScanFilter {
  private readonly accum: Float64Array;
  private touched: number[] = [];
  private readonly listed: Uint8Array;
  constructor(readonly size: number) {
    this.accum = new Float64Array(size);
    this.listed = new Uint8Array(size);
  }
  add(offset: number, delta: number): void {
    if (delta === 0) return;
    this.accum[offset] += delta;
    if (this.listed[offset] === 0) {
      this.listed[offset] = 1;
      this.touched.push(offset);
    }
  }
  select(values: Float32Array, threshold: number, maxEntries: number, ceiling: number): Selection {
    const candidates: number[] = [];
    const scores: number[] = [];
    const mandatory: number[] = [];
    let accumulated = 0;
    for (const offset of this.touched) {
      const a = this.accum[offset]!;
      if (a === 0) continue;
      accumulated++;
      const v = values[offset]!;
      const score = v === 0 ? Infinity : Math.abs(a / v);
      if (score > threshold && score > ceiling) mandatory.push(offset);
      else if (score > threshold) {
        candidates.push(offset);
        scores.push(score);
      }
    }
    const significant = candidates.length + mandatory.length;
    let chosen = candidates;
    let thresholdInForce = threshold;
    const limit = Math.max(0, Math.floor(maxEntries) - mandatory.length);
    if (candidates.length > limit) {
      if (limit === 0) {
        chosen = [];
        thresholdInForce = Math.max(threshold, ceiling);
      } else {
        const cut = [...scores].sort((x, y) => y - x)[limit - 1]!;
        thresholdInForce = Math.max(threshold, cut);
        chosen = [];
        for (let i = 0; i < candidates.length; i++) if (scores[i]! > cut) chosen.push(candidates[i]!);
        for (let i = 0; i < candidates.length && chosen.length < limit; i++) if (scores[i] === cut) chosen.push(candidates[i]!);
      }
    }
    chosen.push(...mandatory);
    const offsets = Uint32Array.from(chosen).sort();
    return { offsets, values: Float64Array.from(offsets, (o) => this.accum[o]!), significant, heldBack: significant - offsets.length, accumulated, thresholdInForce };
  }
  settle(offsets: Uint32Array, applied: ArrayLike<number>): void {
    offsets.forEach((o, i) => (this.accum[o]! -= applied[i]!));
    this.touched = this.touched.filter((o) => {
      if (this.accum[o] !== 0) return true;
      this.listed[o] = 0;
      return false;
    });
  }
  get pending(): number {
    return this.touched.length;
  }
}

const size = 12;
/**
 * Local adds are small against the values (entries sit below the threshold, quiet, for a while) and
 * mostly eighths over integer values, so ratios tie often (as LDA's counts do) and the cut's tie
 * order is exercised; mirror changes are large, so they make quiet entries significant.
 */
const delta = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: -4, max: 4 }).map((d) => d / 8) }, { weight: 1, arbitrary: fc.double({ min: -0.5, max: 0.5, noNaN: true }) });
const mirrorDelta = fc.integer({ min: -8, max: 8 }).map((d) => d / 2);
const op = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("add" as const), at: fc.nat(size - 1), d: delta }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("mirror" as const), at: fc.array(fc.nat(size - 1), { maxLength: 4 }), d: mirrorDelta }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("select" as const),
      // Mostly the run's own threshold (so entries stay quiet across selections), sometimes another.
      threshold: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(0, 0.01, 0.05, 0.1, 0.25, 0.5, 1) }),
      budget: fc.constantFrom(Infinity, 0, 1, 2, 3, 5, 8),
      ceiling: fc.constantFrom(Infinity, 1, 4),
      lossy: fc.boolean(),
    }),
  },
);

describe(seedTitle("incremental significance filter"), () => {
  test("selects exactly what a scan of every accumulator selects", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 300, size: "max" }), fc.array(fc.integer({ min: -8, max: 8 }), { minLength: size, maxLength: size }), fc.constantFrom(0.05, 0.1, 0.25), (ops, init, runThreshold) => {
        const values = Float32Array.from(init);
        const fast = new SignificanceFilter(size);
        const scan = new ScanFilter(size);
        for (const o of ops) {
          if (o.kind === "add") {
            values[o.at]! += o.d;
            fast.add(o.at, o.d);
            scan.add(o.at, o.d);
          } else if (o.kind === "mirror") {
            for (const at of o.at) values[at]! += o.d;
            fast.valuesChanged(Uint32Array.from(o.at));
          } else {
            const threshold = o.threshold ?? runThreshold;
            const a = fast.select(values, threshold, o.budget, o.ceiling);
            const b = scan.select(values, threshold, o.budget, o.ceiling);
            assert.deepEqual(a, b);
            // Lossy: what the receivers apply is the value rounded to a quarter (the rest stays accumulated).
            const applied = o.lossy ? Float64Array.from(a.values, (v) => Math.round(v * 4) / 4) : a.values;
            fast.settle(a.offsets, applied);
            scan.settle(b.offsets, applied);
            assert.equal(fast.pending, scan.pending);
          }
        }
        for (let i = 0; i < size; i++) assert.equal(fast.accumulated(i), scan["accum"][i]);
      }),
      params(300),
    );
  });

  test("a checkpoint (snapshot, v8 serialize, restore into a new filter) continues exactly; the score function stays the filter's own", () => {
    // A workload's own measure (absolute size, not relative): the checkpoint carries data, never this code.
    const absolute = (a: number): number => Math.abs(a);
    fc.assert(
      fc.property(fc.array(op, { minLength: 10, maxLength: 200, size: "max" }), fc.nat(200), fc.array(fc.integer({ min: -8, max: 8 }), { minLength: size, maxLength: size }), (ops, cutAt, init) => {
        const values = Float32Array.from(init);
        const live = new SignificanceFilter(size, absolute);
        let copy: SignificanceFilter | null = null;
        ops.forEach((o, i) => {
          if (i === cutAt % ops.length) {
            copy = new SignificanceFilter(size, absolute);
            copy.restore(deserialize(serialize(live.snapshot())) as object);
          }
          for (const f of copy === null ? [live] : [live, copy]) {
            if (o.kind === "add") f.add(o.at, o.d);
            else if (o.kind === "mirror") f.valuesChanged(Uint32Array.from(o.at));
          }
          if (o.kind === "add") values[o.at]! += o.d;
          else if (o.kind === "mirror") for (const at of o.at) values[at]! += o.d;
          else {
            const a = live.select(values, o.threshold ?? 0.1, o.budget, o.ceiling);
            if (copy !== null) assert.deepEqual((copy as SignificanceFilter).select(values, o.threshold ?? 0.1, o.budget, o.ceiling), a);
            const applied = o.lossy ? Float64Array.from(a.values, (v) => Math.round(v * 4) / 4) : a.values;
            live.settle(a.offsets, applied);
            if (copy !== null) (copy as SignificanceFilter).settle(a.offsets, applied);
          }
        });
        if (copy !== null) assert.equal((copy as SignificanceFilter).pending, live.pending);
      }),
      params(200),
    );
  });
});
