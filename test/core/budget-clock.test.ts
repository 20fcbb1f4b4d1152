// threshold auto's byte budget is the link's rate over a *measured* clock: clocks 0..DS never wait
// for a mirror and are not measured, and until a later clock has been timed the budget does not bind
// (the compute-step hint can be thousands of times shorter than a latency-bound clock); the first
// measured duration replaces the hint.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { aspPlain, Layout, ShardRole, type AspConfig, type Effect } from "@gaia/core";

const layout = new Layout({ dataCenters: ["a", "b"], workersPerDataCenter: 1, shardsPerDataCenter: 1, rows: 64, cols: 4, placement: "mirrored" });
// 1 byte/ms to b, half of it per clock: about 50 bytes over a 100 ms clock, ~0 over the 0.001 ms hint.
const asp: AspConfig = { ...aspPlain, threshold: 0.01, thresholdSchedule: { kind: "constant" }, mirrorClockBound: 1, selectiveBarrier: "off", budgetLinkFraction: 0.5, thresholdCeiling: Infinity, linkBytesPerMs: { "a>b": 1 }, clockMsHint: 0.001 };

/** Pushes a significant change to every element at each clock, 100 ms apart; the flushes' heldBack. */
function flushes(clocks: number): { held: number[]; sent: number[] } {
  const shard = new ShardRole("a/s0", layout, { staleness: 0, asp }, new Float32Array(256).fill(1));
  const held: number[] = [];
  const sent: number[] = [];
  for (let clock = 0; clock < clocks; clock++) {
    const msg = { kind: "push", clock, rows: Uint32Array.from({ length: 64 }, (_, r) => r), deltas: new Float32Array(256).fill(0.5), last: false } as const;
    const effects: Effect[] = shard.step({ kind: "message", from: "a/w0", msg }, clock * 100);
    for (const e of effects) {
      if (e.kind === "trace" && e.event.type === "mirror-sent") {
        held.push(e.event.heldBack);
        sent.push(e.event.entries);
      }
    }
  }
  return { held, sent };
}

describe("budget clock", () => {
  test("the first clocks are not held back on the hint; the measured clock's budget binds after", () => {
    const { held, sent } = flushes(5);
    assert.equal(held.length, 5);
    // DS = 1: clocks 0 and 1 are the warm-up, clock 2 the first measured one.
    for (const c of [0, 1]) {
      assert.equal(held[c], 0, `clock ${c}: no clock measured yet, so no budget`);
      assert.equal(sent[c], 256);
    }
    // From the first measured 100 ms clock on, 50 bytes a clock (about 11 f32 entries): the rest wait.
    // Blending the hint into the first measurement would give a 30 ms clock and about 3 entries.
    for (let c = 2; c < held.length; c++) {
      assert.ok(held[c]! > 150, `clock ${c} held back ${held[c]}`);
      assert.ok(sent[c]! >= 8 && sent[c]! <= 16, `clock ${c} sent ${sent[c]} entries`);
    }
  });
});
