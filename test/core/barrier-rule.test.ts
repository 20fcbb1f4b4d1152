// The selective barrier's rule (auto): a shard sends a destination a barrier ahead of its update
// exactly when the encoded update needs more than barrierClockFraction of a clock at that link's
// rate: the declared rate until a `link-rate` input measures one, then the measured average.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { aspPlain, encodedSize, Layout, ShardRole, type Effect, type MirrorUpdate } from "@gaia/core";
import { params, seedTitle } from "../support/fc.js";

const layout = new Layout({ dataCenters: ["a", "b", "c"], workersPerDataCenter: 1, shardsPerDataCenter: 1, rows: 16, cols: 4, placement: "mirrored" });

const shardWith = (rates: { b: number; c: number }, clockMsHint: number, barrierClockFraction: number): ShardRole =>
  new ShardRole("a/s0", layout, { staleness: 0, asp: { ...aspPlain, threshold: 0, thresholdSchedule: { kind: "constant" }, mirrorClockBound: 100, selectiveBarrier: "auto", barrierClockFraction, clockMsHint, linkBytesPerMs: { "a>b": rates.b, "a>c": rates.c } } }, new Float32Array(64).fill(1));

const push = (shard: ShardRole, clock: number, rows: number, nowMs: number): Effect[] =>
  shard.step({ kind: "message", from: "a/w0", msg: { kind: "push", clock, rows: Uint32Array.from({ length: rows }, (_, r) => r), deltas: new Float32Array(rows * 4).fill(0.5), last: false } }, nowMs);

const barriersTo = (effects: Effect[]): string[] => effects.flatMap((e) => (e.kind === "send" && e.msg.kind === "barrier" ? [e.to] : [])).sort();
const updateOf = (effects: Effect[]): MirrorUpdate => effects.find((e): e is Extract<Effect, { kind: "send" }> => e.kind === "send" && e.msg.kind === "mirror-update")!.msg as MirrorUpdate;

describe(seedTitle("selective barrier rule"), () => {
  test("fires per destination exactly when bytes > fraction x clock x rate", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.double({ min: 0.01, max: 10, noNaN: true }), fc.double({ min: 0.01, max: 10, noNaN: true }), fc.constantFrom(0.25, 1, 2), (rows, rateB, rateC, fraction) => {
        const shard = shardWith({ b: rateB, c: rateC }, 50, fraction);
        const effects = push(shard, 0, rows, 0);
        const size = encodedSize(updateOf(effects));
        const expected = [...(size > fraction * 50 * rateB ? ["b/s0"] : []), ...(size > fraction * 50 * rateC ? ["c/s0"] : [])];
        assert.deepEqual(barriersTo(effects), expected, `update of ${size} bytes, rates ${rateB} / ${rateC}`);
      }),
      params(300),
    );
  });

  test("a measured rate replaces the declared one, and the clock duration is measured", () => {
    const shard = shardWith({ b: 1000, c: 1000 }, 50, 1);
    assert.deepEqual(barriersTo(push(shard, 0, 16, 0)), [], "a fast declared link needs no barrier");
    // The link to b turns out slow: 1 byte/ms. The next clock took 100 ms: clockMs = 0.7 * 50 + 0.3 * 100 = 65.
    shard.step({ kind: "link-rate", peer: "b/s0", bytesPerMs: 1 }, 50);
    const effects = push(shard, 1, 16, 100);
    const size = encodedSize(updateOf(effects));
    assert.ok(size > 65, `the update (${size} B) outlasts a 65 ms clock at 1 B/ms`);
    assert.deepEqual(barriersTo(effects), ["b/s0"], "only the slow link gets a barrier");
  });

  test("link-rate from a node that is no destination, or a non-positive rate, is a remote error", () => {
    const shard = shardWith({ b: 1, c: 1 }, 50, 1);
    shard.step({ kind: "link-rate", peer: "a/w0", bytesPerMs: 5 }, 0);
    shard.step({ kind: "link-rate", peer: "b/s0", bytesPerMs: Number.NaN }, 0);
    assert.equal(shard.remoteErrors.length, 2);
  });
});
