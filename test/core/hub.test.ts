// The hub's aggregation rules, one case each: a member's shards finish independently (a flush of
// shard 0 must not release shard 1's clocks without that member), a second flush is refused, and a
// lossy codec loses nothing through a hub (the remainder goes out with the final flush).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeUpdate, encodeUpdate, HubRole, Layout, RemoteError, type Effect, type Message, type MirrorUpdate, type ValueEncoding } from "@gaia/core";

const layout = new Layout({ dataCenters: ["a", "b", "c", "d"], workersPerDataCenter: 1, shardsPerDataCenter: 2, rows: 8, cols: 2, placement: "mirrored", hubGroups: [{ hub: "a", members: ["a", "b"] }, { hub: "c", members: ["c", "d"] }] });
const update = (shard: number, clock: number, source: string, offsets: number[], values: number[], encoding: ValueEncoding = "f32"): MirrorUpdate => ({ kind: "mirror-update", shard, clock, sources: [source], body: encodeUpdate(Uint32Array.from(offsets), values, 2, encoding).body });
const flush = (shard: number, source: string): Message => ({ kind: "mirror-flush", shard, sources: [source], body: encodeUpdate(new Uint32Array(0), [], 2, "f32").body });
const sends = (effects: Effect[]) => effects.flatMap((e) => (e.kind === "send" ? [e] : []));

describe("hub", () => {
  test("a member's shard 0 flushing does not release shard 1's clock without that member", () => {
    const hub = new HubRole("a/hub", layout);
    hub.step({ kind: "message", from: "a/s1", msg: update(1, 0, "a", [0], [1]) }, 0);
    // b/s0 finishes before b/s1's clock 0 arrives: shard 1's clock 0 must still wait for b.
    hub.step({ kind: "message", from: "b/s0", msg: flush(0, "b") }, 1);
    const early = sends(hub.step({ kind: "message", from: "a/s0", msg: flush(0, "a") }, 2)).filter((s) => s.msg.kind === "mirror-update");
    assert.equal(early.length, 0, "no aggregate of shard 1 before b/s1 sent its clock");
    const out = sends(hub.step({ kind: "message", from: "b/s1", msg: update(1, 0, "b", [1], [2]) }, 3));
    const toHub = out.find((s) => s.to === "c/hub" && s.msg.kind === "mirror-update")!.msg as MirrorUpdate;
    assert.deepEqual(toHub.sources, ["a", "b"]);
    assert.deepEqual([...decodeUpdate(toHub.body, 8).deltas], [1, 2]);
    hub.invariants();
    assert.equal(hub.remoteErrors.length, 0);
  });

  test("a second flush of the same member and shard is refused", () => {
    const hub = new HubRole("a/hub", layout);
    hub.step({ kind: "message", from: "b/s0", msg: flush(0, "b") }, 0);
    hub.step({ kind: "message", from: "b/s0", msg: flush(0, "b") }, 1);
    assert.equal(hub.remoteErrors.length, 1);
    assert.ok(hub.remoteErrors[0] instanceof RemoteError);
  });

  test("int8 through a hub: what the aggregates round away arrives with the final flush", () => {
    const hub = new HubRole("a/hub", layout, "int8");
    const received = new Float64Array(8);
    const take = (effects: Effect[]): void => {
      for (const { to, msg } of sends(effects)) {
        if (to !== "c/hub" || (msg.kind !== "mirror-update" && msg.kind !== "mirror-flush")) continue;
        const { indices, deltas } = decodeUpdate(msg.body, 8);
        indices.forEach((i, k) => (received[i]! += deltas[k]!));
      }
    };
    const sent = new Float64Array(8);
    for (let clock = 0; clock < 5; clock++) {
      for (const [from, dc] of [["a/s0", "a"], ["b/s0", "b"]] as const) {
        const values = [0.013 * (clock + 1), -1.7, 0.0001 * clock];
        [0, 1, 3].forEach((o, k) => (sent[o]! += Math.fround(values[k]!)));
        take(hub.step({ kind: "message", from, msg: update(0, clock, dc, [0, 1, 3], values.map(Math.fround)) }, clock));
      }
    }
    for (const [from, dc] of [["a/s0", "a"], ["b/s0", "b"], ["a/s1", "a"], ["b/s1", "b"]] as const) take(hub.step({ kind: "message", from, msg: flush(Number(from.at(-1)), dc) }, 9));
    for (let i = 0; i < 8; i++) assert.ok(Math.abs(received[i]! - sent[i]!) < 1e-5, `element ${i}: ${received[i]} received of ${sent[i]}`);
    assert.equal(hub.remoteErrors.length, 0);
  });
});
