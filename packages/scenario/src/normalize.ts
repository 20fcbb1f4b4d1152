/**
 * From a file that has passed the schema to a `Scenario`: the checks a schema cannot express
 * (names that must exist in the topology, link coverage, hub groups, node ids, the workload's own
 * rules, a calibration file), each recorded at its path, and the defaults. Memory is bounded by
 * the file and the error list, never by the topology it describes: 10,000 data centers without
 * links is one problem, not 10^8 missing pairs.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import { dataCenterOf, parseSchedule, type DilocoConfig, type HubGroup, type Schedule } from "@gaia/core";
import * as workloads from "@gaia/workloads";
import { durationAt } from "./duration.js";
import type { IssueList, PathSegment } from "./issues.js";
import { autoHubGroups, presetNames, presetTopology } from "./presets.js";
import { pointerToPath } from "./schema-issues.js";
import type { ScenarioFile } from "./schema.js";
import type { ComputeSpec, Fault, NetworkModelSpec, Scenario, StopSpec, SyncModel, SyncSpec, Topology, WanLink } from "./scenario.js";
import { computeRegimeOf } from "./scenario.js";
import { defaultStopCap } from "./stop.js";

// A file as written: the types come from the schema (schema.ts), so they cannot drift from it.
type RawScenario = ScenarioFile;

/** The simulator's default time of one shard checkpoint under output commit (schema: cluster.checkpoint.commitMs). */
export const DEFAULT_COMMIT_MS = 2.5;
type RawTopology = RawScenario["topology"];
type RawSync = NonNullable<RawScenario["sync"]>;
type RawFault = NonNullable<RawScenario["faults"]>[number];
type Pair = [string, string];
type PairOrAll = Pair | "all";

/** What a command line may change before defaults are applied (see `ScenarioOverrides`). */
export interface NormalizeOverrides {
  readonly seed?: number;
  readonly sync?: SyncModel;
}

const defaultEgressUsdPerGb = 0.02;
const defaultThreshold = 0.01;
/** threshold auto: an update may use half of its tightest link over a clock (docs/protocol.md). */
const defaultBudgetLinkFraction = 0.5;
/** threshold auto: the budget never holds back an update of more than 10% of its value (docs/protocol.md). */
const defaultThresholdCeiling = 0.1;
/** Selective barrier auto: fire when an update would not arrive within one clock. */
const defaultBarrierClockFraction = 1;
const defaultMirrorClockBound = 1;
const defaultSspStaleness = 2;

/** The scenario of a file that has passed the schema; problems go to `issues`. */
export function normalize(raw: RawScenario, fileName: string, overrides: NormalizeOverrides, issues: IssueList): Scenario {
  const topology = normalizeTopology(raw.topology, issues);
  const dataCenters = new Set(topology.dataCenters);
  const checkDataCenter = (path: PathSegment[], name: string): void => {
    if (!dataCenters.has(name)) issues.add(path, `unknown data center "${name}" (this topology has ${topology.dataCenters.join(", ")})`);
  };

  const hubGroups = normalizeHubGroups(raw.sync?.hubs, topology, checkDataCenter, issues);
  const sync = normalizeSync(raw.sync ?? {}, overrides.sync ?? raw.sync?.model ?? "asp", hubGroups, issues);
  // Hub ids are checked against the file's groups, so that --sync bsp does not invalidate a file.
  const fileHubs = new Set(hubGroups.map((g) => g.hub));
  const checkNode = (path: PathSegment[], node: string): void => {
    const dc = dataCenterOf(node);
    if (!dataCenters.has(dc)) {
      issues.add(path, `unknown data center "${dc}" in node id "${node}" (this topology has ${topology.dataCenters.join(", ")})`);
      return;
    }
    const local = node.slice(dc.length + 1);
    const index = Number(local.slice(1));
    if (local === "hub") {
      if (!fileHubs.has(dc)) issues.add(path, `"${node}": ${dc} hosts no hub (hubs: ${fileHubs.size === 0 ? "none" : [...fileHubs].join(", ")})`);
    } else if (local.startsWith("w") && index >= topology.workersPerDataCenter) {
      issues.add(path, `"${node}": each data center has workers w0..w${topology.workersPerDataCenter - 1}`);
    } else if (local.startsWith("s") && index >= topology.shardsPerDataCenter) {
      issues.add(path, `"${node}": each data center has shards s0..s${topology.shardsPerDataCenter - 1}`);
    }
  };

  const compute = normalizeCompute(raw.compute ?? {}, (path, name) => (name.includes("/") ? checkNode(path, name) : checkDataCenter(path, name)));
  const faults = normalizeFaults(raw.faults ?? [], checkDataCenter, checkNode, (fault) => {
    // A run without hubs (e.g. --sync bsp on a scenario with hubs) has no hub nodes to fault.
    const node = fault.kind === "crash" || fault.kind === "slow" ? fault.node : null;
    return node === null || !node.endsWith("/hub") || sync.hubGroups.some((g) => `${g.hub}/hub` === node);
  }, issues);
  const randomFaults = raw.randomFaults
    ? {
        untilS: durationAt(issues, ["randomFaults", "until"], raw.randomFaults.until),
        partitionsPerHour: raw.randomFaults.partitionsPerHour ?? 0,
        crashesPerHour: raw.randomFaults.crashesPerHour ?? 0,
        loss: raw.randomFaults.loss ?? 0,
        duplicate: raw.randomFaults.duplicate ?? 0,
        reorder: raw.randomFaults.reorder ?? 0,
      }
    : null;
  const stop = normalizeStop(raw.stop ?? {}, issues);
  const network = normalizeNetwork(raw.network ?? {}, topology, checkDataCenter, (path, name) => (name.includes("/") ? checkNode(path, name) : checkDataCenter(path, name)), issues);
  const workloadContext = { baseDir: dirname(resolve(fileName)) };
  const workloadFine = workloadIssues(raw.workload, workloadContext, issues);
  const calibrated = raw.compute?.calibration !== undefined && workloadFine ? calibratedCompute(raw.compute, raw.workload, fileName, issues) : null;

  return {
    name: raw.name ?? defaultName(fileName),
    description: raw.description ?? "",
    seed: overrides.seed ?? raw.seed ?? 1,
    topology,
    workload: workloadFine ? workloads.withDefaults(raw.workload, workloadContext) : raw.workload,
    sync,
    compute: calibrated === null ? compute : { ...compute, msPerSample: calibrated },
    faults,
    randomFaults,
    stop,
    network,
    ...(raw.cluster !== undefined && raw.cluster.checkpoint?.enabled !== false ? { outputCommit: { commitMs: raw.cluster.checkpoint?.commitMs ?? DEFAULT_COMMIT_MS } } : {}),
    ...((raw.workload as Readonly<Record<string, unknown>> | undefined)?.["data"] !== undefined ? { baseDir: dirname(resolve(fileName)) } : {}),
  };
}

function normalizeNetwork(raw: NonNullable<RawScenario["network"]>, topology: Topology, checkDataCenter: (path: PathSegment[], name: string) => void, checkName: (path: PathSegment[], name: string) => void, issues: IssueList): NetworkModelSpec {
  const mbps = (path: PathSegment[], value: number | undefined): number | null => {
    if (value === undefined) return null;
    if (!(typeof value === "number" && Number.isFinite(value) && value > 0)) {
      issues.add(path, `must be a finite bandwidth > 0 Mbit/s, got ${String(value)}`);
      return null;
    }
    return value;
  };
  const nics: Record<string, number> = {};
  for (const [name, value] of Object.entries(raw.nics ?? {})) {
    checkName(["network", "nics", name], name);
    const v = mbps(["network", "nics", name], value);
    if (v !== null) nics[name] = v;
  }
  const wanCaps: Record<string, { egressMbps: number | null; ingressMbps: number | null }> = {};
  for (const [dc, cap] of Object.entries(raw.wanCaps ?? {})) {
    checkDataCenter(["network", "wanCaps", dc], dc);
    wanCaps[dc] = { egressMbps: mbps(["network", "wanCaps", dc, "egressMbps"], cap.egressMbps), ingressMbps: mbps(["network", "wanCaps", dc, "ingressMbps"], cap.ingressMbps) };
  }
  // Left out when not given, so a scenario without it normalizes as before the option existed.
  return { sharing: raw.sharing ?? "max-min", ...(raw.connectionOrder !== undefined ? { connectionOrder: raw.connectionOrder } : {}), nicMbps: mbps(["network", "nicMbps"], raw.nicMbps) ?? topology.lanBandwidthMbps, nics, wanCaps };
}

function defaultName(fileName: string): string {
  const base = basename(fileName, extname(fileName)).replace(/[^A-Za-z0-9._-]/g, "-");
  return base === "" ? "scenario" : base;
}

function normalizeTopology(raw: RawTopology, issues: IssueList): Topology {
  const preset = raw.preset === undefined ? null : presetTopology(raw.preset);
  if (raw.preset !== undefined && preset === null) issues.add(["topology", "preset"], `unknown preset "${raw.preset}" (known: ${presetNames.join(", ")})`);
  let dataCenters: string[];
  if (preset) {
    dataCenters = [...preset.dataCenters];
    if (raw.dataCenters) {
      raw.dataCenters.forEach((dc, i) => {
        if (!preset.dataCenters.includes(dc)) issues.add(["topology", "dataCenters", i], `"${dc}" is not a data center of preset ${preset.name} (${preset.dataCenters.join(", ")})`);
      });
      dataCenters = raw.dataCenters.filter((dc) => preset.dataCenters.includes(dc));
    }
  } else if (raw.dataCenters) {
    dataCenters = [...raw.dataCenters];
  } else {
    if (raw.preset === undefined) issues.add(["topology"], "needs a preset or a list of dataCenters");
    dataCenters = [];
  }
  const inside = new Set(dataCenters);

  const linkKey = (source: string, target: string): string => `${source}->${target}`;
  const links = new Map<string, { bandwidthMbps: number | null; latencyMs: number | null }>();
  for (const link of preset?.links ?? []) {
    if (inside.has(link.source) && inside.has(link.target)) links.set(linkKey(link.source, link.target), { bandwidthMbps: link.bandwidthMbps, latencyMs: link.latencyMs });
  }
  (raw.links ?? []).forEach((spec, i) => {
    const path: PathSegment[] = ["topology", "links", i];
    const [source, target] = spec.link;
    let known = true;
    spec.link.forEach((dc, k) => {
      if (!inside.has(dc)) {
        issues.add([...path, "link", k], `unknown data center "${dc}" (this topology has ${dataCenters.join(", ")})`);
        known = false;
      }
    });
    if (!known) return;
    if (source === target) {
      issues.add([...path, "link"], "a link joins two different data centers");
      return;
    }
    if (spec.latencyMs !== undefined && spec.rttMs !== undefined) issues.add([...path, "rttMs"], "give latencyMs (one way) or rttMs, not both");
    const directions: Pair[] = spec.oneWay ? [[source, target]] : [[source, target], [target, source]];
    for (const [from, to] of directions) {
      const existing = links.get(linkKey(from, to));
      let bandwidthMbps = spec.bandwidthMbps ?? existing?.bandwidthMbps ?? null;
      if (bandwidthMbps !== null && spec.bandwidthScale !== undefined) bandwidthMbps *= spec.bandwidthScale;
      const latencyMs = spec.latencyMs ?? (spec.rttMs !== undefined ? spec.rttMs / 2 : (existing?.latencyMs ?? null));
      links.set(linkKey(from, to), { bandwidthMbps, latencyMs });
      if (bandwidthMbps === null) issues.add(path, `the link ${from} -> ${to} needs bandwidthMbps (no preset gives it)`);
      if (latencyMs === null) issues.add(path, `the link ${from} -> ${to} needs latencyMs or rttMs (no preset gives it)`);
    }
  });

  const scale = raw.bandwidthScale ?? 1;
  const wanLinks: WanLink[] = [];
  const missing: string[] = [];
  // Every key of `links` is a pair of two different data centers of the topology, so the count of
  // missing pairs is known without listing them; only the first few are named.
  const missingCount = dataCenters.length * (dataCenters.length - 1) - links.size;
  for (const source of dataCenters) {
    if (missingCount > 0 && missing.length >= 6) break;
    for (const target of dataCenters) {
      if (source === target) continue;
      const link = links.get(linkKey(source, target));
      if (!link) {
        missing.push(`${source} -> ${target}`);
        if (missing.length >= 6) break;
        continue;
      }
      if (missingCount > 0 || link.bandwidthMbps === null || link.latencyMs === null) continue;
      wanLinks.push({ source, target, bandwidthMbps: link.bandwidthMbps * scale, latencyMs: link.latencyMs });
    }
  }

  if (missingCount > 0) {
    const shown = missingCount > 6 ? `${missing.slice(0, 6).join(", ")} and ${missingCount - 6} more` : missing.join(", ");
    issues.add(["topology", raw.links ? "links" : "dataCenters"], `every pair of data centers needs a link; missing ${shown} (add {link: [a, b], bandwidthMbps, rttMs})`);
  }

  const egressUsdPerGb: Record<string, number> = {};
  for (const dc of dataCenters) egressUsdPerGb[dc] = preset?.egressUsdPerGb[dc] ?? defaultEgressUsdPerGb;
  if (typeof raw.egressUsdPerGb === "number") {
    for (const dc of dataCenters) egressUsdPerGb[dc] = raw.egressUsdPerGb;
  } else if (raw.egressUsdPerGb) {
    for (const [dc, price] of Object.entries(raw.egressUsdPerGb)) {
      if (!inside.has(dc)) issues.add(["topology", "egressUsdPerGb", dc], `unknown data center "${dc}" (this topology has ${dataCenters.join(", ")})`, true);
      else egressUsdPerGb[dc] = price;
    }
  }

  const workersPerDataCenter = raw.machinesPerDataCenter ?? 2;
  return {
    preset: preset?.name ?? null,
    dataCenters,
    workersPerDataCenter,
    shardsPerDataCenter: raw.shardsPerDataCenter ?? workersPerDataCenter,
    links: wanLinks,
    lanBandwidthMbps: raw.lanMbps ?? preset?.lanBandwidthMbps ?? 1000,
    lanLatencyMs: raw.lanLatencyMs ?? preset?.lanLatencyMs ?? 0.1,
    egressUsdPerGb,
  };
}

function normalizeSync(raw: RawSync, model: SyncModel, hubGroups: readonly HubGroup[], issues: IssueList): SyncSpec {
  const within = raw.withinDataCenter ?? ((raw.staleness ?? 0) > 0 ? "ssp" : "bsp");
  if ((model === "asp" || model === "lan" || model === "diloco") && within === "bsp" && (raw.staleness ?? 0) > 0) {
    issues.add(["sync", "staleness"], "staleness > 0 needs withinDataCenter: ssp");
  }
  const staleness = model === "bsp" ? 0 : model === "ssp" ? (raw.staleness ?? defaultSspStaleness) : within === "ssp" ? (raw.staleness ?? defaultSspStaleness) : 0;
  const schedule = raw.significance?.schedule ?? "constant";
  const thresholdSchedule: Schedule | "learning-rate" = schedule === "learning-rate" ? "learning-rate" : parseSchedule(schedule);
  const barrier = raw.selectiveBarrier ?? "auto";
  const significance = raw.significance ?? {};
  const auto = (significance.threshold ?? "auto") === "auto";
  if (!auto && significance.floor !== undefined) issues.add(["sync", "significance", "floor"], "floor applies to threshold: auto only (a fixed threshold is its own floor)");
  if (!auto && significance.budget !== undefined) issues.add(["sync", "significance", "budget"], "budget applies to threshold: auto only");
  if (!auto && significance.ceiling !== undefined) issues.add(["sync", "significance", "ceiling"], "ceiling applies to threshold: auto only");
  return {
    model,
    staleness,
    threshold: auto ? (significance.floor ?? defaultThreshold) : (significance.threshold as number),
    thresholdSchedule,
    budgetLinkFraction: auto ? (significance.budget ?? defaultBudgetLinkFraction) : null,
    thresholdCeiling: auto ? (significance.ceiling ?? defaultThresholdCeiling) : Infinity,
    encoding: significance.encoding ?? "f32",
    barrierClockFraction: raw.barrierClockFraction ?? defaultBarrierClockFraction,
    mirrorClockBound: raw.mirrorClockBound ?? defaultMirrorClockBound,
    selectiveBarrier: barrier === true ? "auto" : barrier === false ? "off" : barrier,
    // Hubs belong to Gaia's mirrored placement; the baselines and LAN have none.
    hubGroups: model === "asp" ? hubGroups : [],
    ...(model === "diloco" ? { diloco: normalizeDiloco(raw.diloco ?? {}, issues) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// sync.diloco (DiLoCo between data centers, packages/core/src/diloco.ts). Kept in one block.

/** DiLoCo's published defaults: H = 500 there; 50 here, for jobs of hundreds of clocks. */
const dilocoDefaults = { localClocks: 20, outerOptimizer: "nesterov", outerLearningRate: 0.7, momentum: 0.9, reduce: "mean", encoding: "f32", keptFraction: 0.1 } as const;

function normalizeDiloco(raw: NonNullable<RawSync["diloco"]>, issues: IssueList): DilocoConfig {
  const encoding = raw.encoding ?? dilocoDefaults.encoding;
  if (raw.keptFraction !== undefined && encoding !== "topk") issues.add(["sync", "diloco", "keptFraction"], "keptFraction applies to encoding: topk only");
  const optimizer = raw.outerOptimizer ?? dilocoDefaults.outerOptimizer;
  if (raw.momentum !== undefined && optimizer !== "nesterov") issues.add(["sync", "diloco", "momentum"], "momentum applies to outerOptimizer: nesterov only");
  const localClocks = raw.localClocks ?? dilocoDefaults.localClocks;
  const fragments = raw.fragments ?? 1;
  // Fragment p's rounds fall at clocks k H + floor(p H / F): with F <= H every fragment has its own clock.
  if (fragments > localClocks) issues.add(["sync", "diloco", "fragments"], `fragments (${fragments}) must be at most localClocks (${localClocks}): each fragment syncs at its own clock of the H`);
  // A round merged later than the next round's boundary would hold that round's delta back.
  if (raw.overlapClocks !== undefined && raw.overlapClocks > localClocks) issues.add(["sync", "diloco", "overlapClocks"], `overlapClocks (${raw.overlapClocks}) must be at most localClocks (${localClocks}): a round is merged before the next one starts`);
  return {
    localClocks,
    outerOptimizer: optimizer,
    outerLearningRate: raw.outerLearningRate ?? dilocoDefaults.outerLearningRate,
    momentum: optimizer === "nesterov" ? (raw.momentum ?? dilocoDefaults.momentum) : 0,
    reduce: raw.reduce ?? dilocoDefaults.reduce,
    encoding,
    keptFraction: raw.keptFraction ?? dilocoDefaults.keptFraction,
    // Left out at 1, so a scenario without streaming normalizes as it did before fragments existed.
    ...(fragments > 1 ? { fragments } : {}),
    ...(raw.overlapClocks !== undefined ? { overlapClocks: raw.overlapClocks } : {}),
  };
}

// --------------------------------------------------------------------------------------------- end of sync.diloco

function normalizeHubGroups(raw: RawSync["hubs"], topology: Topology, checkDataCenter: (path: PathSegment[], name: string) => void, issues: IssueList): HubGroup[] {
  if (raw === undefined || raw === "none") return [];
  if (raw === "auto") return autoHubGroups(topology.dataCenters);
  const groupOf = new Map<string, number>();
  const groups: HubGroup[] = [];
  raw.forEach((group, i) => {
    const path: PathSegment[] = ["sync", "hubs", i];
    checkDataCenter([...path, "hub"], group.hub);
    const members = group.members.includes(group.hub) ? [...group.members] : [group.hub, ...group.members];
    group.members.forEach((member, j) => checkDataCenter([...path, "members", j], member));
    for (const member of new Set(members)) {
      const other = groupOf.get(member);
      if (other !== undefined) issues.add([...path, "members"], `data center "${member}" is already in hub group ${other}`);
      groupOf.set(member, i);
    }
    groups.push({ hub: group.hub, members: [...new Set(members)] });
  });
  const missing = topology.dataCenters.filter((dc) => !groupOf.has(dc));
  if (missing.length > 0) issues.add(["sync", "hubs"], `with hubs, every data center must be in a group; missing: ${missing.join(", ")}`);
  return groups;
}

function normalizeCompute(raw: NonNullable<RawScenario["compute"]>, checkName: (path: PathSegment[], name: string) => void): ComputeSpec {
  const speeds = raw.speeds ?? {};
  for (const name of Object.keys(speeds)) checkName(["compute", "speeds", name], name);
  return { msPerSample: raw.msPerSample ?? null, regime: computeRegimeOf(raw.regime ?? "cpu"), speeds, stragglers: raw.stragglers ?? null, jitter: raw.jitter ?? 0 };
}

/**
 * The scripted faults, in time order. A generated schedule holds hundreds of thousands, so each is
 * one small object: the names and links they repeat are shared (one string per data center or node,
 * one frozen pair per link), and no copy of the list is made to sort or filter it.
 */
function normalizeFaults(
  raw: readonly RawFault[],
  checkDataCenter: (path: PathSegment[], name: string) => void,
  checkNode: (path: PathSegment[], node: string) => void,
  keep: (fault: Fault) => boolean,
  issues: IssueList,
): Fault[] {
  const names = new Map<string, string>();
  const name = (text: string): string => {
    const known = names.get(text);
    if (known !== undefined) return known;
    names.set(text, text);
    return text;
  };
  const pairs = new Map<string, readonly [string, string]>();
  const pair = (link: readonly [string, string]): readonly [string, string] => {
    const key = `${link[0]}\u0000${link[1]}`;
    let shared = pairs.get(key);
    if (shared === undefined) pairs.set(key, (shared = Object.freeze([name(link[0]), name(link[1])] as const)));
    return shared;
  };
  const linkOf = (link: PairOrAll): readonly [string, string] | "all" => (link === "all" ? "all" : pair(link));
  const checkLink = (linkPath: PathSegment[], link: PairOrAll): void => {
    if (link === "all") return;
    link.forEach((dc, k) => checkDataCenter([...linkPath, k], dc));
    if (link[0] === link[1]) issues.add(linkPath, "a link joins two different data centers");
  };
  const normalizeFault = (fault: RawFault, i: number): Fault => {
    const path: PathSegment[] = ["faults", i];
    const atS = durationAt(issues, [...path, "at"], fault.at);
    const forS = fault.for === undefined ? null : durationAt(issues, [...path, "for"], fault.for);
    // A cut that never heals leaves updates in flight forever, so the run could never drain.
    if ((fault.partition || fault.isolate !== undefined) && forS === null) issues.add([...path, fault.partition ? "partition" : "isolate"], `${fault.partition ? "a partition" : "an isolated data center"} needs "for: DURATION": a cut that never heals keeps updates in flight, and the run cannot finish`, true);
    if (fault.partition) {
      checkLink([...path, "partition"], fault.partition);
      return { kind: "partition", atS, forS, between: pair(fault.partition), oneWay: fault.oneWay ?? false };
    }
    if (fault.isolate !== undefined) {
      checkDataCenter([...path, "isolate"], fault.isolate);
      return { kind: "isolate", atS, forS, dataCenter: name(fault.isolate) };
    }
    if (fault.bandwidth) {
      checkLink([...path, "bandwidth", "link"], fault.bandwidth.link);
      return { kind: "bandwidth", atS, forS, link: linkOf(fault.bandwidth.link), factor: fault.bandwidth.factor };
    }
    if (fault.crash !== undefined) {
      checkNode([...path, "crash"], fault.crash);
      return { kind: "crash", atS, node: name(fault.crash), restartAfterS: fault.restartAfter === undefined ? null : durationAt(issues, [...path, "restartAfter"], fault.restartAfter) };
    }
    if (fault.slow !== undefined) {
      checkNode([...path, "slow"], fault.slow);
      return { kind: "slow", atS, forS, node: name(fault.slow), factor: fault.factor ?? 1 };
    }
    const lossy = fault.lossy!;
    checkLink([...path, "lossy", "link"], lossy.link);
    return { kind: "lossy", atS, forS, link: linkOf(lossy.link), loss: lossy.loss ?? 0, duplicate: lossy.duplicate ?? 0, reorder: lossy.reorder ?? 0 };
  };
  // Sized once (growing by push would leave copies of the list behind), then cut to the faults kept.
  const faults = new Array<Fault>(raw.length);
  let kept = 0;
  let sorted = true;
  for (let i = 0; i < raw.length; i++) {
    const fault = normalizeFault(raw[i]!, i);
    if (!keep(fault)) continue;
    if (kept > 0 && fault.atS < faults[kept - 1]!.atS) sorted = false;
    faults[kept++] = fault;
  }
  faults.length = kept;
  // Array.prototype.sort is stable: faults at the same time keep their file order.
  return sorted ? faults : faults.sort((x, y) => x.atS - y.atS);
}

function normalizeStop(raw: NonNullable<RawScenario["stop"]>, issues: IssueList): StopSpec {
  const targetObjective = raw.target?.objective ?? null;
  const evalEvery = raw.evalEvery ?? 1;
  // Every run ends: without a limit, the default cap (stop.ts).
  if (raw.maxIterations === undefined && raw.maxVirtualTime === undefined) return { ...defaultStopCap, targetObjective, evalEvery, defaultCap: true };
  const maxIterations = raw.maxIterations ?? null;
  const maxVirtualTimeS = raw.maxVirtualTime !== undefined ? durationAt(issues, ["stop", "maxVirtualTime"], raw.maxVirtualTime) : null;
  return { maxIterations, maxVirtualTimeS, targetObjective, evalEvery };
}

/** The workload package's checks of the section (a module's options against its own schema); true when it is valid. */
function workloadIssues(spec: RawScenario["workload"], context: workloads.SectionContext, issues: IssueList): boolean {
  const found = workloads.validateWorkloadSpec(spec, context);
  for (const issue of found) {
    const relative = issue.path.startsWith("/") ? pointerToPath(issue.path) : splitDottedPath(issue.path);
    const path = relative[0] === "workload" ? relative : ["workload", ...relative];
    issues.add(path, issue.message);
  }
  return found.length === 0;
}

/**
 * `compute.calibration`: the msPerSample that a `gaia calibrate` file gives this workload, read from
 * a path relative to the scenario file; null (with an issue) when it cannot.
 */
function calibratedCompute(raw: NonNullable<RawScenario["compute"]>, workload: RawScenario["workload"], fileName: string, issues: IssueList): number | null {
  const path: PathSegment[] = ["compute", "calibration"];
  if (raw.msPerSample !== undefined) {
    issues.add(path, "give msPerSample or calibration, not both");
    return null;
  }
  const file = resolve(dirname(fileName), raw.calibration!);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : error instanceof SyntaxError ? `not JSON (${error.message})` : (error as Error).message;
    issues.add(path, `cannot read the calibration ${file}: ${reason}`);
    return null;
  }
  try {
    return workloads.calibratedMsPerSample(data, workload).msPerSample;
  } catch (error) {
    if (!(error instanceof workloads.WorkloadError)) throw error;
    issues.add(path, `${file}: ${error.message}`);
    return null;
  }
}

function splitDottedPath(path: string): PathSegment[] {
  if (path === "") return [];
  return path
    .replace(/\[(\d+)\]/g, ".$1")
    .split(".")
    .filter((part) => part !== "")
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

