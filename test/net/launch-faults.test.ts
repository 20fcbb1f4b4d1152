// Proves that the runtime composes overlapping faults as the simulator does, with no processes:
// a link stays cut while any fault cuts it, bandwidth and slow factors multiply and undo, a crash
// and its restart happen once each, and a node started during faults is told which are in force.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FaultState } from "@gaia/net";

const nodes = ["virginia/w0", "virginia/s0", "tokyo/w0", "tokyo/s0"];
const at = { atMs: 0 };

describe("launch faults: the composed fault state", () => {
  test("two overlapping cuts of one link: one cut command, healed only when both have ended", () => {
    const state = new FaultState(nodes, ["virginia/w0", "tokyo/w0"]);
    const cut = { ...at, kind: "cut", source: "virginia", target: "tokyo" } as const;
    const first = state.apply({ ...cut, cut: true });
    assert.deepEqual(first.commands, [{ node: "virginia/w0", line: "wan-cut tokyo 1" }, { node: "virginia/s0", line: "wan-cut tokyo 1" }]);
    assert.equal(first.log, "cut virginia->tokyo");
    assert.deepEqual(state.apply({ ...cut, cut: true }), { commands: [], crash: null, restart: null, log: null });
    assert.deepEqual(state.stateOf("virginia/s0").cutDataCenters, ["tokyo"]);
    assert.deepEqual(state.apply({ ...cut, cut: false }).commands, []);
    assert.deepEqual(state.apply({ ...cut, cut: false }).commands.map((c) => c.line), ["wan-cut tokyo 0", "wan-cut tokyo 0"]);
    assert.deepEqual(state.stateOf("virginia/s0").cutDataCenters, []);
  });

  test("bandwidth and slow factors multiply and undo", () => {
    const state = new FaultState(nodes, ["virginia/w0", "tokyo/w0"]);
    const bandwidth = { ...at, kind: "bandwidth", source: "tokyo", target: "virginia" } as const;
    state.apply({ ...bandwidth, factor: 0.5, undo: false });
    assert.equal(state.apply({ ...bandwidth, factor: 0.25, undo: false }).commands[0]!.line, "wan-bandwidth virginia 0.125");
    assert.deepEqual(state.stateOf("tokyo/w0").bandwidthFactors, { virginia: 0.125 });
    assert.deepEqual(state.stateOf("virginia/w0").bandwidthFactors, {});
    state.apply({ ...bandwidth, factor: 0.5, undo: true });
    assert.deepEqual(state.stateOf("tokyo/w0").bandwidthFactors, { virginia: 0.25 });
    const slow = { ...at, kind: "slow", node: "tokyo/w0" } as const;
    assert.equal(state.apply({ ...slow, factor: 3, undo: false }).commands[0]!.line, "slow 3");
    assert.equal(state.stateOf("tokyo/w0").slowFactor, 3);
    state.apply({ ...slow, factor: 3, undo: true });
    assert.equal(state.stateOf("tokyo/w0").slowFactor, 1);
  });

  test("a crash and its restart act once each; a restarted worker rejoins from its shards, a shard from its checkpoint", () => {
    const state = new FaultState(nodes, ["virginia/w0", "tokyo/w0"]);
    assert.equal(state.apply({ ...at, kind: "crash", node: "tokyo/s0" }).crash, "tokyo/s0");
    assert.equal(state.apply({ ...at, kind: "crash", node: "tokyo/s0" }).crash, null, "a node already down is not killed again");
    assert.equal(state.apply({ ...at, kind: "restart", node: "tokyo/s0" }).log, "restarted tokyo/s0 from its checkpoint");
    assert.equal(state.apply({ ...at, kind: "restart", node: "tokyo/s0" }).restart, null, "a node that is up is not restarted");
    state.apply({ ...at, kind: "crash", node: "virginia/w0" });
    assert.equal(state.apply({ ...at, kind: "restart", node: "virginia/w0" }).log, "restarted virginia/w0 (rejoins from its shards)");
  });

  test("overlapping lossy faults combine as independent events, and end with the last", () => {
    const state = new FaultState(nodes, ["virginia/w0", "tokyo/w0"]);
    const lossy = { ...at, kind: "lossy", source: "virginia", target: "tokyo" } as const;
    // The timeline turns a fault off with the spec object that turned it on.
    const first = { loss: 0.5, duplicate: 0, reorder: 0 };
    const second = { loss: 0.5, duplicate: 0.5, reorder: 0 };
    state.apply({ ...lossy, spec: first, on: true });
    state.apply({ ...lossy, spec: second, on: true });
    assert.equal(state.stateOf("virginia/w0").lossy?.["tokyo"]?.loss, 0.75);
    state.apply({ ...lossy, spec: first, on: false });
    assert.deepEqual(state.stateOf("virginia/w0").lossy?.["tokyo"], second);
    const off = state.apply({ ...lossy, spec: second, on: false });
    assert.equal(off.log, "virginia->tokyo no longer lossy");
    assert.deepEqual(state.stateOf("virginia/w0").lossy, {});
  });
});
