/**
 * Output files of a run, shared by `gaia simulate` and `gaia launch`, and the comparison report of
 * `gaia compare` and `gaia simulate --sync a,b,c`:
 * - metrics.jsonl: one `MetricsPoint` per line, in time order;
 * - metrics.csv: the same rows as a table for spreadsheets and plotting scripts: a header line and
 *   one flat column per field (nested fields joined with dots: `blockedS.ssp`, `metrics.rmse`,
 *   `wanBytesByLink.virginia->tokyo`), an empty cell where a row lacks a column;
 * - summary.json: the `RunSummary`;
 * - report.html: one self-contained page (inline SVG from charts.ts, no script, no external asset)
 *   with the summary, the objective over time and iterations, WAN traffic, blocked time and the
 *   bytes of every WAN link;
 * - compare.html (comparison): the same charts with every run overlaid on shared axes, and a table
 *   of ratios to LAN and to the Baseline (BSP).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { atEndOf, atTargetOf, runTimeOf, type FaultWindow, type MetricsPoint, type RunMoment, type RunResult, type RunSummary } from "@gaia/scenario";
import type { Fault } from "@gaia/scenario";
import type { TopLevelSpec } from "vega-lite";
import { blockedSpec, linkBytesOverTimeSpec, linkMatrixSpec, objectiveOverIterationsSpec, objectiveOverTimeSpec, renderSvg, runBarsSpec, wanOverTimeSpec, type ChartRun } from "./charts.js";
import { blockedReasons, extraRows, filterRows, formatBytes, formatChecks, formatCount, formatObjective, formatSeconds, formatUsd, summaryRows } from "./summary.js";

export interface RunOutputPaths {
  readonly metrics: string;
  readonly metricsCsv: string;
  readonly summary: string;
  readonly report: string;
}

/** Writes metrics.jsonl, metrics.csv, summary.json and report.html into `dir` (created if needed). */
export async function writeRunOutputs(dir: string, result: RunResult): Promise<RunOutputPaths> {
  const html = await renderReportHtml(result);
  mkdirSync(dir, { recursive: true });
  const paths = { metrics: join(dir, "metrics.jsonl"), metricsCsv: join(dir, "metrics.csv"), summary: join(dir, "summary.json"), report: join(dir, "report.html") };
  writeFileSync(paths.metrics, metricsJsonl(result.series));
  writeFileSync(paths.metricsCsv, metricsCsv(result.series));
  writeFileSync(paths.summary, `${JSON.stringify(result.summary, null, 2)}\n`);
  writeFileSync(paths.report, html);
  return paths;
}

export function metricsJsonl(series: readonly MetricsPoint[]): string {
  return series.map((point) => JSON.stringify(point)).join("\n") + (series.length > 0 ? "\n" : "");
}

/** A row's fields as flat `path -> value` pairs (objects joined with dots, in their order). */
function flatten(value: unknown, prefix: string, into: Map<string, string | number | boolean | null>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) flatten(inner, prefix === "" ? key : `${prefix}.${key}`, into);
  } else if (value !== undefined) into.set(prefix, Array.isArray(value) ? JSON.stringify(value) : (value as string | number | boolean | null));
}

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The metrics points as CSV: a header of every flat column any row has (in first-seen order), then
 * one line per point, in the order of metrics.jsonl; a missing field is an empty cell.
 */
export function metricsCsv(series: readonly MetricsPoint[]): string {
  const rows = series.map((point) => {
    const flat = new Map<string, string | number | boolean | null>();
    flatten(point, "", flat);
    return flat;
  });
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const column of row.keys()) {
      if (seen.has(column)) continue;
      seen.add(column);
      columns.push(column);
    }
  }
  if (columns.length === 0) columns.push("virtualTimeS", "iteration", "objective", "wanBytes", "costUsd");
  const lines = [columns.map(csvField).join(","), ...rows.map((row) => columns.map((c) => csvField(row.get(c))).join(","))];
  return `${lines.join("\r\n")}\r\n`;
}

/** A run folder could not be read as a run (the message names the file and what is wrong). */
export class RunDirError extends Error {
  override readonly name = "RunDirError";
}

/** Reads a run folder written by `writeRunOutputs` back into a `RunResult`. */
export function readRunDir(dir: string): RunResult {
  const summaryPath = join(dir, "summary.json");
  const metricsPath = join(dir, "metrics.jsonl");
  if (!existsSync(dir)) throw new RunDirError(`${dir}: no such folder`);
  if (!existsSync(summaryPath)) throw new RunDirError(`${dir}: not a run folder (no summary.json; gaia simulate and gaia launch write one)`);
  let summary: RunSummary;
  try {
    summary = JSON.parse(readFileSync(summaryPath, "utf8")) as RunSummary;
  } catch (error) {
    throw new RunDirError(`${summaryPath}: not JSON: ${(error as Error).message}`);
  }
  for (const field of ["name", "sync", "virtualTimeS|trainingTimeS", "objective", "blockedS", "wanBytes"] as const) {
    if (summary === null || typeof summary !== "object" || !field.split("|").some((f) => f in summary)) throw new RunDirError(`${summaryPath}: not a run summary (no "${field.replace("|", '" or "')}")`);
  }
  const series: MetricsPoint[] = [];
  if (existsSync(metricsPath)) {
    readFileSync(metricsPath, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (line.trim() === "") return;
        try {
          series.push(JSON.parse(line) as MetricsPoint);
        } catch (error) {
          throw new RunDirError(`${metricsPath}:${i + 1}: not JSON: ${(error as Error).message}`);
        }
      });
  }
  return { summary, series };
}

/** The windows of a scenario's scripted faults, in its seconds (times `scale`, plus `offsetS`). */
export function faultWindowsOf(faults: readonly Fault[], scale = 1, offsetS = 0): FaultWindow[] {
  const pair = (link: readonly [string, string] | "all"): string => (link === "all" ? "all links" : `${link[0]}-${link[1]}`);
  return faults.map((f): FaultWindow => {
    const startS = offsetS + f.atS * scale;
    if (f.kind === "crash") return { startS, endS: f.restartAfterS === null ? null : startS + f.restartAfterS * scale, label: `crash ${f.node}` };
    const endS = f.forS === null ? null : startS + f.forS * scale;
    switch (f.kind) {
      case "partition":
        return { startS, endS, label: `partition ${f.between[0]}${f.oneWay ? "->" : "-"}${f.between[1]}` };
      case "isolate":
        return { startS, endS, label: `isolate ${f.dataCenter}` };
      case "bandwidth":
        return { startS, endS, label: `bandwidth x${f.factor} ${pair(f.link)}` };
      case "slow":
        return { startS, endS, label: `slow ${f.node} x${f.factor}` };
      case "lossy":
        return { startS, endS, label: `lossy ${pair(f.link)}` };
    }
  });
}

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const style = `
body { font: 14px/1.45 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 24px auto; color: #1f2328; max-width: 960px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px; }
.sub { color: #59636e; margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 3px 14px 3px 0; vertical-align: top; text-align: left; }
table.ratios th, table.ratios td { border-bottom: 1px solid #eaeef2; padding: 4px 12px; } table.ratios td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.summary td:first-child { color: #59636e; } code { font-size: 12px; }
figure { margin: 12px 0 20px; } figure svg { max-width: 100%; height: auto; display: block; }
.note { color: #59636e; font-size: 12px; }
`;

export const page = (title: string, body: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
${body}
</body>
</html>
`;

/** An inline chart; `data-chart` names it and `data-series` lists the runs it draws, for checks. */
export const figure = (name: string, svg: string, series: readonly string[]): string => `<figure data-chart="${name}" data-series="${escapeHtml(JSON.stringify(series))}">${localIds(svg, name)}</figure>`;

/**
 * vega numbers clip paths and gradients with process-wide counters; renumbered per chart, the ids
 * are unique in the page and the same on every render (the same run gives the same report).
 */
function localIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  for (const match of svg.matchAll(/ id="([^"]+)"/g)) if (!ids.has(match[1]!)) ids.set(match[1]!, `${prefix}-${ids.size}`);
  return svg.replace(/ id="([^"]+)"|url\(#([^)]+)\)/g, (_whole: string, id: string | undefined, ref: string | undefined) => (id !== undefined ? ` id="${ids.get(id) ?? id}"` : `url(#${ids.get(ref!) ?? ref})`));
}

/** A chart of the runs' series, or a note when no run has a metrics point. */
async function seriesFigure(name: string, runs: readonly ChartRun[], spec: () => TopLevelSpec): Promise<string> {
  if (runs.every((r) => r.series.length === 0)) return `<p class="note">${name}: no metrics points to draw.</p>`;
  return figure(name, await renderSvg(spec()), runs.map((r) => r.label));
}

const timeNameOf = (summaries: readonly RunSummary[]): string => (summaries.every((s) => s.clock === "wall") ? "wall-clock" : summaries.some((s) => s.clock === "wall") ? "wall-clock or virtual" : "virtual");

/** The HTML report of one run. */
export async function renderReportHtml(result: RunResult): Promise<string> {
  const summary: RunSummary = result.summary;
  const runs: ChartRun[] = [{ label: summary.sync, summary, series: result.series }];
  const faults = summary.faultWindows ?? [];
  const timeName = timeNameOf([summary]);
  const rows = summaryRows(summary)
    .map(([label, value]) => `<tr><td>${escapeHtml(label)}</td><td>${label === "trace hash" ? `<code>${escapeHtml(value)}</code>` : escapeHtml(value)}</td></tr>`)
    .join("\n");
  const links = linkMatrixSpec(summary);
  const linksOverTime = linkBytesOverTimeSpec(runs[0]!, { faults, timeName });
  const charts = [
    await seriesFigure("objective-time", runs, () => objectiveOverTimeSpec(runs, { faults, timeName })),
    await seriesFigure("objective-iterations", runs, () => objectiveOverIterationsSpec(runs)),
    await seriesFigure("wan-time", runs, () => wanOverTimeSpec(runs, { faults, timeName })),
    figure("blocked", await renderSvg(blockedSpec(runs)), [summary.sync]),
    links === null ? `<p class="note">No WAN traffic: this run has no links between data centers.</p>` : figure("links", await renderSvg(links), []),
    linksOverTime === null ? (links === null ? "" : `<p class="note">No per-link series: this run's metrics points do not carry WAN bytes by link.</p>`) : figure("links-time", await renderSvg(linksOverTime), []),
  ];
  return page(
    `${summary.name}: Gaia run report`,
    `<h1>${escapeHtml(summary.name)}</h1>
<p class="sub">seed ${summary.seed}, ${escapeHtml(summary.sync)}, ${escapeHtml(summary.workload)} on ${escapeHtml(summary.topology)}; ${timeName} time ${escapeHtml(formatSeconds(runTimeOf(summary)))}; ${formatCount(result.series.length)} metrics points (metrics.jsonl, metrics.csv)</p>
<table class="summary">
${rows}
</table>
<h2>Convergence</h2>
${charts[0]}
${charts[1]}
<h2>WAN traffic</h2>
${charts[2]}
${charts[5]}
${charts[4]}
<h2>Time blocked</h2>
${charts[3]}
`,
  );
}

/** A run of a comparison: its label and its result. */
export interface ComparedRun {
  readonly label: string;
  readonly result: RunResult;
}

/** Labels for runs: the sync model, made unique with the scenario name or folder when needed. */
export function labelRuns(runs: readonly { readonly result: RunResult; readonly source: string }[]): ComparedRun[] {
  const bySync = new Map<string, number>();
  for (const r of runs) bySync.set(r.result.summary.sync, (bySync.get(r.result.summary.sync) ?? 0) + 1);
  const labels = runs.map((r) => (bySync.get(r.result.summary.sync) === 1 ? r.result.summary.sync : `${r.result.summary.sync} (${r.source})`));
  const seen = new Map<string, number>();
  return runs.map((r, i) => {
    const n = (seen.get(labels[i]!) ?? 0) + 1;
    seen.set(labels[i]!, n);
    return { label: n === 1 ? labels[i]! : `${labels[i]} #${n}`, result: r.result };
  });
}

/** One row of the ratio table: a run's figures at the table's moment. */
export interface RatioRow {
  readonly label: string;
  /** Time to target when every run reached it, else the run's length. */
  readonly timeS: number;
  readonly iteration: number;
  readonly objective: number;
  /** WAN bytes to the target when every run reached it, else over the whole run. */
  readonly wanBytes: number;
  readonly costUsd: number;
  /** timeS / LAN's timeS (1 = as fast as LAN), null without a LAN run. */
  readonly vsLan: number | null;
  /** BSP's timeS / timeS (the speedup over the Baseline), null without a BSP run. */
  readonly speedupVsBsp: number | null;
  /** wanBytes / BSP's wanBytes, at the same moment. */
  readonly wanVsBsp: number | null;
}

/**
 * Ratios to LAN and to the Baseline (BSP), every figure taken at one moment: at the target when
 * every run reached it (time to target and bytes to target), else at the end of each run.
 */
export function ratioTable(runs: readonly ComparedRun[]): { readonly measure: "time to target" | "run time"; readonly moment: "at target" | "at end"; readonly rows: RatioRow[] } {
  const targets = runs.map((r) => atTargetOf(r.result.summary, r.result.series));
  const allReached = runs.length > 0 && runs.every((r, i) => r.result.summary.reachedTarget && r.result.summary.timeToTargetS !== null && targets[i] !== null);
  const measure = allReached ? ("time to target" as const) : ("run time" as const);
  const moments = runs.map((r, i): RunMoment => (allReached ? targets[i]! : atEndOf(r.result.summary)));
  const lan = moments[runs.findIndex((r) => r.result.summary.sync === "lan")];
  const bsp = moments[runs.findIndex((r) => r.result.summary.sync === "bsp")];
  const ratio = (a: number, b: number): number | null => (b > 0 && Number.isFinite(a / b) ? a / b : null);
  return {
    measure,
    moment: allReached ? "at target" : "at end",
    rows: runs.map(({ label }, i) => {
      const m = moments[i]!;
      return {
        label,
        timeS: m.timeS,
        iteration: m.iteration,
        objective: m.objective,
        wanBytes: m.wanBytes,
        costUsd: m.costUsd,
        vsLan: lan === undefined ? null : ratio(m.timeS, lan.timeS),
        speedupVsBsp: bsp === undefined ? null : ratio(bsp.timeS, m.timeS),
        wanVsBsp: bsp === undefined ? null : ratio(m.wanBytes, bsp.wanBytes),
      };
    }),
  };
}

/** A ratio for people, the same in compare.html and the CLI's table: 0.52x, 31.8x, 125x; "-" for none. */
export const formatRatio = (value: number | null): string => (value === null ? "-" : `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)}x`);
const times = formatRatio;

/** The comparison report: every run overlaid on shared axes, and a table of ratios. */
export async function renderComparisonHtml(runs: readonly ComparedRun[], options: { readonly title?: string; readonly faults?: readonly FaultWindow[] } = {}): Promise<string> {
  const chartRuns: ChartRun[] = runs.map((r) => ({ label: r.label, summary: r.result.summary, series: r.result.series }));
  const labels = runs.map((r) => r.label);
  const summaries = runs.map((r) => r.result.summary);
  const faults = options.faults ?? mergeFaults(summaries);
  const timeName = timeNameOf(summaries);
  const names = [...new Set(summaries.map((s) => s.name))];
  const title = options.title ?? `${names.join(", ")}: ${labels.join(" vs ")}`;
  const { measure, moment, rows } = ratioTable(runs);
  const at = moment === "at target" ? "to target" : "(end of run)";
  const hasLan = rows.some((r) => r.vsLan !== null);
  const hasBsp = rows.some((r) => r.speedupVsBsp !== null);
  const table = `<table class="ratios">
<tr><th>run</th><th>${measure}</th><th>iterations ${at}</th><th>${escapeHtml(summaries[0]?.objectiveName ?? "objective")} ${at}</th>${hasLan ? "<th>time / LAN</th>" : ""}${hasBsp ? `<th>speedup over BSP</th><th>WAN bytes / BSP ${at}</th>` : ""}<th>WAN traffic ${at}</th><th>WAN cost ${at}</th><th>stopped by</th></tr>
${rows
  .map((row, i) => {
    const s = summaries[i]!;
    return `<tr><td>${escapeHtml(row.label)}</td><td class="num">${escapeHtml(formatSeconds(row.timeS))}</td><td class="num">${formatCount(row.iteration)}</td><td class="num">${escapeHtml(formatObjective(row.objective))}</td>${hasLan ? `<td class="num">${times(row.vsLan)}</td>` : ""}${hasBsp ? `<td class="num">${times(row.speedupVsBsp)}</td><td class="num">${times(row.wanVsBsp)}</td>` : ""}<td class="num">${escapeHtml(formatBytes(row.wanBytes))}</td><td class="num">${escapeHtml(formatUsd(row.costUsd))}</td><td>${escapeHtml(s.stoppedBy)}</td></tr>`;
  })
  .join("\n")}
</table>
<p class="note">${measure === "time to target" ? `Every run reached its target ${summaries[0]?.targetObjective ?? ""}; times, iterations, objectives, WAN bytes and cost are all taken at the evaluation that reached it (${timeName} seconds); traffic sent after it, while the run stops, is not counted.` : "Not every run reached a target, so every figure is taken at the end of each run and ratios compare run lengths, not convergence."}${hasLan ? " time / LAN: 1.00x is as fast as LAN." : ""}${hasBsp ? " Speedup over BSP: the Baseline's time over this run's." : ""}</p>`;
  const charts = [
    await seriesFigure("objective-time", chartRuns, () => objectiveOverTimeSpec(chartRuns, { faults, timeName })),
    await seriesFigure("objective-iterations", chartRuns, () => objectiveOverIterationsSpec(chartRuns)),
    await seriesFigure("wan-time", chartRuns, () => wanOverTimeSpec(chartRuns, { faults, timeName })),
    figure("wan-bytes", await renderSvg(runBarsSpec(chartRuns, { title: "WAN traffic", axisTitle: "bytes", value: (s) => s.wanBytes, label: formatBytes, bytes: true })), labels),
    figure("wan-cost", await renderSvg(runBarsSpec(chartRuns, { title: "WAN egress cost", axisTitle: "USD", value: (s) => s.costUsd, label: formatUsd, format: "$.2~g" })), labels),
    figure("blocked", await renderSvg(blockedSpec(chartRuns)), labels),
  ];
  const sources = detailTable(labels, summaries);
  return page(
    `${title}: Gaia comparison`,
    `<h1>${escapeHtml(title)}</h1>
<p class="sub">${runs.length} runs on one ${timeName}-time axis${faults.length > 0 ? "; shaded: fault windows" : ""}</p>
${table}
<h2>Convergence</h2>
${charts[0]}
${charts[1]}
<h2>WAN traffic and cost</h2>
${charts[2]}
${charts[3]}
${charts[4]}
<h2>Time blocked</h2>
${charts[5]}
<h2>Runs</h2>
${sources}
`,
  );
}

/**
 * Every run's details side by side: what ran, blocked time by reason, checks, and any field added
 * to the summary later (shown generically, so new statistics need no code here).
 */
function detailTable(labels: readonly string[], summaries: readonly RunSummary[]): string {
  const rows = new Map<string, string[]>();
  const put = (label: string, i: number, value: string): void => {
    if (!rows.has(label)) rows.set(label, labels.map(() => "-"));
    rows.get(label)![i] = value;
  };
  summaries.forEach((s, i) => {
    put("scenario", i, `${s.name} (seed ${s.seed})`);
    put("workload", i, `${s.workload} on ${s.topology}`);
    for (const reason of blockedReasons) put(`blocked: ${reason.key === "ssp" ? "BSP/SSP clock" : reason.label(s.sync)} (worker-s)`, i, formatSeconds(s.blockedS[reason.key]));
    put("checks", i, formatChecks(s.checks));
    for (const [label, value] of [...filterRows(s), ...extraRows(s)]) put(label, i, value);
    if (s.traceHash !== "") put("trace hash", i, s.traceHash);
  });
  const head = `<tr><th></th>${labels.map((l) => `<th>${escapeHtml(l)}</th>`).join("")}</tr>`;
  const body = [...rows].map(([label, values]) => `<tr><td>${escapeHtml(label)}</td>${values.map((v) => `<td>${escapeHtml(v)}</td>`).join("")}</tr>`).join("\n");
  return `<table class="summary runs">\n${head}\n${body}\n</table>`;
}

/** The distinct fault windows of several runs (the same scenario's are shared). */
function mergeFaults(summaries: readonly RunSummary[]): FaultWindow[] {
  const seen = new Map<string, FaultWindow>();
  for (const s of summaries) for (const f of s.faultWindows ?? []) seen.set(`${f.startS}|${f.endS}|${f.label}`, f);
  return [...seen.values()];
}

/** Writes compare.html into `dir`; returns its path. */
export async function writeComparison(dir: string, runs: readonly ComparedRun[], options: { readonly title?: string } = {}): Promise<string> {
  const html = await renderComparisonHtml(runs, options);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "compare.html");
  writeFileSync(path, html);
  return path;
}
