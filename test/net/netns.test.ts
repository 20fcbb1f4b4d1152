// The pure parts of `gaia launch --hosts netns`, without root: each data center gets a namespace
// and each node an address of its data center's /24 on the port the cluster file gave it; the
// cluster file is pointed at them (and bandwidth left to the kernel) by overrides every node reads;
// the tc commands shape each directed link at its emulated rate; and only a dead run's namespaces
// count as leftovers.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { bandwidthCommand, cleanupCommandsOf, hostOverrides, kernelLinksOf, leftoversOf, loadCluster, parseNetnsList, planHosts, resolveAddresses, setupCommands, HostsError, type NodeAddress } from "@gaia/net";
import { writeCluster } from "./support.js";

const addresses: NodeAddress[] = [
  { id: "virginia/w0", host: "127.0.0.1", port: 47100 },
  { id: "virginia/s0", host: "127.0.0.1", port: 47101 },
  { id: "tokyo/w0", host: "127.0.0.1", port: 47102 },
  { id: "tokyo/s0", host: "127.0.0.1", port: 47103 },
];

describe("hosts as network namespaces", () => {
  test("address plan: a namespace per data center, an address per node in its /24, the ports kept", () => {
    const plan = planHosts(4242, ["virginia", "tokyo"], addresses);
    assert.equal(plan.bridge, "g4242br");
    assert.deepEqual(plan.namespaces.map((n) => [n.name, n.hostVeth, n.cidr, n.addresses]), [
      ["gaia-4242-virginia", "g4242d0", "10.201.1.0/24", ["10.201.1.1", "10.201.1.2"]],
      ["gaia-4242-tokyo", "g4242d1", "10.201.2.0/24", ["10.201.2.1", "10.201.2.2"]],
    ]);
    assert.deepEqual(plan.nodes.map((n) => `${n.id}=${n.host}:${n.port}`), ["virginia/w0=10.201.1.1:47100", "virginia/s0=10.201.1.2:47101", "tokyo/w0=10.201.2.1:47102", "tokyo/s0=10.201.2.2:47103"]);
    assert.equal(plan.namespaceOf.get("tokyo/s0"), "gaia-4242-tokyo");
    // Interface names fit Linux's 15 characters even for the largest pid.
    const big = planHosts(4194304, ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"], [{ id: "k/w0", host: "h", port: 1 }]);
    for (const ns of big.namespaces) assert.ok(ns.hostVeth.length <= 15 && ns.innerVeth.length <= 15 && big.bridge.length <= 15, ns.hostVeth);
    assert.throws(() => planHosts(1, ["virginia"], [{ id: "tokyo/w0", host: "h", port: 1 }]), HostsError);
  });

  test("the cluster file read with the overrides has every node at its namespace address, bandwidth left to the kernel", () => {
    const file = writeCluster({ name: "netns", sync: "asp", dataCenters: ["virginia", "california", "oregon"], maxIterations: 10 });
    const cluster = loadCluster(file, { set: [{ path: ["stop", "maxIterations"], value: 7 }] });
    assert.equal(cluster.wanEmulation.bandwidthBy, "runtime");
    const nodes = ["virginia/w0", "virginia/s0", "california/w0", "california/s0", "oregon/w0", "oregon/s0"];
    const before = resolveAddresses(cluster, nodes);
    const plan = planHosts(99, ["virginia", "california", "oregon"], [...before.values()]);
    const rewritten = loadCluster(file, hostOverrides(cluster, plan));
    const after = resolveAddresses(rewritten, nodes);
    assert.equal(after.get("california/s0")?.host, "10.201.2.2");
    assert.equal(after.get("california/s0")?.port, before.get("california/s0")?.port);
    assert.equal(rewritten.wanEmulation.bandwidthBy, "kernel");
    assert.equal(rewritten.scenario.stop.maxIterations, 7, "the command line's --set is kept");
  });

  test("tc: an htb class per directed link at its emulated rate, picked by the target's /24; a fault changes the rate", () => {
    const plan = planHosts(7, ["virginia", "tokyo"], addresses);
    const commands = setupCommands(plan, [
      { source: "virginia", target: "tokyo", bandwidthMbps: 12.5 },
      { source: "tokyo", target: "virginia", bandwidthMbps: 50 },
    ]).map((argv) => argv.join(" "));
    assert.equal(commands[0], "ip link add g7br type bridge");
    assert.ok(commands.includes("ip -n gaia-7-virginia addr add 10.201.1.2/16 dev eth0"));
    assert.ok(commands.includes("tc -n gaia-7-virginia qdisc add dev eth0 root handle 1: htb default 1"));
    // Class ids are hexadecimal: target index 1 is 1:11.
    assert.ok(commands.includes("tc -n gaia-7-virginia class add dev eth0 parent 1: classid 1:11 htb rate 12500kbit ceil 12500kbit burst 64kb cburst 64kb quantum 1514"), commands.join("\n"));
    assert.ok(commands.includes("tc -n gaia-7-virginia filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst 10.201.2.0/24 flowid 1:11"));
    assert.ok(commands.includes("tc -n gaia-7-tokyo class add dev eth0 parent 1: classid 1:10 htb rate 50000kbit ceil 50000kbit burst 64kb cburst 64kb quantum 1514"));
    // A namespace is made before anything is put in it; no command names another run's prefix.
    assert.ok(commands.indexOf("ip netns add gaia-7-tokyo") < commands.indexOf("ip link set g7n1 netns gaia-7-tokyo"));
    assert.ok(commands.every((c) => !/gaia-(?!7-)\d+-/.test(c)));
    assert.equal(bandwidthCommand(plan, "virginia", "tokyo", 12.5 * 0.25).join(" "), "tc -n gaia-7-virginia class change dev eth0 parent 1: classid 1:11 htb rate 3125kbit ceil 3125kbit burst 64kb cburst 64kb quantum 1514");
    // Without WAN emulation, no shaping at all.
    assert.ok(setupCommands(plan, []).every((argv) => argv[0] !== "tc"));
  });

  test("kernel links: the topology's rates times bandwidthScale, and none without WAN emulation", () => {
    const file = writeCluster({ name: "netns-links", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 10 });
    const cluster = loadCluster(file, { set: [{ path: ["cluster", "wanEmulation", "bandwidthScale"], value: 0.5 }] });
    const links = kernelLinksOf(cluster);
    const topology = cluster.scenario.topology.links.find((l) => l.source === "virginia" && l.target === "california")!;
    assert.equal(links.find((l) => l.source === "virginia" && l.target === "california")?.bandwidthMbps, topology.bandwidthMbps * 0.5);
    assert.deepEqual(kernelLinksOf({ ...cluster, wanEmulation: { ...cluster.wanEmulation, enabled: false } }), []);
  });

  test("leftovers: the marked runs whose pid is dead, and unmarked gaia-<pid>- namespaces of dead pids", () => {
    const live = { pid: 10, bridge: "g10br", namespaces: ["gaia-10-a"], command: "gaia launch" };
    const dead = { pid: 11, bridge: "g11br", namespaces: ["gaia-11-a", "gaia-11-b"], command: "gaia launch" };
    const alive = (pid: number): boolean => pid === 10 || pid === 12;
    const listed = parseNetnsList("gaia-10-a (id: 0)\ngaia-11-a (id: 1)\ngaia-13-x\ngaia-12-y (id: 3)\nsomeone-else\n\n");
    assert.deepEqual(listed, ["gaia-10-a", "gaia-11-a", "gaia-13-x", "gaia-12-y", "someone-else"]);
    const found = leftoversOf([live, dead], listed, alive);
    assert.deepEqual(found.map((m) => [m.pid, m.bridge, m.namespaces]), [
      [11, "g11br", ["gaia-11-a", "gaia-11-b"]],
      [13, "g13br", ["gaia-13-x"]],
    ]);
    assert.deepEqual(cleanupCommandsOf(dead), ["ip netns pids gaia-11-a | xargs -r kill -9", "ip netns delete gaia-11-a", "ip netns pids gaia-11-b | xargs -r kill -9", "ip netns delete gaia-11-b", "ip link delete g11br", "rm -f /run/gaia-netns/11.json"]);
  });
});
