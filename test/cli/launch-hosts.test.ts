// Proves that `gaia launch --hosts` refuses what it cannot do with one line and exit 2, before
// anything starts: a value it does not know, and `netns` without root (run as nobody when the
// test runs as root; skipped, saying so, where neither is possible).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "packages/cli/bin/run.js");
const cluster = join(root, "clusters/local-3dc.yaml");
const out = join("/tmp", `gaia-hosts-refused-${process.pid}`);

before(() => {
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  spawnSync(process.execPath, [tsc, "-b", "packages/cli"], { cwd: root, encoding: "utf8" });
});

test("gaia launch --hosts: an unknown value is refused, exit 2", () => {
  const run = spawnSync(process.execPath, [bin, "launch", "--cluster", cluster, "--hosts", "docker", "--out", out], { cwd: root, encoding: "utf8", timeout: 60_000 });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /Expected --hosts=docker to be one of: loopback, netns/);
  assert.doesNotMatch(run.stderr, / {4}at /, "no stack trace");
});

const asRoot = process.getuid?.() === 0;
// As root, the launch runs as nobody, who must be able to read the checkout (not so under /root).
const runuser = asRoot && spawnSync("runuser", ["-u", "nobody", "--", process.execPath, "-e", `require("fs").accessSync(${JSON.stringify(bin)}, require("fs").constants.R_OK)`], { cwd: root }).status === 0;
const skip = !asRoot || runuser ? false : "running as root, and nobody cannot run this checkout (no runuser, or the checkout is not readable by others): no way to launch as another user";

test("gaia launch --hosts netns without root: says it needs root, exit 2, nothing written", { skip }, () => {
  const argv = [process.execPath, bin, "launch", "--cluster", cluster, "--hosts", "netns", "--out", out];
  const run = asRoot ? spawnSync("runuser", ["-u", "nobody", "--", ...argv], { cwd: root, encoding: "utf8", timeout: 60_000 }) : spawnSync(argv[0]!, argv.slice(1), { cwd: root, encoding: "utf8", timeout: 60_000 });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /^Error: --hosts netns: it needs root/m);
  assert.doesNotMatch(run.stderr, / {4}at /, "no stack trace");
  assert.ok(!existsSync(out), "nothing written");
});
