// gaia launch --max-restarts N reaches the supervisor: with N = 0 a worker killed -9 from outside
// is not restarted and the run fails naming the limit; a negative N is refused as bad input.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeCluster } from "../net/support.js";
import { buildCli } from "../support/cli.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "packages/cli/bin/run.js");

before(buildCli);

/** The child processes of `pid` (Linux). */
function childrenOf(pid: number): number[] {
  const file = `/proc/${pid}/task/${pid}/children`;
  return existsSync(file) ? readFileSync(file, "utf8").trim().split(/\s+/).filter(Boolean).map(Number) : [];
}

test("gaia launch --max-restarts -1 is refused as bad input", () => {
  const r = spawnSync(process.execPath, [bin, "launch", "--cluster", "x.yaml", "--max-restarts", "-1"], { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /greater than or equal to 0/);
});

test("gaia launch --max-restarts 0: a node killed -9 from outside fails the run, naming the limit", { timeout: 90_000 }, async () => {
  const file = writeCluster({ name: "max-restarts", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 100000, evalEvery: 10 });
  const out = mkdtempSync(join(tmpdir(), "gaia-max-restarts-out-"));
  const cli = spawn(process.execPath, [bin, "launch", "--cluster", file, "--out", join(out, "run"), "--max-restarts", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  cli.stdout.on("data", (d: Buffer) => (text += d.toString()));
  cli.stderr.on("data", (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) => cli.on("exit", (code) => resolve(code)));
  const start = Date.now();
  while (!/training/.test(text)) {
    assert.ok(Date.now() - start < 60_000, `no training start: ${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const nodes = childrenOf(cli.pid!);
  assert.ok(nodes.length >= 4, `node processes: ${nodes.join(", ")}`);
  process.kill(nodes[0]!, "SIGKILL");
  const code = await Promise.race([exited, new Promise<"running">((r) => setTimeout(() => r("running"), 20_000))]);
  if (code === "running") {
    cli.kill("SIGKILL");
    for (const pid of nodes) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    assert.fail(`still running 20 s after the kill (restarted?): ${text.slice(-400)}`);
  }
  assert.equal(code, 1, text);
  assert.match(text, /after 0 restarts \(at most 0\); giving up/);
});
