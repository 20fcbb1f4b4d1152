// Proves that the topology presets carry the reference data faithfully: every EC2 region pair in
// both directions, one-way latency = rtt / 2, the file's bandwidths and prices, and the paper's
// bandwidth ratios (mean 1/15 of the LAN, worst pair 1/60, Singapore-Sao Paulo).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { autoHubGroups, ec2HubGroups, ec2Provenance, presetNames, presetTopology } from "@gaia/sim";

const data = JSON.parse(readFileSync(new URL("../../packages/scenario/src/data/ec2-11-regions.json", import.meta.url), "utf8")) as {
  regions: string[];
  lanMbps: number;
  provenance: string;
  links: { a: string; b: string; rttMs: number; bandwidthMbps: number }[];
  egressUsdPerGB: Record<string, number>;
};

describe("presets", () => {
  test("the data file is the shared reference, provenance kept", () => {
    assert.ok(data.provenance.startsWith("Approximation, not measured values."));
    assert.equal(ec2Provenance, data.provenance);
    assert.equal(data.regions.length, 11);
  });

  test("ec2-11: 11 regions, a link each way for all 55 pairs, latency rtt/2, bandwidth and prices from the file", () => {
    const t = presetTopology("ec2-11")!;
    assert.deepEqual(t.dataCenters, data.regions);
    assert.equal(t.links.length, 110);
    for (const pair of data.links) {
      for (const [source, target] of [[pair.a, pair.b], [pair.b, pair.a]] as const) {
        const link = t.links.find((l) => l.source === source && l.target === target);
        assert.deepEqual(link, { source, target, bandwidthMbps: pair.bandwidthMbps, latencyMs: pair.rttMs / 2 });
      }
    }
    assert.equal(t.lanBandwidthMbps, data.lanMbps);
    assert.deepEqual(t.egressUsdPerGb, data.egressUsdPerGB);
  });

  test("ec2-11 keeps the paper's ratios: mean WAN bandwidth ~ LAN/15, worst ~ LAN/60 on Singapore-Sao Paulo", () => {
    const t = presetTopology("ec2-11")!;
    const bandwidths = t.links.map((l) => l.bandwidthMbps);
    const mean = bandwidths.reduce((a, b) => a + b, 0) / bandwidths.length;
    assert.ok(Math.abs(t.lanBandwidthMbps / mean - 15) < 0.5, `LAN/mean = ${t.lanBandwidthMbps / mean}`);
    const worst = t.links.reduce((a, b) => (b.bandwidthMbps < a.bandwidthMbps ? b : a));
    assert.ok(Math.abs(t.lanBandwidthMbps / worst.bandwidthMbps - 60) < 1, `LAN/worst = ${t.lanBandwidthMbps / worst.bandwidthMbps}`);
    assert.deepEqual([worst.source, worst.target].sort(), ["sao-paulo", "singapore"]);
  });

  test("the two-region presets are subsets of ec2-11", () => {
    const all = presetTopology("ec2-11")!;
    for (const [name, dcs] of [["virginia-california", ["virginia", "california"]], ["singapore-sao-paulo", ["singapore", "sao-paulo"]]] as const) {
      const t = presetTopology(name)!;
      assert.deepEqual(t.dataCenters, dcs);
      assert.equal(t.links.length, 2);
      for (const link of t.links) assert.deepEqual(link, all.links.find((l) => l.source === link.source && l.target === link.target));
    }
  });

  test("lan: one data center, no WAN; unknown names give null", () => {
    const t = presetTopology("lan")!;
    assert.deepEqual(t.dataCenters, ["lan"]);
    assert.deepEqual(t.links, []);
    assert.equal(presetTopology("ec2-12"), null);
    assert.deepEqual([...presetNames], ["ec2-11", "virginia-california", "singapore-sao-paulo", "lan"]);
  });

  test("hubs auto: Gaia's three groups partition the 11 regions; subsets keep a hub per group; small or unknown topologies get none", () => {
    const groups = autoHubGroups(data.regions);
    assert.deepEqual(groups, ec2HubGroups);
    assert.deepEqual(groups.flatMap((g) => g.members).sort(), [...data.regions].sort());
    for (const g of groups) assert.ok(g.members.includes(g.hub));
    assert.deepEqual(autoHubGroups(["california", "oregon", "seoul", "sydney"]), [
      { hub: "california", members: ["california", "oregon"] },
      { hub: "seoul", members: ["seoul", "sydney"] },
    ]);
    assert.deepEqual(autoHubGroups(["virginia", "tokyo", "frankfurt"]), []);
    assert.deepEqual(autoHubGroups(["a", "b", "c", "d", "e"]), []);
  });
});
