/**
 * A run's summary for people: human units and the table `gaia simulate` prints. Shared by the
 * simulator's CLI and by `gaia launch`, so both report the same figures the same way.
 */
import type { RunSummary } from "./result.js";

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

/** Checker verdicts in one line: "all 5 held" or the names that failed. */
export function formatChecks(checks: Readonly<Record<string, string | null>>): string {
  const names = Object.keys(checks);
  if (names.length === 0) return "none ran";
  const failed = names.filter((name) => checks[name] !== null);
  return failed.length === 0 ? `all ${names.length} held (${names.join(", ")})` : `${failed.length} of ${names.length} FAILED: ${failed.join(", ")}`;
}

/** Label/value rows of the summary, in the order people read them. */
export function summaryRows(summary: RunSummary): [string, string][] {
  const blocked = summary.blockedS;
  const rows: [string, string][] = [
    ["scenario", `${summary.name} (seed ${summary.seed})`],
    ["sync", summary.sync],
    ["workload", summary.workload],
    ["topology", summary.topology],
    [summary.clock === "wall" ? "wall-clock time" : "virtual time", formatSeconds(summary.virtualTimeS)],
    ["iterations", String(summary.iterations)],
    [`objective (${summary.objectiveName})`, formatObjective(summary.objective)],
  ];
  if (summary.targetObjective !== null) {
    rows.push(["target", formatObjective(summary.targetObjective)]);
    rows.push(["time to target", summary.reachedTarget && summary.timeToTargetS !== null ? formatSeconds(summary.timeToTargetS) : "not reached"]);
  }
  rows.push(
    ["WAN traffic", formatBytes(summary.wanBytes)],
    ["WAN cost", formatUsd(summary.costUsd)],
    ["blocked: barrier (worker-s)", formatSeconds(blocked.barrier)],
    ["blocked: mirror clock (worker-s)", formatSeconds(blocked.mirrorClock)],
    ["blocked: SSP (worker-s)", formatSeconds(blocked.ssp)],
  );
  const f = summary.filter;
  if (f !== undefined) {
    const percent = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : "-");
    rows.push(
      ["filter: significant", `${percent(f.significant, f.accumulated)} of ${f.accumulated} accumulated entries`],
      ["filter: sent", `${f.sent} entries (${percent(f.sent, f.accumulated)}), ${f.bytesPerValue.toFixed(2)} bytes each`],
      ["filter: held back by budget", `${f.heldBack} entries`],
      ["filter: barriers", `${f.barriers} sent, ${f.readsBlockedByBarrier} reads blocked`],
    );
  }
  rows.push(
    ["stopped by", summary.stoppedBy],
    ...(summary.diverged ? [["verdict", summary.diverged] as [string, string]] : []),
    ["checks", formatChecks(summary.checks)],
  );
  for (const [name, verdict] of Object.entries(summary.checks)) {
    if (verdict !== null) rows.push([`  ${name}`, verdict]);
  }
  // A real-runtime run has no deterministic trace: it reports an empty hash and no events.
  if (summary.traceHash !== "") rows.push(["trace hash", summary.traceHash], ["events", String(summary.events)]);
  rows.push(["wall time", formatSeconds(summary.wallTimeS)]);
  return rows;
}

/** The summary as an aligned two-column text table. */
export function formatSummaryTable(summary: RunSummary): string {
  const rows = summaryRows(summary);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n");
}
