/**
 * Topology presets a scenario names with `topology.preset`.
 *
 * - `ec2-11`: the 11 EC2 regions of the Gaia paper. Round-trip times, bandwidths and egress prices
 *   come from data/ec2-11-regions.json, an approximation calibrated to the paper's published ratios
 *   (mean WAN bandwidth 1/15 of a 1 Gb/s LAN, worst pair 1/60); its `provenance` field says how.
 *   Every region pair gets a link in both directions with the pair's bandwidth and one-way latency
 *   rtt / 2.
 * - `virginia-california`, `singapore-sao-paulo`: the paper's 2-region settings (a near pair and the
 *   worst pair), subsets of ec2-11.
 * - `lan`: one data center, no WAN links.
 */
import type { HubGroup } from "@gaia/core";
import { readFileSync } from "node:fs";
import type { WanLink } from "./scenario.js";

interface RegionPair {
  readonly a: string;
  readonly b: string;
  readonly rttMs: number;
  readonly bandwidthMbps: number;
}

interface RegionData {
  readonly regions: readonly string[];
  readonly lanMbps: number;
  readonly provenance: string;
  readonly links: readonly RegionPair[];
  readonly egressUsdPerGB: Readonly<Record<string, number>>;
}

// The data file lives in src/data; "../src/data" resolves from both src/ (tsx) and dist/ (built).
const ec2 = JSON.parse(readFileSync(new URL("../src/data/ec2-11-regions.json", import.meta.url), "utf8")) as RegionData;

export interface PresetTopology {
  readonly name: string;
  readonly dataCenters: readonly string[];
  readonly links: readonly WanLink[];
  readonly lanBandwidthMbps: number;
  readonly lanLatencyMs: number;
  readonly egressUsdPerGb: Readonly<Record<string, number>>;
}

export const presetNames = ["ec2-11", "virginia-california", "singapore-sao-paulo", "lan"] as const;
export type PresetName = (typeof presetNames)[number];

/** How the EC2 figures were obtained (copied from the data file). */
export const ec2Provenance: string = ec2.provenance;

/** One-way LAN latency inside a data center, in milliseconds. */
export const defaultLanLatencyMs = 0.1;

/** The single data center of the `lan` preset. */
export const lanDataCenter = "lan";

const ec2Pairs: readonly RegionPair[] = ec2.links;
const ec2Egress: Readonly<Record<string, number>> = ec2.egressUsdPerGB;

/** Both directed links of every EC2 region pair whose two ends are in `regions`. */
function ec2Topology(name: string, regions: readonly string[]): PresetTopology {
  const inside = new Set(regions);
  const links: WanLink[] = [];
  for (const pair of ec2Pairs) {
    if (!inside.has(pair.a) || !inside.has(pair.b)) continue;
    const latencyMs = pair.rttMs / 2;
    links.push({ source: pair.a, target: pair.b, bandwidthMbps: pair.bandwidthMbps, latencyMs });
    links.push({ source: pair.b, target: pair.a, bandwidthMbps: pair.bandwidthMbps, latencyMs });
  }
  const egressUsdPerGb: Record<string, number> = {};
  for (const region of regions) egressUsdPerGb[region] = ec2Egress[region] ?? 0;
  return { name, dataCenters: [...regions], links, lanBandwidthMbps: ec2.lanMbps, lanLatencyMs: defaultLanLatencyMs, egressUsdPerGb };
}

export const ec2Regions: readonly string[] = ec2.regions;

export function isPresetName(name: string): name is PresetName {
  return (presetNames as readonly string[]).includes(name);
}

/** The topology of a preset, or null for an unknown name. */
export function presetTopology(name: string): PresetTopology | null {
  switch (name) {
    case "ec2-11":
      return ec2Topology(name, ec2Regions);
    case "virginia-california":
      return ec2Topology(name, ["virginia", "california"]);
    case "singapore-sao-paulo":
      return ec2Topology(name, ["singapore", "sao-paulo"]);
    case "lan":
      return { name, dataCenters: [lanDataCenter], links: [], lanBandwidthMbps: ec2.lanMbps, lanLatencyMs: defaultLanLatencyMs, egressUsdPerGb: { [lanDataCenter]: 0 } };
    default:
      return null;
  }
}

/** Gaia's overlay groups for the 11 EC2 regions; the first member of each is its hub. */
export const ec2HubGroups: readonly HubGroup[] = [
  { hub: "virginia", members: ["virginia", "california", "oregon", "sao-paulo"] },
  { hub: "tokyo", members: ["tokyo", "seoul", "singapore", "sydney"] },
  { hub: "frankfurt", members: ["frankfurt", "ireland", "mumbai"] },
];

/**
 * `hubs: auto`. With the EC2 regions (all 11 or a subset of more than three), Gaia's groups,
 * restricted to the regions present; a group whose hub is absent is led by its first present
 * member. Hubs only pay off when there are many data centers, so three or fewer get none, and so
 * do topologies we know nothing about.
 */
export function autoHubGroups(dataCenters: readonly string[]): HubGroup[] {
  if (dataCenters.length <= 3) return [];
  if (!dataCenters.every((dc) => ec2Regions.includes(dc))) return [];
  const present = new Set(dataCenters);
  const groups: HubGroup[] = [];
  for (const group of ec2HubGroups) {
    const members = group.members.filter((m) => present.has(m));
    if (members.length === 0) continue;
    groups.push({ hub: present.has(group.hub) ? group.hub : members[0]!, members });
  }
  return groups;
}
