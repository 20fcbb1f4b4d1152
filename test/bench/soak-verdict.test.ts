// The soak's verdicts (bench/lib/soak-verdict.ts): the trace check counts a push applied twice
// without a restart as doubled and a skipped clock as lost, accepts a shard's resend after its
// restore, and the bars fail a run below 90% of the undisturbed throughput, 1% off its objective,
// or with a failed checker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkUpdates, judgeSoak, type SoakTraceEvent } from "../../bench/lib/soak-verdict.js";

const push = (shard: string, worker: string, clock: number): SoakTraceEvent => ({ type: "push-applied", shard, worker, clock });
const clean: SoakTraceEvent[] = [0, 1, 2, 3].flatMap((c) => [push("v/s0", "v/w0", c), push("c/s0", "c/w0", c)]);

test("soak updates: every clock once holds; a resend after the shard's restore holds", () => {
  assert.equal(checkUpdates(clean).verdict, null);
  const restored: SoakTraceEvent[] = [push("v/s0", "v/w0", 0), push("v/s0", "v/w0", 1), push("v/s0", "v/w0", 2), { type: "restart", node: "v/s0" }, push("v/s0", "v/w0", 1), push("v/s0", "v/w0", 2), push("v/s0", "v/w0", 3)];
  const r = checkUpdates(restored);
  assert.equal(r.verdict, null);
  assert.equal(r.resent, 2);
});

test("soak updates: a doubled push fails, a lost one fails", () => {
  const doubled = [...clean.slice(0, 4), push("v/s0", "v/w0", 1), ...clean.slice(4)];
  const d = checkUpdates(doubled);
  assert.equal(d.doubled, 1);
  assert.match(d.verdict ?? "", /again .* without a restart/);
  const lost = clean.filter((e) => !("shard" in e && e.shard === "c/s0" && e.clock === 2));
  const l = checkUpdates(lost);
  assert.equal(l.lost, 1);
  assert.match(l.verdict ?? "", /clocks 2\.\.2 lost/);
  // A restart of another shard does not excuse a doubled push.
  const other = [push("v/s0", "v/w0", 0), push("v/s0", "v/w0", 1), { type: "restart", node: "c/s0" }, push("v/s0", "v/w0", 1)];
  assert.equal(checkUpdates(other).doubled, 1);
});

test("soak bars: 90% of the throughput, the objective within 1%, every checker held", () => {
  const ref = { iterations: 1000, trainingTimeS: 100, finalObjective: 0.2 };
  assert.equal(judgeSoak({ iterations: 950, trainingTimeS: 100, finalObjective: 0.201 }, ref, { "replicas-agree": null }).passed, true);
  const slow = judgeSoak({ iterations: 890, trainingTimeS: 100, finalObjective: 0.2 }, ref, {});
  assert.equal(slow.passed, false);
  assert.match(slow.failures[0]!, /throughput 89\.0%/);
  assert.equal(judgeSoak({ iterations: 1000, trainingTimeS: 100, finalObjective: 0.2021 }, ref, {}).passed, false);
  const checker = judgeSoak({ iterations: 1000, trainingTimeS: 100, finalObjective: 0.2 }, ref, { "updates-once": "1 update(s) lost" });
  assert.deepEqual(checker.failures, ["updates-once: 1 update(s) lost"]);
});
