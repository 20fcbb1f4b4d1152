// A short soak (npm run soak --ci at 20 s, a fault every 6-8 s after start-up, so one or two): it injects faults, writes its
// JSON and table, and the run's correctness checks hold (replicas agree, no update lost or
// doubled). Throughput and objective bars are not asserted here: on a loaded machine a 20 s run says
// little about them; the 10-minute soak is where they are judged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

test("a 20 s soak injects faults, writes soak.json, and every correctness check holds", { timeout: 150_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), "gaia-soak-test-"));
  const r = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", "bench/soak.ts", "--ci", "--duration", "20s", "--seed", "3", "--min-gap", "6", "--max-gap", "8", "--out", out], { cwd: root, encoding: "utf8", timeout: 140_000 });
  assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr.slice(-800)}`);
  const report = JSON.parse(readFileSync(join(out, "soak.json"), "utf8")) as { seed: number; faults: { total: number }; checks: Record<string, string | null>; updates: { applied: number } };
  assert.equal(report.seed, 3);
  assert.ok(report.faults.total >= 1, `faults injected: ${report.faults.total}`);
  assert.ok(report.updates.applied > 0);
  for (const [name, verdict] of Object.entries(report.checks)) assert.equal(verdict, null, `${name}: ${verdict}`);
  assert.match(readFileSync(join(out, "soak.md"), "utf8"), /\| verdict \|/);
});

test("npm run soak refuses a bad flag with exit 2", () => {
  const r = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", "bench/soak.ts", "--duration", "ten"], { cwd: root, encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--duration ten: not a duration/);
});
