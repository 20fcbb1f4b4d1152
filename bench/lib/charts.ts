/**
 * The benchmark reports' charts, as Vega-Lite specifications rendered to standalone SVG by the same
 * renderer as the run reports (`renderSvg` in @gaia/sim):
 * - barChart: grouped bars; the value axis is logarithmic when its values span 20x or more, every
 *   bar carries its number (a 0.23x bar stays readable next to a 25x one);
 * - lineChart: line series, series of two units on two axes, one each side;
 * - objectiveChart: an objective against virtual time, one line per mode, y fitted to the data (so
 *   negative log-likelihoods plot too), with dashed references (targets);
 * - logBarChart: grouped bars on a log axis (WAN bytes);
 * - crossoverChart: lines over a log x and a log y axis, with dashed references.
 */
import { renderSvg, spansDecades } from "@gaia/sim";
import type { TopLevelSpec } from "@gaia/sim";

export interface BarGroup {
  readonly label: string;
  /** One value per series; null draws nothing and writes "n/a". */
  readonly values: readonly (number | null)[];
}

export interface LineSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number | null }[];
  /** The y axis this series belongs to; series of a second unit get a right-hand axis. */
  readonly unit?: string;
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
const xml = (svg: string): string => svg.replace(/^<svg /, '<svg font-family="sans-serif" ');

/** Grouped bar chart; each reference draws a dashed horizontal line (e.g. 1x or a target). */
export async function barChart(options: { title: string; yLabel: string; series: readonly string[]; groups: readonly BarGroup[]; references?: readonly { value: number; label: string }[] }): Promise<string> {
  const values = options.groups.flatMap((g) => options.series.map((series, i) => ({ group: g.label, series, value: g.values[i] ?? null, text: g.values[i] === null || g.values[i] === undefined ? "n/a" : fmt(g.values[i]!) })));
  const numbers = values.map((v) => v.value).filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
  const references = options.references ?? [];
  const log = spansDecades([...numbers, ...references.map((r) => r.value)]);
  const min = Math.min(...numbers, ...references.map((r) => r.value));
  const max = Math.max(...numbers, ...references.map((r) => r.value), 1);
  const domain = log ? [Math.pow(10, Math.floor(Math.log10(min))), max * 2] : [0, max * 1.15];
  const y = { field: "value", type: "quantitative", title: `${options.yLabel}${log ? " (log scale)" : ""}`, scale: { type: log ? "log" : "linear", domain, clamp: true }, axis: { format: ".3~g" } };
  const spec = {
    width: { step: 18 },
    height: 300,
    title: options.title,
    layer: [
      {
        data: { values },
        encoding: { x: { field: "group", type: "nominal", title: null, sort: options.groups.map((g) => g.label), axis: { labelAngle: -30, labelOverlap: false } }, xOffset: { field: "series", sort: [...options.series] } },
        layer: [
          { mark: { type: "bar" }, encoding: { y, color: { field: "series", type: "nominal", title: null, sort: [...options.series], legend: { orient: "top" } } } },
          { mark: { type: "text", angle: 270, align: "left", dx: 3, fontSize: 9 }, encoding: { y: { ...y, field: "at" }, text: { field: "text" } }, transform: [{ calculate: `datum.value === null ? ${domain[0]} : datum.value`, as: "at" }] },
        ],
      },
      ...references.flatMap((r) => [
        { data: { values: [r] }, mark: { type: "rule", strokeDash: [5, 4], color: "#555" }, encoding: { y: { field: "value", type: "quantitative" } } },
        { data: { values: [r] }, mark: { type: "text", align: "right", baseline: "bottom", dy: -2, fontSize: 10, color: "#555" }, encoding: { y: { field: "value", type: "quantitative" }, x: { value: "width" }, text: { field: "label" } } },
      ]),
    ],
  };
  return xml(await renderSvg(spec as unknown as TopLevelSpec));
}

/** Line chart of several series; `logX` for a log x axis; series of two units get two y axes. */
export async function lineChart(options: { title: string; xLabel: string; yLabel: string; series: readonly LineSeries[]; logX?: boolean }): Promise<string> {
  const units = [...new Set(options.series.map((s) => s.unit ?? options.yLabel))];
  const layerOf = (unit: string, side: "left" | "right"): object => {
    const series = options.series.filter((s) => (s.unit ?? options.yLabel) === unit);
    const values = series.flatMap((s) => s.points.filter((p) => p.y !== null && Number.isFinite(p.y)).map((p) => ({ series: s.name, x: p.x, y: p.y })));
    const log = spansDecades(values.map((v) => v.y!));
    return {
      data: { values },
      mark: { type: "line", point: true, strokeWidth: 2 },
      encoding: {
        x: { field: "x", type: "quantitative", title: options.xLabel, scale: options.logX ? { type: "log" } : { zero: false }, axis: { format: ".3~g" } },
        y: { field: "y", type: "quantitative", title: `${unit}${log ? " (log scale)" : ""}`, scale: log ? { type: "log" } : { zero: true }, axis: { orient: side, format: ".3~g" } },
        color: { field: "series", type: "nominal", title: null, scale: { domain: options.series.map((s) => s.name) }, legend: { orient: "top" } },
        ...(side === "right" ? { strokeDash: { value: [6, 3] } } : {}),
      },
    };
  };
  const spec = {
    width: 560,
    height: 300,
    title: options.title,
    layer: units.slice(0, 2).map((unit, i) => layerOf(unit, i === 0 ? "left" : "right")),
    ...(units.length > 1 ? { resolve: { scale: { y: "independent" } } } : {}),
  };
  return xml(await renderSvg(spec as unknown as TopLevelSpec));
}

export interface XYSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

/** Dashed horizontal reference lines with their labels at the right edge. */
const referenceLayers = (references: readonly { y: number; label: string }[]): object[] =>
  references.flatMap((r) => [
    { data: { values: [r] }, mark: { type: "rule", strokeDash: [5, 4], color: "#444" }, encoding: { y: { field: "y", type: "quantitative" } } },
    { data: { values: [r] }, mark: { type: "text", align: "right", baseline: "bottom", dy: -2, fontSize: 10, color: "#444" }, encoding: { y: { field: "y", type: "quantitative" }, x: { value: "width" }, text: { field: "label" } } },
  ]);

const seriesValues = (series: readonly XYSeries[], keep: (p: { x: number; y: number }) => boolean): { series: string; x: number; y: number }[] =>
  series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && keep(p)).map((p) => ({ series: s.name, x: p.x, y: p.y })));

type XYOptions = { title: string; xLabel: string; yLabel: string; series: readonly XYSeries[]; references?: readonly { y: number; label: string }[] };

/** Line series with dashed references; `log`: both axes logarithmic (and points marked). */
async function xyChart(options: XYOptions, log: boolean): Promise<string> {
  const values = seriesValues(options.series, log ? (p) => p.x > 0 && p.y > 0 : () => true);
  const color = { field: "series", type: "nominal", title: null, scale: { domain: options.series.map((s) => s.name) }, legend: { orient: "top" } };
  const x = { field: "x", type: "quantitative", title: options.xLabel, ...(log ? { scale: { type: "log" } } : {}), axis: { format: ".3~g" } };
  const y = { field: "y", type: "quantitative", title: options.yLabel, scale: log ? { type: "log" } : { zero: false }, axis: { format: log ? ".3~g" : ".4~g" } };
  const spec = {
    width: 560,
    height: 300,
    title: options.title,
    layer: [{ data: { values }, mark: { type: "line", strokeWidth: 2, ...(log ? { point: true } : {}) }, encoding: { x, y, color } }, ...referenceLayers(options.references ?? [])],
  };
  return xml(await renderSvg(spec as unknown as TopLevelSpec));
}

/** Lines over linear axes fitted to the data (objective against virtual time). */
export const objectiveChart = (options: XYOptions): Promise<string> => xyChart(options, false);

/** Grouped bars on a log y axis (WAN bytes, which span orders of magnitude); null or 0 draws nothing. */
export async function logBarChart(options: { title: string; yLabel: string; series: readonly string[]; groups: readonly { label: string; values: readonly (number | null)[] }[] }): Promise<string> {
  const values = options.groups.flatMap((g) => options.series.map((series, i) => ({ group: g.label, series, value: g.values[i] ?? null })).filter((v) => v.value !== null && v.value > 0));
  const numbers = values.map((v) => v.value!);
  const domain = [Math.pow(10, Math.floor(Math.log10(Math.min(...numbers)))), Math.pow(10, Math.ceil(Math.log10(Math.max(...numbers, 10))))];
  const spec = {
    width: { step: 14 },
    height: 300,
    title: options.title,
    data: { values },
    mark: { type: "bar" },
    encoding: {
      x: { field: "group", type: "nominal", title: null, sort: options.groups.map((g) => g.label), axis: { labelAngle: -30, labelOverlap: false } },
      xOffset: { field: "series", sort: [...options.series] },
      y: { field: "value", type: "quantitative", title: `${options.yLabel} (log scale)`, scale: { type: "log", domain, clamp: true }, axis: { format: ".2~s" } },
      color: { field: "series", type: "nominal", title: null, sort: [...options.series], legend: { orient: "top" } },
      tooltip: [{ field: "group" }, { field: "series" }, { field: "value", format: ".3~s" }],
    },
  };
  return xml(await renderSvg(spec as unknown as TopLevelSpec));
}

/** Lines with points over a log x axis and a log y axis, with dashed references (crossover chart). */
export const crossoverChart = (options: XYOptions): Promise<string> => xyChart(options, true);
