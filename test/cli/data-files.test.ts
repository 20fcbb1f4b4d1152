// `gaia simulate` on scenario files whose workload reads data files (workload.data): a MovieLens
// ratings.csv partitioned by its region column and a UCI bag-of-words pair, each found relative to
// the scenario file's folder (the command runs from elsewhere), each trained to its stated target;
// a malformed or missing data file, or a bad data field, exits 2 with file:line and no stack trace.
// It runs the built CLI, so it builds packages/cli first (a no-op when the build is current).
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeRatingsFile, writeUciCorpus } from "../../bench/lib/data-files.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "packages/cli/bin/run.js");
const work = mkdtempSync(join(tmpdir(), "gaia-data-cli-"));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const gaia = (...args: string[]): Run => {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

const assertNoStackTrace = (run: Run): void => assert.ok(!/\n\s+at .+:\d+:\d+\)?\n/.test(run.stdout + run.stderr), `no stack trace:\n${run.stderr}`);

const scenario = (name: string, workload: string, stop: string): string => {
  const path = join(work, `${name}.yaml`);
  writeFileSync(
    path,
    `seed: 7
topology: { preset: virginia-california, machinesPerDataCenter: 2 }
workload: ${workload}
sync: { model: asp, withinDataCenter: bsp, significance: { threshold: auto }, mirrorClockBound: 1 }
stop: ${stop}
`,
  );
  return path;
};

before(async () => {
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  const build = spawnSync(process.execPath, [tsc, "-b", "packages/cli"], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) process.stderr.write(`note: tsc -b packages/cli failed; testing the existing build\n${build.stdout}`);
  // 600 users x 200 items, 15000 half-star ratings (~450 kB); 400 documents, 300 words (~100 kB).
  await writeRatingsFile(join(work, "ratings.csv"), { users: 600, items: 200, ratings: 15_000, rank: 4, seed: 3, regions: ["us-east", "us-west"] });
  await writeUciCorpus(join(work, "docword.small.txt"), join(work, "vocab.small.txt"), { documents: 400, vocabulary: 300, topics: 6, docLength: 50, seed: 3 });
});

describe("gaia simulate on data files", () => {
  test("a MovieLens ratings.csv partitioned by its region column trains to RMSE 0.5, with one trace hash per seed", () => {
    const file = scenario(
      "movielens",
      "{ kind: mf, rank: 8, batchSize: 200, data: { path: ratings.csv, format: movielens, partition: { by: region, map: { us-east: virginia, us-west: california } } } }",
      "{ target: { objective: 0.5 }, maxIterations: 400, evalEvery: 10 }",
    );
    const run = gaia("simulate", file, "--json", "--out", join(work, "out-mf"), "--force");
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { reachedTarget: boolean; objective: number; iterations: number; traceHash: string };
    assert.ok(summary.reachedTarget, `RMSE ${summary.objective} after ${summary.iterations} iterations`);
    assert.ok(summary.objective < 0.5);
    const again = gaia("simulate", file, "--json", "--out", join(work, "out-mf-again"), "--force");
    assert.equal((JSON.parse(again.stdout) as { traceHash: string }).traceHash, summary.traceHash);
  });

  test("a UCI docword/vocab pair trains to a held-out log-likelihood of -3.75", () => {
    const file = scenario(
      "uci",
      "{ kind: lda, topics: 6, batchSize: 20, heldOutDocuments: 40, data: { path: docword.small.txt, vocab: vocab.small.txt } }",
      "{ target: { objective: -3.75 }, maxIterations: 200, evalEvery: 10 }",
    );
    const run = gaia("simulate", file, "--json", "--out", join(work, "out-lda"), "--force");
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { reachedTarget: boolean; objective: number; iterations: number };
    assert.ok(summary.reachedTarget, `log-likelihood ${summary.objective} after ${summary.iterations} iterations`);
    assert.ok(summary.objective > -3.75);
  });

  test("a malformed or missing data file exits 2 with its file:line", () => {
    writeFileSync(join(work, "bad.csv"), "userId,movieId,rating,timestamp\n1,2,4.5,0\n1,3,x,0\n");
    let run = gaia("simulate", scenario("bad-csv", "{ kind: mf, data: { path: bad.csv } }", "{ maxIterations: 5 }"), "--out", join(work, "out-bad"), "--force");
    assert.equal(run.status, 2, run.stderr);
    assert.ok(run.stderr.includes(`${join(work, "bad.csv")}:3: field "rating": expected a number, got "x"`), run.stderr);
    assertNoStackTrace(run);
    writeFileSync(join(work, "bad-docword.txt"), "2\n3\n2\n1 1 1\n2 4 1\n");
    run = gaia("simulate", scenario("bad-uci", "{ kind: lda, heldOutDocuments: 1, data: { path: bad-docword.txt } }", "{ maxIterations: 5 }"), "--out", join(work, "out-bad"), "--force");
    assert.equal(run.status, 2, run.stderr);
    assert.ok(run.stderr.includes(`${join(work, "bad-docword.txt")}:5: field "wordID": expected an id in 1..3 (the header's W), got "4"`), run.stderr);
    assertNoStackTrace(run);
    run = gaia("simulate", scenario("missing", "{ kind: mf, data: { path: nowhere/ratings.csv } }", "{ maxIterations: 5 }"), "--out", join(work, "out-bad"), "--force");
    assert.equal(run.status, 2, run.stderr);
    assert.ok(run.stderr.includes(`cannot read the ratings file ${join(work, "nowhere/ratings.csv")}: no such file`), run.stderr);
    assertNoStackTrace(run);
  });

  test("a bad data field is a scenario error with file:line:column", () => {
    const file = scenario("bad-field", "{ kind: mf, data: { path: ratings.csv, format: bogus } }", "{ maxIterations: 5 }");
    const run = gaia("simulate", file, "--out", join(work, "out-bad"), "--force");
    assert.equal(run.status, 2, run.stderr);
    assert.ok(run.stderr.includes(`${file}:3:58: workload.data.format: must be one of movielens, csv, udata, netflix`), run.stderr);
    assertNoStackTrace(run);
  });
});
