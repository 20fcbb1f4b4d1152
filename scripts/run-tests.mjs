#!/usr/bin/env node
// Runs every *.test.ts under packages/*/src and test/ with node's test runner, through tsx and the
// "source" export condition, so tests need no build step. Property tests read GAIA_SEED and
// GAIA_RUNS (see test/support/fc.ts); CI pins the seed.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const roots = ["packages/core/src", "packages/workloads/src", "packages/sim/src", "packages/net/src", "packages/cli/src", "test"];
const filter = process.argv.slice(2);
const files = [];
const walk = (dir) => {
  let entries;
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries.sort()) {
    if (name === "node_modules" || name === "dist") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".test.ts") && (filter.length === 0 || filter.some((f) => path.includes(f)))) files.push(path);
  }
};
roots.forEach(walk);
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const concurrency = process.env.GAIA_TEST_CONCURRENCY ?? "2";
const result = spawnSync(
  process.execPath,
  ["--conditions=source", "--import", "tsx", "--test", `--test-concurrency=${concurrency}`, ...files],
  { stdio: "inherit", env: { ...process.env, GAIA_SEED: process.env.GAIA_SEED ?? (process.env.CI ? "20261124" : "") } },
);
process.exit(result.status ?? 1);
