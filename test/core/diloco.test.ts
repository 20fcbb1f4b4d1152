// DiLoCo's rules in the core, without a simulator: the outer step is the documented arithmetic
// (sgd: global += lr * mean of the deltas), its reduce-scatter splits a shard among its data
// centers' leaders, nothing arrives out of order unnoticed (a remote error, the shard keeps
// serving), reads past a round boundary wait for the outer step, and the codec refuses malformed
// outer traffic.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeMessage, decodeUpdate, encodeMessage, encodeUpdate, encodedSize, Layout, OuterSync, RemoteError, ShardRole, stateHash, type DilocoConfig, type Effect, type Message, type OuterSend, type ShardSync } from "@gaia/core";

const config: DilocoConfig = { localClocks: 2, outerOptimizer: "sgd", outerLearningRate: 0.5, momentum: 0, reduce: "mean", encoding: "f32", keptFraction: 1 };
const refusedWith = (code: string) => (e: unknown) => e instanceof RemoteError && e.code === code;
/** Deltas and updates are update-encoding bodies of the shard's range (4 elements here). */
const decodeBody = (body: Uint8Array) => decodeUpdate(body, 4);

describe("OuterSync: one round between two data centers", () => {
  test("each leader steps its own segment; both end with global + lr * mean, bit for bit", () => {
    const initial = Float32Array.of(1, 1, 1, 1);
    const a = new OuterSync(config, "a", ["a", "b"], 1, initial);
    const b = new OuterSync(config, "b", ["a", "b"], 1, initial);
    const ra = Float32Array.of(1.5, 2, 1, 0); // deltas 0.5, 1, 0, -1
    const rb = Float32Array.of(0.5, 1, 3, 1); // deltas -0.5, 0, 2, 0
    a.advance(0, 2, false);
    b.advance(0, 2, false);
    const sa = a.progress(ra).sends;
    const sb = b.progress(rb).sends;
    const decode = (s: OuterSend) => decodeBody(s.body);
    // a leads elements [0, 2), b leads [2, 4): a's delta to b names only elements 2 and 3.
    const toB = sa.find((s) => s.kind === "delta" && s.to === "b")!;
    assert.deepEqual(Array.from(decode(toB).indices), [3]);
    b.receiveDelta("a", 1, false, decode(toB));
    a.receiveDelta("b", 1, false, decode(sb.find((s) => s.kind === "delta" && s.to === "a")!));
    const ua = a.progress(ra).sends.find((s) => s.kind === "update")!;
    const ub = b.progress(rb).sends.find((s) => s.kind === "update")!;
    assert.equal(ua.kind === "update" && ua.participants.join(), "a,b");
    b.receiveUpdate("a", 1, ["a", "b"], decode(ua));
    a.receiveUpdate("b", 1, ["a", "b"], decode(ub));
    const doneA = a.progress(ra).applied;
    const doneB = b.progress(rb).applied;
    assert.equal(doneA.length, 1);
    assert.deepEqual(Array.from(a.global), [1, 1.25, 1.5, 0.75]);
    assert.deepEqual(Array.from(ra), Array.from(a.global), "the replica is the new global state");
    assert.equal(doneA[0]!.hash, doneB[0]!.hash);
    assert.equal(doneA[0]!.hash, stateHash(b.global));
    assert.ok(a.admits(3) && !a.admits(4));
  });

  test("out-of-order outer traffic is a remote error", () => {
    const a = new OuterSync(config, "a", ["a", "b", "c"], 1, new Float32Array(6));
    const empty = { indices: new Uint32Array(0), deltas: new Float32Array(0) };
    assert.throws(() => a.receiveDelta("z", 1, false, empty), refusedWith("unknown-peer"));
    assert.throws(() => a.receiveDelta("a", 1, false, empty), refusedWith("unknown-peer"));
    assert.throws(() => a.receiveDelta("b", 5, false, empty), refusedWith("clock-from-future"));
    assert.throws(() => a.receiveDelta("b", 1, false, { indices: Uint32Array.of(4), deltas: Float32Array.of(1) }), refusedWith("out-of-range"));
    a.receiveDelta("b", 1, true, empty);
    assert.throws(() => a.receiveDelta("b", 1, false, empty), refusedWith("duplicate"));
    assert.throws(() => a.receiveDelta("b", 2, false, empty), refusedWith("clock-from-future"), "after its last round");
    assert.throws(() => a.receiveUpdate("b", 1, ["c", "a"], empty), refusedWith("bad-field"));
  });
});

describe("ShardRole under DiLoCo", () => {
  const layout = new Layout({ rows: 4, cols: 1, dataCenters: ["a", "b"], workersPerDataCenter: 1, shardsPerDataCenter: 1, placement: "mirrored" });
  const sync: ShardSync = { staleness: 0, asp: null, diloco: config };
  const sends = (effects: Effect[]) => effects.filter((e): e is Extract<Effect, { kind: "send" }> => e.kind === "send");

  test("a read past the boundary waits for the outer step; the deltas go to the other segment's leader", () => {
    const shard = new ShardRole("a/s0", layout, sync, new Float32Array(4));
    shard.step({ kind: "message", from: "a/w0", msg: { kind: "push", clock: 0, rows: Uint32Array.of(0, 3), deltas: Float32Array.of(1, 1), last: false } }, 0);
    const out = shard.step({ kind: "message", from: "a/w0", msg: { kind: "push", clock: 1, rows: Uint32Array.of(0, 3), deltas: Float32Array.of(1, 1), last: false } }, 1);
    const delta = sends(out).find((e) => e.msg.kind === "outer-delta")!;
    assert.equal(delta.to, "b/s0");
    const read = shard.step({ kind: "message", from: "a/w0", msg: { kind: "read", clock: 2, rows: null } }, 2);
    assert.equal(sends(read).length, 0, "the read of clock 2 waits");
    // b's delta (nothing) for a's segment, and b's update of its segment: the round completes.
    shard.step({ kind: "message", from: "b/s0", msg: { kind: "outer-delta", shard: 0, round: 1, source: "b", last: false, body: encodeUpdate(new Uint32Array(0), [], 1, "f32").body } }, 3);
    const served = shard.step({ kind: "message", from: "b/s0", msg: { kind: "outer-update", shard: 0, round: 1, source: "b", participants: ["a", "b"], body: encodeUpdate(Uint32Array.of(3), [0.5], 1, "f32").body } }, 4);
    const reply = sends(served).find((e) => e.msg.kind === "read-reply");
    assert.ok(reply && reply.msg.kind === "read-reply");
    // a led [0, 2): 0.5 * mean(2, 0) = 0.5 on element 0; b's update put 0.5 on element 3.
    assert.deepEqual(Array.from(reply.msg.values), [0.5, 0, 0, 0.5]);
    assert.equal(shard.remoteErrors.length, 0);
    shard.invariants();
  });

  test("outer traffic from a node that is not a mirror is refused, and the shard keeps serving", () => {
    const shard = new ShardRole("a/s0", layout, sync, new Float32Array(4));
    const effects = shard.step({ kind: "message", from: "a/w0", msg: { kind: "outer-delta", shard: 0, round: 1, source: "a", last: false, body: encodeUpdate(new Uint32Array(0), [], 1, "f32").body } }, 0);
    assert.equal(shard.remoteErrors[0]?.code, "unknown-peer");
    assert.ok(effects.some((e) => e.kind === "trace" && e.event.type === "remote-error"));
    const spoofed = shard.step({ kind: "message", from: "b/s0", msg: { kind: "outer-update", shard: 0, round: 1, source: "c", participants: ["a"], body: encodeUpdate(new Uint32Array(0), [], 1, "f32").body } }, 1);
    assert.equal(shard.remoteErrors[1]?.code, "bad-field");
    assert.ok(spoofed.length > 0);
  });
});

describe("ShardRole under streaming DiLoCo (fragments: 2)", () => {
  const layout = new Layout({ rows: 4, cols: 1, dataCenters: ["a", "b"], workersPerDataCenter: 1, shardsPerDataCenter: 1, placement: "mirrored" });
  const sync: ShardSync = { staleness: 0, asp: null, diloco: { ...config, localClocks: 2, fragments: 2 } };
  const sends = (effects: Effect[]) => effects.filter((e): e is Extract<Effect, { kind: "send" }> => e.kind === "send");
  const push = (clock: number) => ({ kind: "message", from: "a/w0", msg: { kind: "push", clock, rows: Uint32Array.of(0, 3), deltas: Float32Array.of(1, 1), last: false } }) as const;

  test("fragment 0 (rows 0-1) syncs at clock 2, fragment 1 (rows 2-3) at clock 3; a read of clock 2 is served while fragment 0 is in flight", () => {
    const shard = new ShardRole("a/s0", layout, sync, new Float32Array(4));
    shard.step(push(0), 0);
    const atTwo = sends(shard.step(push(1), 1)).filter((e) => e.msg.kind === "outer-delta");
    assert.deepEqual(atTwo.map((e) => (e.msg as { fragment?: number }).fragment), [0], "only fragment 0's delta at clock 2");
    const read = shard.step({ kind: "message", from: "a/w0", msg: { kind: "read", clock: 2, rows: null } }, 2);
    assert.ok(sends(read).some((e) => e.msg.kind === "read-reply"), "overlap: clock 2 is served before fragment 0's round is merged");
    const atThree = sends(shard.step(push(2), 3)).filter((e) => e.msg.kind === "outer-delta");
    assert.deepEqual(atThree.map((e) => (e.msg as { fragment?: number }).fragment), [1], "fragment 1's delta at clock 3");
    assert.equal(shard.remoteErrors.length, 0);
  });

  test("a checkpoint (snapshot, restore into a new shard) resumes every fragment where it was", () => {
    const shard = new ShardRole("a/s0", layout, sync, new Float32Array(4));
    for (let clock = 0; clock < 3; clock++) shard.step(push(clock), clock); // both fragments' round 1 in flight
    const copy = new ShardRole("a/s0", layout, sync, new Float32Array(4));
    copy.restore(shard.snapshot());
    // b's deltas and updates of round 1 for both fragments, then the next clocks: both shards do the same.
    const empty = encodeUpdate(new Uint32Array(0), [], 1, "f32").body;
    const half = encodeUpdate(Uint32Array.of(1), [0.5], 1, "f32").body;
    const inputs = [0, 1].flatMap((fragment) => [
      { kind: "message", from: "b/s0", msg: { kind: "outer-delta", shard: 0, round: 1, source: "b", last: false, body: empty, fragment } },
      { kind: "message", from: "b/s0", msg: { kind: "outer-update", shard: 0, round: 1, source: "b", participants: ["a", "b"], body: half, fragment } },
    ] as const);
    [...inputs, push(3), push(4)].forEach((input, i) => assert.deepEqual(copy.step(input, 3 + i), shard.step(input, 3 + i)));
    assert.deepEqual(Array.from(copy.values()), Array.from(shard.values()));
    assert.deepEqual(Array.from(copy.modelValues()), Array.from(shard.modelValues()));
    assert.equal(copy.remoteErrors.length + shard.remoteErrors.length, 0);
  });

  test("outer traffic for a fragment the shard does not have is a remote error", () => {
    const shard = new ShardRole("a/s0", layout, sync, new Float32Array(4));
    shard.step({ kind: "message", from: "b/s0", msg: { kind: "outer-delta", shard: 0, round: 1, source: "b", last: false, body: encodeUpdate(new Uint32Array(0), [], 1, "f32").body, fragment: 2 } }, 0);
    assert.equal(shard.remoteErrors[0]?.code, "out-of-range");
  });
});

describe("codec: outer traffic", () => {
  const body = encodeUpdate(Uint32Array.of(1), [0.25], 1, "int8").body;
  const good: Message[] = [
    { kind: "outer-delta", shard: 0, round: 3, source: "a", last: true, body },
    { kind: "outer-update", shard: 1, round: 1, source: "b", participants: ["a", "b"], body },
    { kind: "outer-delta", shard: 0, round: 2, source: "a", last: false, body, fragment: 3 },
  ];
  test("round-trips, and encodedSize is the encoded length", () => {
    for (const msg of good) {
      assert.deepEqual(decodeMessage(encodeMessage(msg)), msg);
      assert.equal(encodedSize(msg), encodeMessage(msg).byteLength);
    }
  });
  for (const [name, bad] of [
    ["round 0", { ...good[0]!, round: 0 }],
    ["a fractional round", { ...good[0]!, round: 1.5 }],
    ["a last that is not a boolean", { ...good[0]!, last: 1 }],
    ["an empty source", { ...good[0]!, source: "" }],
    ["no participants", { ...good[1]!, participants: [] }],
    ["a body that is not bytes", { ...good[1]!, body: [1, 2] }],
    ["a negative fragment", { ...good[2]!, fragment: -1 }],
    ["a fragment that is not a number", { ...good[1]!, fragment: "1" }],
  ] as const) {
    test(`refuses ${name}`, () => {
      assert.throws(() => decodeMessage(encodeMessage(bad as unknown as Message)), refusedWith("bad-field"));
    });
  }
});
