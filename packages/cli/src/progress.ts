/**
 * The console of a long command: a progress bar on stderr when stderr is a terminal, and log lines
 * that go through it (the bar is cleared, the line printed, the bar redrawn), so no line is ever
 * written over the bar. Without a terminal there is no bar and log lines are plain lines.
 *
 * Progress is measured towards whichever stop condition is nearest: iterations out of
 * maxIterations, time out of maxVirtualTime, or the objective's way from its first value to the
 * target. The bar shows that condition with its target, and an ETA from the rate so far.
 */
import cliProgress from "cli-progress";
import type { StopSpec } from "@gaia/sim";
import { formatObjective, formatSeconds } from "@gaia/sim";

export interface ProgressPoint {
  readonly timeS: number;
  readonly iteration: number;
  readonly objective: number | null;
}

/** How far a run is towards each stop condition, and which is nearest (fractions in [0, 1]). */
export interface StopProgress {
  readonly fraction: number;
  /** The nearest condition, e.g. "iteration 120/300", "rmse 0.41 -> 0.3". */
  readonly nearest: string;
}

/** The fraction of the way to the nearest stop condition, and a label of it. */
export function stopProgress(stop: StopSpec, point: ProgressPoint, firstObjective: number | null, timeName: string, objectiveName: string): StopProgress {
  const candidates: { fraction: number; text: string }[] = [];
  if (stop.maxIterations !== null) candidates.push({ fraction: point.iteration / stop.maxIterations, text: `iteration ${point.iteration}/${stop.maxIterations}` });
  if (stop.maxVirtualTimeS !== null) candidates.push({ fraction: point.timeS / stop.maxVirtualTimeS, text: `${timeName} ${formatSeconds(point.timeS)}/${formatSeconds(stop.maxVirtualTimeS)}` });
  if (stop.targetObjective !== null && point.objective !== null && firstObjective !== null && firstObjective !== stop.targetObjective) {
    // The share of the distance from the first evaluation to the target covered so far (either direction).
    const fraction = (firstObjective - point.objective) / (firstObjective - stop.targetObjective);
    candidates.push({ fraction, text: `${objectiveName} ${formatObjective(point.objective)} -> ${formatObjective(stop.targetObjective)}` });
  }
  if (candidates.length === 0) return { fraction: 0, nearest: `iteration ${point.iteration}` };
  const best = candidates.reduce((a, b) => (b.fraction > a.fraction ? b : a));
  return { fraction: Math.min(1, Math.max(0, best.fraction)), nearest: best.text };
}

/** Seconds left at the rate so far, or null before there is a rate. */
export function etaS(fraction: number, elapsedS: number): number | null {
  if (!(fraction > 0.01) || !(elapsedS > 0.2)) return null;
  return Math.max(0, (elapsedS * (1 - fraction)) / fraction);
}

export interface Console {
  /** A line for the user (stderr), through the bar when one is drawn. */
  log(line: string): void;
  /** Starts (or restarts) the bar for one run. */
  start(label: string, stop: StopSpec, timeName: string, objectiveName: string): void;
  update(point: ProgressPoint): void;
  /** Clears the bar; later lines are plain. */
  stop(): void;
  readonly interactive: boolean;
}

/** A console on stderr; `bar` false (or stderr not a terminal) draws no bar. */
export function createConsole(options: { readonly bar: boolean; readonly quiet?: boolean }): Console {
  const interactive = options.bar && process.stderr.isTTY === true && process.env["TERM"] !== "dumb";
  const quiet = options.quiet ?? false;
  let multi: cliProgress.MultiBar | null = null;
  let bar: cliProgress.SingleBar | null = null;
  let stop: StopSpec | null = null;
  let names = { time: "time", objective: "objective" };
  let first: number | null = null;
  let startedMs = 0;
  let drawnMs = 0;
  // cli-progress redraws on a timer, which a long synchronous stretch of the simulator starves:
  // draw now (at most ten times a second), and at once after a log line.
  const draw = (force: boolean): void => {
    if (!multi || (!force && Date.now() - drawnMs < 100)) return;
    drawnMs = Date.now();
    multi.update();
  };
  const clear = (): void => {
    multi?.stop();
    multi = null;
    bar = null;
  };
  return {
    interactive,
    log(line) {
      if (quiet) return;
      if (multi) {
        multi.log(`${line}\n`);
        draw(true);
      } else process.stderr.write(`${line}\n`);
    },
    start(label, stopSpec, timeName, objectiveName) {
      clear();
      stop = stopSpec;
      names = { time: timeName, objective: objectiveName };
      first = null;
      startedMs = Date.now();
      if (!interactive) return;
      multi = new cliProgress.MultiBar(
        { stream: process.stderr, format: `${label} [{bar}] {percentage}% | {nearest} | {time} | {objective} | ETA {remaining}`, hideCursor: true, clearOnComplete: true, stopOnComplete: false, barsize: 24, fps: 10, autopadding: true, linewrap: false },
        cliProgress.Presets.shades_classic,
      );
      bar = multi.create(1000, 0, { nearest: "starting", time: `${timeName} 0 s`, objective: "-", remaining: "-" });
      draw(true);
    },
    update(point) {
      if (stop === null) return;
      if (first === null && point.objective !== null) first = point.objective;
      if (!bar) return;
      const { fraction, nearest } = stopProgress(stop, point, first, names.time, names.objective);
      const eta = etaS(fraction, (Date.now() - startedMs) / 1000);
      bar.update(Math.round(fraction * 1000), {
        nearest,
        time: `${names.time} ${formatSeconds(point.timeS)}`,
        objective: point.objective === null ? `${names.objective} -` : `${names.objective} ${formatObjective(point.objective)}`,
        remaining: eta === null ? "-" : formatSeconds(eta),
      });
      draw(false);
    },
    stop() {
      clear();
      stop = null;
    },
  };
}
