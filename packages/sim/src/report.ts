/**
 * Output files of a run, shared by `gaia simulate` and `gaia launch`:
 * - metrics.jsonl: one `MetricsPoint` per line, in virtual-time order;
 * - summary.json: the `RunSummary`;
 * - report.html: one self-contained page (inline SVG, no external assets) with the summary, the
 *   objective over virtual time, cumulative WAN traffic over time and WAN bytes per link.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MetricsPoint, RunResult, RunSummary } from "./result.js";
import { formatBytes, formatSeconds, summaryRows } from "./summary.js";

export interface RunOutputPaths {
  readonly metrics: string;
  readonly summary: string;
  readonly report: string;
}

/** Writes metrics.jsonl, summary.json and report.html into `dir` (created if needed). */
export function writeRunOutputs(dir: string, result: RunResult): RunOutputPaths {
  mkdirSync(dir, { recursive: true });
  const paths = { metrics: join(dir, "metrics.jsonl"), summary: join(dir, "summary.json"), report: join(dir, "report.html") };
  writeFileSync(paths.metrics, metricsJsonl(result.series));
  writeFileSync(paths.summary, `${JSON.stringify(result.summary, null, 2)}\n`);
  writeFileSync(paths.report, renderReportHtml(result));
  return paths;
}

export function metricsJsonl(series: readonly MetricsPoint[]): string {
  return series.map((point) => JSON.stringify(point)).join("\n") + (series.length > 0 ? "\n" : "");
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max === min) return [min];
  const rough = (max - min) / Math.max(1, count);
  const magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

const tickLabel = (value: number): string => (Math.abs(value) >= 1e4 || (Math.abs(value) < 1e-3 && value !== 0) ? value.toExponential(1) : String(Number(value.toPrecision(4))));

interface LinePlot {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly points: readonly (readonly [number, number])[];
  readonly formatY?: (value: number) => string;
  /** A horizontal reference line (the target). */
  readonly reference?: { readonly value: number; readonly label: string };
}

const plotWidth = 720;
const plotHeight = 320;
const margin = { left: 80, right: 20, top: 36, bottom: 48 };

export function linePlotSvg(plot: LinePlot): string {
  const points = plot.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const header = `<svg xmlns="http://www.w3.org/2000/svg" width="${plotWidth}" height="${plotHeight}" viewBox="0 0 ${plotWidth} ${plotHeight}" role="img" aria-label="${escapeHtml(plot.title)}">`;
  const title = `<text x="${plotWidth / 2}" y="20" text-anchor="middle" class="title">${escapeHtml(plot.title)}</text>`;
  if (points.length === 0) return `${header}${title}<text x="${plotWidth / 2}" y="${plotHeight / 2}" text-anchor="middle">no data</text></svg>`;
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  if (plot.reference) ys.push(plot.reference.value);
  let [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  let [yMin, yMax] = [Math.min(...ys), Math.max(...ys)];
  if (xMax === xMin) xMax = xMin + 1;
  if (yMax === yMin) [yMin, yMax] = [yMin - 0.5 * Math.abs(yMin || 1), yMax + 0.5 * Math.abs(yMax || 1)];
  const pad = (yMax - yMin) * 0.05;
  yMin -= pad;
  yMax += pad;
  xMin = Math.min(0, xMin);
  const innerWidth = plotWidth - margin.left - margin.right;
  const innerHeight = plotHeight - margin.top - margin.bottom;
  const sx = (x: number): number => margin.left + ((x - xMin) / (xMax - xMin)) * innerWidth;
  const sy = (y: number): number => margin.top + innerHeight - ((y - yMin) / (yMax - yMin)) * innerHeight;
  const formatY = plot.formatY ?? tickLabel;
  const parts: string[] = [header, title];
  for (const t of niceTicks(yMin, yMax)) {
    parts.push(`<line x1="${margin.left}" x2="${plotWidth - margin.right}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(formatY(t))}</text>`);
  }
  for (const t of niceTicks(xMin, xMax, 6)) {
    parts.push(`<line x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${margin.top + innerHeight}" y2="${margin.top + innerHeight + 5}" class="axis"/>`);
    parts.push(`<text x="${sx(t).toFixed(1)}" y="${margin.top + innerHeight + 18}" text-anchor="middle">${escapeHtml(tickLabel(t))}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${innerWidth}" height="${innerHeight}" class="frame"/>`);
  if (plot.reference) {
    const y = sy(plot.reference.value).toFixed(1);
    parts.push(`<line x1="${margin.left}" x2="${plotWidth - margin.right}" y1="${y}" y2="${y}" class="reference"/>`);
    parts.push(`<text x="${plotWidth - margin.right - 4}" y="${Number(y) - 4}" text-anchor="end" class="reference-label">${escapeHtml(plot.reference.label)}</text>`);
  }
  const path = points.map(([x, y], i) => `${i === 0 ? "M" : "L"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ");
  parts.push(`<path d="${path}" class="line"/>`);
  parts.push(`<text x="${margin.left + innerWidth / 2}" y="${plotHeight - 8}" text-anchor="middle">${escapeHtml(plot.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${margin.top + innerHeight / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(plot.yLabel)}</text>`);
  parts.push("</svg>");
  return parts.join("");
}

/** Horizontal bars, largest first. */
export function barChartSvg(title: string, bars: readonly (readonly [string, number])[], formatValue: (value: number) => string): string {
  const sorted = [...bars].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const rowHeight = 18;
  const labelWidth = 220;
  const valueWidth = 90;
  const height = 40 + Math.max(1, sorted.length) * rowHeight;
  const barSpace = plotWidth - labelWidth - valueWidth - 20;
  const max = Math.max(0, ...sorted.map(([, v]) => v));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${plotWidth}" height="${height}" viewBox="0 0 ${plotWidth} ${height}" role="img" aria-label="${escapeHtml(title)}">`,
    `<text x="${plotWidth / 2}" y="20" text-anchor="middle" class="title">${escapeHtml(title)}</text>`,
  ];
  if (sorted.length === 0) parts.push(`<text x="${plotWidth / 2}" y="${height - 8}" text-anchor="middle">no WAN traffic</text>`);
  sorted.forEach(([label, value], i) => {
    const y = 32 + i * rowHeight;
    const width = max > 0 ? (value / max) * barSpace : 0;
    parts.push(`<text x="${labelWidth - 6}" y="${y + 12}" text-anchor="end">${escapeHtml(label)}</text>`);
    parts.push(`<rect x="${labelWidth}" y="${y + 2}" width="${width.toFixed(1)}" height="${rowHeight - 5}" class="bar"/>`);
    parts.push(`<text x="${(labelWidth + width + 6).toFixed(1)}" y="${y + 12}">${escapeHtml(formatValue(value))}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

const style = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 760px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; } td { padding: 2px 12px 2px 0; vertical-align: top; }
td:first-child { color: #555; } code { font-size: 12px; }
svg { display: block; margin: 8px 0; } svg text { font: 11px system-ui, sans-serif; fill: #333; }
svg .title { font-size: 13px; font-weight: 600; }
.grid { stroke: #e4e4e4; } .axis { stroke: #888; } .frame { fill: none; stroke: #888; }
.line { fill: none; stroke: #1f6feb; stroke-width: 2; } .bar { fill: #1f6feb; }
.reference { stroke: #d1242f; stroke-dasharray: 5 4; } svg .reference-label { fill: #d1242f; }
`;

export function renderReportHtml(result: RunResult): string {
  const summary: RunSummary = result.summary;
  const timeName = summary.clock === "wall" ? "wall-clock" : "virtual";
  const rows = summaryRows(summary)
    .map(([label, value]) => `<tr><td>${escapeHtml(label)}</td><td>${label === "trace hash" ? `<code>${escapeHtml(value)}</code>` : escapeHtml(value)}</td></tr>`)
    .join("\n");
  const objective = linePlotSvg({
    title: `${summary.objectiveName} over ${timeName} time`,
    xLabel: `${timeName} time (s)`,
    yLabel: summary.objectiveName,
    points: result.series.map((p) => [p.virtualTimeS, p.objective] as const),
    ...(summary.targetObjective !== null ? { reference: { value: summary.targetObjective, label: `target ${summary.targetObjective}` } } : {}),
  });
  const traffic = linePlotSvg({
    title: "cumulative WAN traffic",
    xLabel: `${timeName} time (s)`,
    yLabel: "WAN bytes",
    points: result.series.map((p) => [p.virtualTimeS, p.wanBytes] as const),
    formatY: formatBytes,
  });
  const links = barChartSvg("WAN bytes per link", Object.entries(summary.wanBytesByLink), formatBytes);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(summary.name)}: Gaia run report</title>
<style>${style}</style>
</head>
<body>
<h1>${escapeHtml(summary.name)} <small>(seed ${summary.seed}, ${escapeHtml(summary.sync)})</small></h1>
<table>
${rows}
</table>
<h2>Convergence</h2>
${objective}
<h2>WAN traffic</h2>
${traffic}
${links}
<p>Virtual time ${escapeHtml(formatSeconds(summary.virtualTimeS))}; ${result.series.length} metrics points (metrics.jsonl).</p>
</body>
</html>
`;
}
