/**
 * The bytes of protocol state a layout's roles hold: what `Role.stateBytes()` measures on a live
 * run, estimated here from the layout and sync alone (before any table exists), so that a driver
 * can refuse a run that cannot fit. The estimate follows the roles' own allocations:
 *
 * - shard: its replica of its range (float32); under ASP with mirrors, the significance filter's
 *   float64 accumulators, a state byte, a uint32 listing number and a uint16 bucket id per
 *   element, then its rescan list and the buckets' lists of quiet entries (uint32 each, grown by
 *   doubling, with stale copies: 4-8 bytes an element in measured runs, from LDA's words that
 *   never occur to MF's dense rows; counted as 5); under DiLoCo the outer state (global float32, the
 *   Nesterov momentum float32, two float64 residuals and the float32 sent replica; the float64
 *   buffer a round is summed in is one per process, shared by every shard, and left out);
 * - hub (ASP with a lossy encoding): a float64 residual per stream, one to the other hubs and one
 *   to each member (when it has more than one), per shard index, with a byte per 1024 elements
 *   (the blocks the stream carried);
 * - worker: under SSP (staleness > 0, cache on, not DiLoCo) a cache of every shard it reads
 *   (float32 values and two int32 tags per row); without it, a dense program's worker (every row
 *   every step) keeps the buffer its replies are gathered into (a sparse one's is bounded by its
 *   batch and left out).
 *
 * Bookkeeping that does not grow with the table (clocks, maps of peers) is left out of both.
 */
import type { Layout } from "./layout.js";
import type { Role } from "./role.js";
import type { ShardSync } from "./shard.js";

export interface StateBytes {
  /** Shards' replicas (float32 each). */
  readonly replicas: number;
  /** Significance accumulators (ASP) and DiLoCo's outer state. */
  readonly accumulators: number;
  /** Hubs' per-stream residuals and scratch. */
  readonly residuals: number;
  /** Workers' SSP caches and values buffers. */
  readonly caches: number;
  readonly total: number;
}

export interface StateEstimateOptions {
  /** Whether workers keep the SSP cache under staleness > 0 (default true). */
  readonly workerCache?: boolean;
  /** Rows a worker reads per clock at most; null: every row (a dense program such as MNIST's). */
  readonly rowsPerStep: number | null;
}

const F32 = 4;
const F64 = 8;

/** The protocol state of `layout` under `sync`, by kind, as the roles would allocate it. */
export function estimateStateBytes(layout: Layout, sync: ShardSync, options: StateEstimateOptions): StateBytes {
  const cols = layout.spec.cols;
  let replicas = 0;
  let accumulators = 0;
  let residuals = 0;
  let caches = 0;
  const diloco = sync.diloco ?? null;
  for (const s of layout.shards) {
    const size = (s.range.end - s.range.start) * cols;
    replicas += size * F32;
    if (sync.asp !== null && s.mirrors.length > 0) accumulators += size * (F64 + 1 + 4 + 2 + 5);
    if (diloco !== null) {
      const nesterov = diloco.outerOptimizer === "nesterov";
      accumulators += size * (F32 + (nesterov ? F32 : 0) + 2 * F64 + F32);
    }
  }
  if (sync.asp !== null && sync.asp.encoding !== "f32") {
    const dc0 = layout.spec.dataCenters[0]!;
    const sizes = layout.replicaOf(dc0).map((s) => (s.range.end - s.range.start) * cols);
    for (const hub of layout.hubs) {
      const streams = 1 + (hub.members.length > 1 ? hub.members.length : 0);
      for (const size of sizes) residuals += streams * (size * F64 + Math.ceil(size / 1024));
    }
  }
  const caching = (options.workerCache ?? true) && sync.staleness > 0 && diloco === null;
  for (const w of layout.workers) {
    let rows = 0;
    for (const s of layout.shardsOfWorker(w)) {
      const n = s.range.end - s.range.start;
      rows += n;
      if (caching) caches += n * cols * F32 + n * 2 * 4;
    }
    // Without the cache a dense program's worker keeps the buffer its replies are gathered into.
    if (!caching && options.rowsPerStep === null) caches += rows * cols * F32;
  }
  return { replicas, accumulators, residuals, caches, total: replicas + accumulators + residuals + caches };
}

/** What the roles of a run hold now (their `stateBytes()`), summed. */
export function measureStateBytes(roles: Iterable<Role>): number {
  let n = 0;
  for (const role of roles) n += role.stateBytes();
  return n;
}
