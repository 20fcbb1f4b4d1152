/**
 * Runs one node as a process: `gaia run --cluster FILE --node ID`, or a child of `gaia launch`.
 *
 * Launcher mode (`launcher: true`): reports go to stdout as JSON lines (NodeReport); commands come
 * on stdin, one per line: `stop` (workers finish), `drop` (cut every connection, for fault tests),
 * `cut MS` (cut every connection and refuse new ones for MS milliseconds), the launcher's scripted
 * faults `wan-cut DC 1|0` (cut or heal the emulated WAN to data center DC), `wan-bandwidth DC F`
 * (the emulated link to DC runs at F times its rate), `lossy DC L D R` (frames to DC are lost,
 * doubled, reordered with these probabilities; 0 0 0 heals), `slow F` (compute takes F times as long),
 * `objective I V` (the objective V evaluated at iteration I, for the `gaia_objective` gauge), and
 * `exit` (final report, then exit). Standalone mode: reports go to stdout as JSON lines too, and
 * the node exits on its own once its role is done, every frame it sent is acknowledged, and it has
 * heard nothing for `lingerMs` (a shard keeps serving its mirrors' final flushes until then). On
 * SIGTERM a standalone node ends cleanly with exit 0: a shard or hub writes a checkpoint first (exit
 * 1 when it keeps checkpoints and none could be written), a worker finishes its current step. SIGINT
 * stops it at once (exit 130). A node whose link falls out of step (transport/link.ts, "Links out of
 * step") stops and reports an `error` naming the link and the cause: a launcher fails the run with
 * that message (and ends the node); a standalone node exits 1.
 */
import { createInterface } from "node:readline";
import { loadClusterAsync, type ClusterOverrides } from "./cluster.js";
import { NodeRuntime, type NodeFaultState, type NodeReport } from "./node.js";

export interface RunNodeOptions {
  readonly clusterFile: string;
  /** What the launcher's command line changed in the cluster file (`--set`, the checkpoint folder). */
  readonly overrides?: ClusterOverrides;
  readonly node: string;
  readonly launcher: boolean;
  readonly restore: boolean;
  readonly trace: boolean;
  readonly epochMs?: number;
  readonly lingerMs?: number;
  /** Faults in force at start (a node the launcher restarts during a fault). */
  readonly faults?: NodeFaultState;
  /** Watchdog period (default 30 s; 0: off). */
  readonly watchdogMs?: number;
  readonly write?: (line: string) => void;
  /** The cluster file's secret, replaced (from GAIA_SECRET or a secret file). */
  readonly secret?: string;
  /** Wait for the launcher's `start` command before training (NodeOptions.awaitStart). */
  readonly awaitStart?: boolean;
  /** SIGTERM: how long a worker may take to finish its step, a shard its checkpoint (default 20 s). */
  readonly terminateGraceMs?: number;
}

/** Resolves with the exit code. */
export async function runNode(options: RunNodeOptions): Promise<number> {
  const loaded = await loadClusterAsync(options.clusterFile, options.overrides);
  const cluster = options.secret !== undefined ? { ...loaded, secret: options.secret } : loaded;
  const write = options.write ?? ((line: string) => process.stdout.write(line + "\n"));
  let last: NodeReport | null = null;
  let quietSince = Date.now();
  /** Ends the run of this node with exit 1 (set once it runs). */
  let failed: (() => void) | null = null;
  const runtime = new NodeRuntime({
    cluster,
    node: options.node,
    restore: options.restore,
    trace: options.trace,
    ...(options.epochMs !== undefined ? { epochMs: options.epochMs } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.watchdogMs !== undefined ? { watchdogMs: options.watchdogMs } : {}),
    ...(options.awaitStart ? { awaitStart: true } : {}),
    report: (r) => {
      if (r.ev !== "state" && r.ev !== "metrics") quietSince = Date.now();
      if (r.ev === "state") last = r;
      if (r.ev === "stalled" && !options.launcher) process.stderr.write(`${r.node}: no progress for ${Math.round(r.forMs / 1000)} s: waiting on ${r.waitingOn}\n`);
      if (r.ev === "retrying" && !options.launcher) process.stderr.write(`${r.node}: ${r.message}\n`);
      write(JSON.stringify(r));
      // The node stopped itself (a link out of step): it says why. A launcher fails the run with
      // that and ends the process; a standalone node exits 1.
      if (r.ev === "error" && !options.launcher) {
        process.stderr.write(`${r.node}: ${r.message}\n`);
        setImmediate(() => failed?.());
      }
    },
  });
  await runtime.start();
  return new Promise<number>((resolve) => {
    failed = () => {
      runtime.close();
      resolve(1);
    };
    const finish = (code: number): void => {
      void runtime.finish().then(() => resolve(code));
    };
    if (options.launcher) {
      // Ctrl-C at a terminal reaches every process of the group, the nodes too: the launcher
      // decides what happens (it asks each node for its final report, then writes the run).
      process.on("SIGINT", () => undefined);
      const lines = createInterface({ input: process.stdin });
      lines.on("line", (line) => {
        const command = line.trim();
        if (command === "start") runtime.begin();
        else if (command === "stop") runtime.stop();
        else if (command === "drop") runtime.dropConnections();
        else if (command.startsWith("cut ")) runtime.cutFor(Number(command.slice(4)) || 0);
        else if (command.startsWith("wan-cut ")) {
          const [, dc, on] = command.split(" ");
          if (dc) runtime.setWanCut(dc, on === "1");
        } else if (command.startsWith("wan-bandwidth ")) {
          const [, dc, factor] = command.split(" ");
          if (dc && Number(factor) > 0) runtime.setWanBandwidthFactor(dc, Number(factor));
        } else if (command.startsWith("lossy ")) {
          const [, dc, loss, duplicate, reorder] = command.split(" ");
          const spec = { loss: Number(loss) || 0, duplicate: Number(duplicate) || 0, reorder: Number(reorder) || 0 };
          if (dc) runtime.setLossy(dc, spec.loss > 0 || spec.duplicate > 0 || spec.reorder > 0 ? spec : null);
        } else if (command.startsWith("slow ")) runtime.setSlowFactor(Number(command.slice(5)));
        else if (command.startsWith("objective ")) {
          const [, iteration, value] = command.split(" ");
          runtime.setObjective(Number(iteration), Number(value));
        }
        else if (command === "exit") {
          lines.close();
          finish(0);
        }
      });
      // The launcher went away: nothing left to report to.
      lines.on("close", () => finish(0));
    } else {
      const linger = options.lingerMs ?? 5000;
      const timer = setInterval(() => {
        const state = last as Extract<NodeReport, { ev: "state" }> | null;
        if (state && state.done && state.unacked === 0 && Date.now() - quietSince > linger) {
          clearInterval(timer);
          finish(0);
        }
      }, 200);
      const interrupt = (): void => {
        clearInterval(timer);
        runtime.close();
        resolve(130);
      };
      // An orchestrator stopping the node: a shard or hub checkpoints, a worker finishes its step
      // and pushes it; then the final report and exit 0 (within `terminateGraceMs`).
      const terminate = (): void => {
        clearInterval(timer);
        const graceMs = options.terminateGraceMs ?? 20_000;
        void runtime.terminate(graceMs).then(
          async (checkpointed) => {
            const what = runtime.isWorker ? `finished clock ${runtime.clock ?? 0}` : checkpointed ? `checkpoint written to ${cluster.checkpoint.dir}` : runtime.keepsCheckpoints ? `no checkpoint written within ${graceMs} ms` : "no checkpoint (checkpoint.enabled is false)";
            process.stderr.write(`${options.node}: SIGTERM: ${what}; exiting\n`);
            await runtime.finish();
            resolve(checkpointed || runtime.isWorker || !runtime.keepsCheckpoints ? 0 : 1);
          },
          (error: unknown) => {
            process.stderr.write(`${options.node}: SIGTERM: ${error instanceof Error ? error.message : String(error)}\n`);
            runtime.close();
            resolve(1);
          },
        );
      };
      process.once("SIGINT", interrupt);
      process.once("SIGTERM", terminate);
    }
  });
}
