// Proves that a reader can trust what report.html draws: the per-link heat map labels every data
// center, draws no grid line over its cells, gives nearly equal links nearly equal colours and
// writes each number in an ink readable on its cell; a run's colour is its sync model's, the same
// in every report; the target is a neutral dashed rule; LAN is dashed and drawn over the others;
// cumulative WAN bytes are on a linear time axis; the per-link traffic is drawn over time; one
// duration is written one way; large counts have thousands separators; and metrics.csv holds the
// rows of metrics.jsonl as flat columns under a header.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { blockedSpec, csvField, formatCount, linkBytesOverTimeSpec, linkMatrixSpec, luminance, metricsCsv, objectiveOverTimeSpec, renderComparisonHtml, renderReportHtml, renderSvg, runColors, summaryRows, syncColors, targetColor, wanOverTimeSpec, writeRunOutputs, type ChartRun, type MetricsPoint, type RunResult, type RunSummary } from "@gaia/sim";
import { chartsOf } from "../support/report-check.js";

const point = (i: number, links: Record<string, number> | undefined): MetricsPoint => ({
  virtualTimeS: i * 0.5,
  iteration: i * 5,
  objective: 1 / (1 + i),
  metrics: { rmse: 1 / (1 + i) },
  wanBytes: i * 3_000_000,
  ...(links !== undefined ? { wanBytesByLink: links } : {}),
  costUsd: i * 0.0001,
  blockedS: { ssp: 0.001 * i, mirrorClock: 0.1 * i, barrier: 0 },
});

const summaryOf = (sync: string, overrides: Partial<RunSummary> = {}): RunSummary => ({
  name: "readability",
  seed: 1,
  sync,
  workload: "mf",
  topology: "virginia-california",
  virtualTimeS: 5.5,
  iterations: 55,
  objective: 0.1,
  objectiveName: "rmse",
  targetObjective: 0.2,
  reachedTarget: true,
  timeToTargetS: 2,
  wanBytes: 3_230_000,
  costUsd: 0.001,
  blockedS: { ssp: 0.0049364799883, mirrorClock: 1, barrier: 0 },
  traceHash: "00",
  wanBytesByLink: { "virginia->california": 1_620_000, "california->virginia": 1_610_000 },
  events: 1_234_567,
  stoppedBy: "target",
  checks: {},
  wallTimeS: 1,
  ...overrides,
});

const run = (sync: string, label = sync, seconds = 5.5): ChartRun => ({ label, summary: summaryOf(sync), series: Array.from({ length: 12 }, (_, i) => ({ ...point(i, undefined), virtualTimeS: (i * seconds) / 11 })) });

const unescape = (text: string): string => text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/** The marks of an SVG whose aria-label has `field: value` pairs, with their fill and stroke. */
function marks(svg: string, role: string): { fields: Map<string, string>; fill: string | null; stroke: string | null; dashed: boolean; at: number }[] {
  const found = [];
  for (const m of svg.matchAll(/<(path|text) aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="([^"]+)"([^>]*)>/g)) {
    if (m[3] !== role) continue;
    const fields = new Map(unescape(m[2]!).split("; ").map((f) => [f.slice(0, f.indexOf(": ")), f.slice(f.indexOf(": ") + 2)] as [string, string]));
    const attrs = m[4]!;
    found.push({ fields, fill: /fill="([^"]+)"/.exec(attrs)?.[1] ?? null, stroke: /stroke="([^"]+)"/.exec(attrs)?.[1] ?? null, dashed: /stroke-dasharray="(?!1,0")[^"]*\d/.test(attrs), at: m.index });
  }
  return found;
}

const contrast = (a: string, b: string): number => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
};

describe("the per-link heat map", () => {
  const dcs = ["virginia", "california", "oregon", "ireland", "frankfurt", "tokyo", "seoul", "singapore", "sydney", "mumbai", "sao-paulo"];
  const wanBytesByLink = Object.fromEntries(dcs.flatMap((s, i) => dcs.filter((t) => t !== s).map((t, j) => [`${s}->${t}`, 1_000_000 * (3 + ((i * 7 + j * 3) % 5))])));

  test("11 data centers: all 11 receiver and sender labels, no grid line over the cells", async () => {
    const spec = linkMatrixSpec(summaryOf("asp", { wanBytesByLink })) as unknown as { encoding: { x: { axis: Record<string, unknown> }; y: { axis: Record<string, unknown> } } };
    for (const axis of [spec.encoding.x.axis, spec.encoding.y.axis]) {
      assert.equal(axis["labelOverlap"], false);
      assert.equal(axis["grid"], false);
      assert.deepEqual(axis["values"], [...dcs].sort());
    }
    const svg = await renderSvg(spec as never);
    const labels = [...svg.matchAll(/<g class="mark-text role-axis-label"[^>]*>([\s\S]*?)<\/g>/g)].map((g) => [...g[1]!.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]!));
    assert.equal(labels.length, 2);
    for (const axis of labels) assert.deepEqual([...axis].sort(), [...dcs].sort(), "every data center is labelled");
    assert.doesNotMatch(svg, /role-axis-grid/, "no grid lines");
  });

  test("nearly equal links get nearly equal colours; the scale starts at zero", async () => {
    const spec = linkMatrixSpec(summaryOf("asp")) as unknown as { layer: { encoding: { color: { scale?: { domain?: number[] } } } }[] };
    assert.equal(spec.layer[0]!.encoding.color.scale?.domain?.[0], 0);
    const cells = marks(await renderSvg(spec as never), "rect mark");
    assert.equal(cells.length, 2);
    const [a, b] = cells.map((c) => luminance(c.fill!)) as [number, number];
    assert.ok(Math.abs(a - b) < 0.02, `1.61M and 1.62M look alike (luminance ${a.toFixed(3)} vs ${b.toFixed(3)})`);
  });

  test("every cell's number is readable on its cell", async () => {
    const spread = Object.fromEntries(dcs.slice(0, 5).flatMap((s, i) => dcs.slice(0, 5).filter((t) => t !== s).map((t, j) => [`${s}->${t}`, 100_000 * (1 + i * 4 + j)])));
    for (const links of [wanBytesByLink, spread, summaryOf("asp").wanBytesByLink, { "a->b": 1_000, "b->a": 900_000 }]) {
      const svg = await renderSvg(linkMatrixSpec(summaryOf("asp", { wanBytesByLink: links }))!);
      const key = (f: Map<string, string>): string => `${f.get("sender")}->${f.get("receiver")}`;
      const fills = new Map(marks(svg, "rect mark").map((c) => [key(c.fields), c.fill!]));
      const texts = marks(svg, "text mark");
      assert.equal(texts.length, Object.keys(links).length);
      for (const t of texts) {
        const cell = fills.get(key(t.fields))!;
        assert.ok(contrast(t.fill!, cell) >= 4.5, `${key(t.fields)}: ink ${t.fill} on ${cell} has contrast ${contrast(t.fill!, cell).toFixed(2)}`);
      }
    }
  });
});

describe("run colours, the target and LAN", () => {
  const colourOf = (svg: string, label: string): string => {
    const line = marks(svg, "line mark").find((m) => m.fields.get("run") === label);
    assert.ok(line, `${label} is drawn`);
    return line.stroke!;
  };

  test("a run's colour follows its sync model, not its position", async () => {
    const alone = await renderSvg(objectiveOverTimeSpec([run("asp")], { faults: [], timeName: "virtual" }));
    const third = await renderSvg(objectiveOverTimeSpec([run("lan"), run("bsp"), run("asp")], { faults: [], timeName: "virtual" }));
    const second = await renderSvg(objectiveOverTimeSpec([run("bsp"), run("asp")], { faults: [], timeName: "virtual" }));
    assert.equal(colourOf(alone, "asp"), syncColors["asp"]);
    assert.equal(colourOf(third, "asp"), syncColors["asp"]);
    assert.equal(colourOf(second, "asp"), syncColors["asp"]);
    assert.equal(colourOf(third, "bsp"), syncColors["bsp"]);
    // Two runs of one model still get two colours.
    const twice = runColors([run("asp", "asp (a)"), run("asp", "asp (b)")]);
    assert.notEqual(twice[0], twice[1]);
  });

  test("a reason for blocked time has one colour in every report", () => {
    const colours = (runs: ChartRun[]): Map<string, string> => {
      const spec = blockedSpec(runs) as unknown as { layer: { encoding: { color?: { scale: { domain: string[]; range: string[] } } } }[] };
      const scale = spec.layer[0]!.encoding.color!.scale;
      return new Map(scale.domain.map((d, i) => [d, scale.range[i]!]));
    };
    const two = colours([run("bsp"), run("asp")]);
    const three = colours([run("lan"), run("bsp"), run("asp")]);
    for (const [reason, colour] of two) if (three.has(reason)) assert.equal(three.get(reason), colour, reason);
    assert.ok(two.has("BSP lockstep") && three.has("BSP lockstep"));
  });

  test("the target line is a neutral dashed rule, no run's colour", async () => {
    const runs = [run("lan"), run("bsp"), run("asp")];
    const svg = await renderSvg(objectiveOverTimeSpec(runs, { faults: [], timeName: "virtual" }));
    const rule = /<g class="mark-rule role-mark[^"]*"[^>]*>\s*<line[^>]*stroke="([^"]+)"[^>]*stroke-dasharray="([^"]+)"/.exec(svg) ?? /<line[^>]*stroke="([^"]+)"[^>]*stroke-dasharray="([^"]+)"[^>]*>/.exec(svg);
    assert.ok(rule, "a dashed rule is drawn");
    assert.equal(rule[1], targetColor);
    assert.ok(!runColors(runs).includes(rule[1]!));
  });

  test("LAN's line is dashed and drawn over the others", async () => {
    const svg = await renderSvg(objectiveOverTimeSpec([run("lan"), run("bsp"), run("asp")], { faults: [], timeName: "virtual" }));
    const lines = marks(svg, "line mark");
    const lan = lines.find((l) => l.fields.get("run") === "lan")!;
    assert.ok(lan.dashed, "LAN is dashed");
    for (const other of lines.filter((l) => l.fields.get("run") !== "lan")) {
      assert.ok(!other.dashed, `${other.fields.get("run")} is solid`);
      assert.ok(lan.at > other.at, `LAN is drawn after ${other.fields.get("run")}`);
    }
  });

  test("cumulative WAN bytes are on a linear time axis even when the runs' lengths span decades", async () => {
    const runs = [run("lan", "lan", 0.08), run("bsp", "bsp", 9.7), run("asp", "asp", 2.5)];
    const spec = wanOverTimeSpec(runs, { faults: [], timeName: "virtual" }) as unknown as { layer: { encoding?: { x?: { title: string; scale: { type?: string; domain: number[] } } } }[] };
    const x = spec.layer.find((l) => l.encoding?.x !== undefined)!.encoding!.x!;
    assert.equal(x.scale.type, undefined);
    assert.equal(x.scale.domain[0], 0);
    assert.doesNotMatch(x.title, /log/);
    // The objective, by contrast, may still use a log time axis there.
    assert.match(JSON.stringify(objectiveOverTimeSpec(runs, { faults: [], timeName: "virtual" })), /"type":"log"/);
  });
});

describe("per-link WAN bytes over time", () => {
  test("a line per link, cumulative, over the run's time", async () => {
    const series = Array.from({ length: 6 }, (_, i) => point(i, { "virginia->california": i * 1_000, "california->virginia": i * 2_000 }));
    const spec = linkBytesOverTimeSpec({ label: "asp", summary: summaryOf("asp"), series }, { faults: [], timeName: "virtual" })!;
    const data = ((spec as unknown as { layer: { data?: { values: { key: string; timeS: number; bytes: number }[] } }[] }).layer.at(-1)!.data!.values);
    assert.deepEqual([...new Set(data.map((d) => d.key))], ["california->virginia", "virginia->california"]);
    assert.deepEqual(data.filter((d) => d.key === "california->virginia").map((d) => d.bytes), [0, 2_000, 4_000, 6_000, 8_000, 10_000]);
    const lines = marks(await renderSvg(spec), "line mark");
    assert.equal(lines.length, 2);
    const html = await renderReportHtml({ summary: summaryOf("asp"), series });
    assert.ok(chartsOf(html).has("links-time"), "report.html has the chart");
  });

  test("past 12 links, one line per sender with its links summed", () => {
    const dcs = Array.from({ length: 11 }, (_, i) => `dc${String(i).padStart(2, "0")}`);
    const links = (i: number): Record<string, number> => Object.fromEntries(dcs.flatMap((s) => dcs.filter((t) => t !== s).map((t) => [`${s}->${t}`, i * 10])));
    const series = Array.from({ length: 3 }, (_, i) => point(i, links(i)));
    const spec = linkBytesOverTimeSpec({ label: "asp", summary: summaryOf("asp"), series }, { faults: [], timeName: "virtual" })!;
    const data = ((spec as unknown as { layer: { data?: { values: { key: string; timeS: number; bytes: number }[] } }[] }).layer.at(-1)!.data!.values);
    assert.deepEqual([...new Set(data.map((d) => d.key))], dcs);
    assert.deepEqual(data.filter((d) => d.key === "dc00").map((d) => d.bytes), [0, 100, 200]);
  });

  test("a run without per-link points (a runtime run) has no such chart, and says so", async () => {
    assert.equal(linkBytesOverTimeSpec(run("asp"), { faults: [], timeName: "wall-clock" }), null);
    const html = await renderReportHtml({ summary: summaryOf("asp"), series: run("asp").series });
    assert.ok(!chartsOf(html).has("links-time"));
    assert.match(html, /No per-link series/);
  });
});

describe("numbers as people read them", () => {
  test("one duration is written one way: the blocked-time chart and the table agree", async () => {
    const lan = { ...run("lan"), summary: summaryOf("lan", { blockedS: { ssp: 0.0049364799883, mirrorClock: 0, barrier: 0 } }) };
    const runs = [lan, run("bsp")];
    const html = await renderComparisonHtml(runs.map((r) => ({ label: r.label, result: { summary: r.summary, series: r.series } })));
    assert.doesNotMatch(html, /0\.00494 s/);
    assert.match(chartsOf(html).get("blocked")!.svg, /run: lan; text: 5 ms/);
    assert.match(html, /<td>5 ms<\/td>/);
  });

  test("large counts have thousands separators", () => {
    assert.equal(formatCount(1_223_907), "1,223,907");
    assert.equal(formatCount(999), "999");
    const rows = new Map(summaryRows(summaryOf("asp", { iterations: 12_345, filter: { flushes: 1, accumulated: 1_223_907, significant: 734_792, sent: 734_792, heldBack: 0, bytes: 1, bytesPerValue: 4.29, significantShare: 0.6, barriers: 8, readsBlockedByBarrier: 8 } } as Partial<RunSummary>)));
    assert.equal(rows.get("iterations"), "12,345");
    assert.equal(rows.get("events"), "1,234,567");
    assert.match(rows.get("filter: significant")!, /of 1,223,907 accumulated/);
    assert.match(rows.get("filter: sent")!, /^734,792 entries/);
  });
});

describe("metrics.csv", () => {
  test("is written beside metrics.jsonl: the same rows, a header, flat columns", async () => {
    const series = Array.from({ length: 5 }, (_, i) => point(i, i === 0 ? undefined : { "virginia->california": i * 1_000, "california->virginia": i * 2_000 }));
    const result: RunResult = { summary: summaryOf("asp"), series };
    const dir = mkdtempSync(join(tmpdir(), "gaia-csv-"));
    const paths = await writeRunOutputs(dir, result);
    assert.equal(paths.metricsCsv, join(dir, "metrics.csv"));
    const jsonl = readFileSync(paths.metrics, "utf8").trim().split("\n").map((l) => JSON.parse(l) as MetricsPoint);
    const rows = parse(readFileSync(paths.metricsCsv, "utf8"), { columns: true }) as Record<string, string>[];
    assert.equal(rows.length, jsonl.length);
    const header = Object.keys(rows[0]!);
    for (const column of ["virtualTimeS", "iteration", "objective", "metrics.rmse", "wanBytes", "costUsd", "blockedS.ssp", "blockedS.mirrorClock", "blockedS.barrier", "wanBytesByLink.virginia->california"]) assert.ok(header.includes(column), `column ${column}`);
    rows.forEach((row, i) => {
      const p = jsonl[i]!;
      assert.equal(Number(row["iteration"]), p.iteration);
      assert.equal(Number(row["virtualTimeS"]), p.virtualTimeS);
      assert.equal(Number(row["objective"]), p.objective);
      assert.equal(Number(row["metrics.rmse"]), p.metrics["rmse"]);
      assert.equal(Number(row["blockedS.mirrorClock"]), p.blockedS.mirrorClock);
      assert.equal(row["wanBytesByLink.california->virginia"], p.wanBytesByLink === undefined ? "" : String(p.wanBytesByLink["california->virginia"]));
    });
  });

  test("fields that need quoting are quoted (RFC 4180)", () => {
    assert.equal(csvField('a,"b"'), '"a,""b"""');
    assert.equal(csvField("plain"), "plain");
    assert.equal(csvField(null), "");
    const text = metricsCsv([{ ...point(1, undefined), metrics: { "odd, name": 1 } }]);
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    assert.equal(rows[0]!["metrics.odd, name"], "1");
    assert.equal(metricsCsv([]).trim(), "virtualTimeS,iteration,objective,wanBytes,costUsd");
  });
});
