/**
 * A sweep's results: one row per run (results.csv), and one report over them (sweep.html) with the
 * mean and spread over seeds for each point and sync model. Every figure of a row is taken at the
 * same moment as in a comparison: at the evaluation that reached the target, and separately at the
 * end of the run. A row holds only what the run determines (no wall time), so the same sweep gives
 * the same CSV wherever and in however many slices it ran.
 */
import type { TopLevelSpec } from "vega-lite";
import { atEndOf, atTargetOf, type RunSummary } from "@gaia/scenario";
import { renderSvg } from "./charts.js";
import { escapeHtml, figure, page } from "./report.js";
import { formatBytes, formatObjective, formatSeconds } from "./summary.js";

/** One run of a sweep. */
export interface SweepRow {
  /** Its place in the whole sweep's plan. */
  readonly index: number;
  /** Its folder under runs/. */
  readonly id: string;
  /** The point without its seed: the runs averaged together. */
  readonly group: string;
  /** The varied fields' values, by path. */
  readonly values: Readonly<Record<string, unknown>>;
  readonly sync: string;
  readonly seed: number;
  readonly objectiveName: string;
  readonly reached: boolean;
  readonly timeToTargetS: number | null;
  readonly iterationsToTarget: number | null;
  readonly objectiveAtTarget: number | null;
  readonly wanBytesToTarget: number | null;
  readonly costUsdToTarget: number | null;
  readonly timeAtEndS: number;
  readonly iterationsAtEnd: number;
  readonly objectiveAtEnd: number;
  readonly wanBytesAtEnd: number;
  readonly stoppedBy: string;
  /** "all held", or the failed checks and a divergence. */
  readonly checks: string;
  readonly traceHash: string;
  /** The run's folder, relative to the sweep's. */
  readonly runDir: string;
}

/** A sweep row from a run's summary. */
export function sweepRow(point: { readonly index: number; readonly id: string; readonly group: string; readonly values: Readonly<Record<string, unknown>> }, summary: RunSummary, runDir: string): SweepRow {
  const target = atTargetOf(summary);
  const end = atEndOf(summary);
  const failed = Object.entries(summary.checks).filter(([, verdict]) => verdict !== null).map(([name]) => name);
  if (summary.diverged) failed.push("diverged");
  return {
    index: point.index,
    id: point.id,
    group: point.group,
    values: point.values,
    sync: summary.sync,
    seed: summary.seed,
    objectiveName: summary.objectiveName,
    reached: target !== null,
    timeToTargetS: target?.timeS ?? null,
    iterationsToTarget: target?.iteration ?? null,
    objectiveAtTarget: target?.objective ?? null,
    wanBytesToTarget: target?.wanBytes ?? null,
    costUsdToTarget: target?.costUsd ?? null,
    timeAtEndS: end.timeS,
    iterationsAtEnd: end.iteration,
    objectiveAtEnd: end.objective,
    wanBytesAtEnd: end.wanBytes,
    stoppedBy: summary.stoppedBy,
    checks: failed.length === 0 ? "all held" : `failed: ${failed.join(" ")}`,
    traceHash: summary.traceHash,
    runDir,
  };
}

/** RFC 4180: a cell with a comma, quote or line break is quoted, its quotes doubled. */
const csvCell = (value: unknown): string => {
  const text = value === null || value === undefined ? "" : typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** results.csv: one row per run, in the order given (the plan's, by index); every varied field is a column, named by its path. */
export function sweepCsv(rows: readonly SweepRow[], fields: readonly string[]): string {
  const header = ["index", "run", ...fields, "sync", "seed", "reached", "time_to_target_s", "iterations_to_target", "objective_at_target", "wan_bytes_to_target", "cost_usd_to_target", "time_at_end_s", "iterations_at_end", "objective_at_end", "wan_bytes_at_end", "stopped_by", "checks", "trace_hash", "run_dir"];
  const lines = rows.map((r) => [r.index, r.id, ...fields.map((f) => r.values[f]), r.sync, r.seed, r.reached, r.timeToTargetS, r.iterationsToTarget, r.objectiveAtTarget, r.wanBytesToTarget, r.costUsdToTarget, r.timeAtEndS, r.iterationsAtEnd, r.objectiveAtEnd, r.wanBytesAtEnd, r.stoppedBy, r.checks, r.traceHash, r.runDir].map(csvCell).join(","));
  return `${[header.join(","), ...lines].join("\r\n")}\r\n`;
}

/** Mean, sample standard deviation, min and max of some numbers (null when there are none). */
export interface Spread {
  readonly n: number;
  readonly mean: number;
  readonly sd: number;
  readonly min: number;
  readonly max: number;
}

export function spreadOf(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length < 2 ? 0 : Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
  return { n: values.length, mean, sd, min: Math.min(...values), max: Math.max(...values) };
}

/** One point of the sweep (all its seeds): how many reached the target, and the spread of each figure. */
export interface SweepGroup {
  readonly group: string;
  readonly sync: string;
  /** The point's varied values as text: "mirrorClockBound=0". */
  readonly point: string;
  readonly runs: number;
  readonly reached: number;
  readonly checksHeld: number;
  readonly timeToTargetS: Spread | null;
  readonly wanBytesToTarget: Spread | null;
  readonly objectiveAtEnd: Spread | null;
  readonly rows: readonly SweepRow[];
}

export function sweepGroups(rows: readonly SweepRow[]): SweepGroup[] {
  const byGroup = new Map<string, SweepRow[]>();
  for (const row of [...rows].sort((a, b) => a.index - b.index)) {
    if (!byGroup.has(row.group)) byGroup.set(row.group, []);
    byGroup.get(row.group)!.push(row);
  }
  return [...byGroup].map(([group, members]) => {
    const reached = members.filter((r) => r.reached);
    const first = members[0]!;
    return {
      group,
      sync: first.sync,
      point: pointText(first.values),
      runs: members.length,
      reached: reached.length,
      checksHeld: members.filter((r) => r.checks === "all held").length,
      timeToTargetS: spreadOf(reached.map((r) => r.timeToTargetS!)),
      wanBytesToTarget: spreadOf(reached.map((r) => r.wanBytesToTarget!)),
      objectiveAtEnd: spreadOf(members.map((r) => r.objectiveAtEnd)),
      rows: members,
    };
  });
}

/** A varied value as it reads in a point's name, a folder name and a CSV cell: `0`, `0.05`, `true`, `[a,b]`. */
export const valueText = (value: unknown): string => (typeof value === "string" ? value : typeof value === "object" && value !== null ? JSON.stringify(value).replace(/"/g, "") : String(value));
const pointText = (values: Readonly<Record<string, unknown>>): string => Object.entries(values).map(([path, v]) => `${path.split(".").at(-1)}=${valueText(v)}`).join(" ") || "(the scenario)";

/** A figure of one measure over the points: the mean over seeds, with a bar from min to max and one dot per run. */
function pointsSpec(rows: readonly SweepRow[], options: { readonly title: string; readonly axisTitle: string; readonly value: (row: SweepRow) => number | null; readonly bytes?: boolean }): TopLevelSpec {
  const points = [...new Set([...rows].sort((a, b) => a.index - b.index).map((r) => pointText(r.values)))];
  const syncs = [...new Set(rows.map((r) => r.sync))];
  const values = rows.flatMap((r) => {
    const v = options.value(r);
    return v === null ? [] : [{ point: pointText(r.values), sync: r.sync, value: v, seed: r.seed }];
  });
  const axis = options.bytes ? { format: ".3~s", labelExpr: "datum.value == 0 ? '0' : datum.label + 'B'" } : { format: ".3~g" };
  const x = { field: "point", type: "nominal", sort: points, title: null, axis: { labelAngle: 0, labelLimit: 200 } };
  const color = { field: "sync", type: "nominal", title: null, sort: syncs, scale: { domain: syncs } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: options.title, subtitle: "mean over seeds (bar), min to max (line), each run (dot)" },
    width: Math.max(320, Math.min(760, points.length * syncs.length * 36)),
    height: 220,
    data: { values },
    encoding: { x, xOffset: { field: "sync", type: "nominal", sort: syncs }, color },
    layer: [
      { mark: { type: "bar", opacity: 0.35, width: { band: 0.9 } }, encoding: { y: { aggregate: "mean", field: "value", type: "quantitative", title: options.axisTitle, axis } } },
      { mark: { type: "rule", strokeWidth: 2 }, encoding: { y: { aggregate: "min", field: "value", type: "quantitative" }, y2: { aggregate: "max", field: "value" } } },
      { mark: { type: "point", filled: true, size: 30, opacity: 0.9 }, encoding: { y: { field: "value", type: "quantitative" } } },
    ],
  } as unknown as TopLevelSpec;
}

const spreadText = (s: Spread | null, format: (v: number) => string): string => (s === null ? "-" : s.n < 2 ? format(s.mean) : `${format(s.mean)} ± ${format(s.sd)} (${format(s.min)} to ${format(s.max)})`);

export interface SweepReportOptions {
  readonly title: string;
  /** The varied fields, by path. */
  readonly fields: readonly string[];
  /** Runs of the plan that have no row (a slice, or failed runs). */
  readonly missing: number;
  readonly total: number;
}

/** sweep.html: the table of points and the charts of time to target, WAN bytes to target and the final objective. */
export async function renderSweepHtml(rows: readonly SweepRow[], options: SweepReportOptions): Promise<string> {
  const groups = sweepGroups(rows);
  const objectiveName = rows[0]?.objectiveName ?? "objective";
  const table = `<table class="ratios">
<tr><th>point</th><th>sync</th><th>runs</th><th>reached the target</th><th>time to target</th><th>WAN bytes to target</th><th>${escapeHtml(objectiveName)} at the end</th><th>checks held</th><th>runs' reports</th></tr>
${groups
  .map(
    (g) =>
      `<tr><td>${escapeHtml(g.point)}</td><td>${escapeHtml(g.sync)}</td><td class="num">${g.runs}</td><td class="num">${g.reached}/${g.runs}</td><td class="num">${escapeHtml(spreadText(g.timeToTargetS, formatSeconds))}</td><td class="num">${escapeHtml(spreadText(g.wanBytesToTarget, formatBytes))}</td><td class="num">${escapeHtml(spreadText(g.objectiveAtEnd, formatObjective))}</td><td class="num">${g.checksHeld}/${g.runs}</td><td>${g.rows.map((r) => `<a href="${escapeHtml(`${r.runDir}/report.html`)}">seed ${r.seed}</a>`).join(" ")}</td></tr>`,
  )
  .join("\n")}
</table>
<p class="note">Each point is the mean ± the sample standard deviation over its seeds (min to max in brackets). Time to target and WAN bytes to target are over the runs that reached the target, taken at the evaluation that reached it; the objective at the end is over every run. ${options.missing > 0 ? `<strong>${options.missing} of the sweep's ${options.total} runs have no result here</strong> (a slice of the sweep, or failed runs).` : `All ${options.total} runs of the sweep are here.`}</p>`;
  const labels = [...new Set(rows.map((r) => r.sync))];
  const charts = [
    figure("sweep-time", await renderSvg(pointsSpec(rows, { title: "Time to target", axisTitle: "seconds", value: (r) => r.timeToTargetS })), labels),
    figure("sweep-bytes", await renderSvg(pointsSpec(rows, { title: "WAN traffic to target", axisTitle: "bytes", value: (r) => r.wanBytesToTarget, bytes: true })), labels),
    figure("sweep-objective", await renderSvg(pointsSpec(rows, { title: `${objectiveName} at the end of the run`, axisTitle: objectiveName, value: (r) => r.objectiveAtEnd })), labels),
  ];
  return page(
    `${options.title}: Gaia sweep`,
    `<h1>${escapeHtml(options.title)}</h1>
<p class="sub">${rows.length} runs: ${groups.length} points × seeds${options.fields.length > 0 ? `; varied: ${options.fields.map(escapeHtml).join(", ")}` : ""}</p>
${table}
<h2>Time to target</h2>
${charts[0]}
<h2>WAN traffic to target</h2>
${charts[1]}
<h2>Final objective</h2>
${charts[2]}
`,
  );
}
