// Large scenario files (not a test): writes a scenario with --faults generated faults (default
// 500,000: a 28 MB file, bench/lib/fault-files.ts) and a small one, then times the built CLI
// (`npx tsc -b` first) on each under /usr/bin/time -v: `gaia scenarios validate FILE` and
// `gaia simulate FILE`, and prints wall seconds and peak resident memory (Maximum resident set
// size). Done when (issue 31, item 6) validating the 28 MB file peaks under 300 MB.
//   npm run bench:big-file [-- --faults 500000 --runs 1 --only validate]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { scenarioWithFaults, smallScenario } from "./lib/fault-files.js";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};

const root = fileURLToPath(new URL("../", import.meta.url));
const faults = Number(arg("faults", "500000"));
const runs = Number(arg("runs", "1"));
const only = arg("only", "validate,simulate").split(",");

/** One run of the CLI under /usr/bin/time -v: its exit code, wall seconds and peak RSS. */
function measure(args: readonly string[]): { status: number | null; seconds: number; maxRssBytes: number } {
  const run = spawnSync("/usr/bin/time", ["-v", process.execPath, join(root, "packages/cli/bin/run.js"), ...args], { cwd: root, encoding: "utf8", maxBuffer: 1 << 28 });
  const field = (name: string): string => new RegExp(`${name}: (.*)`).exec(run.stderr)?.[1]?.trim() ?? "";
  const wall = field("Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)").split(":").map(Number);
  const seconds = wall.reduce((total, part) => total * 60 + part, 0);
  if (run.status !== 0) process.stderr.write(run.stderr.split("\n").slice(0, 5).join("\n") + "\n");
  return { status: run.status, seconds, maxRssBytes: Number(field("Maximum resident set size \\(kbytes\\)")) * 1024 };
}

const dir = mkdtempSync(join(tmpdir(), "gaia-big-file-"));
try {
  const big = join(dir, "faults.yaml");
  const small = join(dir, "small.yaml");
  writeFileSync(big, scenarioWithFaults(faults));
  writeFileSync(small, smallScenario);
  const sizeMb = statSync(big).size / 1e6;
  process.stdout.write(`${faults} faults: ${sizeMb.toFixed(1)} MB\n`);
  process.stdout.write("command                   file        exit   wall s   peak RSS MB\n");
  for (const command of only) {
    for (const [label, file] of [["small", small], [`${sizeMb.toFixed(1)} MB`, big]] as const) {
      for (let r = 0; r < runs; r++) {
        const args = command === "validate" ? ["scenarios", "validate", file] : ["simulate", file, "--out", join(dir, `runs-${label.replace(/\W/g, "")}-${r}`), "--quiet"];
        const { status, seconds, maxRssBytes } = measure(args);
        process.stdout.write(`${`gaia ${command}`.padEnd(26)}${label.padEnd(12)}${String(status).padEnd(7)}${seconds.toFixed(2).padStart(6)}   ${(maxRssBytes / 1e6).toFixed(0).padStart(8)}\n`);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
