/**
 * A run's summary for people: human units and the table `gaia simulate` prints. Shared by the
 * simulator's CLI and by `gaia launch`, so both report the same figures the same way.
 */
import { atTargetOf, runTimeOf, type RunSummary } from "@gaia/scenario";

/** Bytes in decimal units: 999 B, 12.3 kB, 4.56 MB, 1.23 GB. */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value.toPrecision(3)} ${units[unit]}`;
}

/** A count with thousands separators: 1,223,907 (the same on every machine, whatever its locale). */
export function formatCount(count: number): string {
  return Number.isInteger(count) ? count.toLocaleString("en-US") : String(count);
}

/** Seconds for people: 850 ms, 12.3 s, 5m 03s, 1h 02m 03s. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds < 1) return seconds === 0 ? "0 s" : `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number): string => String(n).padStart(2, "0");
  return h > 0 ? `${h}h ${two(m)}m ${two(s)}s` : `${m}m ${two(s)}s`;
}

export function formatUsd(usd: number): string {
  if (usd === 0) return "$0";
  return usd < 1 ? `$${usd.toPrecision(3)}` : `$${usd.toFixed(2)}`;
}

export function formatObjective(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1000 || Math.abs(value) < 0.001 ? value.toPrecision(5) : value.toFixed(4);
}

/** Checker verdicts in one line: "all 5 held", "1 held" or the names that failed. */
export function formatChecks(checks: Readonly<Record<string, string | null>>): string {
  const names = Object.keys(checks);
  if (names.length === 0) return "none ran";
  const failed = names.filter((name) => checks[name] !== null);
  if (failed.length > 0) return `${failed.length} of ${names.length} FAILED: ${failed.join(", ")}`;
  return `${names.length === 1 ? "1" : names.length === 2 ? "both" : `all ${names.length}`} held (${names.join(", ")})`;
}

/**
 * Why reads waited, in the order reports stack them. The clock wait inside a data center is BSP's
 * lockstep (staleness 0) or SSP's bound; the label names the one the run used.
 */
export const blockedReasons: readonly { readonly key: Exclude<keyof RunSummary["blockedS"], "outerStep">; readonly label: (sync: string) => string }[] = [
  { key: "barrier", label: () => "selective barrier" },
  { key: "mirrorClock", label: () => "mirror clock" },
  { key: "ssp", label: (sync) => (sync === "bsp" ? "BSP lockstep" : sync === "ssp" ? "SSP bound" : "BSP/SSP in data center") },
];

/** The significance filter's statistics (ASP runs), as rows; none without them. */
export function filterRows(summary: RunSummary): [string, string][] {
  const f = summary.filter;
  if (f === undefined) return [];
  const percent = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : "-");
  return [
    ["filter: significant", `${percent(f.significant, f.accumulated)} of ${formatCount(f.accumulated)} accumulated entries`],
    ["filter: sent", `${formatCount(f.sent)} entries (${percent(f.sent, f.accumulated)}), ${f.bytesPerValue.toFixed(2)} bytes each`],
    ["filter: held back by budget", `${formatCount(f.heldBack)} entries`],
    ["filter: barriers", `${formatCount(f.barriers)} sent, ${formatCount(f.readsBlockedByBarrier)} reads blocked`],
  ];
}

/** The mirror clock's latency model beside the run's clock (ASP runs over a WAN); none otherwise. */
export function mirrorClockRows(summary: RunSummary): [string, string][] {
  const m = summary.mirrorClock;
  if (m === undefined) return [];
  const ms = (v: number): string => `${v.toFixed(v < 10 ? 1 : 0)} ms`;
  return [
    ["mirror clock: slowest path", `${ms(m.pathLatencyMs)} one way${m.throughHubs ? ", through the hubs" : ""}`],
    ["mirror clock: latency model", `${ms(m.modelClockMs)} a clock (path / (DS + 1))${m.clockMs !== null ? `; measured ${ms(m.clockMs)}` : ""}`],
  ];
}

/** A launched run's restarts after unexpected deaths and its frozen nodes, each named. */
function supervisionRows(s: NonNullable<RunSummary["supervision"]>): [string, string][] {
  const named = (kind: string): string => {
    const counts = new Map<string, number>();
    for (const e of s.events) if (e.kind === kind) counts.set(e.node, (counts.get(e.node) ?? 0) + 1);
    return counts.size === 0 ? "" : ` (${[...counts].map(([node, n]) => (n > 1 ? `${node} x${n}` : node)).join(", ")})`;
  };
  return [
    ["restarts (unexpected deaths)", `${s.restarts}${named("restart")}`],
    ["frozen nodes (no heartbeat)", `${s.frozen}${named("frozen")}`],
  ];
}

/** Summary fields that `summaryRows` shows by name; any other field is shown generically. */
const shownFields = new Set(["name", "seed", "sync", "workload", "topology", "virtualTimeS", "trainingTimeS", "startupS", "interrupted", "interruptReason", "clock", "iterations", "objective", "objectiveName", "targetObjective", "reachedTarget", "timeToTargetS", "atTarget", "atEnd", "wallClockTimeS", "diverged", "wanBytes", "costUsd", "blockedS", "traceHash", "wanBytesByLink", "events", "stoppedBy", "checks", "wallTimeS", "faultWindows", "filter", "mirrorClock", "memory", "supervision"]);

/** Rows for fields added to the summary later (e.g. an object of counters): `field: key  value`. */
export function extraRows(summary: RunSummary): [string, string][] {
  const rows: [string, string][] = [];
  const show = (value: unknown): string => (typeof value === "number" ? (Number.isInteger(value) ? formatCount(value) : value.toPrecision(4)) : typeof value === "string" ? value : JSON.stringify(value));
  for (const [field, value] of Object.entries(summary)) {
    if (shownFields.has(field) || value === undefined) continue;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) rows.push([`${field}: ${key}`, show(inner)]);
    } else rows.push([field, show(value)]);
  }
  return rows;
}

/** Label/value rows of the summary, in the order people read them. */
export function summaryRows(summary: RunSummary): [string, string][] {
  const blocked = summary.blockedS;
  const rows: [string, string][] = [
    ["scenario", `${summary.name} (seed ${summary.seed})`],
    ["sync", summary.sync],
    ["workload", summary.workload],
    ["topology", summary.topology],
    // A launched run's times: start-up, then training; its series and time to target are training time.
    ...(summary.trainingTimeS !== undefined
      ? ([
          ["start-up (wall)", `${formatSeconds(summary.startupS ?? 0)} (from the launch until training started)`],
          ["training time (wall)", `${formatSeconds(summary.trainingTimeS)} (start-up excluded; the time axis of the metrics)`],
          ["wall-clock time", `${formatSeconds(summary.wallClockTimeS ?? summary.trainingTimeS)} (start-up included)`],
        ] as [string, string][])
      : [[summary.clock === "wall" ? "wall-clock time" : "virtual time", formatSeconds(runTimeOf(summary))] as [string, string]]),
    ...(summary.interrupted ? [["interrupted", summary.interruptReason ?? "yes"] as [string, string]] : []),
    ["iterations", formatCount(summary.iterations)],
    [`objective (${summary.objectiveName})`, formatObjective(summary.objective)],
  ];
  if (summary.targetObjective !== null) {
    rows.push(["target", formatObjective(summary.targetObjective)]);
    const at = atTargetOf(summary);
    const launched = summary.trainingTimeS !== undefined;
    const afterLaunch = launched && summary.startupS !== undefined && summary.timeToTargetS !== null ? `; ${formatSeconds(summary.startupS + summary.timeToTargetS)} after the launch` : "";
    rows.push([launched ? "time to target (training)" : "time to target", summary.reachedTarget && summary.timeToTargetS !== null ? `${formatSeconds(summary.timeToTargetS)}${at !== null ? ` (iteration ${at.iteration})` : ""}${afterLaunch}` : "not reached"]);
    if (at !== null) rows.push(["WAN traffic to target", formatBytes(at.wanBytes)], ["WAN cost to target", formatUsd(at.costUsd)]);
  }
  // The figures below are the run's end: after the target the workers stop and the network drains.
  rows.push(
    ["WAN traffic (end of run)", formatBytes(summary.wanBytes)],
    ["WAN cost (end of run)", formatUsd(summary.costUsd)],
    ...blockedReasons.map((reason): [string, string] => [`blocked: ${reason.label(summary.sync)} (worker-s)`, formatSeconds(blocked[reason.key])]),
    ...(blocked.outerStep !== undefined ? [["blocked: DiLoCo outer step (worker-s)", formatSeconds(blocked.outerStep)] as [string, string]] : []),
  );
  rows.push(...filterRows(summary));
  rows.push(...mirrorClockRows(summary));
  rows.push(
    ["stopped by", summary.stoppedBy],
    ...(summary.diverged ? [["verdict", summary.diverged] as [string, string]] : []),
    ["checks", formatChecks(summary.checks)],
  );
  for (const [name, verdict] of Object.entries(summary.checks)) {
    if (verdict !== null) rows.push([`  ${name}`, verdict]);
  }
  // A real-runtime run has no deterministic trace: it reports an empty hash and no events.
  if (summary.traceHash !== "") rows.push(["trace hash", summary.traceHash], ["events", formatCount(summary.events)]);
  if (summary.memory !== undefined) {
    const m = summary.memory;
    rows.push(["protocol state", `${formatBytes(m.protocolStateBytes)} (estimated ${formatBytes(m.estimatedStateBytes)})`], ["peak RSS", `${formatBytes(m.peakRssBytes)} (${(m.peakRssBytes / Math.max(1, m.protocolStateBytes)).toFixed(1)}x the protocol state)`]);
  }
  if (summary.supervision !== undefined) rows.push(...supervisionRows(summary.supervision));
  rows.push(...extraRows(summary));
  if (summary.clock !== "wall") rows.push(["wall time", formatSeconds(summary.wallTimeS)]);
  return rows;
}

/**
 * Words of `text` in lines of at most `width` columns, broken at spaces (a word longer than the
 * width stands alone on its line).
 */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(/ +/)) {
    if (current === "") current = word;
    else if (current.length + 1 + word.length <= width) current += ` ${word}`;
    else {
      lines.push(current);
      current = word;
    }
  }
  lines.push(current);
  return lines;
}

/**
 * The summary as an aligned two-column text table. With `columns` (a terminal's width), a value
 * too long for its line is wrapped at spaces, its further lines indented under the value column,
 * so the terminal never breaks a word.
 */
export function formatSummaryTable(summary: RunSummary, columns?: number): string {
  const rows = summaryRows(summary);
  const width = Math.max(...rows.map(([label]) => label.length));
  const room = columns === undefined ? Infinity : columns - 1 - width - 2;
  return rows
    .map(([label, value]) => {
      const lines = room >= 20 && value.length > room ? wrapWords(value, room) : [value];
      return lines.map((line, i) => `${(i === 0 ? label : "").padEnd(width)}  ${line}`).join("\n");
    })
    .join("\n");
}
