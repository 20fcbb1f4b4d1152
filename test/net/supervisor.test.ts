// The supervisor's decisions (supervisor.ts), apart from any process: a death is restarted with a
// doubling backoff up to `maxRestarts` times and then fails the run; --no-restart, a node never up,
// and a shard without checkpoints fail at once, saying why; a silent node is reported frozen once,
// by name, and again when it speaks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultSupervision, Supervisor } from "@gaia/net";
import { summaryRows, type RunSummary } from "@gaia/sim";

const policy = { ...defaultSupervision, maxRestarts: 3, backoffMs: 500, backoffMaxMs: 1500, heartbeatS: 2 };

test("supervisor: restarts with a doubling, capped backoff, at most maxRestarts times a node", () => {
  const s = new Supervisor(policy, () => null);
  const delays = [1, 2, 3].map((i) => s.died("a/w0", "SIGKILL", true, i));
  assert.deepEqual(delays.map((d) => ("restartInMs" in d ? d.restartInMs : d.fail)), [500, 1000, 1500]);
  assert.equal("restartInMs" in s.died("a/s0", "SIGKILL", true, 4) && 1, 1, "another node has its own count");
  const last = s.died("a/w0", "SIGKILL", true, 5);
  assert.ok("fail" in last && /a\/w0 exited unexpectedly \(SIGKILL\) after 3 restarts \(at most 3\); giving up/.test(last.fail));
  assert.deepEqual(s.summary().restarts, 4);
  assert.deepEqual(s.summary().events.map((e) => e.kind), ["restart", "restart", "restart", "restart", "gave-up"]);
});

test("supervisor: --no-restart, a node never up, and a node that cannot restore fail at once, saying why", () => {
  const off = new Supervisor({ ...policy, restart: false }, () => null);
  const a = off.died("a/w0", "SIGKILL", true, 1);
  assert.ok("fail" in a && a.fail === "node a/w0 exited unexpectedly (SIGKILL); not restarted (--no-restart)");
  const s = new Supervisor(policy, (id) => (id === "a/s0" ? "a/s0 keeps no checkpoints" : null));
  const b = s.died("a/w0", "code 1", false, 1);
  assert.ok("fail" in b && /before it was up/.test(b.fail));
  const c = s.died("a/s0", "SIGKILL", true, 1);
  assert.ok("fail" in c && /cannot restart it: a\/s0 keeps no checkpoints/.test(c.fail));
  assert.equal(s.summary().restarts, 0);
});

test("supervisor: a node silent for heartbeatS is reported frozen once, by name, and again when it speaks", () => {
  const s = new Supervisor(policy, () => null);
  s.heard("a/w0", 0, 0);
  s.heard("a/s0", 0, 0);
  assert.deepEqual(s.check(1500, 1.5), []);
  s.heard("a/s0", 1500, 1.5);
  const frozen = s.check(2500, 2.5);
  assert.equal(frozen.length, 1);
  assert.match(frozen[0]!, /^a\/w0 is not responding: no heartbeat for 2\.5 s/);
  s.forget("a/s0");
  assert.deepEqual(s.check(4000, 4), [], "reported once");
  assert.deepEqual(s.frozen, ["a/w0"]);
  assert.match(s.heard("a/w0", 5000, 5) ?? "", /^a\/w0 responds again after 5\.0 s/);
  s.heard("a/w0", 59_000, 59);
  assert.deepEqual(s.check(60_000, 60), [], "a node that exited as asked is not watched");
  assert.deepEqual([s.summary().frozen, s.summary().events.map((e) => e.kind)], [1, ["frozen", "resumed"]]);
});

test("supervisor: the printed summary names the restarted and the frozen nodes", () => {
  const s = new Supervisor(policy, () => null);
  s.died("a/w0", "SIGKILL", true, 1);
  s.died("a/w0", "SIGKILL", true, 2);
  s.died("b/hub", "SIGKILL", true, 3);
  s.heard("b/s0", 0, 0);
  s.check(5000, 5);
  const blockedS = { ssp: 0, mirrorClock: 0, barrier: 0 };
  const summary: RunSummary = {
    name: "supervised", seed: 1, sync: "asp", workload: "mf", topology: "a,b", trainingTimeS: 1, clock: "wall", iterations: 10, objective: 0.5, objectiveName: "rmse",
    targetObjective: null, reachedTarget: false, timeToTargetS: null, wanBytes: 0, costUsd: 0, blockedS, traceHash: "", wanBytesByLink: {}, events: 0, stoppedBy: "max-iterations", checks: {}, wallTimeS: 1,
    supervision: s.summary(),
  };
  const rows = new Map(summaryRows(summary));
  assert.equal(rows.get("restarts (unexpected deaths)"), "3 (a/w0 x2, b/hub)");
  assert.equal(rows.get("frozen nodes (no heartbeat)"), "1 (b/s0)");
  assert.ok(![...rows.keys()].some((k) => k.startsWith("supervision")), "not shown again as raw fields");
});
