// Proves that the roles trust no value a peer sends and that divergence is a result, not a crash:
// non-finite or absurd values are refused at the codec, a second final flush is refused, a worker
// whose program goes non-finite stops with a `diverged` event instead of sending it, and a shard's
// bookkeeping invariant does not mistake non-finite totals for a bug.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { aspPlain, decodeMessage, encodeMessage, encodeUpdate, hubId, HubRole, Layout, RemoteError, ShardRole, WorkerRole, type Effect, type Message, type ShardSync } from "@gaia/core";

const asp: ShardSync = { staleness: 0, asp: { threshold: 0.01, thresholdSchedule: { kind: "inverse-sqrt" }, mirrorClockBound: 1, selectiveBarrier: "off", ...aspPlain } };
const body = (offsets: number[], values: number[], cols = 2): Uint8Array => encodeUpdate(Uint32Array.from(offsets), values, cols, "f32").body;
const layout = new Layout({ rows: 4, cols: 2, dataCenters: ["a", "b"], workersPerDataCenter: 1, shardsPerDataCenter: 1, placement: "mirrored" });
const refusedWith = (code: string) => (e: unknown) => e instanceof RemoteError && e.code === code;

describe("codec: values are finite and in range", () => {
  for (const bad of [Number.NaN, Infinity, -Infinity, 3e38, -2e30]) {
    test(`a push delta of ${bad} is refused as non-finite`, () => {
      const msg: Message = { kind: "push", clock: 0, rows: Uint32Array.of(0), deltas: Float32Array.of(0.5, bad), last: false };
      assert.throws(() => decodeMessage(encodeMessage(msg)), refusedWith("non-finite"));
    });
    test(`a read-reply value of ${bad} is refused as non-finite`, () => {
      const msg: Message = { kind: "read-reply", clock: 0, localClock: 0, rows: Uint32Array.of(0), values: Float32Array.of(bad, 1) };
      assert.throws(() => decodeMessage(encodeMessage(msg)), refusedWith("non-finite"));
    });
  }
  test("finite values up to 1e30 pass", () => {
    const msg: Message = { kind: "push", clock: 0, rows: Uint32Array.of(0), deltas: Float32Array.of(-1e30, 1e29), last: true };
    assert.deepEqual(decodeMessage(encodeMessage(msg)), msg);
  });
});

describe("mirror flushes come once", () => {
  test("a shard refuses a second final flush from the same data center and does not apply it", () => {
    const shard = new ShardRole("a/s0", layout, asp, new Float32Array(8));
    const flush: Message = { kind: "mirror-flush", shard: 0, sources: ["b"], body: body([1], [2]) };
    shard.step({ kind: "message", from: "b/s0", msg: flush }, 0);
    assert.equal(shard.remoteErrors.length, 0);
    const effects = shard.step({ kind: "message", from: "b/s0", msg: flush }, 1);
    assert.equal(shard.remoteErrors.length, 1);
    assert.equal(shard.remoteErrors[0]!.code, "duplicate");
    assert.ok(effects.some((e) => e.kind === "trace" && e.event.type === "remote-error"));
    assert.equal(shard.values()[1], 2, "applied once");
    shard.invariants();
  });

  test("a hub refuses a second final flush of the same shard from the same member", () => {
    const hubs = new Layout({ rows: 4, cols: 2, dataCenters: ["a", "b", "c"], workersPerDataCenter: 1, shardsPerDataCenter: 1, placement: "mirrored", hubGroups: [{ hub: "a", members: ["a", "b"] }, { hub: "c", members: ["c"] }] });
    const hub = new HubRole(hubId("a"), hubs);
    const flush: Message = { kind: "mirror-flush", shard: 0, sources: ["b"], body: body([1], [2]) };
    const first = hub.step({ kind: "message", from: "b/s0", msg: flush }, 0);
    assert.ok(first.some((e) => e.kind === "send"));
    const second = hub.step({ kind: "message", from: "b/s0", msg: flush }, 1);
    assert.ok(!second.some((e) => e.kind === "send"), "nothing forwarded twice");
    assert.equal(hub.remoteErrors.length, 1);
  });
});

describe("divergence is a result", () => {
  const reply = (worker: WorkerRole, effects: readonly Effect[]): Effect[] =>
    effects.flatMap((e) => (e.kind === "send" && e.msg.kind === "read" ? worker.step({ kind: "message", from: e.to, msg: { kind: "read-reply", clock: e.msg.clock, localClock: e.msg.clock, rows: Uint32Array.of(0, 1, 2, 3), values: new Float32Array(8) } }, 0) : []));

  test("a worker whose program returns NaN traces `diverged` with the row, sends none of it and ends with an empty last push", () => {
    const worker = new WorkerRole("a/w0", layout, { rowsFor: () => null }, 10);
    const computes = reply(worker, worker.step({ kind: "start" }, 0)).filter((e) => e.kind === "compute");
    assert.equal(computes.length, 1);
    const deltas = Float32Array.of(0, 0, 0, 0, 0, Number.NaN, 0, 0);
    const effects = worker.step({ kind: "computed", clock: 0, rows: Uint32Array.of(0, 1, 2, 3), deltas, samples: 1 }, 0);
    worker.invariants();
    const diverged = effects.find((e) => e.kind === "trace" && e.event.type === "diverged");
    assert.ok(diverged && diverged.kind === "trace" && diverged.event.type === "diverged");
    assert.equal(diverged.event.row, 2);
    assert.equal(diverged.event.clock, 0);
    const pushes = effects.flatMap((e) => (e.kind === "send" && e.msg.kind === "push" ? [e.msg] : []));
    assert.equal(pushes.length, 1);
    assert.equal(pushes[0]!.deltas.length, 0);
    assert.equal(pushes[0]!.last, true);
    assert.ok(worker.done);
  });

  test("a mirror update whose values would overflow a replica (3e37, NaN) is refused by the shard, and nothing of it applied", () => {
    for (const bad of [3e37, Number.NaN, Infinity]) {
      const shard = new ShardRole("a/s0", layout, asp, new Float32Array(8));
      shard.step({ kind: "message", from: "b/s0", msg: { kind: "mirror-update", shard: 0, clock: 0, sources: ["b"], body: body([0, 1], [1, bad]) } }, 0);
      // The update codec refuses NaN itself (bad-field); the magnitude bound catches the rest.
      assert.equal(shard.remoteErrors.length, 1, String(bad));
      assert.ok(["non-finite", "bad-field"].includes(shard.remoteErrors[0]!.code), `${bad}: ${shard.remoteErrors[0]!.message}`);
      assert.deepEqual([...shard.values()], new Array(8).fill(0));
      shard.invariants();
    }
  });

  test("a shard's conservation invariant does not throw on non-finite totals (the drivers report divergence)", () => {
    const shard = new ShardRole("a/s0", layout, asp, new Float32Array(8));
    // The simulator hands messages over without the codec, so a non-finite push can reach a shard there.
    shard.step({ kind: "message", from: "a/w0", msg: { kind: "push", clock: 0, rows: Uint32Array.of(0), deltas: Float32Array.of(Infinity, 1), last: false } }, 0);
    assert.doesNotThrow(() => shard.invariants());
  });
});
