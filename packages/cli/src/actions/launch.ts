/** What `gaia launch` does (commands/launch.ts parses its flags and loads this module). */
import { join } from "node:path";
import { cleanLeftovers, ClusterError, HostsError, launchCluster, launchOnNamespaces, loadClusterAsync, netnsUnavailable, resolveAddresses, type ClusterConfig, type Launch, type NetnsHosts } from "@gaia/net";
import { defaultCapStop, estimateLaunchMemory, faultWindowsOf, formatObjective, memoryLimit, estimable, memoryProblem, writeRunOutputs } from "@gaia/sim";
import { WorkloadError } from "@gaia/workloads";
import { InputError, outputDir, parseSet } from "../inputs.js";
import { createConsole } from "../progress.js";
import { summaryText } from "../tables.js";

export async function launch(flags: { cluster: string; set?: string[] | undefined; out: string | undefined; force: boolean; json: boolean; trace: boolean; verbose: boolean; restart: boolean; "max-restarts": number; watchdog: number; hosts: string; "max-memory"?: string | undefined }): Promise<number> {
  let set;
  try {
    set = (flags.set ?? []).map(parseSet);
  } catch (error) {
    if (error instanceof InputError) {
      process.stderr.write(`Error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  let cluster: ClusterConfig;
  try {
    cluster = await loadClusterAsync(flags.cluster, set.length > 0 ? { set } : {});
  } catch (error) {
    if (error instanceof ClusterError) {
      process.stderr.write(`Error: invalid cluster file\n${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const { scenario } = cluster;
  try {
    const estimate = estimable(scenario) ? estimateLaunchMemory(scenario) : null;
    const problem = estimate === null ? null : memoryProblem(scenario, estimate, memoryLimit(flags["max-memory"]), `the launch (${estimate.processes} processes on this machine)`);
    if (problem !== null) {
      process.stderr.write(`Error: ${flags.cluster}: ${problem}\n`);
      return 2;
    }
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    process.stderr.write(`Error: ${error.message}\n`);
    return 2;
  }
  let out;
  try {
    out = outputDir(flags.out, join("runs", `${scenario.name}-${scenario.seed}-launch`), flags.force);
  } catch (error) {
    if (error instanceof InputError) {
      process.stderr.write(`Error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  // The same file again, with the checkpoints' default folder under the output folder (a file that
  // names checkpoint.dir keeps it); every node reads it with these overrides.
  cluster = await loadClusterAsync(flags.cluster, { ...(set.length > 0 ? { set } : {}), checkpointDir: join(out.dir, "checkpoints") });
  const console = createConsole({ bar: !flags.json, quiet: flags.json });
  if (out.note) console.log(out.note);
  if (flags.hosts === "netns") {
    const why = netnsUnavailable();
    if (why !== null) {
      process.stderr.write(`Error: --hosts netns: ${why}\n`);
      return 2;
    }
    try {
      for (const line of cleanLeftovers()) console.log(line);
    } catch (error) {
      if (!(error instanceof HostsError)) throw error;
      process.stderr.write(`Error: ${error.message}\n`);
      return 2;
    }
  }
  let hosts: NetnsHosts | null = null;
  let running: Launch | null = null;
  let interruptedBy: NodeJS.Signals | null = null;
  const reasonOf = (signal: NodeJS.Signals): string => (signal === "SIGINT" ? "Ctrl-C (SIGINT)" : signal);
  const interrupt = (signal: NodeJS.Signals): void => {
    interruptedBy ??= signal;
    if (running !== null) running.interrupt(reasonOf(signal));
    else {
      // No node is running yet (the workload is being built): there is no run to keep.
      console.stop();
      process.stderr.write(`interrupted (${reasonOf(signal)}) before any node started; nothing written\n`);
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  let lastLine = 0;
  let training = false;
  try {
    console.log(`starting the nodes of ${flags.cluster} ${flags.hosts === "netns" ? "in a network namespace per data center" : "on this machine"}...`);
    const options: Parameters<typeof launchCluster>[1] = {
      trace: flags.trace,
      watchdogS: flags.watchdog,
      supervision: { restart: flags.restart, maxRestarts: flags["max-restarts"] },
      onNodeReady: (node, ready, total) => {
        // A node restarted after a crash reports ready again: that is a log line, not a new start.
        if (flags.verbose || (ready === total && !training)) console.log(`node ${node} is up (${ready}/${total})${ready === total && !training ? "; training" : ""}`);
        if (ready === total && !training) {
          training = true;
          console.start(scenario.name, scenario.stop, "wall", "objective");
        }
      },
      // The bar runs on training time (start-up excluded), the clock of the stop condition and of the ETA.
      onProgress: (p) => {
        if (console.interactive) console.update({ timeS: p.virtualTimeS, iteration: p.iteration, objective: p.objective });
        else if (Date.now() - lastLine >= 1000) {
          // Without a terminal, one progress line a second at most.
          lastLine = Date.now();
          console.log(`iteration ${p.iteration}  training ${p.virtualTimeS.toFixed(1)} s (wall ${p.wallS.toFixed(1)} s)  objective ${p.objective === null ? "-" : formatObjective(p.objective)}`);
        }
      },
      onLog: (node, line) => {
        if (flags.verbose || node === "launcher") console.log(`[${node}] ${line}`);
      },
      onFault: (text, atS) => console.log(`fault at ${atS.toFixed(1)} s: ${text}`),
    };
    if (flags.hosts === "netns") {
      const started = await launchOnNamespaces(cluster, options, `gaia launch ${process.argv.slice(2).join(" ")}`);
      ({ hosts, cluster } = started);
      running = started.launch;
      for (const ns of hosts.plan.namespaces) console.log(`  namespace ${ns.name}: ${ns.addresses.join(", ")}`);
    } else running = await launchCluster(cluster, options);
    const addresses = resolveAddresses(cluster, running.plan.layout.nodes);
    const roles = { w: 0, s: 0, hub: 0 };
    for (const id of running.plan.layout.nodes) {
      const local = id.slice(id.lastIndexOf("/") + 1);
      if (local === "hub") roles.hub++;
      else if (local.startsWith("w")) roles.w++;
      else roles.s++;
    }
    console.log(`${addresses.size} node processes: ${roles.w} workers, ${roles.s} shards${roles.hub > 0 ? `, ${roles.hub} hubs` : ""}; waiting for every node to listen and connect`);
    const width = Math.max(...[...addresses.keys()].map((id) => id.length));
    const scheme = cluster.tls ? "https" : "http";
    for (const [id, address] of addresses) console.log(`  ${id.padEnd(width)}  ${cluster.tls ? "wss" : "ws"}://${address.host}:${address.port}  metrics ${scheme}://${address.host}:${address.port}/metrics`);
    const launched = await running.result;
    console.stop();
    if (hosts !== null) {
      const sent = [...hosts.sentBytes()].map(([link, bytes]) => `${link} ${bytes}`).join(", ");
      if (sent !== "") console.log(`bytes the kernel shaped per link (tc): ${sent}`);
    }
    // Faults start when every node is up, on the training clock that many seconds in.
    const offsetS = running.readyS === null ? 0 : Math.max(0, running.readyS - launched.summary.startupS!);
    const capped = launched.summary.interrupted ? null : defaultCapStop(scenario.stop, launched.summary);
    const result = { ...launched, summary: { ...launched.summary, ...(capped !== null ? { stoppedBy: capped.stoppedBy } : {}), faultWindows: faultWindowsOf(scenario.faults, cluster.faultTimeScale, offsetS) } };
    const paths = await writeRunOutputs(out.dir, result);
    if (flags.json) process.stdout.write(`${JSON.stringify({ ...result.summary, outDir: out.dir })}\n`);
    else process.stdout.write(summaryText(result.summary, [paths.metrics, paths.metricsCsv, paths.summary, paths.report]));
    if (result.summary.interrupted) {
      process.stderr.write(`interrupted (${result.summary.interruptReason}): the run so far is in ${out.dir}\n`);
      return interruptedBy === "SIGTERM" ? 143 : 130;
    }
    if (result.summary.diverged) {
      process.stderr.write(`Error: ${result.summary.diverged}\n`);
      return 1;
    }
    if (capped !== null) process.stderr.write(`${capped.failed ? "Error" : "note"}: ${capped.message}\n`);
    const failed = Object.entries(result.summary.checks).filter(([, verdict]) => verdict !== null);
    if (failed.length > 0) {
      process.stderr.write(`Error: ${failed.length} check(s) failed: ${failed.map(([name, verdict]) => `${name}: ${verdict}`).join("; ")}\n`);
      return 1;
    }
    return capped?.failed ? 1 : 0;
  } catch (error) {
    console.stop();
    if (error instanceof ClusterError) {
      process.stderr.write(`Error: invalid cluster file\n${error.message}\n`);
      return 2;
    }
    if (error instanceof HostsError) {
      process.stderr.write(`Error: ${error.message}\n`);
      return 1;
    }
    if (error instanceof WorkloadError && error.during === "input") {
      // Bad input (a workload's data file that is missing or malformed): its message says what and where.
      process.stderr.write(`Error: ${error.message}\n`);
      return 2;
    }
    const message = (error as Error).message ?? String(error);
    process.stderr.write(`Error: the launch failed: ${message}\n`);
    if (process.env["DEBUG"]) process.stderr.write(`${(error as Error).stack ?? ""}\n`);
    return 1;
  } finally {
    process.removeListener("SIGINT", interrupt);
    process.removeListener("SIGTERM", interrupt);
    const left = hosts?.remove() ?? [];
    if (left.length > 0) process.stderr.write(`Error: --hosts netns: could not remove ${left.join("; ")}\n`);
  }
}
