import { readFileSync } from "node:fs";
import { Flags } from "@oclif/core";
import { GaiaCommand } from "../base.js";
import { WorkloadError } from "@gaia/workloads";

export default class RunCommand extends GaiaCommand {
  static override summary = "Run one node (worker, shard or hub) of a cluster file in this process.";

  static override description = [
    "Run one node (worker, shard or hub) of a cluster file in this process.",
    "",
    "Start one `gaia run` per node of the cluster, on the hosts the cluster file names; nodes dial each other, authenticate with the shared secret and train. Reports (worker clocks, metrics, final state) are printed on stdout as JSON lines; Prometheus metrics are served at GET /metrics on the node's port. A shard restarted with --restore continues from its last checkpoint (and the run's clock, so read waits stay right). The scenario's scripted faults are applied by `gaia launch`, not by a single node. Every flag can also come from an environment variable named after it (GAIA_CLUSTER, GAIA_NODE, GAIA_RESTORE, GAIA_WATCHDOG, GAIA_TRACE, GAIA_GRACE, GAIA_SECRET_FILE); a flag given on the command line wins. The shared secret replaces the cluster file's when it is given: read from --secret-file (a Kubernetes Secret mounted as a file), else from GAIA_SECRET. On SIGTERM a shard or hub writes a checkpoint and a worker finishes its current step, then the node exits 0; /healthz and /readyz on the node's port answer an orchestrator's probes. Exits 2 on a bad cluster file, node id, secret file or environment variable.",
  ].join("\n");

  static override examples = [
    "<%= config.bin %> run --cluster clusters/local-3dc.yaml --node virginia/s0",
    "<%= config.bin %> run --cluster cluster.yaml --node tokyo/w1",
  ];

  static override flags = {
    cluster: Flags.string({ description: "cluster file (YAML)", required: true, env: "GAIA_CLUSTER" }),
    node: Flags.string({ description: "node id, e.g. virginia/w0, virginia/s0, virginia/hub", required: true, env: "GAIA_NODE" }),
    restore: Flags.boolean({ description: "restore a shard from its last checkpoint; a worker rejoins from its shards' state", default: false, allowNo: true, env: "GAIA_RESTORE" }),
    watchdog: Flags.integer({ description: "report \"no progress for T: waiting on X\" after this many seconds without progress (0: off)", default: 30, min: 0, env: "GAIA_WATCHDOG" }),
    trace: Flags.boolean({ description: "print every trace event as a JSON line", default: false, allowNo: true, env: "GAIA_TRACE" }),
    grace: Flags.integer({ description: "on SIGTERM, seconds a worker may take to finish its step and a shard its checkpoint", default: 20, min: 1, env: "GAIA_GRACE" }),
    "secret-file": Flags.string({ description: "read the shared secret from this file (replaces the cluster file's secret and GAIA_SECRET)", env: "GAIA_SECRET_FILE" }),
  };

  async run(): Promise<void> {
    // Loaded here, not at the top: every gaia command imports every command module.
    const { ClusterError, runNode } = await import("@gaia/net");
    for (const name of booleanVariables) {
      const value = process.env[name];
      if (value !== undefined && value !== "" && !/^(1|true|yes|y|0|false|no|n)$/i.test(value)) this.fail(`${name}=${JSON.stringify(value)} is not a boolean (use true or false)`);
    }
    const { flags } = await this.parse(RunCommand);
    const secret = this.secret(flags["secret-file"]);
    let code: number;
    try {
      code = await runNode({ clusterFile: flags.cluster, node: flags.node, launcher: false, restore: flags.restore, trace: flags.trace, watchdogMs: flags.watchdog * 1000, terminateGraceMs: flags.grace * 1000, ...(secret !== undefined ? { secret } : {}) });
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

  /** The secret that replaces the cluster file's: from the secret file, else GAIA_SECRET, else none. */
  private secret(file: string | undefined): string | undefined {
    if (file !== undefined) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
        return this.fail(`secret file ${file}: ${reason}`);
      }
      // A file written by hand or by `kubectl create secret --from-file` may end in a newline.
      const secret = text.replace(/\r?\n$/, "");
      if (secret.trim() === "") this.fail(`secret file ${file} is empty`);
      if (secret.length < 8) this.fail(`secret file ${file}: the secret has ${secret.length} characters; it needs at least 8`);
      return secret;
    }
    const value = process.env["GAIA_SECRET"];
    if (value === undefined) return undefined;
    if (value.trim() === "") this.fail("GAIA_SECRET is set but empty");
    if (value.length < 8) this.fail(`GAIA_SECRET has ${value.length} characters; the secret needs at least 8`);
    return value;
  }

}

/** The boolean flags' variables; oclif reads any other value as false, so a typo is refused here. */
const booleanVariables = ["GAIA_RESTORE", "GAIA_TRACE"];
