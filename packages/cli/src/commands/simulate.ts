import { Args, Flags } from "@oclif/core";
import { syncModels } from "@gaia/scenario";
import { GaiaCommand } from "../base.js";

export default class Simulate extends GaiaCommand {
  static override summary = "Run a scenario in the deterministic simulator.";

  static override description = [
    "FILE is a scenario file, or the name of a bundled scenario (`gaia scenarios list`).",
    "",
    "Prints a summary (virtual time, iterations, objective, time to target, WAN traffic and cost, blocked time, checker verdicts, trace hash) and writes metrics.jsonl (and the same rows as metrics.csv), summary.json and report.html into the output folder. The same scenario and seed give the same run, bit for bit.",
    "",
    "With several models, `--sync lan,bsp,asp` runs the scenario under each and writes one comparison report, compare.html, beside a folder per run: the objective of every run over time on one axis and over iterations, WAN traffic and cost, time blocked by reason, and the ratios to LAN and to BSP.",
    "",
    "Before it starts, a run's memory is estimated from the scenario (replicas x rows x columns, accumulators, caches, the workload's data); a run whose estimate exceeds the machine's memory (or the cgroup's limit, /sys/fs/cgroup/memory.max, when lower), or --max-memory / GAIA_MAX_MEMORY, is refused with the estimate, its largest parts and what to change (exit 2); to run it anyway, raise the limit (--max-memory 1TB). The summary reports the protocol state's bytes beside the peak RSS.",
    "Worker steps and evaluations run on `--threads N` compute threads (`auto`: the machine's cores; default 1, in-process: each thread builds the workload itself, which small runs do not repay). Results are consumed at their virtual completion times, so the run and its trace hash are the same at any thread count.",
    "",
    "An output folder that already holds a run is never replaced silently: the default folder is numbered (runs/NAME-SEED.2), an explicit --out is refused without --force. A scenario that sets neither stop.maxIterations nor stop.maxVirtualTime stops at the default cap (1000 iterations or 2 h of virtual time), reported as stopped by default-cap. Exits 1 when a trace check fails or the run stopped at the default cap without reaching its target (the message names it), 2 on a bad scenario or flag.",
  ].join("\n");

  static override examples = [
    "<%= config.bin %> simulate quickstart",
    "<%= config.bin %> simulate scenarios/mf-ec2-11.yaml --sync lan,bsp,asp",
    "<%= config.bin %> simulate scenarios/mf-ec2-11.yaml --sync bsp --seed 7",
    "<%= config.bin %> simulate quickstart --set stop.maxIterations=50 --set sync.mirrorClockBound=2",
    "<%= config.bin %> simulate quickstart --json > summary.json",
    "<%= config.bin %> simulate scenarios/mnist-3dc.yaml --threads 2",
  ];

  static override args = {
    file: Args.string({ description: "scenario file (YAML) or bundled scenario name", required: true }),
  };

  static override flags = {
    seed: Flags.integer({ description: "root seed (overrides the file's)", min: 0, max: 4294967295 }),
    sync: Flags.string({ description: `synchronization model, or a comma-separated list to compare (${syncModels.join(", ")})`, helpValue: "lan,bsp,ssp,asp" }),
    set: Flags.string({ description: "set a scenario field, e.g. stop.maxIterations=50 or faults[0].for=30s (repeatable)", multiple: true, multipleNonGreedy: true, helpValue: "path=value" }),
    out: Flags.string({ description: "output folder [default: runs/<name>-<seed>, plus -<sync> with --sync, -compare with several]" }),
    force: Flags.boolean({ description: "replace the run already in the output folder", default: false }),
    json: Flags.boolean({ description: "print only the summary, as one JSON object, on stdout", default: false }),
    quiet: Flags.boolean({ char: "q", description: "no progress bar and no table", default: false }),
    "max-memory": Flags.string({ description: "refuse a run whose memory estimate exceeds this (bytes, or 512MB, 8GB, 1.5GiB) [default: GAIA_MAX_MEMORY, else the machine's memory or the cgroup's limit]", helpValue: "SIZE" }),
    threads: Flags.string({ description: "compute threads for worker steps and evaluations (1: in-process; auto: the machine's cores) [default: 1]", helpValue: "N|auto" }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Simulate);
    // The simulator (and its charts) is loaded only by the command that runs it, not by every gaia command.
    const { simulate } = await import("../actions/simulate.js");
    const exitCode = await simulate(args.file, flags);
    if (exitCode !== 0) this.exit(exitCode);
  }
}
