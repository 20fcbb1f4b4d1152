import { Command, Flags } from "@oclif/core";
import cliProgress from "cli-progress";
import { join } from "node:path";
import { ClusterError, launchCluster, loadCluster, type ClusterConfig, type Launch } from "@gaia/net";
import { formatObjective, formatSummaryTable, writeRunOutputs } from "@gaia/sim";

export default class LaunchCommand extends Command {
  static override description = [
    "Run every node of a cluster file as a local process over real sockets (uWebSockets.js).",
    "",
    "Spawns one process per worker, shard and hub, shows progress, applies the scenario's faults at their times in wall seconds after every node is up (partitions and bandwidth changes on the emulated WAN, crash = SIGKILL and restart from the shard's checkpoint, slow nodes), stops the workers when the stop condition is met, and writes the same summary, metrics.jsonl, summary.json and report.html as `gaia simulate` (times are wall-clock seconds). Ctrl-C kills every node and exits 130. Exits 1 when the run fails or a check fails, 2 on a bad cluster file.",
  ].join("\n");

  static override examples = [
    "<%= config.bin %> launch --cluster clusters/local-3dc.yaml",
    "<%= config.bin %> launch --cluster clusters/local-3dc.yaml --json --out runs/local",
  ];

  static override flags = {
    cluster: Flags.string({ description: "cluster file (YAML)", required: true }),
    out: Flags.string({ description: "output directory [default: runs/<name>-<seed>-launch]" }),
    json: Flags.boolean({ description: "print only the summary, as one JSON object, on stdout", default: false }),
    trace: Flags.boolean({ description: "collect every node's trace and run the simulator's checkers on it", default: false }),
    verbose: Flags.boolean({ char: "v", description: "print the nodes' logs on stderr", default: false }),
    watchdog: Flags.integer({ description: "each node reports \"no progress for T: waiting on X\" after this many seconds without progress (0: off)", default: 30, min: 0 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(LaunchCommand);
    const code = await launch(flags);
    if (code !== 0) this.exit(code);
  }
}

async function launch(flags: { cluster: string; out: string | undefined; json: boolean; trace: boolean; verbose: boolean; watchdog: number }): Promise<number> {
  let cluster: ClusterConfig;
  try {
    cluster = loadCluster(flags.cluster);
  } catch (error) {
    if (error instanceof ClusterError) {
      process.stderr.write(`Error: invalid cluster file\n${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const { scenario } = cluster;
  const outDir = flags.out ?? join("runs", `${scenario.name}-${scenario.seed}-launch`);
  const total = scenario.stop.maxIterations ?? 0;
  const bar = !flags.json && process.stderr.isTTY && total > 0 ? new cliProgress.SingleBar({ stream: process.stderr, format: `${scenario.name} [{bar}] iteration {value}/{total} | wall {wall} s | objective {objective}`, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : null;
  bar?.start(total, 0, { wall: "0", objective: "-" });
  let running: Launch | null = null;
  const interrupt = (): void => running?.abort("interrupted (Ctrl-C)");
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  try {
    running = await launchCluster(cluster, {
      trace: flags.trace,
      watchdogS: flags.watchdog,
      onProgress: (p) => {
        if (bar) bar.update(Math.min(total, p.iteration), { wall: p.wallS.toFixed(1), objective: p.objective === null ? "-" : formatObjective(p.objective) });
        else if (!flags.json) process.stderr.write(`iteration ${p.iteration}  wall ${p.wallS.toFixed(1)} s  objective ${p.objective === null ? "-" : formatObjective(p.objective)}\n`);
      },
      onLog: (node, line) => {
        if (flags.verbose || node === "launcher") process.stderr.write(`[${node}] ${line}\n`);
      },
      onFault: (text, atS) => {
        if (!flags.json) process.stderr.write(`fault at ${atS.toFixed(1)} s: ${text}\n`);
      },
    });
    const result = await running.result;
    bar?.stop();
    const paths = writeRunOutputs(outDir, result);
    if (flags.json) process.stdout.write(`${JSON.stringify({ ...result.summary, outDir })}\n`);
    else process.stdout.write(`${formatSummaryTable(result.summary)}\n\nwrote ${paths.metrics}, ${paths.summary}, ${paths.report}\n`);
    if (result.summary.diverged) {
      process.stderr.write(`Error: ${result.summary.diverged}\n`);
      return 1;
    }
    const failed = Object.entries(result.summary.checks).filter(([, verdict]) => verdict !== null);
    if (failed.length > 0) {
      process.stderr.write(`Error: ${failed.length} check(s) failed: ${failed.map(([name, verdict]) => `${name}: ${verdict}`).join("; ")}\n`);
      return 1;
    }
    return 0;
  } catch (error) {
    bar?.stop();
    if (error instanceof ClusterError) {
      process.stderr.write(`Error: invalid cluster file\n${error.message}\n`);
      return 2;
    }
    const message = (error as Error).message ?? String(error);
    process.stderr.write(`Error: the launch failed: ${message}\n`);
    if (process.env["DEBUG"]) process.stderr.write(`${(error as Error).stack ?? ""}\n`);
    return message.startsWith("interrupted") ? 130 : 1;
  } finally {
    process.removeListener("SIGINT", interrupt);
    process.removeListener("SIGTERM", interrupt);
  }
}
