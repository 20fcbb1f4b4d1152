/**
 * How training data is spread over data centers and workers.
 *
 * Every sample belongs to a *group* (MF: its user's home data center; LDA: its document's dominant
 * true topic; MNIST: its label). Each data center *owns* some groups. Under `partition: iid` groups
 * play no part: samples go to workers uniformly. Under `partition: skewed` a fraction `skew` of a
 * data center's samples come from the groups it owns (non-IID data, as when regions see different
 * users). `partitionStats` reports the realized fractions so tests can check the stated skew.
 */
import type { WorkerPlacement } from "@gaia/core";
import { WorkloadError } from "./errors.js";

export type PartitionMode = "iid" | "skewed";

/** How a run's samples were spread: a mode, or (for data read from files) where each was born. */
export type PartitionKind = PartitionMode | "by-column" | "by-file";

/**
 * Whether data center `dc` (of `dataCenters`) owns group `group` (of `groups`). With at least as
 * many data centers as groups each data center owns one group (dc mod groups); otherwise groups
 * are dealt round-robin (group mod dataCenters). Every data center owns at least one group.
 */
export function ownsGroup(dc: number, group: number, dataCenters: number, groups: number): boolean {
  return dataCenters >= groups ? dc % groups === group : group % dataCenters === dc;
}

/** The groups data center `dc` owns, and those it does not. */
export function groupsOf(dc: number, dataCenters: number, groups: number): { own: number[]; other: number[] } {
  const own: number[] = [];
  const other: number[] = [];
  for (let g = 0; g < groups; g++) (ownsGroup(dc, g, dataCenters, groups) ? own : other).push(g);
  return { own, other };
}

/** Splits `total` into `parts` counts that differ by at most one (the first ones get the extra). */
export function evenSplit(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const extra = total - base * parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}

export interface DataCenterPartition {
  readonly dataCenter: string;
  /** Training samples (ratings, documents, digits) held by the data center's workers. */
  readonly samples: number;
  /** Fraction of those samples whose group the data center owns. */
  readonly ownFraction: number;
}

export interface PartitionStats {
  readonly kind: string;
  readonly partition: PartitionKind;
  readonly skew: number;
  /** What a group is for this workload ("user home", "dominant topic", "label"). */
  readonly groupedBy: string;
  readonly dataCenters: readonly DataCenterPartition[];
  /** Samples per worker, by global worker index. */
  readonly workerSamples: readonly number[];
}

/**
 * Partition statistics for a workload whose samples are split contiguously over workers
 * (worker w holds samples workerStart[w] .. workerStart[w + 1]), workers numbered data center by
 * data center. `owns(dc, sample)` says whether a sample belongs to one of the data center's own groups.
 */
export function contiguousPartitionStats(args: {
  readonly kind: string;
  readonly partition: PartitionKind;
  readonly skew: number;
  readonly groupedBy: string;
  readonly dataCenters: readonly string[];
  readonly workersPerDataCenter: number;
  readonly workerStart: ArrayLike<number>;
  readonly owns: (dc: number, sample: number) => boolean;
}): PartitionStats {
  const D = args.dataCenters.length;
  const wpd = args.workersPerDataCenter;
  const samples = new Float64Array(D);
  const own = new Float64Array(D);
  const workerSamples: number[] = [];
  for (let w = 0; w < D * wpd; w++) {
    const dc = Math.floor(w / wpd);
    const start = args.workerStart[w]!;
    const end = args.workerStart[w + 1]!;
    workerSamples.push(end - start);
    samples[dc]! += end - start;
    for (let k = start; k < end; k++) if (args.owns(dc, k)) own[dc]!++;
  }
  return {
    kind: args.kind,
    partition: args.partition,
    skew: args.skew,
    groupedBy: args.groupedBy,
    dataCenters: args.dataCenters.map((name, dc) => ({ dataCenter: name, samples: samples[dc]!, ownFraction: samples[dc]! > 0 ? own[dc]! / samples[dc]! : 0 })),
    workerSamples,
  };
}

/** Checks that a placement fits the run the workload was built for, and returns its global index. */
export function checkPlacement(placement: WorkerPlacement, dataCenters: number, workersPerDataCenter: number): number {
  if (placement.dataCenterCount !== dataCenters || placement.workersPerDataCenter !== workersPerDataCenter) {
    throw new WorkloadError(
      `worker placement has ${placement.dataCenterCount} data centers x ${placement.workersPerDataCenter} workers, but the workload was partitioned for ${dataCenters} x ${workersPerDataCenter}`,
    );
  }
  const index = placement.dataCenterIndex * workersPerDataCenter + placement.workerIndex;
  if (placement.workerIndex < 0 || placement.workerIndex >= workersPerDataCenter || placement.dataCenterIndex < 0 || placement.dataCenterIndex >= dataCenters || index !== placement.globalWorkerIndex) {
    throw new WorkloadError(`worker placement ${JSON.stringify(placement)} is inconsistent`);
  }
  return index;
}

/** Sorted unique values of `ids[0..count)` (sorts `ids` in place). */
export function sortedUnique(ids: Uint32Array, count: number): Uint32Array {
  const view = ids.subarray(0, count).sort();
  let n = 0;
  for (let i = 0; i < count; i++) if (i === 0 || view[i] !== view[n - 1]) view[n++] = view[i]!;
  return view.slice(0, n);
}
