// Proves that every `gaia run` flag can come from its GAIA_* variable, that a flag on the command
// line wins over the variable, and that a bad variable or secret file is one clear line and exit 2.
// Each case stops before the node starts (a bad node id, a refused --restore), so no cluster runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "packages/cli/bin/run.js");
spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/cli"], { cwd: root, encoding: "utf8" });

const work = mkdtempSync(join(tmpdir(), "gaia-run-env-"));
const cluster = join(work, "cluster.yaml");
// Checkpoints off: --restore is then refused before anything starts, which shows it was read.
writeFileSync(cluster, readFileSync(join(root, "clusters/local-3dc.yaml"), "utf8").replace(/checkpoint: \{[^}]*\}/, "checkpoint: { enabled: false }").replace(/basePort: \d+/, "basePort: 48760"));

function gaia(env: Record<string, string>, ...args: string[]): { status: number | null; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("GAIA_")));
  const run = spawnSync(process.execPath, [bin, "run", ...args], { cwd: work, env: { ...clean, ...env }, encoding: "utf8", timeout: 60_000 });
  return { status: run.status, stderr: run.stderr };
}

const noStack = (stderr: string): void => assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");

test("GAIA_CLUSTER and GAIA_NODE stand for --cluster and --node; the flag wins", () => {
  const fromEnv = gaia({ GAIA_CLUSTER: cluster, GAIA_NODE: "virginia/w9" });
  assert.equal(fromEnv.status, 2, fromEnv.stderr);
  assert.match(fromEnv.stderr, /node virginia\/w9 is not in the layout of .*cluster\.yaml/);
  const flagWins = gaia({ GAIA_CLUSTER: cluster, GAIA_NODE: "virginia/w9" }, "--node", "oregon/w7");
  assert.equal(flagWins.status, 2, flagWins.stderr);
  assert.match(flagWins.stderr, /node oregon\/w7 is not in the layout/);
  const missing = gaia({ GAIA_NODE: "virginia/w0" });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cluster/);
});

test("GAIA_RESTORE stands for --restore, --no-restore wins over it, and a non-boolean value is refused", () => {
  const restore = gaia({ GAIA_CLUSTER: cluster, GAIA_NODE: "virginia/s0", GAIA_RESTORE: "true" });
  assert.equal(restore.status, 2, restore.stderr);
  assert.match(restore.stderr, /--restore: virginia\/s0 keeps no checkpoints/);
  const typo = gaia({ GAIA_CLUSTER: cluster, GAIA_NODE: "virginia/s0", GAIA_RESTORE: "ture" });
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /^Error: GAIA_RESTORE="ture" is not a boolean \(use true or false\)$/m);
  const trace = gaia({ GAIA_CLUSTER: cluster, GAIA_NODE: "virginia/s0", GAIA_TRACE: "maybe" });
  assert.match(trace.stderr, /GAIA_TRACE="maybe" is not a boolean/);
  // --no-restore wins: the node then starts, so it is given a bad node id to stop it there.
  const flagWins = gaia({ GAIA_CLUSTER: cluster, GAIA_NODE: "virginia/x1", GAIA_RESTORE: "1" }, "--no-restore");
  assert.equal(flagWins.status, 2);
  assert.match(flagWins.stderr, /node virginia\/x1 is not in the layout/);
  assert.doesNotMatch(flagWins.stderr, /--restore/);
});

test("GAIA_WATCHDOG and GAIA_GRACE are checked as their flags are", () => {
  for (const name of ["GAIA_WATCHDOG", "GAIA_GRACE"]) {
    const bad = gaia({ GAIA_CLUSTER: cluster, GAIA_NODE: "virginia/s0", [name]: "soon" });
    assert.equal(bad.status, 2, `${name}: ${bad.stderr}`);
    assert.match(bad.stderr, /Expected an integer but received: soon/, name);
    noStack(bad.stderr);
  }
});

test("a missing, empty, short or unreadable secret file is one line and exit 2, from the flag or GAIA_SECRET_FILE", () => {
  const empty = join(work, "empty");
  writeFileSync(empty, "\n");
  const short = join(work, "short");
  writeFileSync(short, "abc");
  const locked = join(work, "locked");
  writeFileSync(locked, "a-good-long-secret");
  chmodSync(locked, 0);
  const base = { GAIA_CLUSTER: cluster, GAIA_NODE: "virginia/s0" };
  const cases: [Record<string, string>, string[], RegExp][] = [
    [{ GAIA_SECRET_FILE: join(work, "absent") }, [], /^Error: secret file .*absent: no such file$/m],
    [{}, ["--secret-file", join(work, "absent")], /^Error: secret file .*absent: no such file$/m],
    [{ GAIA_SECRET_FILE: empty }, [], /^Error: secret file .*empty is empty$/m],
    [{ GAIA_SECRET_FILE: short }, [], /^Error: secret file .*short: the secret has 3 characters; it needs at least 8$/m],
    [{ GAIA_SECRET: " " }, [], /^Error: GAIA_SECRET is set but empty$/m],
    // The flag wins over the variable: the bad file named by the flag is the one reported.
    [{ GAIA_SECRET_FILE: short }, ["--secret-file", empty], /^Error: secret file .*empty is empty$/m],
  ];
  // root reads any file: the unreadable case holds only for other users.
  if (process.getuid?.() !== 0) cases.push([{ GAIA_SECRET_FILE: locked }, [], /^Error: secret file .*locked: EACCES/m]);
  for (const [env, args, message] of cases) {
    const run = gaia({ ...base, ...env }, ...args);
    assert.equal(run.status, 2, `${JSON.stringify(env)} ${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, message);
    noStack(run.stderr);
  }
});
