// Proves bench:paper's mirror-clock latency model: the slowest one-way path of a clock's mirror
// update, direct (the slowest link) or through hubs (slowest member-to-hub, then hub to hub, then
// hub to member), on a topology small enough to work out by hand, and on the presets.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mirrorPathLatencyMs, summaryRows, type Scenario } from "@gaia/sim";
import { buildScenario, defaultKnobs, fullSetups, quickSetups, runCase, type Mode, type TopologyName } from "../../bench/lib/runs.js";

const preset = (topology: TopologyName, mode: Mode): Scenario =>
  buildScenario({ workload: "lda", topology, mode, setup: fullSetups.lda, knobs: defaultKnobs, target: null, maxVirtualTimeS: null, maxIterations: 1, seed: 1 });

describe("mirror-clock latency model", () => {
  test("four data centers in two hub groups, worked out by hand", () => {
    const base = preset("ec2-11", "asp-nohubs");
    const oneWay: Record<string, number> = { "a-b": 10, "a-c": 50, "a-d": 70, "b-c": 60, "b-d": 80, "c-d": 5 };
    const links = Object.entries(oneWay).flatMap(([pair, latencyMs]) => {
      const [x, y] = pair.split("-") as [string, string];
      return [{ source: x, target: y, bandwidthMbps: 100, latencyMs }, { source: y, target: x, bandwidthMbps: 100, latencyMs }];
    });
    const direct: Scenario = { ...base, topology: { ...base.topology, dataCenters: ["a", "b", "c", "d"], links } };
    assert.equal(mirrorPathLatencyMs(direct), 80, "direct: the slowest link, b-d");
    const hubs: Scenario = { ...direct, sync: { ...direct.sync, hubGroups: [{ hub: "a", members: ["a", "b"] }, { hub: "c", members: ["c", "d"] }] } };
    // To d from group {a, b}: b reaches hub a in 10, a to c 50, c to d 5; to b from {c, d}: 5 + 50 + 10.
    assert.equal(mirrorPathLatencyMs(hubs), 65);
    // A group's aggregate waits for its slowest member: slow the b-a link and every path from it grows.
    const slowMember: Scenario = { ...hubs, topology: { ...hubs.topology, links: links.map((l) => (l.source === "b" && l.target === "a" ? { ...l, latencyMs: 40 } : l)) } };
    assert.equal(mirrorPathLatencyMs(slowMember), 95, "b to a 40, a to c 50, c to d 5");
  });

  test("the presets: the slowest link direct, and a longer path through ec2-11's hubs", () => {
    for (const t of ["ec2-11", "singapore-sao-paulo", "virginia-california"] as const) {
      const s = preset(t, "asp-nohubs");
      assert.equal(mirrorPathLatencyMs(s), Math.max(...s.topology.links.map((l) => l.latencyMs)), t);
    }
    const hubs = preset("ec2-11", "asp");
    assert.equal(hubs.sync.hubGroups.length, 3);
    assert.ok(mirrorPathLatencyMs(hubs) > mirrorPathLatencyMs(preset("ec2-11", "asp-nohubs")));
  });

  test("an ASP run's summary carries the model beside its measured clock; a BSP run's does not", async () => {
    const spec = { workload: "lda", topology: "virginia-california", setup: quickSetups.lda, knobs: { ...defaultKnobs, mirrorClockBound: 2 }, target: null, maxVirtualTimeS: null, maxIterations: 12, seed: 1 } as const;
    const asp = await runCase({ ...spec, mode: "asp" });
    const m = asp.result.summary.mirrorClock!;
    assert.equal(m.pathLatencyMs, Math.max(...asp.scenario.topology.links.map((l) => l.latencyMs)));
    assert.equal(m.throughHubs, false);
    assert.equal(m.modelClockMs, m.pathLatencyMs / 3, "DS 2: three clocks share one latency");
    assert.equal(m.clockMs, (1000 * asp.result.summary.virtualTimeS) / asp.result.summary.iterations);
    assert.ok(m.clockMs! >= 0.9 * m.modelClockMs, `a latency-bound clock is not much under the model: ${m.clockMs} against ${m.modelClockMs}`);
    const rows = new Map(summaryRows(asp.result.summary));
    assert.match(rows.get("mirror clock: latency model")!, /a clock \(path \/ \(DS \+ 1\)\); measured /);
    assert.equal([...rows.keys()].filter((k) => k.startsWith("mirrorClock")).length, 0, "not shown twice as a generic field");
    const bsp = await runCase({ ...spec, mode: "bsp" });
    assert.equal(bsp.result.summary.mirrorClock, undefined);
  });
});
