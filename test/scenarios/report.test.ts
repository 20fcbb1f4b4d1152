// Proves that the run outputs are written as promised: JSONL that parses line by line, the summary
// as JSON, and a self-contained HTML report with inline SVG charts (vega) and no external assets;
// and that the charts stay readable: log axes where values span decades, no two ticks alike, fault
// windows shaded, 110 links in a grid rather than 110 bars.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatBytes, formatChecks, formatSeconds, formatSummaryTable, renderComparisonHtml, renderReportHtml, spansDecades, writeRunOutputs, type MetricsPoint, type RunResult, type RunSummary } from "@gaia/sim";
import { chartsOf } from "../support/report-check.js";

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
    assert.equal(formatChecks({ a: null }), "1 held (a)");
    assert.equal(formatChecks({ a: null, b: null }), "both held (a, b)");
    assert.equal(formatChecks({ a: null, b: "broke" }), "1 of 2 FAILED: b");
  });

  test("the summary table has every figure the CLI promises", () => {
    const table = formatSummaryTable(result.summary);
    for (const needle of ["virtual time", "27.5 s", "iterations", "55", "objective (rmse)", "time to target", "17.5 s", "WAN traffic", "13.2 MB", "WAN cost", "blocked: selective barrier (worker-s)", "blocked: mirror clock (worker-s)", "blocked: BSP/SSP in data center (worker-s)", "checks", "both held", "trace hash", "0123456789abcdef"]) {
      assert.ok(table.includes(needle), `table has ${needle}:\n${table}`);
    }
  });

  test("a BSP run's clock wait is named BSP, an SSP run's SSP", () => {
    assert.ok(formatSummaryTable({ ...result.summary, sync: "bsp" }).includes("blocked: BSP lockstep (worker-s)"));
    assert.ok(formatSummaryTable({ ...result.summary, sync: "ssp" }).includes("blocked: SSP bound (worker-s)"));
  });

  test("fields added to the summary later are shown without code for each", async () => {
    const extended = { ...result.summary, pacing: { significantSent: 120, heldBack: 7 } } as RunSummary;
    const table = formatSummaryTable(extended);
    assert.match(table, /pacing: significantSent +120/);
    assert.match(table, /pacing: heldBack +7/);
    const html = await renderComparisonHtml([{ label: "asp", result: { ...result, summary: extended } }, { label: "bsp", result: { ...result, summary: { ...result.summary, sync: "bsp" } } }]);
    assert.match(html, /<tr><td>pacing: heldBack<\/td><td>7<\/td><td>-<\/td><\/tr>/, "a column per run, - where a run lacks the field");
  });

  test("writeRunOutputs writes metrics.jsonl, summary.json and a self-contained report.html", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "gaia-report-")), "nested", "run");
    const paths = await writeRunOutputs(dir, result);
    const lines = readFileSync(paths.metrics, "utf8").trimEnd().split("\n");
    assert.equal(lines.length, series.length);
    assert.deepEqual(lines.map((line) => JSON.parse(line) as MetricsPoint), series);
    assert.deepEqual(JSON.parse(readFileSync(paths.summary, "utf8")), result.summary);
    const html = readFileSync(paths.report, "utf8");
    assert.equal(html, await renderReportHtml(result));
    assert.ok(html.startsWith("<!doctype html>"));
    const charts = chartsOf(html);
    assert.deepEqual([...charts.keys()], ["objective-time", "objective-iterations", "wan-time", "links", "blocked"]);
    assert.equal(charts.get("objective-time")!.lines.get("asp"), series.length, "every point of the series is drawn");
    assert.ok(charts.get("links")!.axes.flat().includes("virginia") && charts.get("links")!.axes.flat().includes("california"));
    assert.ok(html.includes("unit &lt;test&gt;"), "names are escaped");
    assert.ok(!/<script|<link|src=|href=/i.test(html), "no external assets");
    assert.ok(!/NaN|Infinity/.test(html));
  });

  test("an empty series still renders", async () => {
    const html = await renderReportHtml({ summary: { ...result.summary, wanBytesByLink: {} }, series: [] });
    assert.ok(html.includes("No WAN traffic"));
    assert.ok(!/NaN|Infinity/.test(html));
  });

  test("log axes where values span decades, linear otherwise; no two ticks read the same", async () => {
    assert.equal(spansDecades([0.16, 21.6, 30]), true);
    assert.equal(spansDecades([0.3, 1.5]), false);
    assert.equal(spansDecades([0, 5, 500]), false, "a zero cannot sit on a log axis");
    // The Issue's case: LAN ends at 0.16 s, Gaia at 21.6 s, BSP at 30 s; objectives from 10 down to 0.001.
    const run = (sync: string, endS: number): { label: string; result: RunResult } => ({
      label: sync,
      result: { summary: { ...result.summary, sync, virtualTimeS: endS }, series: Array.from({ length: 20 }, (_, i) => ({ ...series[0]!, virtualTimeS: (endS * i) / 19, iteration: i * 5, objective: 10 * Math.pow(1e-4, i / 19) })) },
    });
    const html = await renderComparisonHtml([run("lan", 0.16), run("asp", 21.6), run("bsp", 30)]);
    const chart = chartsOf(html).get("objective-time")!;
    assert.match(chart.svg, /virtual time \(s\), log scale/);
    assert.match(chart.svg, /rmse, log scale/);
    for (const axis of chart.axes) assert.equal(new Set(axis).size, axis.length, `distinct ticks: ${axis.join(", ")}`);
    const iterations = chartsOf(html).get("objective-iterations")!;
    assert.ok(!iterations.svg.includes("iteration (slowest worker's clock), log"), "iterations stay linear");
  });

  test("fault windows are shaded on every time chart", async () => {
    const faulted = { ...result, summary: { ...result.summary, faultWindows: [{ startS: 5, endS: 10, label: "partition virginia-california" }] } };
    const charts = chartsOf(await renderReportHtml(faulted));
    for (const name of ["objective-time", "wan-time"]) {
      assert.ok(charts.get(name)!.svg.includes("partition virginia-california"), `${name} labels the fault`);
      assert.match(charts.get(name)!.svg, /aria-roledescription="rect mark container"/, `${name} shades it`);
    }
    const plain = chartsOf(await renderReportHtml(result));
    assert.doesNotMatch(plain.get("objective-time")!.svg, /rect mark container/);
  });

  test("110 links are a grid of data centers, not 110 bars", async () => {
    const dcs = Array.from({ length: 11 }, (_, i) => `dc${i}`);
    const wanBytesByLink = Object.fromEntries(dcs.flatMap((s, i) => dcs.filter((t) => t !== s).map((t, j) => [`${s}->${t}`, 1000 * (1 + i) * (1 + j)])));
    const html = await renderReportHtml({ ...result, summary: { ...result.summary, wanBytesByLink } });
    const links = chartsOf(html).get("links")!;
    const height = Number(/<svg[^>]* height="(\d+)"/.exec(links.svg)![1]);
    assert.ok(height < 600, `the grid is ${height} px tall`);
  });
});
