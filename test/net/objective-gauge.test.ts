// Proves that a node exports the objective it is told at each evaluation as the gauge
// gaia_objective (with its data center, and the iteration beside it) on GET /metrics, read by a
// Prometheus parser; that it is absent before the first evaluation rather than a made-up 0; that a
// later evaluation replaces it; and that a malformed command is counted and leaves it alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import parsePrometheusTextFormat, { type Family } from "parse-prometheus-text-format";
import { until, writeCluster } from "./support.js";

const entry = fileURLToPath(new URL("../../packages/net/src/bin/node.ts", import.meta.url));

const scrape = async (port: number): Promise<Family[]> => parsePrometheusTextFormat(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
const sample = (families: readonly Family[], name: string): { value: number; labels: Record<string, string> } | null => {
  const found = families.find((f) => f.name === name)?.metrics[0];
  return found === undefined ? null : { value: Number(found.value), labels: found.labels ?? {} };
};

test("a shard exports the objective it is told as gaia_objective, with its data center and iteration", { timeout: 60_000 }, async () => {
  const file = writeCluster({ name: "objective-gauge", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 50 });
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", entry, "--cluster", file, "--node", "virginia/s0"], { stdio: ["pipe", "pipe", "pipe"] });
  const stderr: string[] = [];
  child.stderr.on("data", (d: Buffer) => stderr.push(d.toString()));
  let port = 0;
  createInterface({ input: child.stdout }).on("line", (line) => {
    try {
      const report = JSON.parse(line) as { ev?: string; port?: number };
      if (report.ev === "ready" && typeof report.port === "number") port = report.port;
    } catch {
      // not a report
    }
  });
  try {
    await until(`the shard is ready (${stderr.join("")})`, () => port > 0, 30_000);
    assert.equal(sample(await scrape(port), "gaia_objective"), null, "no objective before the first evaluation");

    child.stdin.write("objective 10 0.4321\n");
    let families: Family[] = [];
    const poll = async (check: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !check(); i++) {
        families = await scrape(port);
        if (check()) return;
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    await poll(() => sample(families, "gaia_objective")?.value === 0.4321);
    const objective = sample(families, "gaia_objective");
    assert.deepEqual(objective, { value: 0.4321, labels: { data_center: "virginia", node: "virginia/s0" } });
    assert.equal(families.find((f) => f.name === "gaia_objective")!.type, "GAUGE");
    assert.equal(sample(families, "gaia_objective_iteration")?.value, 10);

    child.stdin.write("objective 20 0.3\n");
    await poll(() => sample(families, "gaia_objective")?.value === 0.3);
    assert.equal(sample(families, "gaia_objective")?.value, 0.3, "a later evaluation replaces it");
    assert.equal(sample(families, "gaia_objective_iteration")?.value, 20);

    child.stdin.write("objective x y\n");
    await poll(() => families.find((f) => f.name === "gaia_remote_errors_total")?.metrics.some((m) => m.labels?.["code"] === "bad-objective") ?? false);
    assert.ok(families.find((f) => f.name === "gaia_remote_errors_total")?.metrics.some((m) => m.labels?.["code"] === "bad-objective" && Number(m.value) === 1), "the malformed command is counted");
    assert.equal(sample(families, "gaia_objective")?.value, 0.3, "and leaves the objective alone");
  } finally {
    child.kill("SIGKILL");
  }
});
