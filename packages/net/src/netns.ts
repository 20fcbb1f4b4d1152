/**
 * `gaia launch --hosts netns`: every data center of a run on its own host, a Linux network
 * namespace, so nodes of different data centers reach each other by address over a kernel network
 * path and not over the loopback device they would otherwise share.
 *
 * Layout. One bridge per run (`g<pid>br`, in the root namespace, with no address: the host is not
 * on it and nothing routes to it, so traffic stays between the run's namespaces); one namespace per
 * data center (`gaia-<pid>-<data center>`) joined to the bridge by a veth pair (`g<pid>d<i>` on the
 * bridge, `eth0` inside); one address per node on its data center's `eth0`: 10.201.<d+1>.<k+1>/16
 * for the k-th node of the d-th data center, on the port the cluster file gives it. Nodes of one data
 * center talk over the namespace's loopback; the cluster file's addresses are rewritten to these
 * (`cluster.nodes` set as a `--set` is, so every node reads the same file with the same overrides).
 *
 * Shaping. The WAN bandwidth of every directed link is an htb class on the source namespace's
 * `eth0`, picked by the target data center's /24; `wanEmulation.bandwidthBy: kernel` then tells the
 * nodes to shape latency only. The netem qdisc (which could add the latency in the kernel too) is
 * not available on the machines this runs on, so latency stays the runtime's. A bandwidth fault
 * changes the class's rate.
 *
 * Clean-up. A marker file per run (/run/gaia-netns/<pid>.json) names what the run made; the run
 * removes it all on exit, Ctrl-C, SIGTERM or an uncaught error. A run killed with SIGKILL leaves it:
 * the next `--hosts netns` start finds markers (and `gaia-<pid>-` namespaces) whose pid is dead
 * and removes them, killing any node left inside; what it cannot remove it names with the commands
 * that do.
 *
 * The address plan, the rewriting, the commands and the leftover rule are pure functions (tested
 * without root); `NetnsHosts` runs the commands.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { dataCenterOf, type NodeId } from "@gaia/core";
import { planLayout, type ClusterConfig, type ClusterOverrides, type NodeAddress } from "@gaia/scenario";
import { createWorkload } from "@gaia/workloads";
import { loadClusterAsync, resolveAddresses } from "./cluster.js";
import { Launch, type LaunchOptions } from "./launcher.js";

/** Where the runs' markers live. */
export const markerDir = "/run/gaia-netns";
/** The first two octets of every run's addresses (each run has its own bridge, so runs do not meet). */
const subnet = "10.201";

export class HostsError extends Error {}

export interface NamespacePlan {
  readonly dataCenter: string;
  readonly name: string;
  /** The veth end on the bridge (the other end is `eth0` inside the namespace). */
  readonly hostVeth: string;
  /** The name the inner end has until it is moved into the namespace and renamed. */
  readonly innerVeth: string;
  /** The data center's /24, which the other namespaces' filters pick its traffic by. */
  readonly cidr: string;
  /** Its nodes' addresses, in layout order. */
  readonly addresses: readonly string[];
}

export interface HostPlan {
  readonly pid: number;
  readonly bridge: string;
  readonly namespaces: readonly NamespacePlan[];
  /** Every node's address, in layout order: its namespace's address, its port from the cluster file. */
  readonly nodes: readonly NodeAddress[];
  /** The namespace each node runs in. */
  readonly namespaceOf: ReadonlyMap<NodeId, string>;
}

/** Names and addresses of a run's namespaces (`addresses`: every node's address from the cluster file, in layout order). */
export function planHosts(pid: number, dataCenters: readonly string[], addresses: readonly NodeAddress[]): HostPlan {
  if (dataCenters.length > 250) throw new HostsError(`--hosts netns: at most 250 data centers (this run has ${dataCenters.length})`);
  const namespaces: NamespacePlan[] = [];
  const nodes: NodeAddress[] = [];
  const namespaceOf = new Map<NodeId, string>();
  const used = new Map<string, number>();
  dataCenters.forEach((dataCenter, d) => {
    // Namespace names are file names under /run/netns; data center names are identifiers already.
    const name = `gaia-${pid}-${dataCenter}`;
    const own = addresses.filter((a) => dataCenterOf(a.id) === dataCenter);
    if (own.length > 250) throw new HostsError(`--hosts netns: at most 250 nodes per data center (${dataCenter} has ${own.length})`);
    namespaces.push({ dataCenter, name, hostVeth: `g${pid}d${d}`, innerVeth: `g${pid}n${d}`, cidr: `${subnet}.${d + 1}.0/24`, addresses: own.map((_, k) => `${subnet}.${d + 1}.${k + 1}`) });
    used.set(dataCenter, d);
  });
  for (const a of addresses) {
    const d = used.get(dataCenterOf(a.id));
    if (d === undefined) throw new HostsError(`--hosts netns: node ${a.id} is in no data center of the topology`);
    const ns = namespaces[d]!;
    const k = nodes.filter((n) => dataCenterOf(n.id) === ns.dataCenter).length;
    nodes.push({ id: a.id, host: ns.addresses[k]!, port: a.port });
    namespaceOf.set(a.id, ns.name);
  }
  return { pid, bridge: `g${pid}br`, namespaces, nodes, namespaceOf };
}

/** The overrides that point a cluster file at the namespaces: every node's new address, and bandwidth left to the kernel. */
export function hostOverrides(cluster: Pick<ClusterConfig, "overrides" | "wanEmulation">, plan: HostPlan): ClusterOverrides {
  const set = [...(cluster.overrides.set ?? []), { path: ["cluster", "nodes"], value: plan.nodes.map((n) => ({ id: n.id, host: n.host, port: n.port })) }];
  if (cluster.wanEmulation.enabled) set.push({ path: ["cluster", "wanEmulation", "bandwidthBy"], value: "kernel" });
  return { ...cluster.overrides, set };
}

/** A directed WAN link's rate, megabits per second. */
export interface KernelLink {
  readonly source: string;
  readonly target: string;
  readonly bandwidthMbps: number;
}

/** htb class ids are hexadecimal: the target data center of index d is class 1:(d + 16). */
const classOf = (d: number): string => `1:${(d + 16).toString(16)}`;

/** A rate tc reads exactly: whole kilobits per second, at least 8. */
const rateOf = (mbps: number): string => `${Math.max(8, Math.round(mbps * 1000))}kbit`;

/** The command lines (argv of `ip`/`tc`) that build the plan, in order; `links` at their emulated rates (the scale applied), or none to leave the WAN unshaped. */
export function setupCommands(plan: HostPlan, links: readonly KernelLink[]): string[][] {
  const commands: string[][] = [["ip", "link", "add", plan.bridge, "type", "bridge"], ["ip", "link", "set", plan.bridge, "up"]];
  for (const ns of plan.namespaces) {
    const inside = (...argv: string[]): string[] => ["ip", "-n", ns.name, ...argv];
    commands.push(
      ["ip", "netns", "add", ns.name],
      ["ip", "link", "add", ns.hostVeth, "type", "veth", "peer", "name", ns.innerVeth],
      ["ip", "link", "set", ns.hostVeth, "master", plan.bridge, "up"],
      ["ip", "link", "set", ns.innerVeth, "netns", ns.name],
      inside("link", "set", ns.innerVeth, "name", "eth0"),
      ...ns.addresses.map((address) => inside("addr", "add", `${address}/16`, "dev", "eth0")),
      inside("link", "set", "lo", "up"),
      inside("link", "set", "eth0", "up"),
    );
    const own = links.filter((l) => l.source === ns.dataCenter && l.bandwidthMbps > 0 && Number.isFinite(l.bandwidthMbps));
    if (own.length === 0) continue;
    // Unclassified traffic (ARP) takes the default class, unshaped; each target data center its link's class.
    const tc = (...argv: string[]): string[] => ["tc", "-n", ns.name, ...argv];
    commands.push(tc("qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb", "default", "1"), tc("class", "add", "dev", "eth0", "parent", "1:", "classid", "1:1", "htb", "rate", "10gbit", "quantum", "60000"));
    for (const link of own) {
      const t = plan.namespaces.findIndex((n) => n.dataCenter === link.target);
      if (t < 0) continue;
      commands.push(
        tc("class", "add", "dev", "eth0", "parent", "1:", "classid", classOf(t), "htb", ...rateArgs(link.bandwidthMbps)),
        tc("filter", "add", "dev", "eth0", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip", "dst", plan.namespaces[t]!.cidr, "flowid", classOf(t)),
      );
    }
  }
  return commands;
}

/** rate = ceil = the link's rate; a burst of 64 KB, so a segment the veth hands over whole (GSO) passes at the rate and not in bursts above it. */
function rateArgs(mbps: number): string[] {
  const rate = rateOf(mbps);
  return ["rate", rate, "ceil", rate, "burst", "64kb", "cburst", "64kb", "quantum", "1514"];
}

/** The command that sets the link source -> target to `bandwidthMbps` (a bandwidth fault). */
export function bandwidthCommand(plan: HostPlan, source: string, target: string, bandwidthMbps: number): string[] {
  const ns = plan.namespaces.find((n) => n.dataCenter === source);
  const t = plan.namespaces.findIndex((n) => n.dataCenter === target);
  if (!ns || t < 0) throw new HostsError(`no namespace link ${source} -> ${target}`);
  return ["tc", "-n", ns.name, "class", "change", "dev", "eth0", "parent", "1:", "classid", classOf(t), "htb", ...rateArgs(bandwidthMbps)];
}

/** What a run made, as its marker file records it. */
export interface Marker {
  readonly pid: number;
  readonly bridge: string;
  readonly namespaces: readonly string[];
  /** The command line of the run, to name it in messages. */
  readonly command: string;
}

export const markerOf = (plan: HostPlan, command: string): Marker => ({ pid: plan.pid, bridge: plan.bridge, namespaces: plan.namespaces.map((n) => n.name), command });

/**
 * Leftovers of dead runs: every marker whose pid is not alive, and every `gaia-<pid>-` namespace of
 * a dead pid no marker names (a run killed between making a namespace and writing its marker).
 */
export function leftoversOf(markers: readonly Marker[], namespaces: readonly string[], alive: (pid: number) => boolean): Marker[] {
  const out = markers.filter((m) => !alive(m.pid));
  const named = new Set(markers.flatMap((m) => m.namespaces));
  const orphans = new Map<number, string[]>();
  for (const name of namespaces) {
    const match = /^gaia-(\d+)-/.exec(name);
    if (!match || named.has(name)) continue;
    const pid = Number(match[1]);
    if (alive(pid)) continue;
    orphans.set(pid, [...(orphans.get(pid) ?? []), name]);
  }
  for (const [pid, list] of orphans) out.push({ pid, bridge: `g${pid}br`, namespaces: list, command: "(no marker)" });
  return out;
}

/** The shell commands that remove a leftover by hand (its nodes killed first). */
export function cleanupCommandsOf(marker: Marker): string[] {
  return [...marker.namespaces.flatMap((ns) => [`ip netns pids ${ns} | xargs -r kill -9`, `ip netns delete ${ns}`]), `ip link delete ${marker.bridge}`, `rm -f ${join(markerDir, `${marker.pid}.json`)}`];
}

/** Namespace names of `ip netns list` output ("name (id: 3)" lines). */
export function parseNetnsList(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim().split(/\s+/)[0] ?? "")
    .filter((name) => name !== "");
}

// ---- running the commands ----

const run = (argv: readonly string[]): { ok: boolean; stderr: string } => {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" });
  return { ok: r.status === 0, stderr: r.error ? r.error.message : (r.stderr ?? "").trim() };
};

/** A pid is alive when it exists and runs node (a reused pid of another program is a dead run). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("node");
  } catch {
    return true;
  }
}

/** Why `--hosts netns` cannot run on this machine, or null. */
export function netnsUnavailable(): string | null {
  if (process.platform !== "linux") return `network namespaces are Linux only (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "it needs root (it makes network namespaces, veth pairs and a bridge): run it as root, or launch without --hosts";
  const probe = run(["ip", "netns", "list"]);
  if (!probe.ok) return `\`ip netns list\` does not work here: ${probe.stderr || "no output"}`;
  // Listing needs no privilege; making a namespace, a veth pair and an htb qdisc does (a container may refuse them).
  const name = `gaia-${process.pid}-probe`;
  const steps = [
    ["ip", "netns", "add", name],
    ["ip", "-n", name, "link", "add", "probe0", "type", "veth", "peer", "name", "probe1"],
    ["tc", "-n", name, "qdisc", "add", "dev", "probe0", "root", "handle", "1:", "htb"],
  ];
  let failed: string | null = null;
  for (const argv of steps) {
    const r = run(argv);
    if (!r.ok) {
      failed = `\`${argv.join(" ")}\` fails here: ${r.stderr || "no output"}`;
      break;
    }
  }
  run(["ip", "netns", "delete", name]);
  return failed;
}

function readMarkers(): Marker[] {
  let names: string[];
  try {
    names = readdirSync(markerDir);
  } catch {
    return [];
  }
  const out: Marker[] = [];
  for (const name of names) {
    if (!name.endsWith(".json")) continue;
    try {
      out.push(JSON.parse(readFileSync(join(markerDir, name), "utf8")) as Marker);
    } catch {
      // A marker cut short by a crash names nothing readable; its namespaces are found by name.
      rmSync(join(markerDir, name), { force: true });
    }
  }
  return out;
}

/** Removes what a run made (nodes left inside killed first); returns what could not be removed. */
function remove(marker: Marker): string[] {
  const failed: string[] = [];
  const present = new Set(parseNetnsList(spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? ""));
  for (const ns of marker.namespaces) {
    if (!present.has(ns)) continue;
    const pids = (spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout ?? "").split(/\s+/).filter((p) => /^\d+$/.test(p));
    for (const pid of pids) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    const r = run(["ip", "netns", "delete", ns]);
    // Another start removing the same leftover at the same moment is no failure.
    if (!r.ok && parseNetnsList(spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "").includes(ns)) failed.push(`${ns}: ${r.stderr}`);
  }
  // Deleting a namespace deletes its veth ends; the bridge is in the root namespace.
  if (run(["ip", "link", "show", marker.bridge]).ok) {
    const r = run(["ip", "link", "delete", marker.bridge]);
    if (!r.ok && run(["ip", "link", "show", marker.bridge]).ok) failed.push(`${marker.bridge}: ${r.stderr}`);
  }
  if (failed.length === 0) rmSync(join(markerDir, `${marker.pid}.json`), { force: true });
  return failed;
}

/** Removes the leftovers of dead runs; returns a line per leftover removed. Throws `HostsError` naming the commands when one cannot be removed. */
export function cleanLeftovers(): string[] {
  const namespaces = parseNetnsList(spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "");
  const lines: string[] = [];
  for (const leftover of leftoversOf(readMarkers(), namespaces, pidAlive)) {
    const failed = remove(leftover);
    if (failed.length > 0) throw new HostsError(`a leftover of a killed run (pid ${leftover.pid}, ${leftover.command}) could not be removed (${failed.join("; ")}); remove it with:\n  ${cleanupCommandsOf(leftover).join("\n  ")}`);
    lines.push(`removed the leftover of a killed run (pid ${leftover.pid}): ${[...leftover.namespaces, leftover.bridge].join(", ")}`);
  }
  return lines;
}

/** The namespaces of one run, made on `create` and removed by `remove` (also on exit and on an uncaught error). */
export class NetnsHosts {
  private removed = false;
  private readonly onExit = (): void => {
    this.remove();
  };

  private constructor(
    readonly plan: HostPlan,
    private readonly links: readonly KernelLink[],
  ) {}

  /** Makes the bridge, namespaces, addresses and tc classes of `plan`; on a failure removes what it made and throws `HostsError`. */
  static create(plan: HostPlan, links: readonly KernelLink[], command: string): NetnsHosts {
    const hosts = new NetnsHosts(plan, links);
    mkdirSync(markerDir, { recursive: true });
    // The marker first: a run killed while it builds leaves something the next start can find.
    writeFileSync(join(markerDir, `${plan.pid}.json`), `${JSON.stringify(markerOf(plan, command))}\n`);
    process.on("exit", hosts.onExit);
    for (const argv of setupCommands(plan, links)) {
      const r = run(argv);
      if (!r.ok) {
        hosts.remove();
        throw new HostsError(`--hosts netns: \`${argv.join(" ")}\` failed: ${r.stderr}`);
      }
    }
    return hosts;
  }

  /** The prefix a node's command runs under. */
  commandOf(node: NodeId): readonly string[] {
    const ns = this.plan.namespaceOf.get(node);
    if (ns === undefined) throw new Error(`${node} has no namespace`);
    return ["ip", "netns", "exec", ns];
  }

  /** A bandwidth fault: the link's class runs at `factor` times its rate. */
  setBandwidth(source: string, target: string, factor: number): string | null {
    const link = this.links.find((l) => l.source === source && l.target === target);
    if (!link) return null;
    const r = run(bandwidthCommand(this.plan, source, target, link.bandwidthMbps * factor));
    return r.ok ? null : r.stderr;
  }

  /** Bytes the kernel sent on each directed link so far (from the htb classes' counters). */
  sentBytes(): Map<string, number> {
    const out = new Map<string, number>();
    for (const ns of this.plan.namespaces) {
      const text = spawnSync("tc", ["-n", ns.name, "-s", "class", "show", "dev", "eth0"], { encoding: "utf8" }).stdout ?? "";
      for (const [, id, bytes] of text.matchAll(/class htb (1:[0-9a-f]+) [^\n]*\n\s*Sent (\d+) bytes/g)) {
        const t = this.plan.namespaces.findIndex((_, i) => classOf(i) === id);
        if (t >= 0) out.set(`${ns.dataCenter}->${this.plan.namespaces[t]!.dataCenter}`, Number(bytes));
      }
    }
    return out;
  }

  /** Removes the namespaces, the bridge and the marker; idempotent. */
  remove(): string[] {
    if (this.removed) return [];
    this.removed = true;
    process.removeListener("exit", this.onExit);
    return remove(markerOf(this.plan, ""));
  }
}

/** The WAN links at the rates the kernel shapes them to: the topology's, times `wanEmulation.bandwidthScale`; none without WAN emulation. */
export function kernelLinksOf(cluster: Pick<ClusterConfig, "scenario" | "wanEmulation">): KernelLink[] {
  const wan = cluster.wanEmulation;
  if (!wan.enabled) return [];
  return cluster.scenario.topology.links.filter((l) => l.source !== l.target).map((l) => ({ source: l.source, target: l.target, bandwidthMbps: l.bandwidthMbps * wan.bandwidthScale }));
}

/**
 * Builds the workload, puts every data center in a namespace and starts every node in its own, on
 * the cluster file with the addresses rewritten. The caller removes `hosts` when the run is over
 * (an exit removes them too).
 */
export async function launchOnNamespaces(cluster: ClusterConfig, options: LaunchOptions, command: string): Promise<{ readonly launch: Launch; readonly hosts: NetnsHosts; readonly cluster: ClusterConfig }> {
  const { scenario } = cluster;
  const workload = await createWorkload(scenario.workload, { seed: scenario.seed, dataCenters: scenario.topology.dataCenters, workersPerDataCenter: scenario.topology.workersPerDataCenter, baseDir: scenario.baseDir ?? dirname(cluster.file) });
  const { layout } = planLayout(scenario, workload);
  const addresses = resolveAddresses(cluster, layout.nodes);
  const plan = planHosts(process.pid, layout.spec.dataCenters, [...addresses.values()]);
  const rewritten = await loadClusterAsync(cluster.file, hostOverrides(cluster, plan));
  const hosts = NetnsHosts.create(plan, kernelLinksOf(cluster), command);
  try {
    const launch = new Launch(rewritten, workload, {
      ...options,
      commandPrefix: (node) => hosts.commandOf(node),
      onWanBandwidth: (source, target, factor) => {
        const failed = hosts.setBandwidth(source, target, factor);
        if (failed !== null) options.onLog?.("launcher", `tc could not set the bandwidth of ${source}->${target}: ${failed}`);
        options.onWanBandwidth?.(source, target, factor);
      },
    });
    return { launch, hosts, cluster: rewritten };
  } catch (error) {
    hosts.remove();
    throw error;
  }
}
