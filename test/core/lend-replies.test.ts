// Shards that lend their replica (RoleOptions.lendReplies, the runtime's setting): a whole-range read
// reply carries a view of the replica, so it holds the values at the moment it was served only until
// the shard's next step; the runtime encodes it before then, and a reply it holds longer (output
// commit, node.ts) gets its own copy. Without lending (the simulator) a reply is a copy. And a
// worker without the SSP cache reads each clock's replies into the memory of the last clock's
// values (a program's values are its own only during its step): every clock's values are exactly
// that clock's replies, in shard order.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRole, Layout, type Effect, type Message, type ShardRole, type WorkerProgram } from "@gaia/core";
import { ownValues } from "@gaia/net";

const layout = new Layout({ dataCenters: ["lan"], workersPerDataCenter: 1, shardsPerDataCenter: 1, rows: 2, cols: 2, placement: "mirrored" });
const worker = "lan/w0";
const shard = "lan/s0";

function replyOf(effects: readonly Effect[]): Extract<Message, { kind: "read-reply" }> {
  const send = effects.find((e) => e.kind === "send" && e.msg.kind === "read-reply");
  assert.ok(send && send.kind === "send" && send.msg.kind === "read-reply", "no read reply");
  return send.msg;
}

/** Pushes clock 0, reads clock 1 (served at once), then pushes clock 1; returns the reply. */
function serveThenPush(lendReplies: boolean): { reply: Extract<Message, { kind: "read-reply" }>; held: Message; role: ShardRole } {
  const role = createRole(layout, shard, { sync: { staleness: 0, asp: null }, initial: new Float32Array(4), maxClock: 5, programs: new Map(), lendReplies }) as ShardRole;
  const rows = Uint32Array.of(0, 1);
  role.step({ kind: "message", from: worker, msg: { kind: "push", clock: 0, rows, deltas: Float32Array.of(1, 2, 3, 4), last: false } }, 0);
  const reply = replyOf(role.step({ kind: "message", from: worker, msg: { kind: "read", clock: 1, rows: null } }, 1));
  const held = ownValues(reply);
  role.step({ kind: "message", from: worker, msg: { kind: "push", clock: 1, rows, deltas: Float32Array.of(10, 10, 10, 10), last: false } }, 2);
  return { reply, held, role };
}

test("lent replies: a whole-range reply is a view of the replica; a held one is a copy of the values as served", () => {
  const { reply, held, role } = serveThenPush(true);
  assert.equal(reply.values.buffer, role.values().buffer, "a lent reply should share the replica's memory");
  assert.deepEqual([...reply.values], [11, 12, 13, 14], "a lent view moves with the replica after the next step");
  assert.ok(held.kind === "read-reply");
  assert.deepEqual([...held.values], [1, 2, 3, 4], "the held copy keeps the values as served");
});

test("without lending (the simulator) a reply is a copy that keeps the values as served", () => {
  const { reply, role } = serveThenPush(false);
  assert.notEqual(reply.values.buffer, role.values().buffer);
  assert.deepEqual([...reply.values], [1, 2, 3, 4]);
});

test("worker: each clock's values are its replies, read into the memory of the clock before", () => {
  const wide = new Layout({ dataCenters: ["lan"], workersPerDataCenter: 1, shardsPerDataCenter: 2, rows: 4, cols: 2, placement: "mirrored" });
  const seen: { values: Float32Array; copy: number[] }[] = [];
  const program: WorkerProgram = {
    rowsFor: () => null,
    step: (_clock, rows, values) => {
      seen.push({ values, copy: [...values] });
      return { rows, deltas: new Float32Array(values.length), samples: 1 };
    },
  };
  const role = createRole(wide, worker, { sync: { staleness: 0, asp: null }, initial: new Float32Array(8), maxClock: 3, programs: new Map([[worker, program]]) });
  let effects = role.step({ kind: "start" }, 0);
  for (let clock = 0; clock < 3; clock++) {
    // The second shard answers first: its rows still land after the first shard's.
    for (const [shard, first] of [["lan/s1", 2], ["lan/s0", 0]] as const) {
      const values = Float32Array.from({ length: 4 }, (_, k) => clock * 100 + first * 2 + k);
      effects = role.step({ kind: "message", from: shard, msg: { kind: "read-reply", clock, localClock: clock, rows: Uint32Array.of(first, first + 1), values } }, 1);
    }
    const compute = effects.find((e) => e.kind === "compute");
    assert.ok(compute && compute.kind === "compute", `no compute at clock ${clock}`);
    const result = program.step(clock, compute.rows, compute.values);
    role.step({ kind: "computed", clock, rows: result.rows, deltas: result.deltas, samples: 1 }, 2);
  }
  assert.deepEqual(seen.map((s) => s.copy), [0, 1, 2].map((clock) => Array.from({ length: 8 }, (_, k) => clock * 100 + k)));
  assert.equal(seen[1]!.values, seen[0]!.values, "the second clock should reuse the first clock's memory");
  assert.equal(seen[2]!.values, seen[0]!.values);
});
