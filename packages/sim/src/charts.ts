/**
 * The charts of run and comparison reports: Vega-Lite specifications, compiled and rendered to SVG
 * by vega on the server (no browser, no canvas), so a report is one self-contained HTML file that
 * works offline. One builder per chart; every builder takes many runs, so a one-run report and a
 * comparison report draw the same charts.
 *
 * Choices that make the charts readable:
 * - an axis is logarithmic when its positive values span at least `decadeRatio` (20x) and the
 *   chart says so in its title; otherwise linear from zero;
 * - ticks are vega's nice ticks formatted with SI prefixes (bytes) or 3 significant digits, so two
 *   ticks never read the same;
 * - fault windows are shaded on every chart whose x axis is time;
 * - ratios, bytes and dollars never share an axis: each has its own chart or table column;
 * - a value too small to see is still labelled with its number;
 * - a run's colour follows its sync model (`syncColors`: asp is the same blue in every report), the
 *   target is a neutral dashed rule, and LAN (often flat at zero WAN bytes) is dashed and on top;
 * - a heat map's colour scale starts at zero, so links of nearly equal bytes look alike, and each
 *   cell's number is dark or white by the luminance of the cell under it.
 */
import { compile, type TopLevelSpec } from "vega-lite";
import { parse, scheme, View } from "vega";
import type { FaultWindow, MetricsPoint, RunSummary } from "@gaia/scenario";
import { blockedReasons, formatSeconds } from "./summary.js";

/** One run as a chart draws it: a label (the legend entry), its summary and its series. */
export interface ChartRun {
  readonly label: string;
  readonly summary: RunSummary;
  readonly series: readonly MetricsPoint[];
}

/** An axis turns logarithmic when its positive values span this factor or more. */
export const decadeRatio = 20;

const width = 640;
const height = 240;

/** True when positive `values` span `decadeRatio` or more (and none is <= 0). */
export function spansDecades(values: readonly number[]): boolean {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length < 2 || finite.some((v) => v <= 0)) return false;
  return Math.max(...finite) / Math.min(...finite) >= decadeRatio;
}

const config = {
  font: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
  view: { stroke: "#ccc" },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: "#eee", labelOverlap: "greedy" as const, labelFlush: true },
  legend: { labelFontSize: 12, titleFontSize: 12, orient: "top" as const, symbolStrokeWidth: 3, labelLimit: 320 },
  title: { fontSize: 14, anchor: "start" as const, subtitleFontSize: 11, subtitleColor: "#555" },
  range: { category: ["#1f6feb", "#d1242f", "#2da44e", "#8250df", "#bf8700", "#0a7f8f", "#cf4ec6", "#6e7781"] },
};

/** Compiles a Vega-Lite spec and renders it to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vega = compile({ ...spec, config: { ...config, ...(spec as { config?: object }).config } } as TopLevelSpec).spec;
  const view = new View(parse(vega), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The d3 format of tick labels: bytes in SI units, else 3 significant digits without trailing zeros. */
const bytesFormat = ".3~s";
/** Byte ticks read 0, 2 MB, 4 MB (d3's SI format writes 2M). */
const bytesAxis = { format: bytesFormat, labelExpr: "datum.value == 0 ? '0' : datum.label + 'B'", tickCount: 6 };
const numberFormat = ".3~g";

interface TimeAxis {
  readonly title: string;
  readonly log: boolean;
  readonly maxS: number;
}

/** A time axis shared by every run: logarithmic when the runs' lengths span decades. */
function timeAxis(runs: readonly ChartRun[], timeName: string): TimeAxis {
  const ends = runs.map((r) => r.series.at(-1)?.virtualTimeS ?? 0).filter((t) => t > 0);
  const log = spansDecades(ends);
  return { title: `${timeName} time (s)${log ? ", log scale" : ""}`, log, maxS: Math.max(0, ...ends) };
}

/** The shaded fault windows (clipped to the axis), and their labels. */
function faultLayers(faults: readonly FaultWindow[], axis: TimeAxis, minS: number): object[] {
  const windows = faults
    .map((f) => ({ startS: Math.max(f.startS, axis.log ? minS : 0), endS: Math.min(f.endS ?? axis.maxS, axis.maxS), label: f.label }))
    .filter((f) => f.endS > f.startS);
  if (windows.length === 0) return [];
  return [
    { data: { values: windows }, mark: { type: "rect", color: "#f5a623", opacity: 0.18 }, encoding: { x: { field: "startS", type: "quantitative" }, x2: { field: "endS" } } },
    { data: { values: windows }, mark: { type: "text", align: "left", baseline: "top", dx: 3, dy: 3, fontSize: 10, color: "#9a6700", limit: 160 }, encoding: { x: { field: "startS", type: "quantitative" }, y: { value: 0 }, text: { field: "label" } } },
  ];
}

/**
 * The colour of each sync model, the same in every report. A run of a model not named here, or a
 * second run of the same model in one comparison, takes the next unused colour of `spareColors`.
 */
export const syncColors: Readonly<Record<string, string>> = { lan: "#2da44e", bsp: "#d1242f", ssp: "#bf8700", asp: "#1f6feb", diloco: "#8250df" };
const spareColors = ["#0a7f8f", "#cf4ec6", "#953800", "#6e7781", "#a475f9", "#e16f24", "#0550ae", "#1b7c83"];
/** The neutral colour of a target line: no run's colour. */
export const targetColor = "#424a53";
/** The dash of LAN's lines (drawn on top, so a flat LAN curve is not hidden under the others). */
const lanDash = [6, 3];

/** Each run's colour: its sync model's, or a spare one when that is taken or unknown. */
export function runColors(runs: readonly ChartRun[]): string[] {
  const used = new Set<string>();
    return runs.map((r) => {
    const own = syncColors[r.summary.sync];
    const color = own !== undefined && !used.has(own) ? own : (spareColors.find((c) => !used.has(c)) ?? spareColors[used.size % spareColors.length]!);
    used.add(color);
    return color;
  });
}

const isLan = (run: ChartRun): boolean => run.summary.sync === "lan";

const runColor = (runs: readonly ChartRun[]): object => ({ field: "run", type: "nominal", title: null, sort: runs.map((r) => r.label), scale: { domain: runs.map((r) => r.label), range: runColors(runs) } });
/** LAN's lines dashed, the others solid; one legend with the colours (same field, same title). */
const runDash = (runs: readonly ChartRun[]): object => ({ field: "run", type: "nominal", title: null, sort: runs.map((r) => r.label), scale: { domain: runs.map((r) => r.label), range: runs.map((r) => (isLan(r) ? lanDash : [1, 0])) } });

/**
 * Line layers of `points` (each with a `run`): the LAN runs' lines after (over) the others'. Returns
 * the layers that have points.
 */
function runLineLayers(runs: readonly ChartRun[], points: readonly { readonly run: string }[], mark: object, encoding: object): object[] {
  const lan = new Set(runs.filter(isLan).map((r) => r.label));
  const parts = [points.filter((p) => !lan.has(p.run)), points.filter((p) => lan.has(p.run))];
  return parts.filter((part) => part.length > 0).map((part) => ({ data: { values: part }, mark, encoding: { ...encoding, color: runColor(runs), strokeDash: runDash(runs) } }));
}

/** The objective of every run against time, on one shared axis, with fault windows and the target. */
export function objectiveOverTimeSpec(runs: readonly ChartRun[], options: { readonly faults: readonly FaultWindow[]; readonly timeName: string }): TopLevelSpec {
  const axis = timeAxis(runs, options.timeName);
  const points = runs.flatMap((r) => r.series.filter((p) => Number.isFinite(p.objective) && (!axis.log || p.virtualTimeS > 0)).map((p) => ({ run: r.label, timeS: p.virtualTimeS, objective: p.objective })));
  const target = runs.map((r) => r.summary.targetObjective).find((t) => t !== null) ?? null;
  const objectiveName = runs[0]?.summary.objectiveName ?? "objective";
  const logY = spansDecades([...points.map((p) => p.objective), ...(target !== null ? [target] : [])]);
  const minS = Math.min(...points.map((p) => p.timeS).filter((t) => t > 0), axis.maxS || 1);
  const x = { field: "timeS", type: "quantitative", title: axis.title, scale: axis.log ? { type: "log", domain: [minS, axis.maxS] } : { domain: [0, axis.maxS || 1], nice: false }, axis: { format: numberFormat } };
  const layers: object[] = [
    ...faultLayers(options.faults, axis, minS),
    ...runLineLayers(runs, points, { type: "line", strokeWidth: 2, interpolate: "linear", point: points.length <= 60 }, { x, y: { field: "objective", type: "quantitative", title: `${objectiveName}${logY ? ", log scale" : ""}`, scale: logY ? { type: "log" } : { zero: false }, axis: { format: numberFormat } } }),
  ];
  if (target !== null) {
    layers.push(
      { data: { values: [{ target }] }, mark: { type: "rule", color: targetColor, strokeDash: [5, 4], strokeWidth: 1.5 }, encoding: { y: { field: "target", type: "quantitative" } } },
      { data: { values: [{ target, text: `target ${target}` }] }, mark: { type: "text", align: "right", baseline: "bottom", dy: -3, fontSize: 10, color: targetColor }, encoding: { y: { field: "target", type: "quantitative" }, x: { value: width }, text: { field: "text" } } },
    );
  }
  return { width, height, title: { text: `${objectiveName} over ${options.timeName} time`, subtitle: options.faults.length > 0 ? "shaded: fault windows" : "" }, layer: layers } as TopLevelSpec;
}

/** The objective of every run against iterations (clocks of the slowest worker). */
export function objectiveOverIterationsSpec(runs: readonly ChartRun[]): TopLevelSpec {
  const points = runs.flatMap((r) => r.series.filter((p) => Number.isFinite(p.objective)).map((p) => ({ run: r.label, iteration: p.iteration, objective: p.objective })));
  const objectiveName = runs[0]?.summary.objectiveName ?? "objective";
  const logY = spansDecades(points.map((p) => p.objective));
  return {
    width,
    height,
    title: `${objectiveName} over iterations`,
    layer: runLineLayers(runs, points, { type: "line", strokeWidth: 2, point: points.length <= 60 }, {
      x: { field: "iteration", type: "quantitative", title: "iteration (slowest worker's clock)", axis: { format: "~d", tickMinStep: 1, tickCount: 8 } },
      y: { field: "objective", type: "quantitative", title: `${objectiveName}${logY ? ", log scale" : ""}`, scale: logY ? { type: "log" } : { zero: false }, axis: { format: numberFormat } },
    }),
  } as TopLevelSpec;
}

/**
 * Cumulative WAN bytes of every run against time, with fault windows. The time axis is linear
 * from zero even when the runs' lengths span decades: the slope of a cumulative curve is its rate,
 * which a log axis would bend.
 */
export function wanOverTimeSpec(runs: readonly ChartRun[], options: { readonly faults: readonly FaultWindow[]; readonly timeName: string }): TopLevelSpec {
  const axis = linearTimeAxis(runs, options.timeName);
  const points = runs.flatMap((r) => r.series.map((p) => ({ run: r.label, timeS: p.virtualTimeS, wanBytes: p.wanBytes })));
  const x = { field: "timeS", type: "quantitative", title: axis.title, scale: { domain: [0, axis.maxS || 1], nice: false }, axis: { format: numberFormat } };
  return {
    width,
    height,
    title: { text: "cumulative WAN traffic", subtitle: options.faults.length > 0 ? "shaded: fault windows" : "" },
    layer: [...faultLayers(options.faults, axis, 0), ...runLineLayers(runs, points, { type: "line", strokeWidth: 2 }, { x, y: { field: "wanBytes", type: "quantitative", title: "WAN bytes", axis: bytesAxis } })],
  } as TopLevelSpec;
}

/** A linear time axis from zero to the longest run. */
function linearTimeAxis(runs: readonly ChartRun[], timeName: string): TimeAxis {
  const ends = runs.map((r) => r.series.at(-1)?.virtualTimeS ?? 0).filter((t) => t > 0);
  return { title: `${timeName} time (s)`, log: false, maxS: Math.max(0, ...ends) };
}

/** Twelve distinct, saturated colours (vega's tableau10 and two more) for the lines of links. */
const linkPalette = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#b8a02e", "#b279a2", "#ff9da6", "#9d755d", "#79706e", "#1b1b1b", "#17becf"];

/** Links drawn one line each up to this many; past it, one line per sender (its links summed). */
export const linkLinesMax = 12;

/**
 * Cumulative WAN bytes per link (or per sender, past `linkLinesMax` links) against time, for one
 * run whose metrics points carry `wanBytesByLink`; null when none does (a runtime run written before launches recorded them).
 */
export function linkBytesOverTimeSpec(run: ChartRun, options: { readonly faults: readonly FaultWindow[]; readonly timeName: string }): TopLevelSpec | null {
  const points = run.series.filter((p) => p.wanBytesByLink !== undefined);
  if (points.length === 0) return null;
  const links = [...new Set(points.flatMap((p) => Object.keys(p.wanBytesByLink!)))].sort();
  if (links.length === 0) return null;
  const bySender = links.length > linkLinesMax;
  const keyOf = (link: string): string => (bySender ? link.split("->")[0]! : link);
  const keys = [...new Set(links.map(keyOf))].sort();
  const values = points.flatMap((p) => {
    const sums = new Map(keys.map((k) => [k, 0]));
    for (const [link, bytes] of Object.entries(p.wanBytesByLink!)) sums.set(keyOf(link), sums.get(keyOf(link))! + bytes);
    return [...sums].map(([key, bytes]) => ({ key, timeS: p.virtualTimeS, bytes }));
  });
  const axis = linearTimeAxis([run], options.timeName);
  return {
    width,
    height,
    title: { text: bySender ? "cumulative WAN traffic by sender" : "cumulative WAN traffic by link", subtitle: `${bySender ? `${links.length} links, summed by sending data center` : "one line per directed link"}${options.faults.length > 0 ? "; shaded: fault windows" : ""}` },
    layer: [
      ...faultLayers(options.faults, axis, 0),
      {
        data: { values },
        mark: { type: "line", strokeWidth: 2 },
        encoding: {
          x: { field: "timeS", type: "quantitative", title: axis.title, scale: { domain: [0, axis.maxS || 1], nice: false }, axis: { format: numberFormat } },
          y: { field: "bytes", type: "quantitative", title: "WAN bytes", axis: bytesAxis },
          color: { field: "key", type: "nominal", title: bySender ? "sender" : "link", sort: keys, scale: { domain: keys, range: keys.map((_, i) => linkPalette[i % linkPalette.length]) }, legend: { orient: "right", columns: 1 } },
        },
      },
    ],
  } as TopLevelSpec;
}

/**
 * One horizontal bar per run, labelled with its value: logarithmic when the positive values span
 * decades (a zero keeps its label, at the axis' start).
 */
export function runBarsSpec(runs: readonly ChartRun[], options: { readonly title: string; readonly axisTitle: string; readonly value: (summary: RunSummary) => number; readonly label: (value: number) => string; readonly format?: string; readonly bytes?: boolean }): TopLevelSpec {
  const rows = runs.map((r) => ({ run: r.label, value: options.value(r.summary), text: options.label(options.value(r.summary)) }));
  const positive = rows.map((r) => r.value).filter((v) => v > 0);
  const log = spansDecades(positive);
  const min = positive.length > 0 ? Math.min(...positive) : 1;
  const max = positive.length > 0 ? Math.max(...positive) : 1;
  const domain = log ? [Math.pow(10, Math.floor(Math.log10(min)) - 0.3), max * 4] : [0, max * 1.25];
  const values = rows.map((r) => ({ ...r, bar: r.value > 0 ? r.value : null, at: r.value > 0 ? r.value : domain[0] }));
  const y = { field: "run", type: "nominal", title: null, sort: runs.map((r) => r.label), axis: { labelLimit: 240 } };
  return {
    width: width - 140,
    height: { step: 26 },
    title: `${options.title}${log ? " (log scale)" : ""}`,
    data: { values },
    encoding: { y },
    layer: [
      { mark: { type: "bar", height: 16, cornerRadiusEnd: 2 }, encoding: { x: { field: "bar", type: "quantitative", title: options.axisTitle, scale: { type: log ? "log" : "linear", domain, clamp: true }, axis: options.bytes ? bytesAxis : { format: options.format ?? numberFormat, tickCount: 5 } }, color: { ...runColor(runs), legend: null } } },
      { mark: { type: "text", align: "left", dx: 4, fontSize: 11 }, encoding: { x: { field: "at", type: "quantitative" }, text: { field: "text" } } },
    ],
  } as TopLevelSpec;
}

/** Each reason's colour, the same in every report whichever runs it holds. */
const reasonColors: Readonly<Record<string, string>> = { "selective barrier": "#e16f24", "mirror clock": "#cf4ec6", "BSP lockstep": "#0a7f8f", "SSP bound": "#bf8700", "BSP/SSP in data center": "#6e7781" };

/** Time blocked by reason: one stacked bar per run, in worker-seconds. */
export function blockedSpec(runs: readonly ChartRun[]): TopLevelSpec {
  const reasons = blockedReasons;
  const values = runs.flatMap((r) => reasons.map((reason) => ({ run: r.label, reason: reason.label(r.summary.sync), key: reason.key, seconds: r.summary.blockedS[reason.key] })));
  const labels = [...new Set(values.map((v) => v.reason))];
  const totals = runs.map((r) => ({ run: r.label, total: reasons.reduce((s, reason) => s + r.summary.blockedS[reason.key], 0) }));
  const max = Math.max(0, ...totals.map((t) => t.total));
  return {
    width: width - 140,
    height: { step: 26 },
    title: { text: "time blocked, by reason", subtitle: "worker-seconds: each worker's clock waits as long as its slowest read" },
    layer: [
      {
        data: { values },
        mark: { type: "bar", height: 16 },
        encoding: {
          y: { field: "run", type: "nominal", title: null, sort: runs.map((r) => r.label), axis: { labelLimit: 240 } },
          x: { field: "seconds", type: "quantitative", stack: "zero", title: "worker-seconds blocked", scale: { domain: [0, max > 0 ? max * 1.3 : 1] }, axis: { format: numberFormat, tickCount: 6 } },
          color: { field: "reason", type: "nominal", title: null, scale: { domain: labels, range: labels.map((l, i) => reasonColors[l] ?? spareColors[i % spareColors.length]!) } },
          order: { field: "key" },
        },
      },
      { data: { values: totals.map((t) => ({ ...t, text: formatSeconds(t.total) })) }, mark: { type: "text", align: "left", dx: 4, fontSize: 11 }, encoding: { y: { field: "run", type: "nominal", sort: runs.map((r) => r.label) }, x: { field: "total", type: "quantitative" }, text: { field: "text" } } },
    ],
  } as TopLevelSpec;
}

/** Relative luminance (WCAG) of a CSS colour `rgb(r, g, b)` or `#rrggbb`. */
export function luminance(color: string): number {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  const rgb = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(color);
  const parts = hex ? hex.slice(1).map((h) => parseInt(h, 16)) : rgb ? rgb.slice(1).map(Number) : null;
  if (parts === null) throw new Error(`luminance: not a colour: ${color}`);
  const [r, g, b] = parts.map((c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The heat map's colour scheme (vega's), and the ink of a number on a cell of luminance `l`. */
const heatScheme = "blues";
/** Black, not the page's grey: against black or white, every colour has a contrast of at least 4.58 (WCAG AA). */
const darkInk = "#000000";
const lightInk = "#ffffff";
/** The ink of higher contrast on a cell of luminance `l` (WCAG contrast ratios). */
export const inkOn = (l: number): string => ((l + 0.05) / (luminance(darkInk) + 0.05) >= (1.05 / (l + 0.05)) ? darkInk : lightInk);

/**
 * WAN bytes per directed link as a source x target grid (readable for 110 links), one run. Every
 * data center is labelled on both axes; no grid line crosses a cell; the colour scale starts at
 * zero (logarithmic, from the smallest, only when the bytes span decades); each number's ink is
 * chosen by the luminance of its cell's colour.
 */
export function linkMatrixSpec(summary: RunSummary): TopLevelSpec | null {
  const entries = Object.entries(summary.wanBytesByLink).map(([link, bytes]) => {
    const [source, target] = link.split("->");
    return { source: source!, target: target!, bytes };
  });
  if (entries.length === 0) return null;
  const positive = entries.map((v) => v.bytes).filter((b) => b > 0);
  const log = spansDecades(positive);
  const max = Math.max(0, ...entries.map((v) => v.bytes));
  const domain = log ? [Math.min(...positive), max] : [0, max > 0 ? max : 1];
  const interpolate = scheme(heatScheme) as (t: number) => string;
  const position = (bytes: number): number => (log ? (bytes > 0 ? (Math.log(bytes) - Math.log(domain[0]!)) / (Math.log(domain[1]!) - Math.log(domain[0]!)) : 0) : bytes / domain[1]!);
  const values = entries.map((v) => ({ ...v, ink: inkOn(luminance(interpolate(Math.min(1, Math.max(0, position(v.bytes)))))) }));
  const names = [...new Set(entries.flatMap((v) => [v.source, v.target]))].sort();
  const cell = names.length > 8 ? 34 : 48;
  const axis = { values: names, labelOverlap: false, grid: false, ticks: false, domain: false, labelLimit: 120, labelPadding: 4 };
  return {
    width: { step: cell },
    height: { step: cell },
    title: { text: "WAN bytes per link", subtitle: `row: sender, column: receiver; colour ${log ? "log scale" : "from zero"}` },
    data: { values },
    encoding: {
      x: { field: "target", type: "nominal", title: "receiver", sort: names, scale: { domain: names }, axis: { ...axis, labelAngle: -45, orient: "top" } },
      y: { field: "source", type: "nominal", title: "sender", sort: names, scale: { domain: names }, axis },
    },
    layer: [
      { mark: { type: "rect", stroke: "#fff", strokeWidth: 1 }, encoding: { color: { field: "bytes", type: "quantitative", title: "bytes", scale: { type: log ? "log" : "linear", scheme: heatScheme, domain, nice: false, zero: !log }, legend: { format: bytesFormat, orient: "right" } } } },
      { mark: { type: "text", fontSize: cell > 40 ? 10 : 9 }, encoding: { text: { field: "bytes", type: "quantitative", format: ".2~s" }, color: { condition: { test: `datum.ink === '${lightInk}'`, value: lightInk }, value: darkInk } } },
    ],
  } as TopLevelSpec;
}
