/**
 * Writers of data files in the formats `workload.data` reads (docs/data-formats.md), for tests and
 * benchmarks: MovieLens-style ratings with low-rank structure (half-star ratings from 0.5 to 5,
 * as in MovieLens), and a UCI bag-of-words pair drawn from the LDA generative process. Ratings are
 * streamed in blocks, so a 1 GB file takes no more memory than a small one (corpora are built in
 * memory: they are meant to be small). Seeded: the same arguments give the same bytes.
 */
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { Rng } from "@gaia/core";

export interface RatingsFileOptions {
  readonly users: number;
  readonly items: number;
  readonly ratings: number;
  readonly rank?: number;
  readonly seed?: number;
  /** movielens (header + user,item,rating,timestamp), udata (tab-separated, no header) or netflix (movie: blocks). */
  readonly format?: "movielens" | "udata" | "netflix";
  /** Adds a `region` column (movielens only): each user's ratings are born in regions[user % regions.length]. */
  readonly regions?: readonly string[];
  /** Raw ids are spread out (user id = 7 * u + 1...) so the loader's dense remapping is exercised. */
  readonly sparseIds?: boolean;
}

async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  let block = "";
  for (const line of lines) {
    block += `${line}\n`;
    if (block.length > 1 << 20) {
      if (!out.write(block)) await once(out, "drain");
      block = "";
    }
  }
  out.write(block);
  out.end();
  await once(out, "finish");
}

/** Writes `ratings` ratings: 3.5 + a rank-`rank` dot product + N(0, 0.3^2), rounded to half stars in [0.5, 5]. */
export async function writeRatingsFile(path: string, options: RatingsFileOptions): Promise<void> {
  const rank = options.rank ?? 4;
  const rng = new Rng(options.seed ?? 1).child("ratings-file");
  const userF = new Float32Array(options.users * rank);
  const itemF = new Float32Array(options.items * rank);
  for (let k = 0; k < userF.length; k++) userF[k] = rng.normal() * Math.pow(rank, -0.25);
  for (let k = 0; k < itemF.length; k++) itemF[k] = rng.normal() * Math.pow(rank, -0.25);
  const userId = (u: number): number => (options.sparseIds ? 7 * u + 3 : u + 1);
  const itemId = (i: number): number => (options.sparseIds ? 11 * i + 5 : i + 1);
  const rating = (u: number, i: number): string => {
    let dot = 0;
    for (let f = 0; f < rank; f++) dot += userF[u * rank + f]! * itemF[i * rank + f]!;
    const r = Math.round((3.5 + dot + 0.3 * rng.normal()) * 2) / 2;
    return Math.min(5, Math.max(0.5, r)).toFixed(1);
  };
  const format = options.format ?? "movielens";
  await writeBlocks(path, options, format, userId, itemId, rating, rng);
}

async function writeBlocks(
  path: string,
  options: RatingsFileOptions,
  format: string,
  userId: (u: number) => number,
  itemId: (i: number) => number,
  rating: (u: number, i: number) => string,
  rng: Rng,
): Promise<void> {
  const out = createWriteStream(path);
  let block = format === "movielens" ? `userId,movieId,rating,timestamp${options.regions ? ",region" : ""}\n` : "";
  const flush = async (): Promise<void> => {
    if (!out.write(block)) await once(out, "drain");
    block = "";
  };
  if (format === "netflix") {
    // Movie by movie, as the prize files: ratings per movie even, users drawn at random.
    const perItem = Math.floor(options.ratings / options.items);
    for (let i = 0; i < options.items; i++) {
      block += `${itemId(i)}:\n`;
      const n = perItem + (i < options.ratings - perItem * options.items ? 1 : 0);
      for (let k = 0; k < n; k++) {
        const u = rng.int(options.users);
        block += `${userId(u)},${rating(u, i).replace(".0", "")},2005-09-06\n`;
      }
      if (block.length > 1 << 20) await flush();
    }
  } else {
    const sep = format === "udata" ? "\t" : ",";
    for (let k = 0; k < options.ratings; k++) {
      const u = rng.int(options.users);
      const i = rng.int(options.items);
      block += `${userId(u)}${sep}${itemId(i)}${sep}${format === "udata" ? rating(u, i).replace(".0", "") : rating(u, i)}${sep}${1_100_000_000 + k}`;
      block += options.regions ? `,${options.regions[u % options.regions.length]}\n` : "\n";
      if (block.length > 1 << 20) await flush();
    }
  }
  await flush();
  out.end();
  await once(out, "finish");
}

export interface CorpusFileOptions {
  readonly documents: number;
  readonly vocabulary: number;
  readonly topics: number;
  readonly docLength: number;
  readonly seed?: number;
  readonly alpha?: number;
  readonly beta?: number;
}

/** Writes docword (D, W, NNZ header, then docID wordID count) and vocab files of an LDA-generated corpus. */
export async function writeUciCorpus(docwordPath: string, vocabPath: string, options: CorpusFileOptions): Promise<{ entries: number; tokens: number }> {
  const { documents: D, vocabulary: V, topics: K } = options;
  const rng = new Rng(options.seed ?? 1).child("uci-file");
  const phi: Float64Array[] = [];
  for (let k = 0; k < K; k++) {
    const p = rng.dirichlet(options.beta ?? 0.05, V);
    const cumulative = new Float64Array(V);
    let sum = 0;
    for (let w = 0; w < V; w++) cumulative[w] = sum += p[w]!;
    phi.push(cumulative);
  }
  const lines: string[] = [];
  let tokens = 0;
  const counts = new Map<number, number>();
  for (let d = 0; d < D; d++) {
    const theta = rng.dirichlet(options.alpha ?? 0.1, K);
    const length = Math.max(1, Math.floor(options.docLength / 2) + rng.int(options.docLength + 1));
    counts.clear();
    for (let t = 0; t < length; t++) {
      let u = rng.float();
      let z = 0;
      while (z < K - 1 && u >= theta[z]!) u -= theta[z++]!;
      const c = phi[z]!;
      const target = rng.float() * c[V - 1]!;
      let lo = 0;
      let hi = V - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (c[mid]! > target) hi = mid;
        else lo = mid + 1;
      }
      counts.set(lo, (counts.get(lo) ?? 0) + 1);
    }
    for (const [w, n] of [...counts].sort((a, b) => a[0] - b[0])) lines.push(`${d + 1} ${w + 1} ${n}`);
    tokens += length;
  }
  await writeLines(docwordPath, [String(D), String(V), String(lines.length), ...lines]);
  await writeLines(vocabPath, Array.from({ length: V }, (_, w) => `word${w + 1}`));
  return { entries: lines.length, tokens };
}
