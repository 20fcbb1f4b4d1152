// One seed decides a run: streams are reproducible, and named children are independent of each
// other and of how many siblings exist.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "@gaia/core";

const take = (r: Rng, n: number) => Array.from({ length: n }, () => r.nextUint32());

test("same seed and name, same numbers", () => {
  assert.deepEqual(take(new Rng(42).child("link:virginia->tokyo"), 8), take(new Rng(42).child("link:virginia->tokyo"), 8));
});

test("a child stream does not depend on other children being drawn", () => {
  const a = new Rng(7);
  const first = take(a.child("node:b"), 5);
  const b = new Rng(7);
  take(b.child("node:a"), 100);
  assert.deepEqual(take(b.child("node:b"), 5), first);
});

test("different names and seeds give different streams", () => {
  assert.notDeepEqual(take(new Rng(1).child("x"), 4), take(new Rng(1).child("y"), 4));
  assert.notDeepEqual(take(new Rng(1).child("x"), 4), take(new Rng(2).child("x"), 4));
});

test("floats are uniform enough, ints in range, normals centred", () => {
  const r = new Rng(3);
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < 20000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
    const k = r.int(7);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
    const z = r.normal();
    sum += z;
    sq += z * z;
  }
  assert.ok(Math.abs(sum / 20000) < 0.05);
  assert.ok(Math.abs(sq / 20000 - 1) < 0.05);
});
