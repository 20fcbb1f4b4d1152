// Two sets of bench:paper rows side by side, as markdown: every case of the second set against the
// same case (workload, topology, partition, mode) of the first, then Gaia's ratios for each.
//   node --conditions=source --import tsx bench/compare-rows.ts bench/results/paper.json bench/results/fifo/paper.json
// docs/results.md ("Connection model") prints shared flows against FIFO connections this way.
import { readFileSync } from "node:fs";

interface SavedRow {
  readonly workload: string;
  readonly topology: string;
  readonly partition: string;
  readonly sync: string;
  readonly timeToTargetS: number | null;
  readonly iterations: number;
  readonly wanBytes: number;
  readonly checksHeld: boolean;
}

const [basePath, variantPath] = process.argv.slice(2);
if (basePath === undefined || variantPath === undefined) {
  console.error("usage: compare-rows.ts BASE/paper.json VARIANT/paper.json");
  process.exit(2);
}
const read = (path: string): SavedRow[] => {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as SavedRow[];
  } catch (error) {
    console.error(`compare-rows: ${path}: ${(error as Error).message}`);
    process.exit(2);
  }
};
const base = read(basePath);
const variant = read(variantPath);
const key = (r: SavedRow): string => `${r.workload}|${r.topology}|${r.partition}|${r.sync}`;
const baseOf = new Map(base.map((r) => [key(r), r]));
const time = (t: number | null | undefined): string => (t === null || t === undefined ? "not reached" : `${t.toFixed(t < 10 ? 2 : 1)} s`);
const mb = (r: SavedRow | undefined): string => (r === undefined ? "-" : (r.wanBytes / 1e6).toFixed(0));

console.log("| workload | topology | mode | shared: to target, iterations | fifo: to target, iterations | WAN MB shared / fifo | checks (fifo) |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
const cases = new Map<string, Map<string, { base: SavedRow | undefined; variant: SavedRow }>>();
for (const v of variant) {
  const b = baseOf.get(key(v));
  console.log(`| ${v.workload} | ${v.topology} | ${v.sync} | ${time(b?.timeToTargetS)}, ${b?.iterations ?? "-"} | ${time(v.timeToTargetS)}, ${v.iterations} | ${mb(b)} / ${mb(v)} | ${v.checksHeld ? "held" : "FAILED"} |`);
  const name = `${v.workload}|${v.topology}`;
  if (!cases.has(name)) cases.set(name, new Map());
  cases.get(name)!.set(v.sync, { base: b, variant: v });
}

/** a's time over b's (b / a for a speedup), "n/a" when either did not reach the target. */
const over = (a: number | null | undefined, b: number | null | undefined, digits: number): string => (a && b ? `${(a / b).toFixed(digits)}x` : "n/a");
console.log("\n| workload | topology | Gaia vs BSP shared / fifo | Gaia vs SSP shared / fifo | no-hubs vs BSP shared / fifo | Gaia / LAN shared / fifo |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const [name, modes] of cases) {
  const [w, t] = name.split("|");
  const pair = (f: (side: "base" | "variant") => string): string => `${f("base")} / ${f("variant")}`;
  const t2t = (mode: string, side: "base" | "variant"): number | null | undefined => modes.get(mode)?.[side]?.timeToTargetS;
  const speedup = (mode: string, against: string) => pair((side) => over(t2t(against, side), t2t(mode, side), 2));
  console.log(`| ${w} | ${t} | ${speedup("asp", "bsp")} | ${speedup("asp", "ssp")} | ${speedup("asp-nohubs", "bsp")} | ${pair((side) => over(t2t("asp", side), t2t("lan", side), 1))} |`);
}
