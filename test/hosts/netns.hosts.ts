// `npm run test:hosts` (root, `ip netns`; scripts/test-hosts.mjs skips it, saying why, elsewhere):
// `gaia launch --hosts netns` runs a 3-data-center cluster with a namespace per data center, over
// TLS, through a partition, a shard killed with SIGKILL and restarted, and a bandwidth drop on the
// kernel's shaper, and ends where the simulator ends. Nodes of one data center share a namespace
// and nodes of different ones reach each other only by their namespace addresses over the run's
// bridge, so a run that completes with every replica in agreement crossed them. It also proves the
// clean-up: a launcher killed with SIGKILL leaves its namespaces, the next start removes them, and
// a run ends (Ctrl-C included) with nothing of its own left.
//
// Not part of `npm test` (it needs root and takes about a minute): its name does not end in .test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCluster, markerDir, parseNetnsList } from "@gaia/net";
import { runSimulation } from "@gaia/sim";

/** Relative tolerance on the final objective between the run and the simulator (ASP: timing moves it a little). */
const objectiveTolerance = 0.03;

const dir = mkdtempSync(join(tmpdir(), "gaia-hosts-"));
const file = join(dir, "netns-3dc.yaml");
copyFileSync(new URL("./netns-3dc.yaml", import.meta.url), file);
const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { encoding: "utf8" });
const tls = `cluster.tls={cert: ${join(dir, "cert.pem")}, key: ${join(dir, "key.pem")}}`;
const cli = new URL("../../packages/cli/bin/run.js", import.meta.url).pathname;

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exit: Promise<number | string>;
}

function launch(out: string, ...extra: string[]): Started {
  const child = spawn(process.execPath, [cli, "launch", "--cluster", file, "--hosts", "netns", "--out", out, "--force", "--set", tls, ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout!.on("data", (d: Buffer) => (text += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (text += d.toString()));
  const exit = new Promise<number | string>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal ?? "?")));
  return { child, output: () => text, exit };
}

const namespacesOf = (pid: number): string[] => parseNetnsList(spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout).filter((n) => n.startsWith(`gaia-${pid}-`));
const bridgeExists = (pid: number): boolean => spawnSync("ip", ["link", "show", `g${pid}br`]).status === 0;
const nodesIn = (ns: string): number => spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout.split(/\s+/).filter((p) => p !== "").length;

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function nothingLeftOf(pid: number): void {
  assert.deepEqual(namespacesOf(pid), [], `namespaces of run ${pid} left`);
  assert.ok(!bridgeExists(pid), `bridge g${pid}br left`);
  assert.ok(!existsSync(join(markerDir, `${pid}.json`)), `marker of run ${pid} left`);
}

test("hosts as network namespaces: 3 data centers over TLS survive a cut and a kill -9, end at the simulator's objective, and leave nothing", { timeout: 170_000 }, async (t) => {
  assert.equal(made.status, 0, made.stderr);

  // A launcher killed with SIGKILL once its namespaces are up leaves them (and its nodes) behind.
  const killed = launch(join(dir, "killed"));
  const killedPid = killed.child.pid!;
  await until("the killed run's namespaces", () => namespacesOf(killedPid).length === 3 && killed.output().includes("training"), 60_000);
  killed.child.kill("SIGKILL");
  await killed.exit;
  assert.equal(namespacesOf(killedPid).length, 3, "a SIGKILL leaves the namespaces");

  await t.test("the run: nodes in separate namespaces, a partition, a kill -9 and a restart, the simulator's objective", async () => {
    const startedMs = Date.now();
    const run = launch(join(dir, "run"));
    const pid = run.child.pid!;
    let seen = 0;
    let nodesPerNamespace: number[] = [];
    const poll = setInterval(() => {
      const list = namespacesOf(pid);
      if (list.length > seen) seen = list.length;
      const counts = list.map(nodesIn);
      if (counts.length === 3 && counts.every((n) => n > 0)) nodesPerNamespace = counts;
    }, 500);
    const code = await run.exit;
    clearInterval(poll);
    const durationS = (Date.now() - startedMs) / 1000;
    const output = run.output();
    process.stderr.write(`${output}\n`);
    assert.equal(code, 0, output.slice(-2000));
    assert.match(output, new RegExp(`removed the leftover of a killed run \\(pid ${killedPid}\\)`));
    nothingLeftOf(killedPid);
    assert.equal(seen, 3, "a namespace per data center");
    assert.deepEqual(nodesPerNamespace, [2, 2, 2], "each namespace runs its data center's worker and shard");
    for (const dc of [1, 2, 3]) assert.match(output, new RegExp(`wss://10\\.201\\.${dc}\\.\\d+:\\d+`), "nodes listen on their namespace's addresses, over TLS");
    assert.match(output, /cut virginia->oregon/);
    assert.match(output, /crashed california\/s0 \(SIGKILL\)/);
    assert.match(output, /restarted california\/s0 from its checkpoint/);
    assert.match(output, /bandwidth of virginia->california x0\.250/);
    const kernel = /bytes the kernel shaped per link \(tc\): (.*)/.exec(output);
    assert.ok(kernel, "tc classes carried the WAN");
    for (const [, bytes] of kernel[1]!.matchAll(/-> ?\w+ (\d+)/g)) assert.ok(Number(bytes) > 100_000, kernel[1]);
    const summary = JSON.parse(readFileSync(join(dir, "run", "summary.json"), "utf8")) as { iterations: number; objective: number; checks: Record<string, string | null>; trainingTimeS: number };
    assert.equal(summary.iterations, 200);
    assert.equal(summary.checks["replicas-agree"], null);
    const simulated = await runSimulation(loadCluster(file).scenario, { recordTrace: false });
    const gap = Math.abs(summary.objective - simulated.summary.objective) / simulated.summary.objective;
    process.stderr.write(`test:hosts: ${durationS.toFixed(1)} s; objective ${summary.objective.toFixed(4)} (simulator ${simulated.summary.objective.toFixed(4)}, ${(gap * 100).toFixed(2)}% apart) after ${summary.iterations} iterations, training ${summary.trainingTimeS.toFixed(1)} s\n`);
    assert.ok(gap <= objectiveTolerance, `objective ${summary.objective} vs the simulator's ${simulated.summary.objective}`);
    nothingLeftOf(pid);
  });

  await t.test("Ctrl-C: the run ends interrupted and removes its namespaces", async () => {
    const run = launch(join(dir, "interrupted"));
    const pid = run.child.pid!;
    await until("the interrupted run's training", () => namespacesOf(pid).length === 3 && run.output().includes("training"), 60_000);
    run.child.kill("SIGINT");
    assert.equal(await run.exit, 130, run.output().slice(-2000));
    nothingLeftOf(pid);
  });
});
