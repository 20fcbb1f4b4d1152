// Reads the charts of a report page back out of its HTML, the way a reader's eye would: which
// figures there are, which runs each one draws (vega labels every mark with its fields), how many
// points each line has, and the labels of every axis. Tests and scripts/check-reports.ts use it.

export interface ChartContent {
  /** The runs the figure says it draws (its data-series attribute). */
  readonly declared: readonly string[];
  /** Points of each run's line (line charts), keyed by the run named in the mark's aria-label. */
  readonly lines: ReadonlyMap<string, number>;
  /** Runs that have a bar or symbol mark (bar charts). */
  readonly marks: ReadonlySet<string>;
  /** The tick labels of each axis, in order. */
  readonly axes: readonly (readonly string[])[];
  /** Legend entries. */
  readonly legend: readonly string[];
  readonly svg: string;
}

const unescape = (text: string): string => text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/** Every `<figure data-chart=...>` of a page, by chart name. */
export function chartsOf(html: string): Map<string, ChartContent> {
  const charts = new Map<string, ChartContent>();
  for (const match of html.matchAll(/<figure data-chart="([^"]+)" data-series="([^"]*)">([\s\S]*?)<\/figure>/g)) {
    const svg = match[3]!;
    const lines = new Map<string, number>();
    const marks = new Set<string>();
    for (const path of svg.matchAll(/<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="([^"]+)"[^>]*?(?: d="([^"]*)")?/g)) {
      const run = unescape(path[1]!).split("; ").find((field) => field.startsWith("run: "))?.slice("run: ".length);
      if (run === undefined) continue;
      if (path[2] === "line mark") lines.set(run, (path[3] ?? "").split(/[ML]/).filter((s) => s.trim() !== "").length);
      else marks.add(run);
    }
    const axes = [...svg.matchAll(/<g class="mark-text role-axis-label"[^>]*>([\s\S]*?)<\/g>/g)].map((g) => [...g[1]!.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => unescape(t[1]!)));
    const legend = [...svg.matchAll(/<g class="mark-text role-legend-label"[^>]*>([\s\S]*?)<\/g>/g)].flatMap((g) => [...g[1]!.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => unescape(t[1]!)));
    charts.set(match[1]!, { declared: JSON.parse(unescape(match[2]!)) as string[], lines, marks, axes, legend, svg });
  }
  return charts;
}
