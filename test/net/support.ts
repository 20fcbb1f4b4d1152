// Helpers for the runtime tests: small cluster files on loopback, in a fresh temporary directory.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { launchCluster, loadCluster, type Launch } from "@gaia/net";

export interface ClusterShape {
  readonly name: string;
  readonly sync: "asp" | "bsp" | "ssp" | "lan" | "diloco";
  readonly dataCenters: readonly string[];
  readonly maxIterations: number;
  readonly target?: number;
  readonly evalEvery?: number;
  readonly wan?: boolean;
  readonly checkpointEveryMs?: number;
  /** false: the file names no checkpoint folder (a launch then keeps checkpoints under its output folder). */
  readonly checkpointDir?: boolean;
  readonly ratings?: number;
  readonly seed?: number;
  /** Extra top-level YAML (a faults section, ...), appended as is. */
  readonly extra?: string;
  /** Extra lines of the cluster section, indented by two spaces (e.g. `  tls: { cert: c.pem, key: k.pem }`). */
  readonly clusterExtra?: string;
  /** Extra lines of the sync section, indented by two spaces (e.g. `  hubs: auto`). */
  readonly syncExtra?: string;
  readonly wanCutMode?: "hold" | "drop";
  /** The workload section's lines, indented by two spaces, in place of the small MF job. */
  readonly workload?: string;
}

/** Writes a cluster file (MF, one worker and one shard per data center) and returns its path. */
export function writeCluster(shape: ClusterShape): string {
  const dir = mkdtempSync(join(tmpdir(), `gaia-${shape.name}-`));
  // A random port range per file, so test files running side by side do not collide; below
  // Linux's ephemeral range (32768-60999), where another process's outgoing connection can hold a
  // port just as a node asks to listen on it.
  const basePort = 12000 + Math.floor(Math.random() * 2000) * 10;
  const text = `
name: ${shape.name}
seed: ${shape.seed ?? 11}
cluster:
  secret: test-secret-${shape.name}
  host: 127.0.0.1
  basePort: ${basePort}
  wanEmulation: { enabled: ${shape.wan ?? true}, bandwidthScale: 1, cutMode: ${shape.wanCutMode ?? "hold"} }
  checkpoint: { ${shape.checkpointDir === false ? "" : `dir: ${join(dir, "checkpoints")}, `}everyMs: ${shape.checkpointEveryMs ?? 500} }
${shape.clusterExtra ?? ""}
topology:
  preset: ec2-11
  dataCenters: [${shape.dataCenters.join(", ")}]
  machinesPerDataCenter: 1
  shardsPerDataCenter: 1
workload:
${shape.workload ?? `  kind: mf
  users: 300
  items: 100
  ratings: ${shape.ratings ?? 8000}
  rank: 6
  batchSize: 300`}
sync:
  model: ${shape.sync}
  significance: { threshold: 0.01, schedule: inverse-sqrt }
  mirrorClockBound: 1
${shape.syncExtra ?? ""}
stop:
  maxIterations: ${shape.maxIterations}
  evalEvery: ${shape.evalEvery ?? 5}
${shape.target !== undefined ? `  target: { objective: ${shape.target} }` : ""}
${shape.extra ?? ""}
`;
  const file = join(dir, `${shape.name}.yaml`);
  writeFileSync(file, text);
  return file;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 10 ms until it holds; fails the test naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs = 8000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Resolves once the launch has evaluated `iteration` (progress.iteration is kept by onProgress). */
export async function whenIteration(launch: Launch, progress: { iteration: number }, iteration: number): Promise<void> {
  const start = Date.now();
  let finished = false;
  void launch.result.then(
    () => (finished = true),
    () => (finished = true),
  );
  while (progress.iteration < iteration) {
    if (finished) assert.fail(`the run ended before iteration ${iteration}`);
    if (Date.now() - start > 60_000) assert.fail(`no progress past iteration ${progress.iteration}`);
    await sleep(20);
  }
}

/**
 * Launches `file` with every node's trace, kills `node` with SIGKILL from outside the launcher (as
 * the OOM killer would) once iteration `atIteration` is evaluated, and waits for the run's end.
 */
export async function launchAndKill(file: string, node: string, atIteration: number, timeoutS: number): Promise<{ launch: Launch; result: Awaited<Launch["result"]>; logs: string[] }> {
  const progress = { iteration: 0 };
  const logs: string[] = [];
  const launch = await launchCluster(loadCluster(file), { trace: true, timeoutS, onProgress: (p) => (progress.iteration = p.iteration), onLog: (from, line) => from === "launcher" && logs.push(line) });
  await whenIteration(launch, progress, atIteration);
  process.kill(launch.pidOf(node)!, "SIGKILL");
  return { launch, result: await launch.result, logs };
}
