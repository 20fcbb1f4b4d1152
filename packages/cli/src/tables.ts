/**
 * Tables the commands print: a comparison's ratio table, the same for `gaia simulate --sync a,b`
 * and `gaia compare`.
 */
import { formatBytes, formatObjective, formatRatio, formatSeconds, formatSummaryTable, formatUsd, ratioTable, wrapWords, type ComparedRun, type RunSummary } from "@gaia/sim";

/** The terminal's width when stdout is one, else undefined (a pipe or a file gets lines unwrapped). */
export const terminalColumns = (): number | undefined => (process.stdout.isTTY ? process.stdout.columns : undefined);

/** Text for stdout: on a terminal, wrapped at spaces to its width, so no word is broken; elsewhere as it is. */
export const wrapForTerminal = (text: string, columns = terminalColumns()): string => (columns === undefined ? text : wrapWords(text, columns - 1).join("\n"));

/** A run's summary table and the files it wrote, as `simulate` and `launch` print them, fitted to the terminal. */
export function summaryText(summary: RunSummary, files: readonly string[], columns = terminalColumns()): string {
  return `${formatSummaryTable(summary, columns)}\n\n${wrapForTerminal(`wrote ${files.join(", ")}`, columns)}\n`;
}

/** The comparison's ratio table as text: every figure at one moment, the target when every run reached it, else the end. */
export function comparisonTable(runs: readonly ComparedRun[]): string {
  const { measure, moment, rows } = ratioTable(runs);
  const at = moment === "at target" ? "to target" : "(end)";
  const times = formatRatio;
  const header = ["sync", measure, "time/LAN", "speedup/BSP", `WAN bytes ${at}`, "bytes/BSP", `cost ${at}`, `objective ${at}`];
  const cells = rows.map((r) => [r.label, formatSeconds(r.timeS), times(r.vsLan), times(r.speedupVsBsp), formatBytes(r.wanBytes), times(r.wanVsBsp), formatUsd(r.costUsd), formatObjective(r.objective)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const note = moment === "at target" ? "every figure is taken at the evaluation that reached the target" : "not every run reached the target: every figure is taken at the end of the run";
  return [...[header, ...cells].map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ")), `(${note})`].join("\n");
}
