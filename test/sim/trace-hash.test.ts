// The trace hash's fast path (field by field per event type) mixes exactly the words of its
// reference form (every field in key order) for every event the roles and the driver produce:
// a run with hubs, barriers, crashes and restarts gives the same digest through both, so the
// fast path leaves no field out. And the hash still tells apart what it should.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createToyWorkload, runSimulation, TraceHash, type SimTraceEvent } from "@gaia/sim";
import { miniScenario } from "./scenarios.js";

const digest = (events: readonly SimTraceEvent[], generic: boolean): string => {
  const h = new TraceHash();
  for (const e of events) {
    if (generic) h.eventGeneric(e);
    else h.event(e);
  }
  return h.digest();
};

describe("trace hash", () => {
  test("the per-type fast path equals the generic form over every event type of a faulty ASP run with hubs", async () => {
    const scenario = miniScenario({
      dataCenters: ["a", "b", "c", "d"],
      hubGroups: [{ hub: "a", members: ["a", "b"] }, { hub: "c", members: ["c", "d"] }],
      selectiveBarrier: "always",
      mirrorClockBound: 2,
      staleness: 1,
      maxIterations: 12,
      randomFaults: { untilS: 2, partitionsPerHour: 3600, crashesPerHour: 3600, loss: 0.1, duplicate: 0.1, reorder: 0.1 },
    });
    const r = await runSimulation(scenario, { workload: createToyWorkload({ seed: 1 }), recordTrace: true });
    const trace = r.trace!;
    const types = new Set(trace.map((e) => e.type));
    for (const t of ["deliver", "read-served", "push-applied", "mirror-sent", "mirror-applied", "hub-forwarded", "worker-clock", "barrier-received", "evaluation"]) {
      assert.ok(types.has(t as SimTraceEvent["type"]), `the run has ${t} events`);
    }
    assert.equal(digest(trace, false), digest(trace, true));
    assert.equal(digest(trace, false), r.summary.traceHash, "the driver hashes what it records");
    // Event by event too, so a difference names its event type.
    for (const t of types) {
      const some = trace.filter((e) => e.type === t).slice(0, 50);
      assert.equal(digest(some, false), digest(some, true), `${t} events`);
    }
  });

  test("remote errors, crashes and restarts hash as their fields", () => {
    const events: SimTraceEvent[] = [
      { type: "remote-error", node: "a/s0", from: "b/s0", code: "stale-clock", message: "x".repeat(100), atMs: 3 },
      { type: "crash", node: "a/w0", atMs: 4.5 },
      { type: "restart", node: "a/w0", atMs: 9 },
    ];
    assert.equal(digest(events, false), digest(events, true));
  });

  test("a changed name, number, time or order changes the digest", () => {
    const base: SimTraceEvent[] = [
      { type: "worker-clock", worker: "a/w0", clock: 1, atMs: 10 },
      { type: "worker-clock", worker: "a/w1", clock: 1, atMs: 10 },
      { type: "worker-clock", worker: "a/w0", clock: 2, atMs: 20 },
    ];
    const d = digest(base, false);
    const variants: SimTraceEvent[][] = [
      [base[0]!, { ...base[1]!, worker: "a/w2" } as SimTraceEvent, base[2]!],
      [base[0]!, base[1]!, { ...base[2]!, clock: 3 } as SimTraceEvent],
      [base[0]!, base[1]!, { ...base[2]!, atMs: 20.5 }],
      [base[1]!, base[0]!, base[2]!],
      [base[0]!, base[1]!, { ...base[2]!, worker: "a/w1" } as SimTraceEvent],
    ];
    for (const v of variants) assert.notEqual(digest(v, false), d);
    assert.equal(digest(base, false), d, "stable");
  });
});
