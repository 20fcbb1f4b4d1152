// Loading benchmark (not a test) for workload.data: generates a MovieLens-format ratings.csv of
// about --mb megabytes in /tmp (not committed; kept for later runs), then, each in a fresh child
// process, (1) loads it into 2 data centers x 2 workers with loadRatings and (2) only imports the
// package (the baseline), and prints side by side the peak RSS (process.resourceUsage().maxRSS)
// against the partitions' bytes (12 bytes a rating plus the per-user and per-worker arrays).
// Done when: peak RSS <= partitions' bytes + 300 MB.
//   npm run bench:load-ratings [-- --mb 1024 --file /tmp/gaia-ratings-1g.csv --partition iid]
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { writeRatingsFile } from "./lib/data-files.js";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};

interface Measure {
  readonly seconds: number;
  readonly maxRssBytes: number;
  readonly ratings?: number;
  readonly users?: number;
  readonly items?: number;
  readonly partitionBytes?: number;
}

if (process.argv.includes("--child")) {
  const { loadRatings } = await import("@gaia/workloads");
  const started = performance.now();
  const file = arg("file", "");
  const out: Measure = file === ""
    ? { seconds: (performance.now() - started) / 1000, maxRssBytes: process.resourceUsage().maxRSS * 1024 }
    : await (async () => {
        const partition = arg("partition", "iid") as "iid" | "skewed";
        const data = await loadRatings({ path: file, format: "movielens" }, { partition, skew: 0.8 }, { seed: 1, dataCenters: ["a", "b"], workersPerDataCenter: 2 });
        const partitionBytes = data.user.byteLength + data.item.byteLength + data.value.byteLength + data.userHome.byteLength + data.workerStart.byteLength;
        return { seconds: (performance.now() - started) / 1000, maxRssBytes: process.resourceUsage().maxRSS * 1024, ratings: data.count, users: data.users, items: data.items, partitionBytes };
      })();
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else {
  const mb = Number(arg("mb", "1024"));
  const file = arg("file", `/tmp/gaia-ratings-${mb}mb.csv`);
  if (!existsSync(file)) {
    // MovieLens-like ids and sizes: ~24 bytes a line, 330k users, 80k items.
    const ratings = Math.round((mb * 1024 * 1024) / 25.6);
    const started = performance.now();
    await writeRatingsFile(file, { users: 330_000, items: 80_000, ratings, rank: 4, seed: 1 });
    process.stdout.write(`generated ${file}: ${ratings} ratings in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  const bytes = statSync(file).size;
  const self = fileURLToPath(import.meta.url);
  const child = (args: string[]): Measure => {
    const run = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", self, "--child", ...args], { encoding: "utf8", maxBuffer: 1 << 20 });
    if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
    return JSON.parse(run.stdout.trim().split("\n").pop()!) as Measure;
  };
  const baseline = child([]);
  const load = child(["--file", file, "--partition", arg("partition", "iid")]);
  const MB = (n: number): string => `${(n / 1e6).toFixed(0)} MB`;
  const partitions = load.partitionBytes!;
  const overhead = load.maxRssBytes - partitions;
  process.stdout.write(
    [
      `file                 ${MB(bytes)} (${file})`,
      `ratings              ${load.ratings} (${load.users} users, ${load.items} items)`,
      `load time            ${load.seconds.toFixed(1)} s (${(bytes / 1e6 / load.seconds).toFixed(0)} MB/s of file, read ${arg("partition", "iid") === "skewed" ? 3 : 2} times; after the import)`,
      `partitions' bytes    ${MB(partitions)}`,
      `peak RSS: load       ${MB(load.maxRssBytes)}`,
      `peak RSS: baseline   ${MB(baseline.maxRssBytes)} (a process that only imports @gaia/workloads)`,
      `peak RSS - partitions ${MB(overhead)} (budget 300 MB): ${overhead <= 300e6 ? "met" : "NOT met"}`,
    ].join("\n") + "\n",
  );
}
