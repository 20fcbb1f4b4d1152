// The trace checkers catch what they promise to catch: each is fed a short hand-written trace that
// breaks its rule (and one that keeps it), built only from TraceEvent data.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import type { DeliveryEvent } from "@gaia/core";
import { checkConservation, checkTrace, type CheckContext, type SimTraceEvent } from "@gaia/sim";

const ctx = (staleness: number, mirrorClockBound: number | null = null): CheckContext => ({
  clients: new Map([["a/s0", ["a/w0", "a/w1"]]]),
  mirrorSources: new Map([["a/s0", mirrorClockBound === null ? [] : ["b", "c"]]]),
  staleness,
  mirrorClockBound,
});
let t = 0;
const push = (worker: string, clock: number, last = false): SimTraceEvent => ({ atMs: t++, type: "push-applied", shard: "a/s0", worker, clock, last, localClock: 0, sum: 0 });
const read = (worker: string, clock: number, requested: Uint32Array | null = null, localClock = 0, mirrorClockMin: number | null = null): SimTraceEvent => ({
  atMs: t++, type: "read-served", shard: "a/s0", worker, clock, localClock, mirrorClockMin, rows: 1, requested, waitedMs: 0, blockedBy: null, barrierRowsBlocked: 0,
});
const mirror = (source: string, clock: number | null): SimTraceEvent => ({ atMs: t++, type: "mirror-applied", shard: "a/s0", sources: [source], clock, entries: 1, sum: 0 });
const mirrorIn = (source: string, clock: number | null): DeliveryEvent & { atMs: number } => ({ atMs: t++, type: "mirror-delivered", shard: "a/s0", sources: [source], clock });

describe("checkers", () => {
  test("BSP lockstep: a read for clock 1 before every clock-0 push is applied is caught", () => {
    const good = [read("a/w0", 0), read("a/w1", 0), push("a/w0", 0), push("a/w1", 0), read("a/w0", 1)];
    assert.equal(checkTrace(good, ctx(0))["bsp-lockstep"], null);
    const bad = [read("a/w0", 0), push("a/w0", 0), read("a/w0", 1)];
    assert.match(checkTrace(bad, ctx(0))["bsp-lockstep"]!, /a\/s0 served a\/w0's read for clock 1 with only 0 clocks of a\/w1 applied/);
  });

  test("BSP lockstep: a client whose last push was applied no longer holds reads back", () => {
    const trace = [push("a/w0", 0), push("a/w1", 0, true), push("a/w0", 1), read("a/w0", 2)];
    assert.equal(checkTrace(trace, ctx(0))["bsp-lockstep"], null);
  });

  test("SSP bound: staleness 2 lets a worker run 2 clocks ahead, not 3", () => {
    const ok = [push("a/w0", 0), push("a/w0", 1), read("a/w0", 2)];
    assert.equal(checkTrace(ok, ctx(2))["ssp-bound"], null);
    const bad = [push("a/w0", 0), push("a/w0", 1), push("a/w0", 2), read("a/w0", 3)];
    assert.match(checkTrace(bad, ctx(2))["ssp-bound"]!, /clock 3/);
  });

  test("SSP bound: a read served from a worker's cache is held to the bound through the read that fetched it", () => {
    const cached = (clock: number, readClock: number): SimTraceEvent => ({ atMs: t++, type: "read-cached", worker: "a/w0", shard: "a/s0", clock, rows: 1, localClock: 0, readClock });
    const base = [read("a/w0", 0), push("a/w0", 0), push("a/w1", 0), read("a/w0", 1), push("a/w0", 1)];
    // The copy fetched for clock 1 was served with both clients through clock 0: fresh for clock 2 and 3 under s = 2.
    assert.equal(checkTrace([...base, cached(2, 1), cached(3, 1)], ctx(2))["ssp-bound"], null);
    // The copy fetched for clock 0 saw no push: too old for clock 3.
    assert.match(checkTrace([...base, cached(3, 0)], ctx(2))["ssp-bound"]!, /a\/w0 read a\/s0 from its cache for clock 3 with a copy served when only 0 clocks/);
    assert.match(checkTrace([...base, cached(3, 7)], ctx(2))["ssp-bound"]!, /never served/);
  });

  test("mirror-clock bound: a read served more than DS clocks ahead of the slowest mirror is caught", () => {
    const base = [push("a/w0", 0), push("a/w1", 0), push("a/w0", 1), push("a/w1", 1), mirror("b", 0), mirror("c", 0)];
    assert.equal(checkTrace([...base, read("a/w0", 2)], ctx(0, 1))["mirror-clock-bound"], null);
    const bad = [push("a/w0", 0), push("a/w1", 0), push("a/w0", 1), push("a/w1", 1), mirror("b", 0), read("a/w0", 2)];
    assert.match(checkTrace(bad, ctx(0, 1))["mirror-clock-bound"]!, /local clock 2 while its slowest mirror had completed 0/);
    // A mirror that sent its final flush no longer counts.
    assert.equal(checkTrace([...bad.slice(0, -1), mirror("c", null), read("a/w0", 2)], ctx(0, 1))["mirror-clock-bound"], null);
  });

  test("mirror-clock bound: the shard's own report is checked too", () => {
    const bad = [read("a/w0", 0, null, 5, 1)];
    assert.match(checkTrace(bad, ctx(0, 2))["mirror-clock-bound"]!, /reports local clock 5 and mirror clock 1/);
  });

  test("selective barrier: only reads of the named rows are blocked, until the matching update", () => {
    const barrier: DeliveryEvent & { atMs: number } = { atMs: t++, type: "barrier-delivered", shard: "a/s0", source: "b", clock: 0, rows: [3, 5] };
    const ok = [barrier, read("a/w0", 0, Uint32Array.of(1, 2, 4)), mirrorIn("b", 0), read("a/w0", 0, Uint32Array.of(3))];
    assert.equal(checkTrace(ok, ctx(0, 5))["selective-barrier"], null);
    const bad = [barrier, read("a/w0", 0, Uint32Array.of(4, 5))];
    assert.match(checkTrace(bad, ctx(0, 5))["selective-barrier"]!, /row 5, blocked by the barrier of b for clock 0/);
    const all = [barrier, read("a/w0", 0, null)];
    assert.notEqual(checkTrace(all, ctx(0, 5))["selective-barrier"], null);
    const otherClock = [barrier, mirrorIn("b", 1), read("a/w0", 0, Uint32Array.of(3))];
    assert.notEqual(checkTrace(otherClock, ctx(0, 5))["selective-barrier"], null);
    const flushed = [barrier, mirrorIn("b", null), read("a/w0", 0, Uint32Array.of(3))];
    assert.equal(checkTrace(flushed, ctx(0, 5))["selective-barrier"], null);
  });

  test("selective barrier: the books come from deliveries, not from the shard's own reports", () => {
    // A shard that drops a barrier it was delivered, and says nothing of it, is still caught.
    const delivered: DeliveryEvent & { atMs: number } = { atMs: t++, type: "barrier-delivered", shard: "a/s0", source: "b", clock: 2, rows: [7] };
    assert.match(checkTrace([delivered, read("a/w0", 0, Uint32Array.of(7))], ctx(0, 5))["selective-barrier"]!, /row 7, blocked by the barrier of b for clock 2/);
    // A shard's report of a barrier it received opens nothing by itself.
    const reported: SimTraceEvent = { atMs: t++, type: "barrier-received", shard: "a/s0", source: "b", clock: 2, rows: [7] };
    assert.equal(checkTrace([reported, read("a/w0", 0, Uint32Array.of(7))], ctx(0, 5))["selective-barrier"], null);
    // A barrier delivered after its own update lifts nothing, as the shard ignores it.
    assert.equal(checkTrace([mirrorIn("b", 2), delivered, read("a/w0", 0, Uint32Array.of(7))], ctx(0, 5))["selective-barrier"], null);
  });

  test("conservation: replicas must agree and equal initial + pushed", () => {
    const initial = Float32Array.of(1, 2);
    const pushed = Float64Array.of(0.5, -1);
    const magnitude = Float64Array.of(1.5, 3);
    const good = [{ dataCenter: "a", values: Float32Array.of(1.5, 1) }, { dataCenter: "b", values: Float32Array.of(1.5, 1) }];
    assert.equal(checkConservation(good, initial, pushed, magnitude), null);
    const lost = [{ dataCenter: "a", values: Float32Array.of(1.5, 1) }, { dataCenter: "b", values: Float32Array.of(1, 1) }];
    assert.match(checkConservation(lost, initial, pushed, magnitude)!, /element 0 of b's replica is 1, expected initial \+ pushed = 1.5/);
  });
});
