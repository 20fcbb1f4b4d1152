// The scenario file's network section: defaults, per data center and per node NICs, WAN caps,
// the sharing model, and clear `file:line:col: path: message` errors for what the run would
// refuse. Also that a run uses it: a NIC override and a WAN cap slow the run down.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { networkSpecOf, parseScenarioText, runSimulation, ScenarioError } from "@gaia/sim";

const base = `topology: { preset: ec2-11, dataCenters: [virginia, tokyo, oregon] }
workload: { kind: mf, users: 60, items: 30, ratings: 600, rank: 4, batchSize: 30 }
stop: { maxIterations: 6 }
`;

describe("scenario: network section", () => {
  test("defaults: max-min, NICs at the topology's LAN bandwidth, no caps", () => {
    const s = parseScenarioText(base, "n.yaml");
    assert.deepEqual(s.network, { sharing: "max-min", nicMbps: 1000, nics: {}, wanCaps: {} });
    const spec = networkSpecOf(s, ["virginia/s0"]);
    assert.equal(spec.sharing, "max-min");
    assert.equal(spec.nicBandwidthMbps, 1000);
    assert.deepEqual(spec.dataCenterCaps, {});
  });

  test("NICs by data center and by node (the node wins), caps, cm02", () => {
    const s = parseScenarioText(`${base}network:\n  sharing: cm02\n  nicMbps: 500\n  nics: { tokyo: 2000, tokyo/s1: 100 }\n  wanCaps: { oregon: { egressMbps: 50 } }\n`, "n.yaml");
    const spec = networkSpecOf(s, ["virginia/s0", "tokyo/s0", "tokyo/s1"]);
    assert.equal(spec.sharing, "cm02");
    assert.equal(spec.nicBandwidthMbps, 500);
    assert.deepEqual(spec.nicBandwidthMbpsByNode, { "tokyo/s0": 2000, "tokyo/s1": 100 });
    assert.deepEqual(spec.dataCenterCaps, { oregon: { egressMbps: 50 } });
  });

  test("connectionOrder: fifo reaches the network model; a bad value names its line and the choices", async () => {
    const s = parseScenarioText(`${base}network:\n  connectionOrder: fifo\n`, "n.yaml");
    assert.equal(s.network?.connectionOrder, "fifo");
    assert.equal(networkSpecOf(s, ["virginia/s0"]).connectionOrder, "fifo");
    assert.equal(networkSpecOf(parseScenarioText(base, "n.yaml"), ["virginia/s0"]).connectionOrder, undefined);
    const run = await runSimulation(s, { recordTrace: false });
    for (const [name, verdict] of Object.entries(run.summary.checks)) assert.equal(verdict, null, `${name}: ${verdict}`);
    assert.throws(
      () => parseScenarioText(`${base}network:\n  connectionOrder: lifo\n`, "n.yaml"),
      (e: unknown) => e instanceof ScenarioError && /n\.yaml:5:\d+: network\.connectionOrder: .*(shared|fifo)/.test(e.message),
    );
  });

  test("LAN runs look NICs up by the node a LAN node stands for, and have no WAN caps", () => {
    const s = parseScenarioText(`${base}network:\n  nics: { tokyo: 2000 }\n  wanCaps: { oregon: { egressMbps: 50 } }\n`, "n.yaml", { sync: "lan" });
    const alias = (n: string): string => (n === "lan/w2" ? "tokyo/w0" : n);
    const spec = networkSpecOf(s, ["lan/w0", "lan/w2"], alias);
    assert.deepEqual(spec.nicBandwidthMbpsByNode, { "lan/w2": 2000 });
    assert.deepEqual(spec.dataCenterCaps, {});
  });

  test("bad values and unknown names are file:line:col errors", () => {
    const text = `${base}network:\n  nics: { mars: 10, tokyo/s7: 5 }\n  wanCaps: { oregon: { egressMbps: -1 } }\n`;
    assert.throws(
      () => parseScenarioText(text, "n.yaml"),
      (e: unknown) => e instanceof ScenarioError && /n\.yaml:6:\d+: network\.wanCaps\.oregon\.egressMbps: /.test(e.message),
    );
    const names = `${base}network:\n  nics: { mars: 10, tokyo/s7: 5 }\n`;
    assert.throws(
      () => parseScenarioText(names, "n.yaml"),
      (e: unknown) => e instanceof ScenarioError && /n\.yaml:5:17: network\.nics\.mars: unknown data center "mars"/.test(e.message) && /network\.nics\.tokyo\/s7: .*shards s0\.\.s1/.test(e.message),
    );
  });

  test("a run uses it: a slow NIC on every node and a WAN cap lengthen the run", async () => {
    // A fixed threshold sends the same updates over both networks (threshold auto would shrink its
    // updates to the narrow NICs, which is its job, and hide what this test measures).
    const fixed = `${base}sync: { significance: { threshold: 0.01 } }\n`;
    const plain = await runSimulation(parseScenarioText(fixed, "n.yaml"), { recordTrace: false });
    const narrow = await runSimulation(parseScenarioText(`${fixed}network:\n  nicMbps: 2\n  wanCaps: { tokyo: { ingressMbps: 0.5 } }\n`, "n.yaml"), { recordTrace: false });
    assert.equal(plain.summary.checks["conservation"], null);
    assert.equal(narrow.summary.checks["conservation"], null);
    assert.ok(narrow.summary.virtualTimeS > 1.5 * plain.summary.virtualTimeS, `${narrow.summary.virtualTimeS} s vs ${plain.summary.virtualTimeS} s`);
  });
});
