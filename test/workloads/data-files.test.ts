// Data read from files (workload.data): every ratings format and the UCI bag-of-words pair are read
// line by line into dense ids and worker-contiguous typed arrays; a malformed line is a
// WorkloadError that names file:line and the field; partitions iid (seeded), skewed and by where a
// sample was born (a column, a per-document file) put the samples where they say.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { createWorkload, LdaWorkload, MfWorkload, partitionStats, type DefinedWorkload, type WorkloadJob, validateWorkloadSpec, workloadJsonSchema, WorkloadError, type RatingsData } from "@gaia/workloads";
import type { Workload } from "@gaia/core";
import { params, seedTitle } from "../support/fc.js";
import { trainer } from "./support.js";
import { writeRatingsFile, writeUciCorpus } from "../../bench/lib/data-files.js";

type Validator = ((data: unknown) => boolean) & { errors?: unknown };
const { Ajv } = createRequire(new URL("../../packages/scenario/package.json", import.meta.url))("ajv") as { Ajv: new (options: object) => { compile(schema: object): Validator } };

const dir = mkdtempSync(join(tmpdir(), "gaia-data-"));
let files = 0;
/** Writes `text` to a fresh file of the tmp folder; returns its absolute path. */
const file = (text: string, name = `f${files++}.txt`): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const two = ["east", "west"];
const ctx = (seed = 1, dataCenters = two, workersPerDataCenter = 2) => ({ seed, dataCenters, workersPerDataCenter });

/** The workload as the drivers see it, with its job's fields (the ratings, the corpus) beside. */
type WithJob<J> = Workload & Omit<J, keyof Workload>;
const withJob = <J extends WorkloadJob>(workload: DefinedWorkload<J>): WithJob<J> =>
  new Proxy(workload, { get: (target, key) => (key in target ? Reflect.get(target, key) : Reflect.get(target.job, key)) }) as unknown as WithJob<J>;
const mf = async (data: Record<string, unknown>, extra: Record<string, unknown> = {}, c = ctx()): Promise<WithJob<MfWorkload>> => {
  const workload = await createWorkload({ kind: "mf", rank: 4, batchSize: 10, ...extra, data }, c);
  assert.ok(workload.job instanceof MfWorkload);
  return withJob(workload as DefinedWorkload<MfWorkload>);
};
const lda = async (data: Record<string, unknown>, extra: Record<string, unknown> = {}, c = ctx()): Promise<WithJob<LdaWorkload>> => {
  const workload = await createWorkload({ kind: "lda", topics: 3, batchSize: 5, heldOutDocuments: 1, ...extra, data }, c);
  assert.ok(workload.job instanceof LdaWorkload);
  return withJob(workload as DefinedWorkload<LdaWorkload>);
};

/** The workload's ratings as sorted "user item rating" strings, with dense ids. */
const triples = (w: WithJob<MfWorkload>): string[] => {
  const data = w.data as RatingsData;
  return Array.from(w.ratingUser, (u, r) => `${u} ${w.ratingItem[r]} ${(w.ratingValue[r]! + data.mean).toFixed(3)}`).sort();
};

/** Rejects with a WorkloadError whose message is exactly `message` (or matches it). */
const rejects = async (promise: Promise<unknown>, message: string | RegExp): Promise<void> => {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof WorkloadError, `a WorkloadError, got ${String(error)}`);
    // Set-up errors come prefixed with the workload and the phase ("workload mf: setup: ").
    if (typeof message === "string") assert.match(error.message, new RegExp(`^workload (mf|lda): setup: ${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
    else assert.match(error.message, message);
    return true;
  });
};

describe(seedTitle("ratings files"), () => {
  // users 10, 30, 20 and items 7, 5 are remapped densely in first-seen order: users 0 1 2, items 0 1.
  const expected = ["0 0 4.000", "0 1 3.500", "1 0 5.000", "2 1 1.000"];

  test("movielens with and without its header, csv, udata and netflix give the same ratings", async () => {
    const withHeader = await mf({ path: file("userId,movieId,rating,timestamp\n10,7,4.0,1\n10,5,3.5,2\n30,7,5,3\n20,5,1,4\n") });
    assert.deepEqual(triples(withHeader), expected);
    assert.equal(withHeader.rows, 3 + 2);
    assert.equal(withHeader.spec.users, 3);
    assert.equal(withHeader.spec.items, 2);
    assert.equal(withHeader.spec.ratings, 4);
    assert.ok(Math.abs((withHeader.data as RatingsData).mean - 13.5 / 4) < 1e-12);
    assert.deepEqual(triples(await mf({ path: file("10,7,4.0,1\r\n10,5,3.5,2\r\n30,7,5,3\r\n20,5,1,4"), format: "movielens" })), expected);
    // A byte order mark before a first data line (no header) is not taken for a header.
    assert.deepEqual(triples(await mf({ path: file("\uFEFF10,7,4.0,1\n10,5,3.5,2\n30,7,5,3\n20,5,1,4\n") })), expected);
    assert.deepEqual(triples(await mf({ path: file("user,item,rating\n10,7,4\n\n10,5,3.5\n30,7,5\n20,5,1\n"), format: "csv" })), expected);
    assert.deepEqual(triples(await mf({ path: file("10\t7\t4\t881250949\n10\t5\t3.5\t1\n30\t7\t5\t1\n20\t5\t1\t1\n"), format: "udata" })), expected);
    // Netflix: movie 7 first, then movie 5; users first seen 10, 30, 20.
    assert.deepEqual(triples(await mf({ path: file("7:\n10,4,2005-09-06\n30,5,2005-09-06\n5:\n10,3.5,2005-09-06\n20,1,2005-09-06\n"), format: "netflix" })), expected);
  });

  test("every rating lands on exactly one worker, values centered by the mean", async () => {
    const path = join(dir, "gen.csv");
    await writeRatingsFile(path, { users: 50, items: 20, ratings: 1000, seed: 5, sparseIds: true });
    const w = await mf({ path });
    const data = w.data as RatingsData;
    assert.equal(data.count, 1000);
    assert.equal(w.workerStart[4], 1000);
    assert.ok(data.users <= 50 && data.items <= 20);
    for (let r = 0; r < 1000; r++) assert.ok(w.ratingUser[r]! < data.users && w.ratingItem[r]! < data.items);
    let sum = 0;
    for (const v of w.ratingValue) sum += v;
    assert.ok(Math.abs(sum / 1000) < 1e-4, `centered: mean ${sum / 1000}`);
  });

  test("a malformed line is an error naming file:line and the field", async () => {
    let path = file("userId,movieId,rating,timestamp\n1,2,3,4\n1,3,x,4\n");
    await rejects(mf({ path }), `${path}:3: field "rating": expected a number, got "x"`);
    path = file("1,2,3,4\n1,3,,4\n");
    await rejects(mf({ path }), `${path}:2: field "rating": expected a number, got ""`);
    path = file("1,2,3,4\n1,2,3\n");
    await rejects(mf({ path }), `${path}:2: expected 4 fields (as on line 1), got 3`);
    path = file("1,2\n");
    await rejects(mf({ path }), `${path}:1: expected at least 3 fields (user,item,rating[,...]), got 2`);
    path = file("1,2,3\n-1,2,3\n");
    await rejects(mf({ path }), `${path}:2: field "user": expected a non-negative integer id, got "-1"`);
    path = file("1\t2.5\t3\t4\n");
    await rejects(mf({ path, format: "udata" }), `${path}:1: field "item": expected a non-negative integer id, got "2.5"`);
    path = file("1,3,2005-01-01\n");
    await rejects(mf({ path, format: "netflix" }), `${path}:1: a rating line before the first "movie:" line`);
    path = file("1:\n1,3,2005-01-01\nabc:\n");
    await rejects(mf({ path, format: "netflix" }), `${path}:3: field "movie": expected a non-negative integer id, got "abc"`);
    path = file("1,2,1e400\n");
    await rejects(mf({ path }), `${path}:1: field "rating": expected a number, got "1e400"`);
  });

  test("a missing file names its absolute path; an empty file has no ratings", async () => {
    await rejects(mf({ path: join(dir, "absent.csv") }), `cannot read the ratings file ${join(dir, "absent.csv")}: no such file`);
    await rejects(createWorkload({ kind: "mf", data: { path: "absent.csv" } }, { ...ctx(), baseDir: dir }), `cannot read the ratings file ${join(dir, "absent.csv")}: no such file`);
    await rejects(mf({ path: dir }), `cannot read the ratings file ${dir}: not a regular file`);
    let path = file("");
    await rejects(mf({ path }), `${path}: no ratings`);
    path = file("userId,movieId,rating,timestamp\n\n");
    await rejects(mf({ path }), `${path}: no ratings`);
  });

  test("a relative path is taken from the context's baseDir", async () => {
    writeFileSync(join(dir, "relative.csv"), "1,2,3\n2,1,4\n");
    const w = await createWorkload({ kind: "mf", data: { path: "relative.csv" } }, { ...ctx(), baseDir: dir });
    assert.equal((w.job as MfWorkload).spec.ratings, 2);
  });

  test("partition by a column: every rating is on a worker of the data center its column names", async () => {
    const path = file("userId,movieId,rating,region\n1,1,4,us-east\n2,1,3,us-west\n1,2,5,us-west\n3,3,2,us-east\n3,1,1,us-east\n");
    const w = await mf({ path, partition: { by: "region", map: { "us-east": "east", "us-west": "west" } } });
    // Dense users: 1 -> 0, 2 -> 1, 3 -> 2; items 1 -> 0, 2 -> 1, 3 -> 2.
    const east = ["0 0 4.000", "2 0 1.000", "2 2 2.000"];
    const west = ["0 1 5.000", "1 0 3.000"];
    const mean = (w.data as RatingsData).mean;
    const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, k) => `${w.ratingUser[from + k]} ${w.ratingItem[from + k]} ${(w.ratingValue[from + k]! + mean).toFixed(3)}`).sort();
    assert.deepEqual(range(w.workerStart[0]!, w.workerStart[2]!), east);
    assert.deepEqual(range(w.workerStart[2]!, w.workerStart[4]!), west);
    const stats = partitionStats(w);
    assert.equal(stats.partition, "by-column");
    assert.deepEqual(stats.dataCenters.map((d) => d.samples), [3, 2]);
    // A column number, without a header (udata), and data center names without a map.
    const udata = file("1\t1\t4\t0\twest\n2\t1\t3\t0\twest\n");
    const u = await mf({ path: udata, format: "udata", partition: { by: 5 } });
    assert.deepEqual([u.workerStart[2], u.workerStart[4]], [0, 2]);
  });

  test("partition by a column: an unknown value is an error naming it, the file and the line", async () => {
    let path = file("userId,movieId,rating,region\n1,1,4,east\n2,1,3,mars\n");
    await rejects(mf({ path, partition: { by: "region" } }), `${path}:3: column "region" value "mars" is not a data center of this run (data centers: east, west)`);
    await rejects(mf({ path, partition: { by: "region", map: { east: "east" } } }), `${path}:3: column "region" value "mars" is not a data center of this run (map keys: east)`);
    await rejects(mf({ path, partition: { by: "region", map: { mars: "jupiter" } } }), `workload.data.partition.map.mars: unknown data center "jupiter" (this topology has east, west)`);
    await rejects(mf({ path, partition: { by: "zone" } }), `${path}:1: partition by column "zone", but the header has userId, movieId, rating, region`);
    await rejects(mf({ path, partition: { by: 9 } }), `${path}:1: partition by column 9, but the lines have 4 fields`);
    path = file("1,1,4,east\n");
    await rejects(mf({ path, partition: { by: "region" } }), /:1: partition by column "region" needs a header line/);
  });

  test("iid: a function of the seed; another seed deals the ratings differently", async () => {
    const path = join(dir, "iid.csv");
    await writeRatingsFile(path, { users: 40, items: 15, ratings: 600, seed: 2 });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), async (seed) => {
        const a = await mf({ path }, {}, ctx(seed));
        const b = await mf({ path }, {}, ctx(seed));
        assert.deepEqual(a.workerStart, b.workerStart);
        assert.deepEqual(a.ratingUser, b.ratingUser);
        assert.deepEqual(a.ratingItem, b.ratingItem);
        assert.deepEqual(a.ratingValue, b.ratingValue);
        const c = await mf({ path }, {}, ctx(seed + 1));
        assert.notDeepEqual(Array.from(c.ratingUser.slice(0, 50)), Array.from(a.ratingUser.slice(0, 50)));
        assert.deepEqual(triples(c), triples(a));
      }),
      params(5),
    );
  });

  test("skewed: the stated fraction of a data center's ratings is from its own users", async () => {
    const path = join(dir, "skewed.csv");
    await writeRatingsFile(path, { users: 200, items: 50, ratings: 20_000, seed: 4 });
    const w = await mf({ path, partition: "skewed" }, { skew: 0.8 });
    const stats = partitionStats(w);
    assert.equal(stats.partition, "skewed");
    for (const dc of stats.dataCenters) assert.ok(Math.abs(dc.ownFraction - 0.8) < 0.03, `${dc.dataCenter}: own ${dc.ownFraction}`);
    const iid = partitionStats(await mf({ path }));
    for (const dc of iid.dataCenters) assert.ok(Math.abs(dc.ownFraction - 0.5) < 0.05, `iid ${dc.dataCenter}: own ${dc.ownFraction}`);
  });

  test("SGD on a MovieLens-format file drives the RMSE from ~1 below 0.6", async () => {
    const path = join(dir, "train.csv");
    await writeRatingsFile(path, { users: 300, items: 100, ratings: 12_000, seed: 6 });
    const w = await mf({ path }, { rank: 8, batchSize: 100 });
    const start = w.evaluate(w.initParams()).objective;
    assert.ok(start > 0.9, `initial RMSE ${start}`);
    const run = trainer(w, 2, 2);
    run.run(150);
    const end = w.evaluate(run.table).objective;
    assert.ok(end < 0.6, `RMSE after 150 clocks: ${end}`);
  });
});

describe(seedTitle("UCI bag-of-words"), () => {
  const docword = "3\n5\n4\n1 1 2\n1 3 1\n2 5 3\n3 2 1\n";
  const vocab = "a\nb\nc\nd\ne\n";

  test("tokens are expanded from the counts, one held-out document taken from the file", async () => {
    const w = await lda({ path: file(docword), vocab: file(vocab) }, {}, ctx(1, ["east"], 1));
    assert.equal(w.rows, 5 + 1);
    assert.equal(w.spec.vocabulary, 5);
    assert.equal(w.spec.documents, 2);
    const train = Array.from(w.corpus.words).sort();
    const held = Array.from(w.heldOut.words).sort();
    assert.deepEqual([...train, ...held].sort(), [0, 0, 1, 2, 4, 4, 4]);
    assert.equal(w.heldOut.docStart.length, 2);
    // Runs of spaces and tabs separate fields as one space does.
    const spaced = await lda({ path: file("3\n5 \n4\n1  1\t2\n 1 3 1\n2 5 3 \n\n3 2 1\n") }, {}, ctx(1, ["east"], 1));
    assert.deepEqual(Array.from(spaced.corpus.words), Array.from(w.corpus.words));
    const llStart = w.evaluate(w.initParams());
    assert.deepEqual(Object.keys(llStart.metrics), ["log-likelihood"]);
  });

  test("a malformed docword or vocab file is an error naming file:line", async () => {
    let path = file("3\n5\n1\n4 1 1\n");
    await rejects(lda({ path }), `${path}:4: field "docID": expected an id in 1..3 (the header's D), got "4"`);
    path = file("3\n5\n1\n1 0 1\n");
    await rejects(lda({ path }), `${path}:4: field "wordID": expected an id in 1..5 (the header's W), got "0"`);
    path = file("3\n5\n1\n1 6 1\n");
    await rejects(lda({ path }), `${path}:4: field "wordID": expected an id in 1..5 (the header's W), got "6"`);
    path = file("3\n5\n1\n1 2 x\n");
    await rejects(lda({ path }), `${path}:4: field "count": expected a positive integer count, got "x"`);
    path = file("3\n5\n1\n1 2\n");
    await rejects(lda({ path }), `${path}:4: expected 3 fields (docID wordID count), got 2`);
    path = file("3\nfive\n1\n");
    await rejects(lda({ path }), `${path}:2: field "W": expected the number of words, got "five"`);
    path = file("3\n5\n1\n1 2 1\n2 2 1\n");
    await rejects(lda({ path }), `${path}:5: more entries than the header's NNZ = 1`);
    path = file("3\n5\n3\n1 2 1\n2 2 1\n");
    await rejects(lda({ path }), `${path}: the header's NNZ is 3, but the file has 2 entries`);
    path = file("");
    await rejects(lda({ path }), `${path}: expected three header lines (D, W, NNZ), the file has none (it is empty)`);
    path = file(docword);
    const shortVocab = file("a\nb\n");
    await rejects(lda({ path, vocab: shortVocab }), `${shortVocab}: 2 words, but ${path} says W = 5`);
    await rejects(lda({ path, vocab: join(dir, "no-vocab.txt") }), `cannot read the vocab file ${join(dir, "no-vocab.txt")}: no such file`);
    await rejects(lda({ path }, { heldOutDocuments: 3 }), `workload.heldOutDocuments is 3, but ${path} has only 3 non-empty documents (some must be left to train on)`);
  });

  test("partition by a per-document file: each document is on a worker of its data center", async () => {
    const path = join(dir, "docword.by.txt");
    await writeUciCorpus(path, join(dir, "vocab.by.txt"), { documents: 40, vocabulary: 30, topics: 3, docLength: 20, seed: 2 });
    const regions = Array.from({ length: 40 }, (_, d) => (d % 3 === 0 ? "W" : "E"));
    const bornFile = file(`${regions.join("\n")}\n`);
    const w = await lda({ path, partition: { file: bornFile, map: { E: "east", W: "west" } } }, { heldOutDocuments: 4 });
    const stats = partitionStats(w);
    assert.equal(stats.partition, "by-file");
    for (const dc of stats.dataCenters) assert.equal(dc.ownFraction, 1);
    // Each training document's tokens (sorted) are those of a document whose line names its data center.
    const byRegion = { E: new Set<string>(), W: new Set<string>() };
    const docs = new Map<number, number[]>();
    for (const line of readFileSync(path, "utf8").trim().split("\n").slice(3)) {
      const [d, word, count] = line.split(" ").map(Number) as [number, number, number];
      const list = docs.get(d) ?? [];
      for (let k = 0; k < count; k++) list.push(word - 1);
      docs.set(d, list);
    }
    for (const [d, list] of docs) byRegion[regions[d - 1] as "E" | "W"].add(list.sort((x, y) => x - y).join(" "));
    const wpd = 2;
    for (let worker = 0; worker < 4; worker++) {
      const region = worker < wpd ? "E" : "W";
      for (let doc = w.workerDocStart[worker]!; doc < w.workerDocStart[worker + 1]!; doc++) {
        const tokens = Array.from(w.corpus.words.subarray(w.corpus.docStart[doc]!, w.corpus.docStart[doc + 1]!)).sort((x, y) => x - y).join(" ");
        assert.ok(byRegion[region].has(tokens), `worker ${worker}: document ${doc} is not one of region ${region}`);
      }
    }
    assert.equal(stats.dataCenters[0]!.samples + stats.dataCenters[1]!.samples, 36);
    const bad = file(`${regions.slice(0, 5).join("\n")}\nmars\n`);
    await rejects(lda({ path, partition: { file: bad, map: { E: "east", W: "west" } } }, { heldOutDocuments: 4 }), `${bad}:6: value "mars" is not a data center of this run (map keys: E, W)`);
    const short = file("E\nW\n");
    await rejects(lda({ path, partition: { file: short, map: { E: "east", W: "west" } } }, { heldOutDocuments: 4 }), `${short}: 2 lines, but ${path} has 40 documents (one line per document)`);
  });

  test("iid deals equal numbers of documents; the same seed gives the same corpus layout", async () => {
    const path = join(dir, "docword.iid.txt");
    await writeUciCorpus(path, join(dir, "vocab.iid.txt"), { documents: 41, vocabulary: 30, topics: 3, docLength: 20, seed: 3 });
    const a = await lda({ path });
    const b = await lda({ path });
    assert.deepEqual(a.corpus.words, b.corpus.words);
    assert.deepEqual(Array.from(a.workerDocStart), [0, 10, 20, 30, 40]);
    const c = await lda({ path }, {}, ctx(2));
    assert.notDeepEqual(Array.from(c.corpus.words), Array.from(a.corpus.words));
  });

  test("Gibbs sampling on a UCI-format corpus raises the held-out log-likelihood", async () => {
    const path = join(dir, "docword.train.txt");
    await writeUciCorpus(path, join(dir, "vocab.train.txt"), { documents: 300, vocabulary: 200, topics: 5, docLength: 50, seed: 4 });
    const w = await lda({ path, vocab: join(dir, "vocab.train.txt") }, { topics: 5, batchSize: 20, heldOutDocuments: 30 });
    const start = w.evaluate(w.initParams()).objective;
    const run = trainer(w, 2, 2);
    run.run(60);
    const end = w.evaluate(run.table).objective;
    assert.ok(end > start + 0.5, `log-likelihood ${start} -> ${end}`);
  });
});

describe(seedTitle("the data field of the workload section"), () => {
  test("the JSON Schema accepts exactly the data fields the validator accepts", () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(workloadJsonSchema);
    const text = fc.constantFrom("r.csv", "", "iid", "skewed", "region", "movielens", "netflix", "uci", "bogus");
    const born = fc.record({ by: fc.oneof(text, fc.integer({ min: -1, max: 3 })), file: text, map: fc.oneof(fc.dictionary(fc.constantFrom("a", "b"), fc.oneof(text, fc.integer())), text), x: text }, { requiredKeys: [] });
    const data = fc.record({ path: fc.oneof(text, fc.integer()), format: text, vocab: text, partition: fc.oneof(text, born), extra: text }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.constantFrom("mf", "lda"), fc.oneof(data, text), (kind, value) => {
        const spec = { kind, data: value };
        const ours = validateWorkloadSpec(spec).length === 0;
        assert.equal(validate(spec), ours, `${JSON.stringify(spec)}: validator ${JSON.stringify(validateWorkloadSpec(spec))}`);
      }),
      params(500),
    );
  });

  test("bad data fields are reported with their paths; the JSON Schema agrees with the validator", () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(workloadJsonSchema);
    const cases: [Record<string, unknown>, string[]][] = [
      [{ kind: "mf", data: { path: "r.csv" } }, []],
      [{ kind: "mf", data: { path: "r.csv", format: "netflix", partition: "skewed" } }, []],
      [{ kind: "mf", data: { path: "r.csv", partition: { by: "region", map: { a: "virginia" } } } }, []],
      [{ kind: "mf", data: { path: "r.csv", partition: { by: 3 } } }, []],
      [{ kind: "lda", data: { path: "d.txt", vocab: "v.txt", format: "uci", partition: { file: "dc.txt" } } }, []],
      [{ kind: "mf", data: {} }, ["/data/path"]],
      [{ kind: "mf", data: "r.csv" }, ["/data"]],
      [{ kind: "mf", data: { path: "r.csv", format: "parquet" } }, ["/data/format"]],
      [{ kind: "mf", data: { path: "r.csv", vocab: "v.txt" } }, ["/data/vocab"]],
      [{ kind: "mf", data: { path: "r.csv", partition: { by: 0 } } }, ["/data/partition/by"]],
      [{ kind: "mf", data: { path: "r.csv", partition: { file: "x" } } }, ["/data/partition/file", "/data/partition/by"]],
      [{ kind: "mf", data: { path: "r.csv", partition: { by: "r", map: { a: 1 } } } }, ["/data/partition/map/a"]],
      [{ kind: "mf", data: { path: "r.csv", partition: "random" } }, ["/data/partition"]],
      [{ kind: "lda", data: { path: "d.txt", partition: { by: "region" } } }, ["/data/partition/by", "/data/partition/file"]],
      [{ kind: "mnist", data: { path: "x" } }, ["/data"]],
    ];
    for (const [spec, expected] of cases) {
      assert.deepEqual(validateWorkloadSpec(spec).map((p) => p.path), expected, JSON.stringify(spec));
      assert.equal(validate(spec), expected.length === 0, `schema on ${JSON.stringify(spec)}`);
    }
  });
});
