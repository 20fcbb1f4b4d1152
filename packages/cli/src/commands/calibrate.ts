import { Flags } from "@oclif/core";
import { GaiaCommand, reportError } from "../base.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { calibrate, calibrationKinds, WorkloadError, type Backend, type Calibration, type CalibrationFigure } from "@gaia/workloads";

const backends: readonly Backend[] = ["auto", "gpu", "node", "wasm", "cpu"];
/** In the run folder (ignored by git), not among the repository's committed results. */
const defaultOut = "runs/calibration.json";

export default class Calibrate extends GaiaCommand {
  static override summary = "Measure each workload's compute cost per sample on this machine.";

  static override description = [
    "Measure the per-step compute cost of each workload (and TensorFlow.js backend) on this machine.",
    "",
    `Runs worker steps of each workload at its default size (mnist: softmax, mlp and cnn on each backend that loads) for --seconds each, prints samples per second and milliseconds per sample (process CPU time), and writes the figures as JSON to --out (default ${defaultOut}). A scenario uses them with \`compute: { calibration: FILE }\`, or copy a printed ms/sample into \`compute.msPerSample\`. Exits 2 on an unknown workload or backend, or a backend that is not installed.`,
  ].join("\n");

  static override examples = ["<%= config.bin %> calibrate", "<%= config.bin %> calibrate --workload mnist --backend wasm --seconds 2", "<%= config.bin %> calibrate --workload mf --json --out /tmp/calibration.json"];

  static override flags = {
    workload: Flags.string({ description: "workload to measure [default: all]", options: [...calibrationKinds] }),
    backend: Flags.string({ description: "TensorFlow.js backend for mnist [default: every one that loads]", options: [...backends] }),
    seconds: Flags.string({ description: "seconds of timed steps per case (> 0)", default: "1" }),
    json: Flags.boolean({ description: "print the calibration as one JSON object on stdout instead of the table", default: false }),
    out: Flags.string({ description: `write the calibration JSON here [default: ${defaultOut}]` }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Calibrate);
    const exitCode = await this.calibrate(flags);
    if (exitCode !== 0) this.exit(exitCode);
  }

  private async calibrate(flags: { workload: string | undefined; backend: string | undefined; seconds: string; json: boolean; out: string | undefined }): Promise<number> {
    const fail = (message: string): number => reportError(message);
    if (flags.workload !== undefined && !(calibrationKinds as readonly string[]).includes(flags.workload)) return fail(`unknown workload "${flags.workload}" (known: ${calibrationKinds.join(", ")})`);
    if (flags.backend !== undefined && !(backends as readonly string[]).includes(flags.backend)) return fail(`unknown backend "${flags.backend}" (known: ${backends.join(", ")})`);
    const seconds = Number(flags.seconds);
    if (flags.seconds.trim() === "" || !Number.isFinite(seconds) || seconds <= 0) return fail(`--seconds must be a number of seconds > 0, got "${flags.seconds}"`);
    if (flags.backend !== undefined && flags.workload !== undefined && flags.workload !== "mnist") return fail(`--backend applies to mnist only (mf and lda are plain JavaScript), got --workload ${flags.workload}`);

    const out = flags.out ?? defaultOut;
    const table = !flags.json;
    // The header waits for the first figure, so that a backend that fails to load prints only its error.
    let header = table;
    let calibration: Calibration;
    // Say what is coming before the first figure: loading TensorFlow.js and timing every case takes a while.
    const cases = flags.workload === undefined ? calibrationKinds.join(", ") : flags.workload;
    process.stderr.write(`measuring ${cases}${flags.workload === undefined || flags.workload === "mnist" ? " (mnist: softmax, mlp and cnn on each backend that loads)" : ""}, ${seconds} s of steps per case...\n`);
    try {
      calibration = await calibrate({
        ...(flags.workload !== undefined ? { kinds: [flags.workload] } : {}),
        ...(flags.backend !== undefined ? { backends: [flags.backend as Backend] } : {}),
        seconds,
        onFigure: (figure) => {
          if (header) process.stdout.write(`${row("workload", "backend", "samples/step", "ms/step", "samples/s", "ms/sample", "declared")}\n`);
          header = false;
          if (table) process.stdout.write(`${figureRow(figure)}\n`);
        },
      });
    } catch (error) {
      if (error instanceof WorkloadError) return fail(error.message.split("\n")[0]!);
      throw error;
    }
    try {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, `${JSON.stringify(calibration, null, 2)}\n`);
    } catch (error) {
      process.stderr.write(`Error: cannot write ${out}: ${(error as Error).message}\n`);
      return 1;
    }
    // A scenario resolves compute.calibration against its own folder; an absolute path works from any.
    const absolute = resolve(out);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ ...calibration, out: absolute })}\n`);
    } else {
      const { host } = calibration;
      process.stdout.write(
        `\nhost: ${host.cpu ?? "?"} x ${host.cores}, node ${host.node}, load average ${host.loadAverage1m?.toFixed(1) ?? "?"}; ms are process CPU time\n` +
          `wrote ${absolute}\nuse it in a scenario with  compute: { calibration: ${absolute} }  (a relative path is read from the scenario's folder), or copy a ms/sample into compute.msPerSample\n`,
      );
    }
    return 0;
  }
}

const row = (...cells: string[]): string => cells.map((cell, i) => (i === 0 ? cell.padEnd(16) : cell.padStart(i === 1 ? 11 : 13))).join(" ");

const figureRow = (f: CalibrationFigure): string =>
  row(f.name, f.backend ?? "-", f.samplesPerStep.toFixed(0), f.msPerStep.toFixed(3), f.samplesPerSecond.toPrecision(3), f.msPerSample.toPrecision(3), f.declaredMsPerSample.toPrecision(3));
