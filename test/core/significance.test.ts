// The significance filter's rules, one case each, and conservation under random updates.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { SignificanceFilter, thresholdAt } from "@gaia/core";
import { params, seedTitle } from "../support/fc.js";

describe(seedTitle("significance filter"), () => {
  test("sends |accum/value| > threshold and keeps the rest accumulated", () => {
    const f = new SignificanceFilter(4);
    const values = Float32Array.from([100, 100, 1, 0]);
    f.add(0, 0.5); // 0.5% of 100: not significant at 1%
    f.add(1, 2); // 2%: significant
    f.add(2, 0.02); // 2%: significant
    const { indices, deltas } = f.select(values, 0.01);
    assert.deepEqual([...indices], [1, 2]);
    assert.deepEqual([...deltas], [2, Math.fround(0.02)]);
    assert.equal(f.accumulated(0), 0.5);
    assert.equal(f.accumulated(1), 0);
  });

  test("a zero value with a non-zero accumulator is significant; zero accumulators never are", () => {
    const f = new SignificanceFilter(3);
    f.add(0, 1e-9);
    const { indices } = f.select(new Float32Array(3), 0.5);
    assert.deepEqual([...indices], [0]);
  });

  test("insignificant updates add up until they matter", () => {
    const f = new SignificanceFilter(1);
    const values = Float32Array.from([10]);
    for (let i = 0; i < 9; i++) {
      f.add(0, 0.01);
      assert.equal(f.select(values, 0.01).indices.length, 0, `step ${i}`);
    }
    f.add(0, 0.05);
    assert.equal(f.select(values, 0.01).indices.length, 1);
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
              const u = f.select(values, threshold);
              u.indices.forEach((idx, k) => (sent[idx]! += u.deltas[k]!));
            }
          });
          for (let i = 0; i < 16; i++) assert.ok(Math.abs(added[i]! - sent[i]! - f.accumulated(i)) < 1e-9, `element ${i}`);
          const rest = f.drain();
          rest.indices.forEach((idx, k) => (sent[idx]! += rest.deltas[k]!));
          for (let i = 0; i < 16; i++) assert.ok(Math.abs(added[i]! - sent[i]!) <= 1e-6 * Math.max(1, Math.abs(added[i]!)), `after drain, element ${i}`);
          assert.equal(f.pending, 0);
        },
      ),
      params(300),
    );
  });
});
