// Proves that the run outputs are written as promised: JSONL that parses line by line, the summary
// as JSON, and a self-contained HTML report with inline SVG plots and no external assets.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatBytes, formatSeconds, formatSummaryTable, niceTicks, renderReportHtml, writeRunOutputs, type MetricsPoint, type RunResult } from "@gaia/sim";

const series: MetricsPoint[] = Array.from({ length: 12 }, (_, i) => ({
  virtualTimeS: i * 2.5,
  iteration: i * 5,
  objective: 1.5 / (1 + i),
  metrics: { rmse: 1.5 / (1 + i) },
  wanBytes: i * 1_200_000,
  costUsd: i * 0.0001,
  blockedS: { ssp: 0, mirrorClock: i * 0.1, barrier: 0 },
}));

const result: RunResult = {
  summary: {
    name: "unit <test>",
    seed: 5,
    sync: "asp",
    workload: "mf",
    topology: "virginia-california",
    virtualTimeS: 27.5,
    iterations: 55,
    objective: 0.125,
    objectiveName: "rmse",
    targetObjective: 0.2,
    reachedTarget: true,
    timeToTargetS: 17.5,
    wanBytes: 13_200_000,
    costUsd: 0.0011,
    blockedS: { ssp: 0, mirrorClock: 1.1, barrier: 0.25 },
    traceHash: "0123456789abcdef",
    wanBytesByLink: { "virginia->california": 7_000_000, "california->virginia": 6_200_000 },
    events: 4321,
    stoppedBy: "target",
    checks: { "ssp-bound": null, "mirror-clock": null },
    wallTimeS: 0.9,
  },
  series,
};

describe("run outputs", () => {
  test("human units", () => {
    assert.equal(formatBytes(999), "999 B");
    assert.equal(formatBytes(12_345), "12.3 kB");
    assert.equal(formatBytes(4_560_000_000), "4.56 GB");
    assert.equal(formatSeconds(0.25), "250 ms");
    assert.equal(formatSeconds(12.34), "12.3 s");
    assert.equal(formatSeconds(303), "5m 03s");
    assert.equal(formatSeconds(3723), "1h 02m 03s");
    assert.deepEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
  });

  test("the summary table has every figure the CLI promises", () => {
    const table = formatSummaryTable(result.summary);
    for (const needle of ["virtual time", "27.5 s", "iterations", "55", "objective (rmse)", "time to target", "17.5 s", "WAN traffic", "13.2 MB", "WAN cost", "blocked: barrier (worker-s)", "blocked: mirror clock (worker-s)", "blocked: SSP (worker-s)", "checks", "all 2 held", "trace hash", "0123456789abcdef"]) {
      assert.ok(table.includes(needle), `table has ${needle}:\n${table}`);
    }
  });

  test("writeRunOutputs writes metrics.jsonl, summary.json and a self-contained report.html", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "gaia-report-")), "nested", "run");
    const paths = writeRunOutputs(dir, result);
    const lines = readFileSync(paths.metrics, "utf8").trimEnd().split("\n");
    assert.equal(lines.length, series.length);
    assert.deepEqual(lines.map((line) => JSON.parse(line) as MetricsPoint), series);
    assert.deepEqual(JSON.parse(readFileSync(paths.summary, "utf8")), result.summary);
    const html = readFileSync(paths.report, "utf8");
    assert.equal(html, renderReportHtml(result));
    assert.ok(html.startsWith("<!doctype html>"));
    assert.equal((html.match(/<svg /g) ?? []).length, 3, "objective, traffic and per-link plots");
    assert.ok(html.includes("virginia-&gt;california"));
    assert.ok(html.includes("unit &lt;test&gt;"), "names are escaped");
    assert.ok(!/<script|<link|src=|href=/i.test(html), "no external assets");
    assert.ok(!/NaN|Infinity/.test(html));
  });

  test("an empty series still renders", () => {
    const html = renderReportHtml({ summary: { ...result.summary, wanBytesByLink: {} }, series: [] });
    assert.ok(html.includes("no data"));
    assert.ok(html.includes("no WAN traffic"));
  });
});
