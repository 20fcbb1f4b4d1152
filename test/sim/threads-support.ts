// Shared by threads.test.ts and threads-workloads.test.ts: a bundled scenario cut to a few
// iterations, and the check that 1, 2 and 4 compute threads give the same run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadScenario, runSimulation, type Scenario, type SyncModel } from "@gaia/sim";

const scenariosDir = join(dirname(fileURLToPath(import.meta.url)), "../../scenarios");

export function scenario(file: string, iterations: number, sync?: SyncModel): Scenario {
  return loadScenario(join(scenariosDir, file), { set: [{ path: ["stop", "maxIterations"], value: iterations }], ...(sync !== undefined ? { sync } : {}) });
}

export interface ThreadCase {
  readonly file: string;
  readonly iterations: number;
  readonly sync?: SyncModel;
}

/** One test: the case at 1 (in-process), 2 and 4 threads, the same trace hash, objective, WAN bytes and events. */
export function sameAtEveryThreadCount(c: ThreadCase): void {
  test(`${c.file}${c.sync !== undefined ? ` under ${c.sync}` : ""}, ${c.iterations} iterations: the same trace hash at 1, 2 and 4 threads`, async () => {
    const runs = [];
    for (const threads of [1, 2, 4]) {
      const r = await runSimulation(scenario(c.file, c.iterations, c.sync), { threads, recordTrace: false });
      assert.deepEqual({ ...r.threads, computeWallS: 0 }, { requested: threads, used: threads, note: null, computeWallS: 0 });
      for (const [check, verdict] of Object.entries(r.summary.checks)) assert.equal(verdict, null, `${threads} threads: ${check}: ${verdict}`);
      runs.push({ threads, hash: r.summary.traceHash, objective: r.summary.objective, wanBytes: r.summary.wanBytes, iterations: r.summary.iterations, events: r.summary.events });
    }
    const [one, ...more] = runs;
    assert.ok(one!.hash.length > 0 && one!.iterations > 0);
    for (const r of more) assert.deepEqual({ ...r, threads: one!.threads }, one, `${r.threads} threads against 1`);
  });
}
