import { Flags } from "@oclif/core";
import { GaiaCommand } from "../base.js";
import { ClusterError, runNode } from "@gaia/net";
import { WorkloadError } from "@gaia/workloads";

export default class RunCommand extends GaiaCommand {
  static override summary = "Run one node (worker, shard or hub) of a cluster file in this process.";

  static override description = [
    "Run one node (worker, shard or hub) of a cluster file in this process.",
    "",
    "Start one `gaia run` per node of the cluster, on the hosts the cluster file names; nodes dial each other, authenticate with the shared secret and train. Reports (worker clocks, metrics, final state) are printed on stdout as JSON lines; Prometheus metrics are served at GET /metrics on the node's port. A shard restarted with --restore continues from its last checkpoint (and the run's clock, so read waits stay right). The scenario's scripted faults are applied by `gaia launch`, not by a single node. Exits 2 on a bad cluster file or node id.",
  ].join("\n");

  static override examples = [
    "<%= config.bin %> run --cluster clusters/local-3dc.yaml --node virginia/s0",
    "<%= config.bin %> run --cluster cluster.yaml --node tokyo/w1",
  ];

  static override flags = {
    cluster: Flags.string({ description: "cluster file (YAML)", required: true }),
    node: Flags.string({ description: "node id, e.g. virginia/w0, virginia/s0, virginia/hub", required: true }),
    restore: Flags.boolean({ description: "restore a shard from its last checkpoint; a worker rejoins from its shards' state", default: false }),
    watchdog: Flags.integer({ description: "report \"no progress for T: waiting on X\" after this many seconds without progress (0: off)", default: 30, min: 0 }),
    trace: Flags.boolean({ description: "print every trace event as a JSON line", default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(RunCommand);
    let code: number;
    try {
      code = await runNode({ clusterFile: flags.cluster, node: flags.node, launcher: false, restore: flags.restore, trace: flags.trace, watchdogMs: flags.watchdog * 1000 });
    } catch (error) {
      if (error instanceof ClusterError) {
        process.stderr.write(`Error: invalid cluster file\n${error.message}\n`);
        this.exit(2);
      }
      const message = (error as Error).message ?? String(error);
      process.stderr.write(`Error: node ${flags.node}: ${message}\n`);
      this.exit((error instanceof WorkloadError && error.during === "input") || message.includes("is not in the layout") || message.startsWith("--restore") ? 2 : 1);
    }
    if (code !== 0) this.exit(code);
  }
}
