import { Args, Flags } from "@oclif/core";
import { GaiaCommand } from "../../base.js";
import { ScenarioError, defaultCapWarning, estimateLaunchMemory, estimateMemory, formatByteSize, loadFileAsync, memoryLimit, estimable, memoryProblem, type MemoryLimit } from "@gaia/scenario";
import { InputError, resolveScenario } from "../../inputs.js";

const formatLimit = (limit: MemoryLimit): string => `${formatByteSize(limit.bytes)} (${limit.source})`;

export default class ScenariosValidate extends GaiaCommand {
  static override summary = "Check scenario and cluster files; print ok or each problem (every file is checked; exit 2 if any is invalid).";

  static override description =
    "Checks each file against the schema and the topology, and what a run needs (a partition or an isolated data center must heal: `for:`). A cluster file (a scenario with a cluster section, for gaia launch) is checked the same way, its cluster section included. A problem prints as FILE:LINE:COLUMN: PATH: MESSAGE. A run whose memory estimate (replicas x rows x columns, accumulators, caches, the workload's data; for a cluster file, every node process of a launch on one machine) exceeds the machine's memory, or --max-memory / GAIA_MAX_MEMORY, is an error, as `gaia simulate` and `gaia launch` would refuse it. A bundled scenario can be named instead of a file. A scenario that sets neither stop.maxIterations nor stop.maxVirtualTime is valid, with a warning: it stops at the default cap (1000 iterations or 2 h of virtual time), which a run reports as its stop, naming the target it did not reach. Each ok line ends with the memory estimate and the limit it was checked against. With --json, one JSON array of {file, valid, kind, name, estimatedBytes (null when not estimated), problems: [{path, line, column, message}], warnings?: [{path, message}]}.";

  static override examples = ["<%= config.bin %> scenarios validate scenarios/*.yaml clusters/*.yaml", "<%= config.bin %> scenarios validate quickstart my.yaml --json"];

  static override strict = false;

  static override args = {
    file: Args.string({ description: "scenario or cluster files (YAML), or bundled scenario names", required: true }),
  };

  static override flags = {
    json: Flags.boolean({ description: "print one JSON array of results instead of lines", default: false }),
    "max-memory": Flags.string({ description: "the memory a run may need (bytes, or 512MB, 8GB) [default: GAIA_MAX_MEMORY, else this machine's memory]", helpValue: "SIZE" }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(ScenariosValidate);
    let limit;
    try {
      limit = memoryLimit(flags["max-memory"]);
    } catch (error) {
      this.fail((error as Error).message);
    }
    const results: { file: string; valid: boolean; kind: "scenario" | "cluster" | null; name: string | null; estimatedBytes?: number | null; problems: { path: string; line: number | null; column: number | null; message: string }[]; warnings?: { path: string; message: string }[] }[] = [];
    for (const given of argv as string[]) {
      let file = given;
      try {
        file = resolveScenario(given);
        const { kind, scenario } = await loadFileAsync(file);
        const estimate = !estimable(scenario) ? null : kind === "cluster" ? estimateLaunchMemory(scenario) : estimateMemory(scenario);
        const problem = estimate === null ? null : memoryProblem(scenario, estimate, limit, kind === "cluster" ? "a launch of it on one machine" : "a run of it");
        const estimatedBytes = estimate?.totalBytes ?? null;
        if (problem !== null) {
          results.push({ file, valid: false, kind, name: scenario.name, estimatedBytes, problems: [{ path: "/workload", line: null, column: null, message: problem }] });
          if (!flags.json) process.stderr.write(`${file}: workload: ${problem}\n`);
          continue;
        }
        const warning = defaultCapWarning(scenario.stop);
        results.push({ file, valid: true, kind, name: scenario.name, estimatedBytes, problems: [], ...(warning !== null ? { warnings: [{ path: "/stop", message: warning }] } : {}) });
        const memory = estimate === null ? "memory not estimated (the workload's tables are known once it is set up)" : `needs about ${formatByteSize(estimate.totalBytes)} of memory (protocol state ${formatByteSize(estimate.state.total)}), under ${formatLimit(limit)}`;
        if (!flags.json) process.stdout.write(`ok  ${file} (${kind === "cluster" ? "cluster file, " : ""}${scenario.name}: ${scenario.topology.dataCenters.length} data center(s), ${scenario.workload.kind}, ${scenario.sync.model}; ${memory})\n`);
        if (!flags.json && warning !== null) process.stderr.write(`${file}: warning: ${warning}\n`);
      } catch (error) {
        if (error instanceof InputError) {
          results.push({ file, valid: false, kind: null, name: null, problems: [{ path: "", line: null, column: null, message: error.message }] });
          if (!flags.json) process.stderr.write(`${given}: ${error.message}\n`);
          continue;
        }
        if (!(error instanceof ScenarioError)) {
          // A loader bug must not stop the other files from being checked; it is still reported.
          const message = `the loader failed: ${error instanceof Error ? error.message : String(error)}`;
          results.push({ file, valid: false, kind: null, name: null, problems: [{ path: "", line: null, column: null, message }] });
          if (!flags.json) process.stderr.write(`${given}: ${message}\n`);
          continue;
        }
        results.push({ file, valid: false, kind: null, name: null, problems: error.issues.map((i) => ({ path: i.path, line: i.line, column: i.column, message: i.message })) });
        if (!flags.json) process.stderr.write(`${error.message}\n`);
      }
    }
    const invalid = results.filter((r) => !r.valid).length;
    if (flags.json) process.stdout.write(`${JSON.stringify(results)}\n`);
    else if (invalid > 0) process.stderr.write(`${invalid} of ${argv.length} file(s) invalid\n`);
    if (invalid > 0) this.exit(2);
  }
}
