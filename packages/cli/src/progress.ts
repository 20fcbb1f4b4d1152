/**
 * The console of a long command: a progress bar on stderr when stderr is a terminal, and log lines
 * that go through it (the bar is cleared, the line printed, the bar redrawn), so no line is ever
 * written over the bar. Without a terminal there is no bar and log lines are plain lines.
 *
 * What the bar promises:
 * - its fraction is the largest of the fractions of the way to each stop condition (iterations
 *   out of maxIterations, time out of maxVirtualTime, the objective's way from its first value to
 *   the target), the same rule from the first update to the last, and it never goes back;
 * - its ETA is the soonest of each condition's own ETA, each from that condition's rate over the
 *   last stretch of the run (`etaWindowS`) or the later half of it, whichever is slower, measured
 *   from the first update, so start-up does not count: on a plateau the objective's rate falls to
 *   zero within half a window and the ETA is the iterations'; there
 *   is no ETA before `etaMinUpdates` updates over `etaMinS` seconds;
 * - before the first update it says what the run is doing;
 * - each figure appears once (the objective with its target), and the line fits the terminal:
 *   lower-priority fields go first, and the ETA is never cut.
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

/** The fraction of the way to each stop condition the run has, keyed by condition. */
export function stopFractions(stop: StopSpec, point: ProgressPoint, firstObjective: number | null): Map<"iterations" | "time" | "objective", number> {
  const fractions = new Map<"iterations" | "time" | "objective", number>();
  const clamp = (f: number): number => Math.min(1, Math.max(0, f));
  if (stop.maxIterations !== null && stop.maxIterations > 0) fractions.set("iterations", clamp(point.iteration / stop.maxIterations));
  if (stop.maxVirtualTimeS !== null && stop.maxVirtualTimeS > 0) fractions.set("time", clamp(point.timeS / stop.maxVirtualTimeS));
  if (stop.targetObjective !== null && point.objective !== null && firstObjective !== null && firstObjective !== stop.targetObjective && Number.isFinite(point.objective)) {
    // The share of the distance from the first evaluation to the target covered so far (either direction).
    fractions.set("objective", clamp((firstObjective - point.objective) / (firstObjective - stop.targetObjective)));
  }
  return fractions;
}

/** The fraction of the way to the nearest stop condition, and a label of it. */
export function stopProgress(stop: StopSpec, point: ProgressPoint, firstObjective: number | null, timeName: string, objectiveName: string): StopProgress {
  const fractions = stopFractions(stop, point, firstObjective);
  if (fractions.size === 0) return { fraction: 0, nearest: `iteration ${point.iteration}` };
  const [key, fraction] = [...fractions].reduce((a, b) => (b[1] > a[1] ? b : a));
  const text = key === "iterations" ? `iteration ${point.iteration}/${stop.maxIterations}` : key === "time" ? `${timeName} ${formatSeconds(point.timeS)}/${formatSeconds(stop.maxVirtualTimeS!)}` : `${objectiveName} ${formatObjective(point.objective!)} -> ${formatObjective(stop.targetObjective!)}`;
  return { fraction, nearest: text };
}

/** Seconds left at the rate so far, or null before there is a rate. */
export function etaS(fraction: number, elapsedS: number): number | null {
  if (!(fraction > 0.01) || !(elapsedS > 0.2)) return null;
  return Math.max(0, (elapsedS * (1 - fraction)) / fraction);
}

/** No ETA before this many updates... */
export const etaMinUpdates = 3;
/** ...spanning this many seconds since the first. */
export const etaMinS = 2;
/** Each condition's rate is measured over the last this-many seconds, or the last third of the run if longer. */
export const etaWindowS = 10;

/** What the bar shows after one update. */
export interface ProgressState {
  /** Largest fraction of any stop condition so far, in [0, 1]; never decreases. */
  readonly fraction: number;
  /** Seconds left (the soonest condition at its recent rate), or null while there is no rate. */
  readonly etaS: number | null;
  /** "iteration 120/300", or "iteration 120" without maxIterations. */
  readonly iteration: string;
  /** "virtual 5.20 s", or "virtual 5.20 s/1m 00s" with maxVirtualTime. */
  readonly time: string;
  /** "rmse 0.4100 -> 0.3000" (with the target), "rmse 0.4100", or null before an evaluation. */
  readonly objective: string | null;
}

/**
 * The progress of one run, from its updates and the wall seconds at which they came (`nowS`, on
 * any clock that only goes forward). Pure: the console feeds it `Date.now()`, tests feed it times.
 */
export class ProgressTracker {
  private first: number | null = null;
  private shown = 0;
  private updates = 0;
  private readonly samples: { readonly nowS: number; readonly fractions: Map<string, number> }[] = [];

  constructor(
    private readonly stop: StopSpec,
    private readonly timeName: string,
    private readonly objectiveName: string,
  ) {}

  update(point: ProgressPoint, nowS: number): ProgressState {
    if (this.first === null && point.objective !== null && Number.isFinite(point.objective)) this.first = point.objective;
    const fractions = stopFractions(this.stop, point, this.first);
    this.shown = Math.max(this.shown, ...fractions.values());
    this.samples.push({ nowS, fractions });
    this.updates++;
    const firstS = this.samples[0]!.nowS;
    const windowS = Math.max(etaWindowS, (nowS - firstS) / 3);
    while (this.samples.length > 2 && this.samples[1]!.nowS <= nowS - windowS) this.samples.shift();
    return { fraction: this.shown, etaS: this.eta(nowS, firstS), ...this.fields(point) };
  }

  /** The soonest condition's seconds left at its rate over the window. */
  private eta(nowS: number, firstS: number): number | null {
    if (this.updates < etaMinUpdates || nowS - firstS < etaMinS) return null;
    const oldest = this.samples[0]!;
    const latest = this.samples.at(-1)!;
    const spanS = latest.nowS - oldest.nowS;
    if (!(spanS > 0)) return null;
    // The later half of the window too: a condition that stalled lately (a plateau) has no rate,
    // even while the whole window still remembers its progress.
    const middle = this.samples.find((x) => x.nowS >= latest.nowS - spanS / 2 && x !== latest) ?? oldest;
    const rateOver = (from: (typeof this.samples)[number], key: string, fraction: number): number => (latest.nowS > from.nowS ? (fraction - (from.fractions.get(key) ?? 0)) / (latest.nowS - from.nowS) : 0);
    let soonest = Infinity;
    for (const [key, fraction] of latest.fractions) {
      if (fraction >= 1) return 0;
      const rate = Math.min(rateOver(oldest, key, fraction), rateOver(middle, key, fraction));
      if (rate > 0) soonest = Math.min(soonest, (1 - fraction) / rate);
    }
    return Number.isFinite(soonest) ? soonest : null;
  }

  private fields(point: ProgressPoint): Omit<ProgressState, "fraction" | "etaS"> {
    const { stop, timeName, objectiveName } = this;
    const objective = point.objective === null ? null : stop.targetObjective !== null ? `${objectiveName} ${formatObjective(point.objective)} -> ${formatObjective(stop.targetObjective)}` : `${objectiveName} ${formatObjective(point.objective)}`;
    return {
      iteration: stop.maxIterations !== null ? `iteration ${point.iteration}/${stop.maxIterations}` : `iteration ${point.iteration}`,
      time: `${timeName} ${formatSeconds(point.timeS)}${stop.maxVirtualTimeS !== null ? `/${formatSeconds(stop.maxVirtualTimeS)}` : ""}`,
      objective,
    };
  }
}

/** The fields of a progress line; `status` stands for the figures before the first update. */
export interface ProgressLine {
  readonly label: string;
  readonly fraction: number;
  readonly iteration: string | null;
  readonly time: string | null;
  readonly objective: string | null;
  readonly etaS: number | null;
  readonly status?: string;
}

const barFull = "\u2588";
const barEmpty = "\u2591";

/**
 * One line of the bar, at most `columns - 1` wide (a line as wide as the terminal wraps on some).
 * Fields go in this order while the line is too long: the label, the time, the bar's width (down to
 * 10), the iteration, the objective, the bar; the percentage and the ETA stay, and the status (before
 * the first update) is cut at the end.
 */
export function progressLine(line: ProgressLine, columns: number): string {
  const max = Math.max(20, columns - 1);
  const percent = `${Math.floor(Math.min(1, Math.max(0, line.fraction)) * 100)}%`;
  const eta = `ETA ${line.etaS === null ? "-" : formatSeconds(line.etaS)}`;
  const bar = (width: number): string => {
    const full = Math.round(Math.min(1, Math.max(0, line.fraction)) * width);
    return `[${barFull.repeat(full)}${barEmpty.repeat(width - full)}]`;
  };
  const build = (o: { label: boolean; time: boolean; barWidth: number; iteration: boolean; objective: boolean }): string => {
    const head = [o.label ? line.label : null, o.barWidth > 0 ? bar(o.barWidth) : null, percent].filter((p) => p !== null).join(" ");
    const status = line.status !== undefined ? [line.status] : [];
    const fields = [...status, o.iteration ? line.iteration : null, o.time ? line.time : null, o.objective ? line.objective : null, eta].filter((f): f is string => f !== null && f !== "");
    return [head, ...fields].join(" | ");
  };
  const steps = [
    { label: true, time: true, barWidth: 24, iteration: true, objective: true },
    { label: false, time: true, barWidth: 24, iteration: true, objective: true },
    { label: false, time: false, barWidth: 24, iteration: true, objective: true },
    { label: false, time: false, barWidth: 10, iteration: true, objective: true },
    { label: false, time: false, barWidth: 10, iteration: false, objective: true },
    { label: false, time: false, barWidth: 10, iteration: false, objective: false },
    { label: false, time: false, barWidth: 0, iteration: false, objective: false },
  ];
  for (const step of steps) {
    const text = build(step);
    if (text.length <= max) return text;
  }
  // Only the status is left to cut: keep the percentage and the ETA whole.
  const tail = ` | ${eta}`;
  const text = build(steps.at(-1)!);
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - tail.length - 1))}\u2026${tail}`;
}

export interface Console {
  /** A line for the user (stderr), through the bar when one is drawn. */
  log(line: string): void;
  /** Starts (or restarts) the bar for one run; `starting` says what it does before its first update. */
  start(label: string, stop: StopSpec, timeName: string, objectiveName: string, starting?: string): void;
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
  let tracker: ProgressTracker | null = null;
  let label = "";
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
    start(runLabel, stopSpec, timeName, objectiveName, starting) {
      clear();
      label = runLabel;
      tracker = new ProgressTracker(stopSpec, timeName, objectiveName);
      if (!interactive) return;
      const format = (_options: unknown, params: { progress: number }, payload: { line?: ProgressLine }): string => progressLine({ ...(payload.line ?? { label, iteration: null, time: null, objective: null, etaS: null }), fraction: params.progress }, process.stderr.columns ?? 80);
      multi = new cliProgress.MultiBar({ stream: process.stderr, format: format as never, hideCursor: true, clearOnComplete: true, stopOnComplete: false, fps: 10, linewrap: false }, cliProgress.Presets.shades_classic);
      const status = starting ?? `starting: running to the first evaluation${stopSpec.evalEvery > 0 ? ` (iteration ${stopSpec.evalEvery})` : ""}`;
      bar = multi.create(1000, 0, { line: { label, fraction: 0, iteration: null, time: null, objective: null, etaS: null, status } });
      draw(true);
    },
    update(point) {
      if (tracker === null) return;
      const state = tracker.update(point, Date.now() / 1000);
      if (!bar) return;
      bar.update(Math.round(state.fraction * 1000), { line: { label, ...state } });
      draw(false);
    },
    stop() {
      clear();
      tracker = null;
    },
  };
}

