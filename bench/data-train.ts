// Training on data files (not a test): writes MovieLens-sized ratings files (u.data at the 100k
// size, ratings.csv at the 1M size, a Netflix-layout file) and a UCI bag-of-words pair at the size
// of the KOS corpus to /tmp (not committed), then simulates each with Gaia (asp) on Virginia +
// California, 2 machines each, to a stated target, and prints data size, load time, iterations,
// virtual and wall time side by side (load: createWorkload alone; the run loads the file again). The files are synthetic (low-rank ratings in half stars; an
// LDA-generated corpus) in the real formats: this machine cannot download the real data sets.
//   npm run bench:data-train [-- --only ml-100k,kos]
import { statSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseScenarioText, runSimulation } from "@gaia/sim";
import { createWorkload } from "@gaia/workloads";
import { writeRatingsFile, writeUciCorpus } from "./lib/data-files.js";

const dir = "/tmp/gaia-data-train";
mkdirSync(dir, { recursive: true });
const onlyAt = process.argv.indexOf("--only");
const only = onlyAt >= 0 ? process.argv[onlyAt + 1]!.split(",") : null;

interface Case {
  readonly name: string;
  readonly files: () => Promise<string[]>;
  readonly workload: string;
  readonly target: number;
  readonly maxIterations: number;
  readonly evalEvery: number;
}

const ratings = (file: string, options: Parameters<typeof writeRatingsFile>[1]) => async (): Promise<string[]> => {
  const path = join(dir, file);
  if (!existsSync(path)) await writeRatingsFile(path, options);
  return [path];
};

const cases: Case[] = [
  {
    name: "ml-100k (udata)",
    files: ratings("u.data", { users: 943, items: 1682, ratings: 100_000, rank: 4, seed: 1, format: "udata" }),
    workload: "{ kind: mf, rank: 16, batchSize: 500, learningRate: 0.05, data: { path: u.data, format: udata } }",
    target: 0.4,
    maxIterations: 600,
    evalEvery: 10,
  },
  {
    name: "ml-1m (movielens csv)",
    files: ratings("ratings-1m.csv", { users: 6040, items: 3706, ratings: 1_000_209, rank: 4, seed: 1 }),
    workload: "{ kind: mf, rank: 16, batchSize: 2000, learningRate: 0.05, data: { path: ratings-1m.csv, format: movielens } }",
    target: 0.4,
    maxIterations: 600,
    evalEvery: 10,
  },
  {
    name: "netflix layout",
    files: ratings("netflix.txt", { users: 5000, items: 2000, ratings: 500_000, rank: 4, seed: 1, format: "netflix" }),
    workload: "{ kind: mf, rank: 16, batchSize: 2000, learningRate: 0.05, data: { path: netflix.txt, format: netflix } }",
    target: 0.4,
    maxIterations: 600,
    evalEvery: 10,
  },
  {
    name: "kos-sized (uci)",
    files: async () => {
      const docword = join(dir, "docword.kos.txt");
      const vocab = join(dir, "vocab.kos.txt");
      if (!existsSync(docword)) await writeUciCorpus(docword, vocab, { documents: 3430, vocabulary: 6906, topics: 20, docLength: 136, seed: 1 });
      return [docword, vocab];
    },
    workload: "{ kind: lda, topics: 20, batchSize: 100, heldOutDocuments: 100, data: { path: docword.kos.txt, vocab: vocab.kos.txt } }",
    target: -7.8,
    maxIterations: 600,
    evalEvery: 10,
  },
];

const rows: string[][] = [["data", "file MB", "samples", "load s", "start", "target", "reached", "iterations", "virtual s", "wall s", "objective"]];
for (const c of cases) {
  if (only !== null && !only.some((o) => c.name.startsWith(o))) continue;
  const files = await c.files();
  const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
  const yaml = `seed: 1
topology: { preset: virginia-california, machinesPerDataCenter: 2 }
workload: ${c.workload}
sync: { model: asp, withinDataCenter: bsp, significance: { threshold: auto }, mirrorClockBound: 1 }
compute: { regime: cpu }
stop: { target: { objective: ${c.target} }, maxIterations: ${c.maxIterations}, evalEvery: ${c.evalEvery} }
`;
  const scenario = parseScenarioText(yaml, join(dir, `${c.name.split(" ")[0]}.yaml`));
  const loadStart = performance.now();
  const workload = await createWorkload(scenario.workload, { seed: scenario.seed, dataCenters: scenario.topology.dataCenters, workersPerDataCenter: scenario.topology.workersPerDataCenter, baseDir: dir });
  const loadS = (performance.now() - loadStart) / 1000;
  const job = workload.job as Partial<{ ratingValue: Float32Array; corpus: { words: Uint32Array } }>;
  const samples = job.ratingValue !== undefined ? job.ratingValue.length : job.corpus !== undefined ? job.corpus.words.length : 0;
  const start = workload.evaluate(workload.initParams()).objective;
  const result = await runSimulation(scenario);
  const s = result.summary;
  rows.push([c.name, (bytes / 1e6).toFixed(1), String(samples), loadS.toFixed(1), start.toFixed(3), String(c.target), String(s.reachedTarget), String(s.iterations), s.virtualTimeS.toFixed(2), s.wallTimeS.toFixed(1), s.objective.toFixed(4)]);
  process.stdout.write(`${rows.at(-1)!.join(" | ")}\n`);
}
process.stdout.write(`\n| ${rows[0]!.join(" | ")} |\n| ${rows[0]!.map(() => "---").join(" | ")} |\n${rows.slice(1).map((r) => `| ${r.join(" | ")} |`).join("\n")}\n`);
