// The vopr (test/vopr/vopr.ts), small: proves that one seed decides a schedule and its verdict,
// that a few hundred schedules over every sync model keep every checker, and that the command
// line runs its jobs, prints its last line and replays one schedule with the same verdict.
// `npm run vopr` in CI runs the ten thousand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { seed } from "../support/fc.js";
import { drawSchedule, modelOf, runSchedule, scheduleModels, scheduleSummary } from "../support/fault-schedule.js";
import { runBatch, scheduleSeed } from "./vopr.js";

const schedules = Number.parseInt(process.env["GAIA_VOPR_SCHEDULES"] ?? "", 10) || 400;

test("vopr: the same seed gives the same schedule and the same verdict", async () => {
  for (let i = 0; i < 20; i++) {
    const s = scheduleSeed(seed, i);
    assert.deepEqual(drawSchedule(s), drawSchedule(s));
    const [a, b] = [await runSchedule(drawSchedule(s)), await runSchedule(drawSchedule(s))];
    assert.deepEqual(a, b, `schedule ${s}: ${scheduleSummary(drawSchedule(s))}`);
  }
  assert.equal(scheduleSeed(7, 0), scheduleSeed(7, 0));
  assert.equal(new Set(Array.from({ length: 1000 }, (_, i) => scheduleSeed(7, i))).size, 1000, "distinct seeds per schedule");
});

test(`vopr: ${schedules} schedules over every sync model keep every checker [seed ${seed}]`, async () => {
  const r = await runBatch(seed, schedules);
  assert.equal(r.done, schedules);
  assert.deepEqual(Object.keys(r.byModel).sort(), [...scheduleModels].sort(), "every sync model drawn");
  assert.deepEqual(r.failures, [], r.failures.map((f) => `schedule ${f.seed}: ${f.verdict}\n  ${f.summary}\n  npm run vopr -- --replay ${f.seed}`).join("\n"));
});

test("vopr: the command line runs its jobs, and --replay reruns one schedule with its verdict", () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", "test/vopr/vopr.ts", ...args], { encoding: "utf8" });
  const run = cli("--schedules", "40", "--seed", String(seed), "--jobs", "2");
  assert.equal(run.status, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /^vopr: 40 of 40 schedules, 0 failure\(s\), seed \d+, [\d.]+ s wall, \d+ schedules\/s on 2 job\(s\)/m);
  const one = scheduleSeed(seed, 3);
  const replay = cli("--replay", String(one), "--commit", "0000000000000000000000000000000000000000");
  assert.equal(replay.status, 0, replay.stderr + replay.stdout);
  assert.match(replay.stderr, /warning: replaying at \S+, not at 0{40}/);
  assert.ok(replay.stdout.includes(`schedule ${one}: ${scheduleSummary(drawSchedule(one))}`), replay.stdout);
  assert.match(replay.stdout, /verdict: ok \(trace hash [0-9a-f]+\)/);
  assert.equal(modelOf(drawSchedule(one)).length > 0, true);
  assert.equal(cli("--schedules", "x").status, 2);
});
