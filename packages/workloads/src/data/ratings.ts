/**
 * Ratings files for matrix factorization: MovieLens `ratings.csv` (user,item,rating,timestamp with
 * or without its header line; `csv` is the same reader under a generic name), MovieLens 100k
 * `u.data` (tab-separated user item rating timestamp) and the Netflix prize layout (`movie:` lines,
 * each followed by that movie's `user,rating,date` lines).
 *
 * The file is streamed two or three times instead of being held: the first pass checks every line,
 * maps user and item ids densely in first-seen order and counts ratings per user and per worker;
 * (`skewed` only) a second pass assigns ratings to workers once the users' home data centers are
 * known; the last pass writes every rating at its worker's cursor. So memory holds the partitions'
 * typed arrays (12 bytes a rating: Uint32 user, Uint32 item, Float32 value), the id maps and a
 * chunk of the file, never the file's text. Values are stored centered by their mean (the model is
 * a plain dot product), which leaves the RMSE in the file's units.
 */
import { Rng } from "@gaia/core";
import type { WorkloadContext } from "../context.js";
import { WorkloadError } from "../errors.js";
import { dealHomes, MfWorkload, type MfSpec } from "../mf.js";
import type { PartitionMode } from "../partition.js";
import { BornIn } from "./born.js";
import { DenseIds, fieldError, fieldText, forEachFieldLine, GrowingUint32, isBlank, parseNumberAt, parseUintAt, resolveDataPath, type FieldLine } from "./lines.js";
import type { RatingsDataSpec, RatingsFormat } from "./spec.js";

export interface RatingsData {
  readonly file: string;
  readonly users: number;
  readonly items: number;
  readonly count: number;
  /** Ratings contiguous by global worker: worker w holds [workerStart[w], workerStart[w + 1]). */
  readonly user: Uint32Array;
  readonly item: Uint32Array;
  /** Rating minus `mean`. */
  readonly value: Float32Array;
  readonly mean: number;
  readonly workerStart: Uint32Array;
  /** Each user's home data center (skewed, iid: dealt by rating counts; by column: where most of its ratings were born). */
  readonly userHome: Uint16Array;
  readonly partition: PartitionMode | "by-column";
  /** The column named by `partition: {by}`, for messages and statistics. */
  readonly column: string | null;
}

type Emit = (user: number, item: number, rating: number, label: string | null, line: number) => void;

/** Reads every rating of `file` (checking each line) and passes it to `emit`; returns the count. */
export async function scanRatings(file: string, format: RatingsFormat, by: string | number | undefined, emit: Emit): Promise<number> {
  let count = 0;
  let expected = -1;
  let firstLine = 0;
  let byIndex = typeof by === "number" ? by - 1 : -1;
  if (byIndex >= 64) throw new WorkloadError(`workload.data.partition.by: at most column 64, got ${by}`);
  const checkShape = (fields: number, line: number, minimum: number, layout: string): void => {
    if (expected < 0) {
      expected = fields;
      firstLine = line;
      if (expected < minimum) throw new WorkloadError(`${file}:${line}: expected at least ${minimum} fields (${layout}), got ${fields}`);
      if (byIndex >= expected) throw new WorkloadError(`${file}:${line}: partition by column ${by}, but the lines have ${expected} fields`);
    } else if (fields !== expected) {
      throw new WorkloadError(`${file}:${line}: expected ${expected} fields (as on line ${firstLine}), got ${fields}`);
    }
  };
  const needsHeader = (line: number): never => {
    throw new WorkloadError(`${file}:${line}: partition by column ${JSON.stringify(by)} needs a header line naming the columns; give a 1-based column number instead`);
  };
  const id = (f: FieldLine, k: number, line: number, name: string): number => {
    const value = parseUintAt(f, k);
    if (value < 0) throw fieldError(file, line, name, "a non-negative integer id", fieldText(f, k));
    return value;
  };
  const number = (f: FieldLine, k: number, line: number, name: string): number => {
    const value = parseNumberAt(f, k);
    if (Number.isNaN(value)) throw fieldError(file, line, name, "a number", fieldText(f, k));
    return value;
  };
  const label = (f: FieldLine): string | null => (byIndex >= 0 ? fieldText(f, byIndex).trim() : null);
  if (format === "netflix") {
    let movie = -1;
    await forEachFieldLine(file, "the ratings file", 44, (f, line) => {
      if (isBlank(f)) return;
      let last = f.lineEnd;
      while (last > f.lineStart && (f.buf[last - 1] === 32 || f.buf[last - 1] === 9)) last--;
      if (f.buf[last - 1] === 58) {
        f.start[0] = f.lineStart;
        f.end[0] = last - 1;
        movie = id(f, 0, line, "movie");
        return;
      }
      if (typeof by === "string") needsHeader(line);
      if (movie < 0) throw new WorkloadError(`${file}:${line}: a rating line before the first "movie:" line`);
      checkShape(f.count, line, 2, "user,rating[,date]");
      emit(id(f, 0, line, "user"), movie, number(f, 1, line, "rating"), label(f), line);
      count++;
    });
    return count;
  }
  const udata = format === "udata";
  let first = true;
  await forEachFieldLine(file, "the ratings file", udata ? 9 : 44, (f, line) => {
    if (isBlank(f)) return;
    if (first) {
      first = false;
      if (!udata && parseUintAt(f, 0) < 0) {
        // A header line: its names are the columns `partition: {by}` may name.
        const names = Array.from({ length: Math.min(f.count, 64) }, (_, k) => fieldText(f, k).trim());
        if (f.count < 3) throw new WorkloadError(`${file}:${line}: expected at least 3 fields (user,item,rating[,...]), got ${f.count}`);
        if (typeof by === "string") {
          byIndex = names.indexOf(by);
          if (byIndex < 0) throw new WorkloadError(`${file}:${line}: partition by column ${JSON.stringify(by)}, but the header has ${names.join(", ")}`);
        }
        checkShape(f.count, line, 3, "user,item,rating[,...]");
        return;
      }
      if (typeof by === "string") needsHeader(line);
    }
    checkShape(f.count, line, 3, udata ? "user item rating timestamp" : "user,item,rating[,...]");
    emit(id(f, 0, line, "user"), id(f, 1, line, "item"), number(f, 2, line, "rating"), label(f), line);
    count++;
  });
  return count;
}

/** Loads a ratings file and partitions it over `ctx`'s workers. */
export async function loadRatings(spec: RatingsDataSpec, defaults: { readonly partition: PartitionMode; readonly skew: number }, ctx: WorkloadContext): Promise<RatingsData> {
  const file = resolveDataPath(spec.path, ctx.baseDir);
  const format = spec.format ?? "movielens";
  const partition = spec.partition ?? defaults.partition;
  const D = ctx.dataCenters.length;
  const wpd = ctx.workersPerDataCenter;
  const W = D * wpd;
  const byColumn = typeof partition === "object" ? partition : null;
  if (byColumn !== null && !("by" in byColumn)) throw new WorkloadError(`workload.data.partition: ratings files are partitioned by a column ({by: COLUMN}), not by a file`);
  const by = byColumn !== null && "by" in byColumn ? byColumn.by : undefined;
  const born = byColumn === null ? null : new BornIn(ctx.dataCenters, byColumn.map, "workload.data.partition.map");
  const skewed = partition === "skewed" && D > 1;
  const root = new Rng(ctx.seed).child("workload:mf").child("data");

  // Pass 1: check, map ids, count per user and (unless skewed) per worker.
  const userIds = new DenseIds();
  const itemIds = new DenseIds();
  const userCount = new GrowingUint32();
  const workerCount = new Float64Array(W);
  /** By column: ratings per (user, data center), to name each user's home. */
  const bornCount = born === null ? null : new Map<number, Float64Array>();
  let assign = root.child("assign");
  let sum = 0;
  const count = await scanRatings(file, format, by, (rawUser, rawItem, rating, label, line) => {
    const user = userIds.add(rawUser);
    itemIds.add(rawItem);
    userCount.increment(user);
    sum += rating;
    if (born !== null) {
      const dc = born.dataCenterOf(label!, file, line, `column ${JSON.stringify(by)} value`);
      workerCount[dc * wpd + assign.int(wpd)]!++;
      let perDc = bornCount!.get(user);
      if (perDc === undefined) bornCount!.set(user, (perDc = new Float64Array(D)));
      perDc[dc]!++;
    } else if (!skewed) {
      workerCount[assign.int(W)]!++;
    }
  });
  if (count === 0) throw new WorkloadError(`${file}: no ratings`);
  if (count > 0xffff_ffff) throw new WorkloadError(`${file}: ${count} ratings, at most ${0xffff_ffff}`);
  const users = userIds.size;
  const items = itemIds.size;
  const mean = sum / count;

  const userHome = new Uint16Array(users);
  if (bornCount !== null) {
    for (const [user, perDc] of bornCount) {
      let best = 0;
      for (let d = 1; d < D; d++) if (perDc[d]! > perDc[best]!) best = d;
      userHome[user] = best;
    }
  } else if (D > 1) {
    dealHomes(userCount.view(), D, userHome);
  }
  const workerOfUser = (user: number): number => {
    const home = userHome[user]!;
    let dc = home;
    if (!(assign.float() < defaults.skew)) {
      const other = assign.int(D - 1);
      dc = other >= home ? other + 1 : other;
    }
    return dc * wpd + assign.int(wpd);
  };
  const lookup = (ids: DenseIds, raw: number): number => {
    const id = ids.get(raw);
    if (id < 0) throw new WorkloadError(`${file}: the file changed while it was read`);
    return id;
  };
  if (skewed) {
    // Pass 2: ratings per worker, now that users have homes.
    assign = root.child("assign");
    await scanRatings(file, format, by, (rawUser) => {
      workerCount[workerOfUser(lookup(userIds, rawUser))]!++;
    });
  }

  const workerStart = new Uint32Array(W + 1);
  for (let w = 0; w < W; w++) workerStart[w + 1] = workerStart[w]! + workerCount[w]!;
  const cursor = workerStart.slice(0, W);
  const user = new Uint32Array(count);
  const item = new Uint32Array(count);
  const value = new Float32Array(count);
  // Last pass: the same assignment stream again, writing at each worker's cursor.
  assign = root.child("assign");
  let written = 0;
  await scanRatings(file, format, by, (rawUser, rawItem, rating, label, line) => {
    const u = lookup(userIds, rawUser);
    const w = born !== null ? born.dataCenterOf(label!, file, line, "value") * wpd + assign.int(wpd) : skewed ? workerOfUser(u) : assign.int(W);
    const at = cursor[w]!++;
    if (at >= workerStart[w + 1]!) throw new WorkloadError(`${file}: the file changed while it was read`);
    user[at] = u;
    item[at] = lookup(itemIds, rawItem);
    value[at] = rating - mean;
    written++;
  });
  if (written !== count) throw new WorkloadError(`${file}: the file changed while it was read`);
  return { file, users, items, count, user, item, value, mean, workerStart, userHome, partition: byColumn !== null ? "by-column" : partition === "skewed" ? "skewed" : "iid", column: by === undefined ? null : String(by) };
}

/** The mf workload over a ratings file (users, items and ratings come from the file). */
export async function mfFromData(spec: MfSpec, data: RatingsDataSpec, ctx: WorkloadContext): Promise<MfWorkload> {
  const loaded = await loadRatings(data, spec, ctx);
  return new MfWorkload({ ...spec, users: loaded.users, items: loaded.items, ratings: loaded.count }, ctx, loaded);
}
