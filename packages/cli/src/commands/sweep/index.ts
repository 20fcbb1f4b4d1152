import { Args, Flags } from "@oclif/core";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { GaiaCommand, reportError } from "../../base.js";
import { InputError } from "../../inputs.js";

export default class Sweep extends GaiaCommand {
  static override summary = "Run a scenario over seeds and varied fields, in parallel, into one report and one CSV.";

  static override description = [
    "FILE is a scenario (a file or a bundled name), or a sweep file: a YAML map with `scenario` (relative to the sweep file, or a bundled name) and optionally `seeds` (1..5 or a list), `sync` (a list of models), `vary` (field path -> list of values) and `set` (field path -> value). Flags add to a sweep file's `vary` and `set`, and replace its `seeds` and `sync`.",
    "",
    "The sweep is the cartesian product of every --vary (in the order given), the --sync models and the --seeds. Each run is a `gaia simulate` process, --jobs at a time, and keeps its folder (runs/<point>/, with its report). At the end the sweep's folder holds results.csv (one row per run, every varied field a column, figures at the target and at the end), sweep.html (mean and spread over the seeds of each point and model) and sweep.json.",
    "",
    "An interrupted sweep resumes with --resume: runs whose row was written are not run again. A folder that holds another sweep is refused without --force.",
    "",
    "Before any run starts, each point's memory is estimated as `gaia simulate` estimates it: a point that would not fit, or --jobs runs at a time that together would not (the largest runs of the plan), is refused with the estimate and what to change (exit 2). --max-memory (else GAIA_MAX_MEMORY, else the machine's memory) is that limit, and is passed on to every run.",
    "",
    "On several machines: --index I --count N runs the I-th of N slices (every N-th run, so slices take alike), as a Kubernetes Indexed Job or a SLURM array task does; `gaia sweep merge` joins the slices' folders into one report and the same CSV as one whole run. Exits 1 when a run failed or a trace check failed, 2 on bad input.",
  ].join("\n");

  static override examples = [
    "<%= config.bin %> sweep quickstart --seeds 1..5 --vary sync.mirrorClockBound=0,1,2 --sync bsp,asp",
    "<%= config.bin %> sweep quickstart --seeds 1..3 --vary 'sync.significance.threshold=0.01,0.05,0.1' --jobs 2",
    "<%= config.bin %> sweep examples/sweep/quickstart-ds.yaml --resume",
    "<%= config.bin %> sweep quickstart --seeds 1..5 --sync bsp,asp --index 0 --count 2 --out runs/slice-0",
  ];

  static override args = {
    file: Args.string({ description: "scenario file or bundled name, or a sweep file", required: true }),
  };

  static override flags = {
    seeds: Flags.string({ description: "seeds to run each point with: 1..5, 1,2,7 or 1..3,10 [default: the file's seed]", helpValue: "LIST" }),
    vary: Flags.string({ description: "a field and its values, e.g. sync.mirrorClockBound=0,1,2 (repeatable: the cartesian product)", multiple: true, multipleNonGreedy: true, helpValue: "path=v1,v2,..." }),
    sync: Flags.string({ description: "synchronization models to run each point under, e.g. bsp,asp [default: the file's]", helpValue: "lan,bsp,ssp,asp" }),
    set: Flags.string({ description: "set a scenario field for every run, e.g. stop.maxIterations=100 (repeatable)", multiple: true, multipleNonGreedy: true, helpValue: "path=value" }),
    jobs: Flags.integer({ char: "j", description: "runs at a time, each its own process [default: the machine's cores]", min: 1, max: 256 }),
    resume: Flags.boolean({ description: "run only what the folder's sweep lacks", default: false }),
    index: Flags.integer({ description: "run only slice I (0-based) of --count slices", min: 0, dependsOn: ["count"] }),
    count: Flags.integer({ description: "the number of slices (with --index)", min: 1, dependsOn: ["index"] }),
    out: Flags.string({ description: "the sweep's folder [default: runs/<name>-sweep, or runs/<name>-sweep-IofN for a slice]" }),
    force: Flags.boolean({ description: "replace the sweep in the folder", default: false }),
    json: Flags.boolean({ description: "print only the sweep's record (plan and rows) as JSON on stdout", default: false }),
    quiet: Flags.boolean({ char: "q", description: "no progress and no table", default: false }),
    "max-memory": Flags.string({ description: "the memory the runs at a time may take together, and each run's limit (bytes, or 512MB, 8GB) [default: GAIA_MAX_MEMORY, else the machine's memory]", helpValue: "SIZE" }),
  };

  async run(): Promise<void> {
    // Loaded here, not at the top: every gaia command imports every command module.
    const { formatBytes, formatSeconds, memoryLimit, sweepGroups } = await import("@gaia/sim");
    const { planPoints, sweepSpec } = await import("../../sweep/plan.js");
    const { runSweep } = await import("../../sweep/run.js");
    const { args, flags } = await this.parse(Sweep);
    const fail = (message: string, code: number): never => this.exit(reportError(message, code));
    let outcome;
    try {
      if (flags.index !== undefined && flags.count !== undefined && flags.index >= flags.count) throw new InputError(`--index ${flags.index}: slices are numbered 0 to ${flags.count - 1} (--count ${flags.count})`);
      let limit;
      try {
        limit = memoryLimit(flags["max-memory"]);
      } catch (error) {
        throw new InputError((error as Error).message);
      }
      const spec = sweepSpec(args.file, flags);
      if (!flags.quiet && !flags.json) {
        const total = planPoints(spec).length;
        process.stderr.write(`sweep: ${total} runs${flags.index !== undefined ? ` (slice ${flags.index} of ${flags.count}: every ${flags.count}th)` : ""}, ${flags.jobs ?? availableParallelism()} at a time\n`);
      }
      outcome = await runSweep(spec, { out: flags.out, jobs: flags.jobs ?? availableParallelism(), resume: flags.resume, force: flags.force, index: flags.index ?? null, count: flags.count ?? null, quiet: flags.quiet, json: flags.json, memory: { limit, flag: flags["max-memory"] } });
    } catch (error) {
      if (error instanceof InputError) return fail(error.message, 2);
      throw error;
    }
    const { record, dir } = outcome;
    if (flags.json) process.stdout.write(`${JSON.stringify({ dir, ...record, wallTimeS: outcome.wallTimeS })}\n`);
    else if (!flags.quiet) {
      const lines = sweepGroups(record.rows).map((g) => {
        const time = g.timeToTargetS === null ? "-" : g.timeToTargetS.n > 1 ? `${formatSeconds(g.timeToTargetS.mean)} ± ${formatSeconds(g.timeToTargetS.sd)}` : formatSeconds(g.timeToTargetS.mean);
        const bytes = g.wanBytesToTarget === null ? "-" : formatBytes(g.wanBytesToTarget.mean);
        return [g.point, g.sync, `${g.reached}/${g.runs}`, time, bytes, `${g.checksHeld}/${g.runs}`];
      });
      const header = ["point", "sync", "reached", "time to target (mean ± sd)", "WAN bytes to target (mean)", "checks held"];
      const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
      const table = [header, ...lines].map((l) => l.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")).join("\n");
      process.stdout.write(`${table}\n\n${record.rows.length} runs (${outcome.ran} ran, ${outcome.resumed} resumed) in ${formatSeconds(outcome.wallTimeS)} of wall time\nwrote ${join(dir, "sweep.html")}, ${join(dir, "results.csv")}, ${join(dir, "sweep.json")} (and a folder per run under ${join(dir, "runs")})\n`);
    }
    const failedChecks = record.rows.filter((r) => r.checks !== "all held");
    if (record.failed.length > 0) fail(`${record.failed.length} run(s) failed: ${record.failed.map((f) => `${f.id}: ${f.error}`).join("; ")}`, 1);
    if (failedChecks.length > 0) fail(`${failedChecks.length} run(s) failed a trace check: ${failedChecks.map((r) => `${r.id}: ${r.checks}`).join("; ")}`, 1);
  }
}
