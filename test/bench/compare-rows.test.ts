// bench/compare-rows.ts: two sets of saved rows side by side (docs/results.md, "Connection model"),
// and a one-line error for a file it cannot read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(import.meta.dirname, "../..");
const run = (args: readonly string[]) => spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", "bench/compare-rows.ts", ...args], { cwd: repo, encoding: "utf8", timeout: 30_000 });
const row = (sync: string, timeToTargetS: number | null, wanBytes: number) => ({ workload: "mf", topology: "ec2-11", partition: "iid", sync, timeToTargetS, iterations: 10, wanBytes, checksHeld: true });

test("compare-rows: each case against the base's, and Gaia's ratios", () => {
  const dir = mkdtempSync(join(tmpdir(), "gaia-compare-"));
  try {
    writeFileSync(join(dir, "base.json"), JSON.stringify([row("lan", 1, 0), row("bsp", 40, 8e6), row("asp", 20, 2e6)]));
    writeFileSync(join(dir, "variant.json"), JSON.stringify([row("lan", 1, 0), row("bsp", 40, 8e6), row("asp", 10, 3e6)]));
    const out = run([join(dir, "base.json"), join(dir, "variant.json")]);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /\| mf \| ec2-11 \| asp \| 20\.0 s, 10 \| 10\.0 s, 10 \| 2 \/ 3 \| held \|/);
    assert.match(out.stdout, /\| mf \| ec2-11 \| 2\.00x \/ 4\.00x \| n\/a \/ n\/a \| n\/a \/ n\/a \| 20\.0x \/ 10\.0x \|/);
    const missing = run([join(dir, "base.json"), join(dir, "nope.json")]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /compare-rows: .*nope\.json: ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
