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
 * heard nothing for `lingerMs` (a shard keeps serving its mirrors' final flushes until then).
 */
import { createInterface } from "node:readline";
import { loadClusterAsync } from "./cluster.js";
import { NodeRuntime, type NodeFaultState, type NodeReport } from "./node.js";

export interface RunNodeOptions {
  readonly clusterFile: string;
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
}

/** Resolves with the exit code. */
export async function runNode(options: RunNodeOptions): Promise<number> {
  const cluster = await loadClusterAsync(options.clusterFile);
  const write = options.write ?? ((line: string) => process.stdout.write(line + "\n"));
  let last: NodeReport | null = null;
  let quietSince = Date.now();
  const runtime = new NodeRuntime({
    cluster,
    node: options.node,
    restore: options.restore,
    trace: options.trace,
    ...(options.epochMs !== undefined ? { epochMs: options.epochMs } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.watchdogMs !== undefined ? { watchdogMs: options.watchdogMs } : {}),
    report: (r) => {
      if (r.ev !== "state" && r.ev !== "metrics") quietSince = Date.now();
      if (r.ev === "state") last = r;
      if (r.ev === "stalled" && !options.launcher) process.stderr.write(`${r.node}: no progress for ${Math.round(r.forMs / 1000)} s: waiting on ${r.waitingOn}\n`);
      write(JSON.stringify(r));
    },
  });
  await runtime.start();
  return new Promise<number>((resolve) => {
    const finish = (code: number): void => {
      void runtime.finish().then(() => resolve(code));
    };
    if (options.launcher) {
      const lines = createInterface({ input: process.stdin });
      lines.on("line", (line) => {
        const command = line.trim();
        if (command === "stop") runtime.stop();
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
      process.once("SIGINT", interrupt);
      process.once("SIGTERM", interrupt);
    }
  });
}
