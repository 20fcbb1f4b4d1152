/**
 * The paper's chart shapes for bench/paper.ts, as plain SVG strings: objective against time (one
 * line per mode, y axis fitted to the data, so negative log-likelihoods plot too), bars on a log
 * axis (WAN bytes), and lines over a log x axis with a log y axis (the compute-regime crossover).
 * Deliberately small: the report charts of packages/sim are being replaced separately.
 */

export interface XYSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const escape = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (v: number): string => {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 0.01)) return v.toExponential(0);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
};

interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly top: number;
  readonly plotW: number;
  readonly plotH: number;
}

const frame = (width = 680, height = 380): Frame => ({ width, height, left: 70, top: 40, plotW: width - 70 - 20, plotH: height - 40 - 80 });

function open(f: Frame, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${f.width}" height="${f.height}" fill="white"/>`,
    `<text x="${f.width / 2}" y="20" text-anchor="middle" font-size="14">${escape(title)}</text>`,
  ];
}

function legend(f: Frame, names: readonly string[], out: string[]): void {
  names.forEach((name, i) => {
    const x = f.left + (i % 5) * 125;
    const y = f.height - 36 + Math.floor(i / 5) * 16;
    out.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${palette[i % palette.length]}"/>`);
    out.push(`<text x="${x + 16}" y="${y + 10}">${escape(name)}</text>`);
  });
}

function axisLabels(f: Frame, xLabel: string, yLabel: string, out: string[]): void {
  out.push(`<text x="${f.left + f.plotW / 2}" y="${f.top + f.plotH + 32}" text-anchor="middle">${escape(xLabel)}</text>`);
  out.push(`<text x="14" y="${f.top + f.plotH / 2}" transform="rotate(-90 14 ${f.top + f.plotH / 2})" text-anchor="middle">${escape(yLabel)}</text>`);
}

/** Log-scale ticks: the powers of ten spanning [lo, hi]. */
const decades = (lo: number, hi: number): number[] => {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
};

/** Lines over linear axes fitted to the data (objective against virtual time). */
export function objectiveChart(options: { title: string; xLabel: string; yLabel: string; series: readonly XYSeries[]; references?: readonly { y: number; label: string }[] }): string {
  const f = frame();
  const xs = options.series.flatMap((s) => s.points.map((p) => p.x)).filter(Number.isFinite);
  const ys = [...options.series.flatMap((s) => s.points.map((p) => p.y)), ...(options.references ?? []).map((r) => r.y)].filter(Number.isFinite);
  const xMax = Math.max(...xs, 1e-9);
  let yMin = Math.min(...ys);
  let yMax = Math.max(...ys);
  if (yMax === yMin) [yMin, yMax] = [yMin - 1, yMax + 1];
  const pad = (yMax - yMin) * 0.05;
  yMin -= pad;
  yMax += pad;
  const x = (v: number): number => f.left + (v / xMax) * f.plotW;
  const y = (v: number): number => f.top + f.plotH - ((v - yMin) / (yMax - yMin)) * f.plotH;
  const out = open(f, options.title);
  for (let i = 0; i <= 5; i++) {
    const v = yMin + ((yMax - yMin) * i) / 5;
    out.push(`<line x1="${f.left}" x2="${f.left + f.plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${f.left - 5}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
    const t = (xMax * i) / 5;
    out.push(`<text x="${x(t)}" y="${f.top + f.plotH + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  axisLabels(f, options.xLabel, options.yLabel, out);
  options.series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (pts.length > 0) out.push(`<polyline fill="none" stroke="${palette[i % palette.length]}" stroke-width="2" points="${pts.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(" ")}"><title>${escape(s.name)}</title></polyline>`);
  });
  for (const r of options.references ?? []) {
    out.push(`<line x1="${f.left}" x2="${f.left + f.plotW}" y1="${y(r.y)}" y2="${y(r.y)}" stroke="#444" stroke-dasharray="5,4"/>`);
    out.push(`<text x="${f.left + f.plotW - 4}" y="${y(r.y) - 4}" text-anchor="end" fill="#444">${escape(r.label)}</text>`);
  }
  legend(f, options.series.map((s) => s.name), out);
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** Grouped bars on a log y axis (WAN bytes, which span orders of magnitude). */
export function logBarChart(options: { title: string; yLabel: string; series: readonly string[]; groups: readonly { label: string; values: readonly (number | null)[] }[] }): string {
  const f = frame(Math.max(680, 90 + options.groups.length * 70));
  const all = options.groups.flatMap((g) => g.values.filter((v): v is number => v !== null && v > 0));
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all, 10)));
  const y = (v: number): number => f.top + f.plotH - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * f.plotH;
  const out = open(f, options.title);
  for (const d of decades(lo, hi)) {
    out.push(`<line x1="${f.left}" x2="${f.left + f.plotW}" y1="${y(d)}" y2="${y(d)}" stroke="#ddd"/>`);
    out.push(`<text x="${f.left - 5}" y="${y(d) + 4}" text-anchor="end">${fmt(d)}</text>`);
  }
  axisLabels(f, "", options.yLabel, out);
  const groupW = f.plotW / Math.max(1, options.groups.length);
  const barW = (groupW * 0.8) / Math.max(1, options.series.length);
  options.groups.forEach((g, gi) => {
    const x0 = f.left + gi * groupW + groupW * 0.1;
    g.values.forEach((v, si) => {
      if (v === null || !(v > 0)) return;
      out.push(`<rect x="${x0 + si * barW}" y="${y(v)}" width="${Math.max(1, barW - 2)}" height="${Math.max(0, y(lo) - y(v))}" fill="${palette[si % palette.length]}"><title>${escape(`${g.label} ${options.series[si]}: ${fmt(v)}`)}</title></rect>`);
    });
    out.push(`<text x="${f.left + gi * groupW + groupW / 2}" y="${f.top + f.plotH + 16}" text-anchor="middle" font-size="10">${escape(g.label)}</text>`);
  });
  legend(f, options.series, out);
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** Lines over a log x axis and a log y axis, with dashed horizontal references (crossover chart). */
export function crossoverChart(options: { title: string; xLabel: string; yLabel: string; series: readonly XYSeries[]; references?: readonly { y: number; label: string }[] }): string {
  const f = frame();
  const xs = options.series.flatMap((s) => s.points.map((p) => p.x)).filter((v) => v > 0);
  const ys = [...options.series.flatMap((s) => s.points.map((p) => p.y)), ...(options.references ?? []).map((r) => r.y)].filter((v) => v > 0);
  const xLo = Math.min(...xs);
  const xHi = Math.max(...xs);
  const yLo = 10 ** Math.floor(Math.log10(Math.min(...ys)));
  const yHi = 10 ** Math.ceil(Math.log10(Math.max(...ys)));
  const x = (v: number): number => f.left + (xHi === xLo ? f.plotW / 2 : ((Math.log10(v) - Math.log10(xLo)) / (Math.log10(xHi) - Math.log10(xLo))) * f.plotW);
  const y = (v: number): number => f.top + f.plotH - ((Math.log10(v) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo) || 1)) * f.plotH;
  const out = open(f, options.title);
  for (const d of decades(yLo, yHi)) {
    out.push(`<line x1="${f.left}" x2="${f.left + f.plotW}" y1="${y(d)}" y2="${y(d)}" stroke="#ddd"/>`);
    out.push(`<text x="${f.left - 5}" y="${y(d) + 4}" text-anchor="end">${fmt(d)}</text>`);
  }
  for (const v of [...new Set(xs)].sort((a, b) => a - b)) out.push(`<text x="${x(v)}" y="${f.top + f.plotH + 16}" text-anchor="middle">${fmt(v)}</text>`);
  axisLabels(f, options.xLabel, options.yLabel, out);
  options.series.forEach((s, i) => {
    const color = palette[i % palette.length]!;
    const pts = s.points.filter((p) => p.x > 0 && p.y > 0);
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(" ")}"/>`);
    for (const p of pts) out.push(`<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3" fill="${color}"><title>${escape(`${s.name} @ ${fmt(p.x)}x: ${fmt(p.y)}`)}</title></circle>`);
  });
  for (const r of options.references ?? []) {
    out.push(`<line x1="${f.left}" x2="${f.left + f.plotW}" y1="${y(r.y)}" y2="${y(r.y)}" stroke="#444" stroke-dasharray="5,4"/>`);
    out.push(`<text x="${f.left + f.plotW - 4}" y="${y(r.y) - 4}" text-anchor="end" fill="#444">${escape(r.label)}</text>`);
  }
  legend(f, options.series.map((s) => s.name), out);
  out.push("</svg>");
  return out.join("\n") + "\n";
}
