// Proves that snapshotHash, the restore check's fingerprint, is the same for equal snapshot data
// however it is laid out in memory (a checkpoint read back puts typed arrays at odd offsets of one
// buffer), and differs when any value, key, order or type differs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deserialize, serialize } from "node:v8";
import { snapshotHash } from "@gaia/core";

const sample = () => ({
  replica: Float32Array.from([1, -2.5, 0, 3]),
  flags: Uint8Array.from([1, 0, 2]),
  clocks: new Map([["a/w0", 3], ["b/w0", 4]]),
  done: new Set(["a/w0"]),
  pending: [{ worker: "a/w0", clock: 2 }],
  filter: null as null | object,
  flushed: false,
  label: "x",
});

test("snapshotHash: equal data hashes equal, through v8 serialize and at unaligned offsets", () => {
  const a = sample();
  assert.equal(snapshotHash(a), snapshotHash(structuredClone(a)));
  assert.equal(snapshotHash(a), snapshotHash(deserialize(serialize(a))));
  const buffer = new ArrayBuffer(64);
  const odd = new Uint8Array(buffer, 3, 3);
  odd.set([1, 0, 2]);
  assert.equal(snapshotHash({ ...a, flags: odd }), snapshotHash(a), "an unaligned view hashes as an aligned copy");
  assert.equal(snapshotHash({ label: "x", flushed: false }), snapshotHash({ flushed: false, label: "x" }), "object keys in any order");
});

test("snapshotHash: a changed value, a lost key, another order or another type hashes differently", () => {
  const base = snapshotHash(sample());
  const variants: [string, (s: ReturnType<typeof sample>) => unknown][] = [
    ["a replica value", (s) => ({ ...s, replica: Float32Array.from([1, -2.5, 0, 3.0001]) })],
    ["-0 for 0", (s) => ({ ...s, replica: Float32Array.from([1, -2.5, -0, 3]) })],
    ["a lost key", (s) => { const { label: _label, ...rest } = s; return rest; }],
    ["a map's order", (s) => ({ ...s, clocks: new Map([["b/w0", 4], ["a/w0", 3]]) })],
    ["a set member", (s) => ({ ...s, done: new Set(["b/w0"]) })],
    ["another array type", (s) => ({ ...s, flags: Int8Array.from([1, 0, 2]) })],
    ["a number for a string", (s) => ({ ...s, label: 0 })],
    ["null for false", (s) => ({ ...s, flushed: null })],
    ["a pending read's clock", (s) => ({ ...s, pending: [{ worker: "a/w0", clock: 3 }] })],
  ];
  for (const [what, change] of variants) assert.notEqual(snapshotHash(change(sample())), base, what);
});
