// Proves that `bench/paper.ts --quick` runs end to end on one tiny case (MF, Virginia-California,
// every mode) and writes rows of the documented shape, that `--reuse` refuses up front when rows
// it needs are not saved, and that a bad flag gives a one-line error.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(import.meta.dirname, "../..");
const runBench = (args: readonly string[]): ReturnType<typeof spawnSync> =>
  spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", "bench/paper.ts", ...args], { cwd: repo, encoding: "utf8", timeout: 60_000 });

describe("bench:paper --quick", () => {
  test("one tiny case writes one row per mode with the issue's fields", () => {
    const dir = mkdtempSync(join(tmpdir(), "gaia-bench-"));
    try {
      const run = runBench(["--quick", "--only", "mf", "--topology", "virginia-california", "--out-dir", dir]);
      assert.equal(run.status, 0, `bench failed:\n${String(run.stdout)}\n${String(run.stderr)}`);
      const rows = JSON.parse(readFileSync(join(dir, "paper.json"), "utf8")) as Record<string, unknown>[];
      assert.deepEqual(rows.map((r) => r["sync"]), ["lan", "bsp", "ssp", "asp", "asp-nohubs"]);
      for (const row of rows) {
        assert.equal(row["workload"], "mf");
        assert.equal(row["topology"], "virginia-california");
        const t = row["timeToTargetS"];
        assert.ok(t === null || (typeof t === "number" && t > 0), `timeToTargetS ${String(t)}`);
        for (const key of ["wanBytes", "costUsd", "blockedS", "finalObjective"]) assert.ok(typeof row[key] === "number" && Number.isFinite(row[key]), `${key} = ${String(row[key])}`);
        // Every row records the checkers' verdicts (all held here) and its times to the three targets.
        const checks = row["checks"] as Record<string, string | null>;
        assert.ok(Object.keys(checks).length >= 3 && Object.values(checks).every((v) => v === null), JSON.stringify(checks));
        assert.equal(row["checksHeld"], true);
        assert.deepEqual(Object.keys(row["timeTo"] as object), ["converged", "p90", "p99"]);
        assert.equal(row["partition"], "iid");
      }
      assert.equal(rows[0]!["wanBytes"], 0, "LAN sends nothing over the WAN");
      assert.ok((rows[1]!["wanBytes"] as number) > 0, "the Baseline sends over the WAN");
      // The target comes from LAN's own run, so "LAN reaches it" proves nothing. These can fail: the
      // WAN costs the Baseline time over LAN, and Gaia sends fewer WAN bytes than the Baseline and
      // reaches the same target sooner.
      const [lan, bsp, , asp] = rows.map((r) => ({ timeS: r["timeToTargetS"] as number | null, wanBytes: r["wanBytes"] as number }));
      assert.ok(lan!.timeS !== null && bsp!.timeS !== null && asp!.timeS !== null, "every mode reaches the target on the tiny case");
      assert.ok(bsp!.timeS > lan!.timeS, `Baseline ${bsp!.timeS} s is slower than LAN ${lan!.timeS} s`);
      assert.ok(asp!.wanBytes < bsp!.wanBytes, `Gaia sends ${asp!.wanBytes} WAN bytes, fewer than the Baseline's ${bsp!.wanBytes}`);
      assert.ok(asp!.timeS < bsp!.timeS, `Gaia ${asp!.timeS} s reaches the target before the Baseline ${bsp!.timeS} s`);
      const table = JSON.parse(readFileSync(join(dir, "paper-table.json"), "utf8")) as { comparisons: unknown[] };
      assert.equal(table.comparisons.length, 1);
      for (const svg of ["paper-speedup.svg", "paper-lan-ratio.svg", "paper-wan.svg", "paper-objective-mf-virginia-california.svg"]) assert.match(readFileSync(join(dir, svg), "utf8"), /^<svg /);
      assert.ok(existsSync(join(dir, "paper-table.md")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("--connection-order fifo runs every mode with FIFO connections and marks its rows", () => {
    const dir = mkdtempSync(join(tmpdir(), "gaia-bench-fifo-"));
    try {
      const run = runBench(["--quick", "--only", "mf", "--topology", "virginia-california", "--modes", "lan,bsp,asp", "--connection-order", "fifo", "--out-dir", dir]);
      assert.equal(run.status, 0, `bench failed:\n${String(run.stdout)}\n${String(run.stderr)}`);
      const rows = JSON.parse(readFileSync(join(dir, "paper.json"), "utf8")) as Record<string, unknown>[];
      assert.deepEqual(rows.map((r) => r["sync"]), ["lan", "bsp", "asp"]);
      for (const row of rows) assert.equal(row["connectionOrder"], "fifo");
      assert.ok(rows.every((r) => r["checksHeld"] === true));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("--reuse checks every case it would reuse before running any, and lists what is missing", () => {
    const dir = mkdtempSync(join(tmpdir(), "gaia-bench-reuse-"));
    try {
      writeFileSync(join(dir, "paper.json"), "[]\n");
      const out = join(dir, "out");
      const run = runBench(["--quick", "--only", "mf", "--topology", "virginia-california,singapore-sao-paulo", "--partition", "iid", "--reuse", dir, "--reuse-modes", "lan,bsp", "--out-dir", out]);
      assert.equal(run.status, 2, String(run.stderr));
      assert.match(String(run.stderr), /--reuse: 4 of the rows this run would reuse are not saved/);
      assert.match(String(run.stderr), /no saved lan row for mf virginia-california iid quick/);
      assert.match(String(run.stderr), /no saved bsp row for mf singapore-sao-paulo iid quick/);
      assert.equal(existsSync(out), false, "nothing ran, nothing was written");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("--ds-sweep runs Gaia at each DS against the saved LAN, BSP and SSP rows, and reuses Gaia's row only at the main runs' DS", () => {
    const dir = mkdtempSync(join(tmpdir(), "gaia-bench-ds-"));
    try {
      const main = runBench(["--quick", "--only", "mf", "--topology", "virginia-california", "--modes", "lan,bsp,ssp,asp", "--out-dir", dir]);
      assert.equal(main.status, 0, `main run failed:\n${String(main.stderr)}`);
      const out = join(dir, "ds");
      const run = runBench(["--quick", "--no-main", "--only", "mf", "--topology", "virginia-california", "--ds-sweep", "2,0,1", "--reuse", dir, "--reuse-modes", "lan,bsp,ssp,asp", "--out-dir", out]);
      assert.equal(run.status, 0, `ds sweep failed:\n${String(run.stdout)}\n${String(run.stderr)}`);
      const saved = (JSON.parse(readFileSync(join(dir, "paper.json"), "utf8")) as Record<string, unknown>[]).find((r) => r["sync"] === "asp")!;
      const { points, rows } = JSON.parse(readFileSync(join(out, "paper-ds.json"), "utf8")) as { points: Record<string, unknown>[]; rows: Record<string, unknown>[] };
      assert.deepEqual(points.map((p) => p["ds"]), [0, 1, 2], "sorted, one point per DS");
      assert.deepEqual(rows.map((r) => r["mirrorClockBound"]), [0, 1, 2]);
      assert.ok(points.every((p) => p["checksHeld"] === true && typeof p["stoppedBy"] === "string"));
      // DS 1 is the main runs' bound: its row is the saved one; the others ran at their own DS.
      assert.equal(rows[1]!["wallS"], saved["wallS"]);
      const blocked = points.map((p) => (p["blockedS"] as { mirrorClock: number }).mirrorClock);
      assert.ok(blocked[0]! > blocked[2]!, `a tighter bound blocks more on the mirror clock: ${blocked.join(", ")}`);
      assert.notEqual(rows[0]!["events"], rows[2]!["events"], "DS 0 and DS 2 are different runs");
      assert.match(readFileSync(join(out, "paper-table.md"), "utf8"), /\| mf \| virginia-california \| 1 \(main runs\) \|/);
      assert.ok(points.every((p) => p["speedupOverSsp"] !== null), "SSP is in the sweep by default");
      // --modes without ssp leaves SSP out of each point (DS 1 alone: every row is the saved one).
      const noSsp = join(dir, "ds-no-ssp");
      const narrowed = runBench(["--quick", "--no-main", "--only", "mf", "--topology", "virginia-california", "--ds-sweep", "1", "--modes", "lan,bsp,asp", "--reuse", dir, "--reuse-modes", "lan,bsp,asp", "--out-dir", noSsp]);
      assert.equal(narrowed.status, 0, String(narrowed.stderr));
      const [only] = (JSON.parse(readFileSync(join(noSsp, "paper-ds.json"), "utf8")) as { points: Record<string, unknown>[] }).points;
      assert.equal(only!["speedupOverSsp"], null);
      assert.deepEqual(only!["speedupOverBsp"], points[1]!["speedupOverBsp"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("--shard i/n slices the cases into rows files of their own, --resume skips rows already written, and --render-from merges the slices into the whole run's rows", () => {
    const whole = mkdtempSync(join(tmpdir(), "gaia-bench-whole-"));
    const sliced = mkdtempSync(join(tmpdir(), "gaia-bench-sliced-"));
    const args = ["--quick", "--only", "mf", "--topology", "virginia-california,singapore-sao-paulo", "--modes", "lan,bsp,asp"];
    // What a row is, without the run's own wall time.
    const key = (r: Record<string, unknown>): string => JSON.stringify({ ...r, wallS: 0 });
    const rowsOf = (file: string): Record<string, unknown>[] => JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>[];
    try {
      assert.equal(runBench([...args, "--out-dir", whole]).status, 0);
      for (const shard of ["1/2", "2/2"]) {
        const run = runBench([...args, "--out-dir", sliced, "--shard", shard]);
        assert.equal(run.status, 0, String(run.stderr));
        assert.match(String(run.stdout), new RegExp(`shard ${shard}: 3 row\\(s\\) in`));
      }
      assert.ok(!existsSync(join(sliced, "paper.json")), "a shard writes its own rows file only");
      const first = rowsOf(join(sliced, "paper-shard-1-of-2.json"));
      assert.deepEqual(first.map((r) => `${r["topology"]} ${r["sync"]}`), ["virginia-california lan", "virginia-california bsp", "virginia-california asp"]);
      // Every row states a clock's compute against the slowest mirror path.
      const clock = first[2]!["clock"] as { computeMs: number; slowestPathMs: number; computeOverLatency: number; dataShare: number };
      assert.ok(clock.computeMs > 0 && clock.slowestPathMs > 0 && Math.abs(clock.computeOverLatency - clock.computeMs / clock.slowestPathMs) < 1e-9 && clock.dataShare > 0 && clock.dataShare <= 1, JSON.stringify(clock));
      assert.equal((first[0]!["clock"] as { computeOverLatency: number | null }).computeOverLatency, null, "LAN has no mirror path");
      // A resumed shard runs nothing: every row is already written.
      const resumed = runBench([...args, "--out-dir", sliced, "--shard", "2/2", "--resume"]);
      assert.equal(resumed.status, 0, String(resumed.stderr));
      assert.equal(String(resumed.stdout).match(/\(resumed\)/g)?.length, 3, String(resumed.stdout));
      assert.deepEqual(rowsOf(join(sliced, "paper-shard-2-of-2.json")).map(key), rowsOf(join(sliced, "paper-shard-2-of-2.json")).map(key));
      const merged = runBench([...args, "--render-from", sliced, "--out-dir", sliced]);
      assert.equal(merged.status, 0, String(merged.stderr));
      assert.deepEqual(rowsOf(join(sliced, "paper.json")).map(key).sort(), rowsOf(join(whole, "paper.json")).map(key).sort());
      assert.match(readFileSync(join(sliced, "paper-table.md"), "utf8"), /compute \/ latency a clock/);
      const bad = runBench([...args, "--out-dir", sliced, "--shard", "3/2"]);
      assert.equal(bad.status, 2);
      assert.match(String(bad.stderr), /--shard needs i\/n with 1 <= i <= n/);
    } finally {
      rmSync(whole, { recursive: true, force: true });
      rmSync(sliced, { recursive: true, force: true });
    }
  });

  test("an unknown workload is a one-line error, not a stack trace", () => {
    const run = runBench(["--quick", "--only", "resnet"]);
    assert.equal(run.status, 2);
    assert.match(String(run.stderr), /--only: unknown "resnet" \(known: mf, lda, mnist\)/);
    assert.doesNotMatch(String(run.stderr), /at .*\.ts:\d+/);
  });

  test("flags are strict: an unknown flag, a missing value and a half-given --reuse exit 2 with one line", () => {
    for (const [args, message] of [
      [["--quick", "--bogus"], /Unknown option '--bogus'/],
      [["--quick", "--seed"], /Option '--seed <value>' argument missing/],
      [["--quick", "--reuse", "bench/results"], /--reuse DIR and --reuse-modes MODES go together/],
      [["--quick", "--sweep", "0,1"], /--sweep needs positive numbers/],
      [["--quick", "--ds-sweep", "1,-2"], /--ds-sweep needs non-negative integers/],
      [["--quick", "--connection-order", "lifo"], /--connection-order: unknown "lifo" \(known: shared, fifo\)/],
      [["--quick", "--connection-order", "fifo", "--reuse", "bench/results", "--reuse-modes", "lan"], /cannot --reuse saved rows: they ran with shared connections/],
    ] as const) {
      const run = runBench([...args]);
      assert.equal(run.status, 2, args.join(" "));
      assert.match(String(run.stderr), message);
      assert.equal(String(run.stderr).trim().split("\n").length, 1, String(run.stderr));
    }
  });
});
