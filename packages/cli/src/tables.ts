/**
 * Tables the commands print: a comparison's ratio table, the same for `gaia simulate --sync a,b`
 * and `gaia compare`.
 */
import { formatBytes, formatObjective, formatRatio, formatSeconds, formatUsd, ratioTable, type ComparedRun } from "@gaia/sim";

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
