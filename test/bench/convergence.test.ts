// Proves the convergence rule of bench:paper: LAN has converged at the first evaluation where its
// objective improved by less than 0.5% over the last 20% of its iterations, once it has made 5%
// progress (a plateau before training takes off is not convergence); the looser targets sit 90%
// and 99% of the way there.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { MetricsPoint } from "@gaia/sim";
import { convergenceOf, progressTarget } from "../../bench/lib/runs.js";

const point = (iteration: number, objective: number): MetricsPoint => ({ virtualTimeS: iteration / 10, iteration, objective, metrics: {}, wanBytes: 0, costUsd: 0, blockedS: { ssp: 0, mirrorClock: 0, barrier: 0 } });
/** Evaluations every 5 iterations of f(iteration). */
const series = (f: (it: number) => number, last = 400): MetricsPoint[] => Array.from({ length: last / 5 }, (_, k) => point(5 * (k + 1), f(5 * (k + 1))));

describe("bench:paper convergence targets", () => {
  test("an exponential decay converges where the last 20% improved by less than 0.5%", () => {
    const s = series((it) => 0.2 + Math.exp(-it / 40));
    const c = convergenceOf(s, "minimize");
    assert.equal(c.converged, true);
    const earlier = s.filter((p) => p.iteration <= 0.8 * c.iteration).pop()!;
    assert.ok((earlier.objective - c.objective) / c.objective < 0.005, "the rule holds at the reported point");
    const before = s[s.findIndex((p) => p.iteration === c.iteration) - 1]!;
    const earlierBefore = s.filter((p) => p.iteration <= 0.8 * before.iteration).pop()!;
    assert.ok((earlierBefore.objective - before.objective) / before.objective >= 0.005, "and not one evaluation earlier");
  });

  test("a plateau before training takes off is not convergence; a maximized objective works the same way", () => {
    const plateauThenDrop = (it: number): number => (it < 100 ? 1.0 - it * 1e-5 : 0.3 + 0.7 * Math.exp(-(it - 100) / 30));
    const c = convergenceOf(series(plateauThenDrop), "minimize");
    assert.ok(c.iteration > 100, `converged at ${c.iteration}, inside the plateau`);
    const m = convergenceOf(series((it) => -(3 + 5 * Math.exp(-it / 40))), "maximize");
    assert.equal(m.converged, true);
    assert.ok(m.objective > -3.1);
  });

  test("a run that keeps improving is reported at its last evaluation, not converged; looser targets lie between start and target", () => {
    const c = convergenceOf(series((it) => 1 / Math.sqrt(it)), "minimize");
    assert.equal(c.converged, false);
    assert.equal(c.iteration, 400);
    const p90 = progressTarget(c, 0.9);
    assert.ok(p90 > c.objective && p90 < c.start);
    assert.ok(Math.abs(progressTarget(c, 1) - c.objective) < 1e-12);
  });
});
