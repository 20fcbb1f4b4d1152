import { Flags } from "@oclif/core";
import { GaiaCommand } from "../base.js";

export default class LaunchCommand extends GaiaCommand {
  static override summary = "Run every node of a cluster file as local processes over real sockets.";

  static override description = [
    "Run every node of a cluster file as a local process over real sockets (uWebSockets.js).",
    "",
    "Spawns one process per worker, shard and hub, shows progress, applies the scenario's faults at their times in wall seconds after every node is up (partitions and bandwidth changes on the emulated WAN, crash = SIGKILL and restart from the shard's checkpoint, slow nodes), restarts a node that dies unexpectedly as a scripted restart would (at most 3 times a node by default, --max-restarts N, with backoff; each restart logged and counted in the summary; --no-restart fails the run instead) and reports a node silent for 10 s (frozen, e.g. SIGSTOP) by name, stops the workers when the stop condition is met, and writes the same summary, metrics.jsonl, summary.json and report.html as `gaia simulate`. Times are wall-clock seconds of training, from the moment every node is up: the start-up before it is reported apart (startupS), and wallClockTimeS is the whole launch. --set changes a field of the cluster file as `gaia simulate --set` does a scenario's, for every node. Shard checkpoints go to <out>/checkpoints unless the file names checkpoint.dir. Ctrl-C (or SIGTERM) stops the nodes, collects what they have and writes it to the output folder marked interrupted, then exits 130 (143 on SIGTERM); a second Ctrl-C kills the nodes at once. Before any node starts, the memory of every process on this machine (each builds the workload; the protocol state is spread over them) is estimated from the scenario; a launch whose estimate exceeds the machine's memory, or --max-memory / GAIA_MAX_MEMORY, is refused with the estimate and what to change. --hosts netns (Linux, root) puts each data center in its own network namespace (veth pairs to a bridge, one address per node, the cluster file's addresses rewritten to them) and shapes the WAN bandwidth with tc htb on each namespace's egress; latency stays the runtime's (no netem). The namespaces are removed on exit, Ctrl-C or an error; a killed run's are removed at the next --hosts netns start. A scenario without stop limits stops at the default cap, as under `gaia simulate`. Exits 1 when the run fails, a check fails or the run stopped at the default cap without reaching its target, 2 on a bad cluster file, a launch that cannot fit, or --hosts netns where it cannot run.",
  ].join("\n");

  static override examples = [
    "<%= config.bin %> launch --cluster clusters/local-3dc.yaml",
    "<%= config.bin %> launch --cluster clusters/local-3dc.yaml --json --out runs/local",
    "<%= config.bin %> launch --cluster clusters/local-3dc.yaml --set stop.maxIterations=50 --set sync.mirrorClockBound=2",
    "sudo <%= config.bin %> launch --cluster clusters/local-3dc.yaml --hosts netns",
  ];

  static override flags = {
    cluster: Flags.string({ description: "cluster file (YAML)", required: true }),
    set: Flags.string({ description: "set a field of the cluster file, e.g. stop.maxIterations=50 or cluster.wanEmulation.bandwidthScale=0.5 (repeatable; values are YAML)", multiple: true, multipleNonGreedy: true, helpValue: "path=value" }),
    out: Flags.string({ description: "output folder [default: runs/<name>-<seed>-launch, numbered when taken]" }),
    force: Flags.boolean({ description: "replace the run already in the output folder", default: false }),
    json: Flags.boolean({ description: "print only the summary, as one JSON object, on stdout", default: false }),
    trace: Flags.boolean({ description: "collect every node's trace and run the simulator's checkers on it", default: false }),
    verbose: Flags.boolean({ char: "v", description: "print the nodes' logs on stderr", default: false }),
    "max-memory": Flags.string({ description: "refuse a launch whose memory estimate (all node processes on this machine) exceeds this (bytes, or 512MB, 8GB) [default: GAIA_MAX_MEMORY, else the machine's memory]", helpValue: "SIZE" }),
    restart: Flags.boolean({ description: "restart a node that dies unexpectedly (kill -9, the OOM killer): a shard or hub from its checkpoint, a worker by rejoining; at most 3 times a node, with backoff. --no-restart: such a death fails the run", default: true, allowNo: true }),
    "max-restarts": Flags.integer({ description: "restarts allowed per node over the run before one more unexpected death fails it (a long soak under repeated kill -9 needs more than the default)", default: 3, min: 0 }),
    hosts: Flags.string({ description: "where the nodes run: loopback (every node on this machine's loopback) or netns (a network namespace per data center, bandwidth shaped by tc; Linux, root)", options: ["loopback", "netns"], default: "loopback" }),
    watchdog: Flags.integer({ description: "each node reports \"no progress for T: waiting on X\" after this many seconds without progress (0: off)", default: 30, min: 0 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(LaunchCommand);
    // The runtime (uWebSockets.js) and the reports are loaded only by the command that uses them.
    const { launch } = await import("../actions/launch.js");
    const code = await launch(flags);
    if (code !== 0) this.exit(code);
  }
}
