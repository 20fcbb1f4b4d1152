// The significance checker catches shards that break Gaia's filter, from what left them: it keeps
// its own accumulators from the pushes a shard accepted and the bytes it sent. Each case runs a real
// ShardRole whose filter is configured wrongly (an infinite threshold, an ignored schedule, a
// threshold below the floor, a budget that keeps the most significant back) against a checker
// configured as the scenario says; the faithful shard passes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { aspPlain, Layout, Rng, ShardRole, type AspConfig, type Effect } from "@gaia/core";
import { SignificanceChecker } from "@gaia/sim";
import { params, seedTitle } from "../support/fc.js";

const layout = new Layout({ dataCenters: ["a", "b"], workersPerDataCenter: 1, shardsPerDataCenter: 1, rows: 12, cols: 4, placement: "mirrored" });
const declared: AspConfig = { ...aspPlain, threshold: 0.01, thresholdSchedule: { kind: "inverse-sqrt" }, mirrorClockBound: 1000, selectiveBarrier: "off" };
const budgeted: AspConfig = { ...declared, mirrorClockBound: 1, budgetLinkFraction: 0.5, thresholdCeiling: 0.1, linkBytesPerMs: { "a>b": 1 }, clockMsHint: 40 };

/** Runs `clocks` random pushes through a shard built with `actual`, checked as `expected`. */
function run(actual: AspConfig, expected: AspConfig, seed: number, clocks = 30, deltaScale = 0.02): string | null {
  const shard = new ShardRole("a/s0", layout, { staleness: 0, asp: actual }, Float32Array.from({ length: 48 }, (_, i) => 0.5 + (i % 7) / 10));
  const checker = new SignificanceChecker(layout, expected);
  const rng = new Rng(seed);
  for (let clock = 0; clock < clocks; clock++) {
    const rows = Uint32Array.from({ length: 12 }, (_, r) => r);
    const deltas = Float32Array.from({ length: 48 }, () => (rng.float() < 0.4 ? (rng.float() - 0.5) * deltaScale : 0));
    const msg = { kind: "push", clock, rows, deltas, last: false } as const;
    const effects: Effect[] = shard.step({ kind: "message", from: "a/w0", msg }, clock * 40);
    checker.pushed("a/s0", msg);
    for (const e of effects) {
      if (e.kind === "send" && e.msg.kind === "mirror-update") checker.sent("a/s0", e.msg, shard.values());
      if (e.kind === "trace" && e.event.type === "mirror-sent") checker.flushed(e.event, shard.values());
    }
  }
  return checker.verdict();
}

describe(seedTitle("significance checker"), () => {
  test("a faithful shard passes, fixed threshold or budgeted, any codec", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 30 }), fc.constantFrom("f32" as const, "f16" as const, "int8" as const), fc.boolean(), fc.constantFrom(0.02, 0.5), (seed, encoding, withBudget, scale) => {
        const config = { ...(withBudget ? budgeted : declared), encoding };
        assert.equal(run(config, config, seed, 30, scale), null);
      }),
      params(60),
    );
  });

  test("an infinite threshold (nothing sent) is caught", () => {
    assert.match(run({ ...declared, threshold: Infinity }, declared, 1) ?? "", /left element .* above the threshold/);
  });

  test("an ignored decay schedule (constant v instead of v/sqrt(t)) is caught", () => {
    assert.match(run({ ...declared, thresholdSchedule: { kind: "constant" } }, declared, 2) ?? "", /left element/);
  });

  test("sending entries below the floor is caught", () => {
    assert.match(run({ ...declared, threshold: 0 }, declared, 3) ?? "", /not above the floor/);
  });

  test("a budget that holds back what is above the ceiling is caught", () => {
    assert.match(run({ ...budgeted, thresholdCeiling: Infinity, budgetLinkFraction: 0.001 }, budgeted, 4, 30, 0.5) ?? "", /above the ceiling/);
  });
});
