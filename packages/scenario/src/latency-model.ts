/**
 * The mirror clock's latency model. Under ASP a clock's mirror update must reach every data center
 * before any of them runs DS + 1 clocks past it, so in a run bound by WAN latency (not bandwidth,
 * not compute) a clock takes about the slowest mirror path's one-way latency over DS + 1, whatever
 * the filter sends. Measured against bench:paper's DS sweep: LDA within 1-4%, MNIST within 1-15%;
 * MF above it by what its bytes add (docs/results.md, "Mirror-clock bound").
 */
import type { RunSummary } from "./result.js";
import type { Scenario } from "./scenario.js";

/**
 * The slowest one-way path of a clock's mirror update. Direct, that is the slowest link. Through
 * hubs, a group's aggregate leaves when the last member's update has reached the hub, so a path is
 * the slowest member-to-hub link, then hub to hub, then hub to member.
 */
export function mirrorPathLatencyMs(scenario: Scenario): number {
  const { dataCenters, links } = scenario.topology;
  const latency = new Map(links.map((l) => [`${l.source}>${l.target}`, l.latencyMs]));
  const lat = (a: string, b: string): number => (a === b ? 0 : latency.get(`${a}>${b}`) ?? Infinity);
  const groups = scenario.sync.hubGroups;
  let worst = 0;
  if (groups.length === 0) {
    for (const a of dataCenters) for (const b of dataCenters) worst = Math.max(worst, lat(a, b));
    return worst;
  }
  const hubOf = new Map(groups.flatMap((g) => g.members.map((m) => [m, g.hub] as const)));
  for (const to of dataCenters) {
    const hubTo = hubOf.get(to) ?? to;
    for (const g of groups) {
      let gathered = 0;
      for (const m of g.members) if (m !== to) gathered = Math.max(gathered, lat(m, g.hub));
      worst = Math.max(worst, gathered + (g.hub === hubTo ? 0 : lat(g.hub, hubTo)) + lat(hubTo, to));
    }
  }
  return worst;
}

/**
 * The summary's mirror-clock figures of an ASP run over `iterations` clocks in `timeS` (virtual
 * seconds in the simulator, wall seconds on the runtime); null otherwise. `latencyScale` scales
 * every link's latency, as the runtime's WAN emulation does (`wanEmulation.latencyScale`).
 */
export function mirrorClockSummary(scenario: Scenario, timeS: number, iterations: number, latencyScale = 1): NonNullable<RunSummary["mirrorClock"]> | null {
  if (scenario.sync.model !== "asp" || scenario.topology.dataCenters.length < 2) return null;
  const pathLatencyMs = mirrorPathLatencyMs(scenario) * latencyScale;
  const ds = scenario.sync.mirrorClockBound;
  return { pathLatencyMs, throughHubs: scenario.sync.hubGroups.length > 0, modelClockMs: pathLatencyMs / (ds + 1), clockMs: iterations > 0 ? (1000 * timeS) / iterations : null };
}
