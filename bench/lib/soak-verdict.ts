/**
 * The soak's verdicts, apart from the processes: from a launch's trace, whether every worker's
 * update reached every shard of its data center exactly once in the state the run ended with, and
 * whether the run met the issue's bars against its undisturbed reference.
 *
 * Updates. A shard applies a worker's pushes in clock order (`push-applied`, one per clock). A
 * shard killed and restored from its checkpoint loses what it applied after that checkpoint; the
 * worker resends it, so after a shard's `restart` event the next push of a worker may go back to
 * an earlier clock (a rollback), never forward. So, per (shard, worker), in trace order: a push at
 * the next clock is applied; one past it is a lost update (a gap); one before it is a doubled
 * update unless the shard restarted since it last saw that worker (then it is the resend).
 */
export interface PushApplied {
  readonly type: "push-applied";
  readonly shard: string;
  readonly worker: string;
  readonly clock: number;
}
export type SoakTraceEvent = PushApplied | { readonly type: "restart"; readonly node: string } | { readonly type: string };

export interface UpdateVerdict {
  /** Null when every update was applied once; else what went wrong, first problems named. */
  readonly verdict: string | null;
  readonly applied: number;
  readonly resent: number;
  readonly lost: number;
  readonly doubled: number;
}

export function checkUpdates(trace: readonly SoakTraceEvent[]): UpdateVerdict {
  const next = new Map<string, number>();
  const restartedSince = new Map<string, Set<string>>();
  const problems: string[] = [];
  let applied = 0;
  let resent = 0;
  let lost = 0;
  let doubled = 0;
  for (const e of trace) {
    if (e.type === "restart" && "node" in e) {
      restartedSince.set(e.node, new Set());
      continue;
    }
    if (e.type !== "push-applied" || !("shard" in e)) continue;
    const key = `${e.shard}<-${e.worker}`;
    const expected = next.get(key) ?? 0;
    applied++;
    if (e.clock === expected) {
      next.set(key, expected + 1);
      continue;
    }
    if (e.clock > expected) {
      lost += e.clock - expected;
      if (problems.length < 3) problems.push(`${e.shard} applied clock ${e.clock} of ${e.worker} after ${expected - 1}: clocks ${expected}..${e.clock - 1} lost`);
      next.set(key, e.clock + 1);
      continue;
    }
    const restarted = restartedSince.get(e.shard);
    if (restarted !== undefined && !restarted.has(e.worker)) {
      // The shard came back from an older checkpoint: the worker resends from there.
      restarted.add(e.worker);
      resent += expected - e.clock;
      next.set(key, e.clock + 1);
      continue;
    }
    doubled++;
    if (problems.length < 3) problems.push(`${e.shard} applied clock ${e.clock} of ${e.worker} again (next expected ${expected}) without a restart`);
  }
  const verdict = problems.length === 0 ? null : `${lost} update(s) lost, ${doubled} doubled: ${problems.join("; ")}`;
  return { verdict, applied, resent, lost, doubled };
}

export interface RunFigures {
  readonly iterations: number;
  readonly trainingTimeS: number;
  readonly finalObjective: number;
}

export interface SoakBars {
  readonly minThroughputRatio: number;
  readonly maxObjectiveGap: number;
}

export const issueBars: SoakBars = { minThroughputRatio: 0.9, maxObjectiveGap: 0.01 };

export interface SoakVerdict {
  readonly throughputRatio: number;
  readonly objectiveGap: number;
  readonly failures: string[];
  readonly passed: boolean;
}

/** The soak against its reference: throughput (iterations per training second) and final objective, plus the checkers' verdicts. */
export function judgeSoak(soak: RunFigures, reference: RunFigures, checks: Readonly<Record<string, string | null>>, bars: SoakBars = issueBars): SoakVerdict {
  const rate = (r: RunFigures): number => (r.trainingTimeS > 0 ? r.iterations / r.trainingTimeS : 0);
  const throughputRatio = rate(reference) > 0 ? rate(soak) / rate(reference) : 0;
  const objectiveGap = Math.abs(soak.finalObjective - reference.finalObjective) / Math.max(Math.abs(reference.finalObjective), 1e-12);
  const failures: string[] = [];
  if (!(throughputRatio >= bars.minThroughputRatio)) failures.push(`throughput ${(throughputRatio * 100).toFixed(1)}% of the undisturbed run's (at least ${bars.minThroughputRatio * 100}%)`);
  if (!(objectiveGap <= bars.maxObjectiveGap)) failures.push(`final objective ${soak.finalObjective} is ${(objectiveGap * 100).toFixed(2)}% from the undisturbed ${reference.finalObjective} (at most ${bars.maxObjectiveGap * 100}%)`);
  for (const [name, verdict] of Object.entries(checks)) if (verdict !== null) failures.push(`${name}: ${verdict}`);
  return { throughputRatio, objectiveGap, failures, passed: failures.length === 0 };
}
