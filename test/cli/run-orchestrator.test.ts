// Proves what an orchestrator relies on, on a 2-data-center cluster of `gaia run` processes started
// one by one (as Kubernetes would) and configured only through GAIA_* variables and a secret file:
// /healthz answers while the process is up; /readyz refuses, with the reason, until the node has
// joined its peers, and a node with the wrong secret never gets there; on SIGTERM a worker finishes
// its step and a shard writes a checkpoint, busy or idle, and both exit 0.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readCheckpoint } from "@gaia/net";
import { writeCluster } from "../net/support.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "packages/cli/bin/run.js");
spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/cli"], { cwd: root, encoding: "utf8" });

interface Node {
  readonly id: string;
  readonly child: ChildProcess;
  readonly exit: Promise<number | null>;
  port: number | null;
  stdout: string;
  stderr: string;
}

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** Starts `gaia run` with no flags: everything comes from the environment. */
function start(env: Record<string, string>): Node {
  const child = spawn(process.execPath, [bin, "run"], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const node: Node = { id: env["GAIA_NODE"]!, child, port: null, stdout: "", stderr: "", exit: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
  child.stdout!.on("data", (chunk: Buffer) => {
    node.stdout += chunk.toString();
    const ready = /"ev":"ready","node":"[^"]+","port":(\d+)/.exec(node.stdout);
    if (ready && node.port === null) node.port = Number(ready[1]);
  });
  child.stderr!.on("data", (chunk: Buffer) => (node.stderr += chunk.toString()));
  return node;
}

function fetch(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port, path, timeout: 2000 }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const listening = (node: Node): Promise<void> => until(`${node.id} to listen (stderr: ${node.stderr})`, () => node.port !== null);
const isReady = async (node: Node): Promise<boolean> => (await fetch(node.port!, "/readyz")).status === 200;

test("gaia run from GAIA_* variables: probes, a wrong secret never ready, SIGTERM exits 0 after a step or a checkpoint", { timeout: 180_000 }, async () => {
  const file = writeCluster({ name: "orchestrator", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 1_000_000, checkpointEveryMs: 600_000 });
  const secretFile = join(mkdtempSync(join(tmpdir(), "gaia-secret-")), "secret");
  // Not the cluster file's secret: a node that ignored the file could not talk to the others.
  writeFileSync(secretFile, "from-the-mounted-secret\n");
  const env = (node: string, withSecret = true): Record<string, string> => ({ GAIA_CLUSTER: file, GAIA_NODE: node, GAIA_WATCHDOG: "0", ...(withSecret ? { GAIA_SECRET_FILE: secretFile } : {}) });

  const shard = start(env("virginia/s0"));
  await listening(shard);
  const health = await fetch(shard.port!, "/healthz");
  assert.equal(health.status, 200);
  assert.equal(health.body, "ok\n");
  const early = await fetch(shard.port!, "/readyz");
  assert.equal(early.status, 503, "not ready before its peers are up: 503 Service Unavailable");
  assert.match(early.body, /^not ready: waiting for peers: .*virginia\/w0.* \(0 of 2 joined\)$/m);

  // A worker with the cluster file's secret (no secret file) is refused, and never ready.
  const stranger = start(env("virginia/w0", false));
  await listening(stranger);
  const refused = async (node: Node): Promise<boolean> => /^gaia_auth_rejected_total\{[^}]*\} [1-9]/m.test((await fetch(node.port!, "/metrics")).body);
  await until("a handshake between the two to be refused", async () => (await refused(shard)) || (await refused(stranger)), 20_000);
  assert.equal(await isReady(stranger), false);
  assert.match((await fetch(stranger.port!, "/readyz")).body, /waiting for peers: virginia\/s0/);
  stranger.child.kill("SIGKILL");
  await stranger.exit;

  const nodes = [shard, start(env("virginia/w0")), start(env("california/s0")), start(env("california/w0"))];
  for (const node of nodes) await listening(node);
  for (const node of nodes) await until(`${node.id} to be ready`, () => isReady(node));
  for (const node of nodes) assert.equal((await fetch(node.port!, "/healthz")).status, 200);
  const worker = nodes[1]!;
  await until("the worker to train", () => /"ev":"clock","node":"virginia\/w0","clock":3,/.test(worker.stdout));

  // A shard in training checkpoints before every send leaves (output commit); this one still
  // writes one for the SIGTERM.
  const checkpointDir = join(dirname(file), "checkpoints");
  const terminated = async (node: Node, file: string): Promise<void> => {
    const sentAt = Date.now();
    node.child.kill("SIGTERM");
    assert.equal(await node.exit, 0, node.stderr);
    assert.match(node.stderr, new RegExp(`^${node.id}: SIGTERM: checkpoint written to .*; exiting$`, "m"));
    assert.ok(statSync(join(checkpointDir, file)).mtimeMs >= sentAt - 50, `${node.id}: the checkpoint was written after SIGTERM`);
  };
  const remote = nodes[2]!;
  const first = readCheckpoint(checkpointDir, "california/s0");
  assert.ok(first !== null, "the initial checkpoint is on disk");
  await terminated(remote, "california_s0.ckpt");
  const written = readCheckpoint(checkpointDir, "california/s0")!;
  // At least as far as the checkpoint read before (the shard may not have advanced since: racing it is timing).
  assert.ok((written.shard as { localClock: number }).localClock >= (first.shard as { localClock: number }).localClock, "it holds the shard's progress");

  worker.child.kill("SIGTERM");
  assert.equal(await worker.exit, 0, worker.stderr);
  assert.match(worker.stderr, /^virginia\/w0: SIGTERM: finished clock \d+; exiting$/m);
  assert.match(worker.stdout, /"ev":"final","node":"virginia\/w0"/);

  // virginia/s0 has lost its worker and its mirror: done, idle, and up (its final flush to the
  // mirror stays unacknowledged), it writes no checkpoint of its own (they come every 10 minutes
  // here), so the one after SIGTERM is the SIGTERM's.
  const checkpoints = async (): Promise<string> => /^gaia_checkpoints_total\{[^}]*\} (\d+)/m.exec((await fetch(shard.port!, "/metrics")).body)?.[1] ?? "";
  let count = await checkpoints();
  await until("virginia/s0 to be idle", async () => {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await checkpoints();
    const quiet = now === count;
    count = now;
    return quiet;
  });
  await terminated(shard, "virginia_s0.ckpt");
});
