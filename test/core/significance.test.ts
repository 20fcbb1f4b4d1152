// The significance filter's rules, one case each, and conservation under random updates.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { SignificanceFilter, thresholdAt, type Selection } from "@gaia/core";
import { params, seedTitle } from "../support/fc.js";

/** Selects and settles exactly what was selected (a lossless send), as the f32 path does up to rounding. */
const take = (f: SignificanceFilter, values: Float32Array, threshold: number, maxEntries = Infinity): { indices: Uint32Array; deltas: Float32Array; selection: Selection } => {
  const selection = f.select(values, threshold, maxEntries);
  const deltas = Float32Array.from(selection.values);
  f.settle(selection.offsets, deltas);
  return { indices: selection.offsets, deltas, selection };
};

describe(seedTitle("significance filter"), () => {
  test("sends |accum/value| > threshold and keeps the rest accumulated", () => {
    const f = new SignificanceFilter(4);
    const values = Float32Array.from([100, 100, 1, 0]);
    f.add(0, 0.5); // 0.5% of 100: not significant at 1%
    f.add(1, 2); // 2%: significant
    f.add(2, 0.02); // 2%: significant
    const { indices, deltas } = take(f, values, 0.01);
    assert.deepEqual([...indices], [1, 2]);
    assert.deepEqual([...deltas], [2, Math.fround(0.02)]);
    assert.equal(f.accumulated(0), 0.5);
    assert.equal(f.accumulated(1), 0);
  });

  test("a zero value with a non-zero accumulator is significant; zero accumulators never are", () => {
    const f = new SignificanceFilter(3);
    f.add(0, 1e-9);
    const { indices } = take(f, new Float32Array(3), 0.5);
    assert.deepEqual([...indices], [0]);
  });

  test("insignificant updates add up until they matter", () => {
    const f = new SignificanceFilter(1);
    const values = Float32Array.from([10]);
    for (let i = 0; i < 9; i++) {
      f.add(0, 0.01);
      assert.equal(take(f, values, 0.01).indices.length, 0, `step ${i}`);
    }
    f.add(0, 0.05);
    assert.equal(take(f, values, 0.01).indices.length, 1);
  });

  test("threshold schedules: constant, v/sqrt(t+1), and tied to the learning rate", () => {
    assert.equal(thresholdAt(0.01, { kind: "constant" }, 99, undefined), 0.01);
    assert.equal(thresholdAt(0.01, { kind: "inverse-sqrt" }, 3, undefined), 0.005);
    assert.ok(Math.abs(thresholdAt(0.04, "learning-rate", 8, { kind: "inverse-sqrt" }) - 0.04 / 3) < 1e-15);
    assert.equal(thresholdAt(0.04, "learning-rate", 25, { kind: "step", every: 10, factor: 0.5 }), 0.01);
  });

  test("conservation: added == sent + accumulated, exactly up to float32 rounding", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(15), fc.double({ min: -1, max: 1, noNaN: true })), { maxLength: 200 }),
        fc.constantFrom(0, 0.001, 0.01, 0.5),
        fc.nat(20),
        (adds, threshold, selectEvery) => {
          const f = new SignificanceFilter(16);
          const values = Float32Array.from({ length: 16 }, (_, i) => (i % 4 === 0 ? 0 : i / 3));
          const added = new Float64Array(16);
          const sent = new Float64Array(16);
          adds.forEach(([at, d], i) => {
            f.add(at, d);
            added[at]! += d;
            if (selectEvery > 0 && i % selectEvery === 0) {
              const u = take(f, values, threshold);
              u.indices.forEach((idx, k) => (sent[idx]! += u.deltas[k]!));
            }
          });
          for (let i = 0; i < 16; i++) assert.ok(Math.abs(added[i]! - sent[i]! - f.accumulated(i)) < 1e-9, `element ${i}`);
          const rest = f.drain();
          const restDeltas = Float32Array.from(rest.values);
          f.settle(rest.offsets, restDeltas);
          f.discardResiduals();
          rest.offsets.forEach((idx, k) => (sent[idx]! += restDeltas[k]!));
          for (let i = 0; i < 16; i++) assert.ok(Math.abs(added[i]! - sent[i]!) <= 1e-6 * Math.max(1, Math.abs(added[i]!)), `after drain, element ${i}`);
          assert.equal(f.pending, 0);
        },
      ),
      params(300),
    );
  });

  test("a budget sends the most significant first and holds the rest back, accumulated", () => {
    const f = new SignificanceFilter(6);
    const values = Float32Array.from([1, 1, 1, 1, 1, 0]);
    [0.02, 0.5, 0.03, 0.005, 0.2, 0.25].forEach((d, i) => f.add(i, d));
    const { indices, selection } = take(f, values, 0.01, 3);
    // Significant at 1%: offsets 0 (2%), 1 (50%), 2 (3%), 4 (20%), 5 (zero value): 5 of 6.
    assert.equal(selection.significant, 5);
    assert.deepEqual([...indices], [1, 4, 5], "the three most significant: the zero value, 50%, 20%");
    assert.equal(selection.heldBack, 2);
    assert.equal(selection.thresholdInForce, 0.2);
    assert.equal(f.accumulated(0), 0.02, "held back, still accumulated");
    assert.equal(f.accumulated(2), 0.03);
    const next = take(f, values, 0.01, 3);
    assert.deepEqual([...next.indices], [0, 2], "the held-back entries win the next clock");
  });

  test("after each budgeted selection, every entry left is below the threshold in force or was held back by the full budget", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(fc.nat(31), fc.double({ min: -1, max: 1, noNaN: true })), { maxLength: 40 }), { minLength: 1, maxLength: 12 }),
        fc.constantFrom(0, 0.001, 0.01, 0.3),
        fc.nat(12),
        (clocks, floor, maxEntries) => {
          const f = new SignificanceFilter(32);
          const values = Float32Array.from({ length: 32 }, (_, i) => (i % 5 === 0 ? 0 : (i - 16) / 7));
          const added = new Float64Array(32);
          const sent = new Float64Array(32);
          for (const adds of clocks) {
            for (const [at, d] of adds) {
              f.add(at, d);
              added[at]! += d;
            }
            const selection = f.select(values, floor, maxEntries);
            const { offsets: indices, values: deltas } = selection;
            f.settle(indices, deltas); // exact, so nothing but the budget leaves an entry behind
            assert.ok(indices.length <= maxEntries, "never over the budget");
            indices.forEach((idx, k) => (sent[idx]! += deltas[k]!));
            const score = (i: number): number => (values[i] === 0 ? (f.accumulated(i) !== 0 ? Infinity : 0) : Math.abs(f.accumulated(i) / values[i]!));
            let aboveFloor = 0;
            for (let i = 0; i < 32; i++) {
              if (score(i) > floor) aboveFloor++;
              // Anything left above the threshold in force exists only because the budget is full.
              if (score(i) > selection.thresholdInForce) assert.equal(indices.length, maxEntries, `element ${i} left above ${selection.thresholdInForce} with room in the budget`);
            }
            assert.equal(aboveFloor, selection.heldBack, "held back = significant entries left");
          }
          for (let i = 0; i < 32; i++) assert.ok(Math.abs(added[i]! - sent[i]! - f.accumulated(i)) < 1e-9, `conservation at ${i}`);
        },
      ),
      params(300),
    );
  });
});
