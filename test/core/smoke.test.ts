// Proves the roles run end to end: every configuration reaches quiescence, every worker finishes,
// and every replica equals initial + all deltas (conservation after the final flush).
import { test } from "node:test";
import assert from "node:assert/strict";
import { aspPlain } from "@gaia/core";
import { Cluster } from "../support/cluster.js";

const configs = [
  { name: "LAN, BSP", dcs: ["lan"], placement: "mirrored" as const, staleness: 0, asp: null, hubs: [] },
  { name: "Baseline BSP over 3 DCs", dcs: ["a", "b", "c"], placement: "global" as const, staleness: 0, asp: null, hubs: [] },
  { name: "Baseline SSP over 3 DCs", dcs: ["a", "b", "c"], placement: "global" as const, staleness: 2, asp: null, hubs: [] },
  { name: "Gaia ASP, 3 DCs", dcs: ["a", "b", "c"], placement: "mirrored" as const, staleness: 1, asp: { threshold: 0.01, thresholdSchedule: { kind: "inverse-sqrt" as const }, mirrorClockBound: 1, selectiveBarrier: "always" as const, ...aspPlain }, hubs: [] },
  { name: "mirrored BSP (threshold 0, DS 0)", dcs: ["a", "b", "c"], placement: "mirrored" as const, staleness: 0, asp: { threshold: 0, thresholdSchedule: { kind: "constant" as const }, mirrorClockBound: 0, selectiveBarrier: "off" as const, ...aspPlain }, hubs: [] },
  { name: "Gaia ASP with hubs, 5 DCs", dcs: ["a", "b", "c", "d", "e"], placement: "mirrored" as const, staleness: 0, asp: { threshold: 0.05, thresholdSchedule: { kind: "constant" as const }, mirrorClockBound: 2, selectiveBarrier: "auto" as const, ...aspPlain }, hubs: [{ hub: "a", members: ["a", "b"] }, { hub: "c", members: ["c", "d", "e"] }] },
];

for (const c of configs) {
  test(`roles run to completion and conserve updates: ${c.name}`, () => {
    const cluster = new Cluster({
      layout: { dataCenters: c.dcs, workersPerDataCenter: 2, shardsPerDataCenter: 2, rows: 12, cols: 3, placement: c.placement, hubGroups: c.hubs },
      sync: { staleness: c.staleness, asp: c.asp },
      maxClock: 6,
      seed: 7,
    });
    cluster.start();
    cluster.runToQuiescence();
    for (const w of cluster.layout.workers) assert.equal(cluster.worker(w).done, true, `${w} done`);
    const expected = cluster.initial.map((v, i) => v + cluster.totalDeltas[i]!);
    for (const dc of c.placement === "global" ? [c.dcs[0]!] : c.dcs) {
      const replica = cluster.replica(dc);
      replica.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-4, `${dc}[${i}] = ${v}, expected ${expected[i]}`));
    }
    for (const role of cluster.roles.values()) assert.deepEqual(role.remoteErrors, []);
  });
}
