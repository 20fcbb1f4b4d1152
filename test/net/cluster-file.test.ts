// Cluster files: a scenario plus a cluster section, read by the scenario loader; every problem names
// the file, the line and the path (test/scenarios/file-errors.test.ts has one row per kind of
// mistake), and node addresses are checked against the layout.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { ClusterError, loadCluster, parseClusterText, peersOf, planOf, planRuntimeFaults, resolveAddresses } from "@gaia/net";
import { computeRegimeOf, loadScenario, stepMsPerSample } from "@gaia/scenario";
import { createWorkload } from "@gaia/workloads";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const base = `name: c
cluster:
  secret: long-enough-secret
  basePort: 40000
topology:
  preset: ec2-11
  dataCenters: [virginia, california]
  machinesPerDataCenter: 1
  shardsPerDataCenter: 1
workload: { kind: mf, users: 50, items: 20, ratings: 500, rank: 4 }
sync: { model: asp }
stop: { maxIterations: 5 }
`;

const issuesOf = (text: string): string => {
  try {
    parseClusterText(text, "cluster.yaml");
  } catch (error) {
    assert.ok(error instanceof ClusterError, String(error));
    return error.message;
  }
  assert.fail("expected a ClusterError");
};

describe("cluster files", () => {
  test("the shipped local-3dc cluster loads and gives every node a port", async () => {
    const cluster = loadCluster("clusters/local-3dc.yaml");
    assert.equal(cluster.scenario.sync.model, "asp");
    assert.deepEqual(cluster.scenario.topology.dataCenters, ["virginia", "california", "oregon"]);
    const workload = await createWorkload(cluster.scenario.workload, { seed: 1, dataCenters: cluster.scenario.topology.dataCenters, workersPerDataCenter: 1 });
    const plan = planOf(cluster.scenario, workload);
    const addresses = resolveAddresses(cluster, plan.layout.nodes);
    assert.equal(addresses.size, 6);
    assert.deepEqual(peersOf(plan, "virginia/s0"), ["california/s0", "oregon/s0", "virginia/w0"]);
    assert.deepEqual(peersOf(plan, "virginia/w0"), ["virginia/s0"]);
  });

  test("the compute regime scales the runtime's emulated step and the pacing hint, as the simulator charges it", async () => {
    const cluster = loadCluster("clusters/local-3dc.yaml");
    const workload = await createWorkload(cluster.scenario.workload, { seed: 1, dataCenters: cluster.scenario.topology.dataCenters, workersPerDataCenter: 1 });
    const at = (regime: "cpu" | "accelerator") => ({ ...cluster.scenario, compute: { ...cluster.scenario.compute, regime: computeRegimeOf(regime) } });
    const factor = computeRegimeOf("accelerator").factor;
    assert.ok(factor < 1);
    const ratio = stepMsPerSample(at("accelerator"), workload) / stepMsPerSample(at("cpu"), workload);
    assert.ok(Math.abs(ratio - factor) < 1e-12, `emulated step ratio ${ratio}`);
    const hint = (regime: "cpu" | "accelerator"): number => planOf(at(regime), workload).sync.asp!.clockMsHint;
    assert.ok(hint("cpu") > 0);
    assert.ok(Math.abs(hint("accelerator") / hint("cpu") - factor) < 1e-9, `clock hint ratio ${hint("accelerator") / hint("cpu")}`);
  });

  test("every shipped cluster file loads, and its faults plan on the runtime", async () => {
    for (const name of readdirSync("clusters").filter((f) => f.endsWith(".yaml"))) {
      const cluster = loadCluster(join("clusters", name));
      const workload = await createWorkload(cluster.scenario.workload, { seed: 1, dataCenters: cluster.scenario.topology.dataCenters, workersPerDataCenter: cluster.scenario.topology.workersPerDataCenter });
      const plan = planOf(cluster.scenario, workload);
      assert.ok(resolveAddresses(cluster, plan.layout.nodes).size === plan.layout.nodes.length, name);
      planRuntimeFaults(cluster, plan, (text) => assert.fail(`${name}: ${text}`));
    }
    const faulty = loadCluster("clusters/local-3dc-faults.yaml");
    assert.deepEqual(faulty.scenario.faults.map((f) => f.kind), ["partition", "crash", "partition", "bandwidth", "slow"]);
    const workload = await createWorkload(faulty.scenario.workload, { seed: 1, dataCenters: faulty.scenario.topology.dataCenters, workersPerDataCenter: 1 });
    const actions = planRuntimeFaults(faulty, planOf(faulty.scenario, workload));
    assert.deepEqual(
      actions.filter((a) => a.kind === "crash" || a.kind === "restart").map((a) => [a.kind, a.atMs]),
      [["crash", 4000], ["restart", 5000]],
    );
    assert.equal(actions.filter((a) => a.kind === "cut").length, 2 * 2 + 2);
    assert.equal(faulty.wanEmulation.cutMode, "hold");
    assert.equal(faulty.faultTimeScale, 1);
  });

  test("cutMode, faultTimeScale and emulateCompute are checked", () => {
    const message = issuesOf(base.replace("  basePort: 40000", "  basePort: 40000\n  wanEmulation: { cutMode: lose }\n  faultTimeScale: 0\n  emulateCompute: yes"));
    assert.match(message, /cluster\.wanEmulation\.cutMode: must be one of hold, drop, not "lose"/);
    assert.match(message, /cluster\.faultTimeScale: must be > 0, not 0/);
    assert.match(message, /cluster\.emulateCompute: must be true or false, not "yes"/);
  });

  test("a cluster key with a bad value is reported at its line", () => {
    const message = issuesOf(base.replace("basePort: 40000", "basePort: 99999"));
    assert.match(message, /^cluster\.yaml:4:13: cluster\.basePort: must be <= 65535, not 99999$/);
  });

  test("a missing secret and an unknown key in a node are reported", () => {
    const message = issuesOf(base.replace("  secret: long-enough-secret\n", "  nodes:\n    - { id: virginia/s0, port: 1, colour: red }\n"));
    assert.match(message, /cluster\.yaml:3:3: cluster: missing required field "secret"/);
    assert.match(message, /cluster\.yaml:4:35: cluster\.nodes\[0\]\.colour: unknown field "colour" \(known: id, host, port\)/);
  });

  test("scenario problems keep their line numbers inside a cluster file", () => {
    const message = issuesOf(base.replace("stop: { maxIterations: 5 }", "stop: { maxIterations: -5 }"));
    assert.match(message, /cluster\.yaml:12:\d+: stop\.maxIterations/);
  });

  test("nodes without an address, and addresses outside the layout, are errors", () => {
    const cluster = parseClusterText(base.replace("  basePort: 40000\n", "  nodes: [{ id: tokyo/s0, port: 4 }]\n"), "cluster.yaml");
    assert.throws(() => resolveAddresses(cluster, ["virginia/w0", "virginia/s0"]), (e: Error) => /tokyo\/s0 is not in the layout/.test(e.message) && /virginia\/w0 has no address/.test(e.message));
  });

  test("every shipped cluster file points editors at the cluster schema", () => {
    for (const name of readdirSync("clusters").filter((f) => f.endsWith(".yaml"))) {
      assert.ok(readFileSync(join("clusters", name), "utf8").startsWith("# yaml-language-server: $schema=./cluster.schema.json\n"), name);
    }
  });

  test("a cluster file is also a valid scenario file: gaia simulate runs the scenario it describes", () => {
    for (const name of readdirSync("clusters").filter((f) => f.endsWith(".yaml"))) {
      assert.deepEqual(loadScenario(join("clusters", name)), loadCluster(join("clusters", name)).scenario, name);
    }
  });

  test("an unreadable file is a clear error", () => {
    assert.throws(() => loadCluster("no/such/cluster.yaml"), /no\/such\/cluster\.yaml: cannot read the cluster file: no such file/);
  });
});
