// Proves that a running node's GET /metrics is Prometheus text a Prometheus parser reads: HELP and
// TYPE on every family, durations in seconds, the process metrics, Gaia's own metrics (blocked time
// by reason, significant entries sent, WAN bytes by link, step and read-wait histograms) with real
// values from a real run, every declared series present from the first scrape, label values escaped,
// and 404 on any other path.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import parsePrometheusTextFormat, { type Family } from "parse-prometheus-text-format";
import { Metrics, launchCluster, loadCluster, resolveAddresses, type Launch } from "@gaia/net";
import { sleep, whenIteration, writeCluster } from "./support.js";

const scrape = async (port: number, path = "/metrics"): Promise<{ status: number; text: string; type: string | null }> => {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, text: await response.text(), type: response.headers.get("content-type") };
};

const family = (families: readonly Family[], name: string): Family => {
  const found = families.find((f) => f.name === name);
  assert.ok(found, `${name} is exported`);
  return found;
};

const value = (f: Family, labels: Record<string, string> = {}): number => {
  const sample = f.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  assert.ok(sample, `${f.name}${JSON.stringify(labels)} is present`);
  return Number(sample.value ?? sample.count);
};

describe("metrics, unit", () => {
  test("label values are escaped, not mangled; every family has HELP and TYPE", async () => {
    const metrics = new Metrics("dc/a", { processMetrics: false });
    const weird = 'a "quoted"\\back\nslash';
    metrics.count("remote_errors_total", 2, { code: weird });
    metrics.count("made_up_total", 1, {}, "a counter the catalog does not know");
    const families = parsePrometheusTextFormat(await metrics.prometheus());
    assert.equal(value(family(families, "gaia_remote_errors_total"), { code: weird }), 2);
    assert.equal(family(families, "gaia_made_up_total").help, "a counter the catalog does not know");
    for (const f of families) assert.ok(f.help.length > 0 && f.type, `${f.name} has HELP and TYPE`);
  });
});

describe("GET /metrics of a running node", () => {
  test("is Prometheus text with Gaia's metrics, in seconds, present from the start; other paths 404", { timeout: 120_000 }, async () => {
    const file = writeCluster({ name: "metrics2", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 400, evalEvery: 5 });
    const cluster = loadCluster(file);
    const progress = { iteration: 0 };
    let first: Promise<{ status: number; text: string; type: string | null }> | null = null;
    let ports = new Map<string, number>();
    const launch: Launch = await launchCluster(cluster, {
      onProgress: (p) => (progress.iteration = p.iteration),
      onNodeReady: (node) => {
        // The first scrape, as soon as the first shard listens: before it has done anything.
        if (first === null && node === "virginia/s0") first = scrape(ports.get(node)!);
      },
    });
    ports = new Map([...resolveAddresses(cluster, launch.plan.layout.nodes)].map(([id, a]) => [id, a.port]));
    try {
      await whenIteration(launch, progress, 30);
      const shard = await scrape(ports.get("virginia/s0")!);
      const worker = await scrape(ports.get("virginia/w0")!);
      const other = await scrape(ports.get("virginia/s0")!, "/nope");
      const early = await (first as Promise<{ status: number; text: string }> | null);

      assert.equal(shard.status, 200);
      assert.match(shard.type ?? "", /^text\/plain; version=0\.0\.4/);
      const families = parsePrometheusTextFormat(shard.text);
      for (const f of families) assert.ok(f.help.length > 0 && f.type, `${f.name} has HELP and TYPE`);
      for (const f of families) assert.ok(!/_ms(_|$)/.test(f.name), `${f.name}: seconds, not milliseconds`);
      // The default process metrics.
      for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_seconds", "nodejs_heap_size_used_bytes"]) family(families, name);
      // Gaia's own, with values from the run.
      assert.ok(value(family(families, "gaia_filter_sent_entries_total")) > 0, "significant entries went to the mirror");
      assert.ok(value(family(families, "gaia_filter_accumulated_entries_total")) >= value(family(families, "gaia_filter_sent_entries_total")));
      assert.ok(value(family(families, "gaia_wan_bytes_sent_total"), { link: "virginia->california" }) > 0, "bytes on the WAN link");
      for (const reason of ["ssp", "mirror-clock", "barrier"]) value(family(families, "gaia_read_blocked_seconds_total"), { reason });
      family(families, "gaia_filter_held_back_entries_total");
      for (const f of families) assert.ok(!f.name.startsWith("gaia_gaia_"), `${f.name}: one prefix`);
      const readWait = family(families, "gaia_read_wait_seconds");
      assert.equal(readWait.type, "HISTOGRAM");
      // This parser folds a labelled histogram into one sample of buckets (of its last series, reason
      // "none": reads that did not wait), so the check is on that series' +Inf bucket.
      assert.ok(Number(readWait.metrics[0]?.buckets?.["+Inf"]) > 0, `reads were observed: ${JSON.stringify(readWait.metrics)}`);
      assert.match(shard.text, /^gaia_read_wait_seconds_count\{node="virginia\/s0",reason="barrier"\} \d+$/m, "a series per reason");
      assert.ok(value(family(families, "gaia_local_clock")) >= 1);
      // The launcher tells the evaluated replica's shards each objective it takes: a dashboard follows it.
      const objective = family(families, "gaia_objective");
      assert.equal(objective.type, "GAUGE");
      assert.ok(Number.isFinite(value(objective, { data_center: "virginia" })) && value(objective, { data_center: "virginia" }) > 0, "the objective of a recent evaluation");
      assert.ok(value(family(families, "gaia_objective_iteration")) >= 5, "taken at an evaluation, after the start");
      for (const f of families.filter((x) => x.name.startsWith("gaia_") && x.type !== "HISTOGRAM")) for (const m of f.metrics) assert.equal(m.labels?.["node"], "virginia/s0", `${f.name} names its node`);

      const workerFamilies = parsePrometheusTextFormat(worker.text);
      const steps = family(workerFamilies, "gaia_step_seconds");
      assert.equal(steps.type, "HISTOGRAM");
      assert.ok(Number(steps.metrics[0]?.buckets?.["+Inf"]) >= 30, `steps observed: ${JSON.stringify(steps.metrics)}`);
      assert.ok(value(family(workerFamilies, "gaia_compute_seconds_total")) > 0);

      // Before any traffic, the series the node will have are there already, at 0 or more.
      assert.ok(early, "scraped at the first shard's start");
      const earlyFamilies = parsePrometheusTextFormat(early.text);
      for (const reason of ["ssp", "mirror-clock", "barrier"]) for (const name of ["gaia_read_blocked_seconds_total", "gaia_reads_blocked_total"]) value(family(earlyFamilies, name), { reason });
      for (const peer of ["virginia/w0", "california/s0"]) value(family(earlyFamilies, "gaia_bytes_sent_total"), { peer });
      value(family(earlyFamilies, "gaia_wan_bytes_sent_total"), { link: "virginia->california" });
      for (const channel of ["data", "control"]) value(family(earlyFamilies, "gaia_messages_received_total"), { channel });

      assert.equal(other.status, 404);
      assert.match(other.text, /serves \/metrics/);
    } finally {
      launch.abort("test done");
      await launch.result.catch(() => undefined);
      await sleep(100);
    }
  });
});
