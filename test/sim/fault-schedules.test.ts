// Random fault schedules with shrinking: fast-check draws schedules from the vopr's generator
// (test/support/fault-schedule.ts: tiny jobs under every sync model, 1-6 faults), runs each and
// holds it to the vopr's verdict (every checker, the last clock, the drain). A failure is shrunk
// and printed as a scenario file for `gaia simulate`. This runs a few hundred per test run
// (GAIA_FAULT_SCHEDULES to change it); `npm run vopr` runs them by the ten thousand in CI.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { seed } from "../support/fc.js";
import { runSchedule, scheduleArb } from "../support/fault-schedule.js";
import { scenarioYaml } from "./scenario-file.js";

const schedules = Number.parseInt(process.env["GAIA_FAULT_SCHEDULES"] ?? "", 10) || 300;

test(`${schedules} random fault schedules: every run finishes, drains and keeps every checker [seed ${seed}]`, async (t) => {
  let faults = 0;
  const details = await fc.check(
    fc.asyncProperty(scheduleArb, async (s) => {
      faults += s.faults.length;
      const { verdict } = await runSchedule(s);
      assert.equal(verdict, null);
    }),
    { seed, numRuns: schedules, includeErrorInReport: true },
  );
  t.diagnostic(`fault schedules: ${details.numRuns} of ${schedules} run (${faults} scripted faults drawn), ${details.failed ? 1 : 0} violations (GAIA_SEED=${seed})`);
  if (details.failed) {
    const s = details.counterexample![0];
    console.error(`\nfault schedule failed (GAIA_SEED=${seed}): ${String(details.errorInstance)}\n--- scenario (gaia simulate FILE) ---\n${scenarioYaml(s)}---`);
    assert.fail(`a fault schedule broke the run: ${String(details.errorInstance)}`);
  }
  assert.equal(details.numRuns, schedules, "every schedule ran");
});
