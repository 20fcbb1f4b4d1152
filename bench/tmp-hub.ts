import { loadScenario, runSimulation } from "@gaia/sim";
const hubs = process.argv[2]!;
const s0 = loadScenario(`/tmp/v/g-${hubs}.yaml`, { seed: 1 });
const scenario = { ...s0, stop: { ...s0.stop, maxIterations: 120 } };
const r = await runSimulation(scenario, { recordTrace: true, checkInvariants: false });
const gaps = new Map<number, number>();
let n = 0;
const byClock: number[] = [];
for (const e of r.trace! as any[]) {
  if (e.type === "read-served" && e.mirrorClockMin !== null && e.shard === "virginia/s0") {
    const g = e.localClock - e.mirrorClockMin; gaps.set(g, (gaps.get(g) ?? 0) + 1); n++;
    if (e.clock >= 60 && e.clock < 80) byClock.push(g);
  }
}
console.log(hubs, "objective", r.series.map((p) => p.objective.toFixed(3)).join(" "));
console.log(hubs, "gap histogram", [...gaps].sort((a, b) => a[0] - b[0]), "clocks 60..79:", byClock.join(""));
