/**
 * Plain inline SVG charts for the benchmark reports: grouped bars and line series. No
 * dependencies; every chart is a string a markdown file can link to or embed.
 */

export interface BarGroup {
  readonly label: string;
  /** One value per series; null draws nothing and writes "n/a". */
  readonly values: readonly (number | null)[];
}

export interface LineSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number | null }[];
}

const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"];
const escape = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(value)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= value) return m * p;
  return 10 * p;
}

/** Grouped bar chart; `reference` draws a dashed horizontal line (e.g. 1x or a target). */
export function barChart(options: {
  title: string;
  yLabel: string;
  series: readonly string[];
  groups: readonly BarGroup[];
  references?: readonly { value: number; label: string }[];
}): string {
  const width = 760;
  const height = 360;
  const left = 60;
  const right = 20;
  const top = 40;
  const bottom = 70;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const all = options.groups.flatMap((g) => g.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const yMax = niceMax(Math.max(...all, ...(options.references ?? []).map((r) => r.value), 0) * 1.08);
  const y = (v: number): number => top + plotH - (v / yMax) * plotH;
  const groupW = plotW / Math.max(1, options.groups.length);
  const barW = (groupW * 0.8) / Math.max(1, options.series.length);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escape(options.title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    out.push(`<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 5}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  out.push(`<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">${escape(options.yLabel)}</text>`);
  options.groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + groupW * 0.1;
    g.values.forEach((v, si) => {
      const x = x0 + si * barW;
      if (v === null || !Number.isFinite(v)) {
        out.push(`<text x="${x + barW / 2}" y="${y(0) - 4}" text-anchor="middle" font-size="9" fill="#a00">n/a</text>`);
        return;
      }
      out.push(`<rect x="${x}" y="${y(v)}" width="${Math.max(1, barW - 2)}" height="${Math.max(0, y(0) - y(v))}" fill="${palette[si % palette.length]}"><title>${escape(`${g.label} ${options.series[si]}: ${fmt(v)}`)}</title></rect>`);
    });
    out.push(`<text x="${left + gi * groupW + groupW / 2}" y="${top + plotH + 16}" text-anchor="middle">${escape(g.label)}</text>`);
  });
  for (const r of options.references ?? []) {
    out.push(`<line x1="${left}" x2="${width - right}" y1="${y(r.value)}" y2="${y(r.value)}" stroke="#444" stroke-dasharray="5,4"/>`);
    out.push(`<text x="${width - right - 4}" y="${y(r.value) - 4}" text-anchor="end" fill="#444">${escape(r.label)}</text>`);
  }
  options.series.forEach((name, si) => {
    const x = left + si * 150;
    out.push(`<rect x="${x}" y="${height - 24}" width="12" height="12" fill="${palette[si % palette.length]}"/>`);
    out.push(`<text x="${x + 16}" y="${height - 14}">${escape(name)}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

/** Line chart of several series over a shared x axis (log-scaled x when `logX`). */
export function lineChart(options: { title: string; xLabel: string; yLabel: string; series: readonly LineSeries[]; logX?: boolean }): string {
  const width = 620;
  const height = 340;
  const left = 60;
  const right = 20;
  const top = 40;
  const bottom = 70;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const xs = options.series.flatMap((s) => s.points.map((p) => p.x));
  const ys = options.series.flatMap((s) => s.points.map((p) => p.y).filter((v): v is number => v !== null && Number.isFinite(v)));
  const tx = (v: number): number => (options.logX ? Math.log10(v) : v);
  const xMin = Math.min(...xs.map(tx));
  const xMax = Math.max(...xs.map(tx));
  const yMax = niceMax(Math.max(...ys, 0) * 1.08);
  const x = (v: number): number => left + (xMax === xMin ? plotW / 2 : ((tx(v) - xMin) / (xMax - xMin)) * plotW);
  const y = (v: number): number => top + plotH - (v / yMax) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escape(options.title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    out.push(`<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 5}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  for (const v of [...new Set(xs)].sort((a, b) => a - b)) out.push(`<text x="${x(v)}" y="${top + plotH + 16}" text-anchor="middle">${fmt(v)}</text>`);
  out.push(`<text x="${left + plotW / 2}" y="${top + plotH + 34}" text-anchor="middle">${escape(options.xLabel)}</text>`);
  out.push(`<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">${escape(options.yLabel)}</text>`);
  options.series.forEach((s, si) => {
    const color = palette[si % palette.length]!;
    const pts = s.points.filter((p) => p.y !== null && Number.isFinite(p.y));
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${x(p.x).toFixed(1)},${y(p.y!).toFixed(1)}`).join(" ")}"/>`);
    for (const p of pts) out.push(`<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y!).toFixed(1)}" r="3" fill="${color}"><title>${escape(`${s.name} @ ${fmt(p.x)}: ${fmt(p.y!)}`)}</title></circle>`);
    const lx = left + si * 150;
    out.push(`<rect x="${lx}" y="${height - 24}" width="12" height="12" fill="${color}"/>`);
    out.push(`<text x="${lx + 16}" y="${height - 14}">${escape(s.name)}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
