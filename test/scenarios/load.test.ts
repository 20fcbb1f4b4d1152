// Proves that scenario files are read into fully defaulted Scenarios, and that every kind of bad
// input is rejected with a message that names the file, the line:column and the path in the document.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ScenarioError, acceleratorFactor, loadScenario, parseDuration, parseScenarioText, type Scenario } from "@gaia/sim";

const pair = (extra = "", topology = "  preset: virginia-california\n"): string => `topology:\n${topology}workload:\n  kind: mf\n${extra}`;

function rejects(text: string, expected: { path: string; line: number; column?: number; includes: string | RegExp }, file = "case.yaml"): ScenarioError {
  let caught: unknown;
  try {
    parseScenarioText(text, file);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ScenarioError, `expected a ScenarioError, got ${String(caught)}`);
  const issue = caught.issues.find((i) => i.path === expected.path);
  assert.ok(issue, `no issue at ${expected.path}: ${caught.message}`);
  assert.equal(issue.line, expected.line, caught.message);
  if (expected.column !== undefined) assert.equal(issue.column, expected.column, caught.message);
  if (typeof expected.includes === "string") assert.ok(issue.message.includes(expected.includes), caught.message);
  else assert.match(issue.message, expected.includes);
  const prefix = expected.path === "" ? `${file}:${expected.line}:` : `${file}:${expected.line}:`;
  assert.ok(caught.message.includes(prefix), `message names file and line: ${caught.message}`);
  if (expected.path !== "") assert.ok(caught.message.includes(`: ${expected.path}: `), `message names the path: ${caught.message}`);
  assert.ok(!/\n\s+at /.test(caught.message), "no stack trace in the message");
  return caught;
}

describe("durations", () => {
  test("numbers are seconds; strings take ms, s, m, h, d and compounds", () => {
    assert.equal(parseDuration(90), 90);
    assert.equal(parseDuration("90s"), 90);
    assert.equal(parseDuration("5m"), 300);
    assert.equal(parseDuration("2h"), 7200);
    assert.equal(parseDuration("500ms"), 0.5);
    assert.equal(parseDuration("1h30m"), 5400);
    assert.equal(parseDuration("1.5m"), 90);
    assert.throws(() => parseDuration("10x"), RangeError);
    assert.throws(() => parseDuration("s"), RangeError);
    assert.throws(() => parseDuration(-1), RangeError);
  });
});

describe("loadScenario: defaults", () => {
  test("a minimal file gets every default filled in", () => {
    const s = parseScenarioText(pair(), "dir/minimal.yaml");
    assert.equal(s.name, "minimal");
    assert.equal(s.description, "");
    assert.equal(s.seed, 1);
    assert.equal(s.topology.workersPerDataCenter, 2);
    assert.equal(s.topology.shardsPerDataCenter, 2);
    assert.deepEqual(s.sync, { model: "asp", staleness: 0, threshold: 0.01, thresholdSchedule: { kind: "constant" }, budgetLinkFraction: 0.5, thresholdCeiling: 0.1, encoding: "f32", barrierClockFraction: 1, mirrorClockBound: 1, selectiveBarrier: "auto", hubGroups: [] });
    assert.deepEqual(s.compute, { msPerSample: null, regime: { name: "cpu", factor: 1 }, speeds: {}, stragglers: null, jitter: 0 });
    assert.deepEqual(s.faults, []);
    assert.equal(s.randomFaults, null);
    assert.deepEqual(s.stop, { maxIterations: 1000, maxVirtualTimeS: 7200, targetObjective: null, evalEvery: 1, defaultCap: true }, "without a limit, the default cap");
    assert.equal(s.workload.kind, "mf");
    assert.equal(typeof s.workload["rank"], "number", "the workload's own defaults are filled in");
  });

  test("maxIterations alone sets no virtual-time limit; durations in stop are parsed", () => {
    assert.equal(parseScenarioText(pair("stop: { maxIterations: 10 }\n"), "a.yaml").stop.maxVirtualTimeS, null);
    const s = parseScenarioText(pair("stop: { maxVirtualTime: 1h30m, target: { objective: 0.9 }, evalEvery: 5 }\n"), "a.yaml");
    assert.deepEqual(s.stop, { maxIterations: null, maxVirtualTimeS: 5400, targetObjective: 0.9, evalEvery: 5 });
  });

  test("SSP inside a data center: staleness defaults to 2 and implies withinDataCenter ssp", () => {
    assert.equal(parseScenarioText(pair("sync: { withinDataCenter: ssp }\n"), "a.yaml").sync.staleness, 2);
    assert.equal(parseScenarioText(pair("sync: { staleness: 3 }\n"), "a.yaml").sync.staleness, 3);
    assert.equal(parseScenarioText(pair("sync: { model: ssp }\n"), "a.yaml").sync.staleness, 2);
    assert.equal(parseScenarioText(pair("sync: { model: bsp, staleness: 3 }\n"), "a.yaml").sync.staleness, 0);
    rejects(pair("sync: { withinDataCenter: bsp, staleness: 3 }\n"), { path: "sync.staleness", line: 5, includes: "withinDataCenter: ssp" });
  });

  test("selectiveBarrier accepts true/false; schedules accept step objects and learning-rate", () => {
    assert.equal(parseScenarioText(pair("sync: { selectiveBarrier: false }\n"), "a.yaml").sync.selectiveBarrier, "off");
    assert.equal(parseScenarioText(pair("sync: { selectiveBarrier: true }\n"), "a.yaml").sync.selectiveBarrier, "auto");
    const step = parseScenarioText(pair("sync: { significance: { threshold: 0.05, schedule: { kind: step, every: 10, factor: 0.5 } } }\n"), "a.yaml").sync;
    assert.equal(step.threshold, 0.05);
    assert.deepEqual(step.thresholdSchedule, { kind: "step", every: 10, factor: 0.5 });
    assert.equal(parseScenarioText(pair("sync: { significance: { schedule: learning-rate } }\n"), "a.yaml").sync.thresholdSchedule, "learning-rate");
  });

  test("faults are normalized to seconds and sorted by start time, keeping file order on ties", () => {
    const s = parseScenarioText(
      pair(`faults:
  - { at: 2m, crash: virginia/s1, restartAfter: 30s }
  - { at: 60, partition: [virginia, california], for: 500ms, oneWay: true }
  - { at: 1m, isolate: california, for: 10s }
  - { at: 10s, bandwidth: { link: all, factor: 0.5 }, for: 1m }
  - { at: 10s, slow: california/w0, factor: 3 }
  - { at: 5s, lossy: { link: [california, virginia], loss: 0.1 }, for: 20s }
`),
      "a.yaml",
    );
    assert.deepEqual(s.faults, [
      { kind: "lossy", atS: 5, forS: 20, link: ["california", "virginia"], loss: 0.1, duplicate: 0, reorder: 0 },
      { kind: "bandwidth", atS: 10, forS: 60, link: "all", factor: 0.5 },
      { kind: "slow", atS: 10, forS: null, node: "california/w0", factor: 3 },
      { kind: "partition", atS: 60, forS: 0.5, between: ["virginia", "california"], oneWay: true },
      { kind: "isolate", atS: 60, forS: 10, dataCenter: "california" },
      { kind: "crash", atS: 120, node: "virginia/s1", restartAfterS: 30 },
    ]);
  });

  test("random faults and the compute model", () => {
    const s = parseScenarioText(
      pair(`compute: { msPerSample: 0.02, speeds: { virginia: 2, california/w1: 0.5 }, stragglers: { probability: 0.1, slowdown: 4 }, jitter: 0.2 }
randomFaults: { until: 10m, partitionsPerHour: 3, loss: 0.01 }
`),
      "a.yaml",
    );
    assert.deepEqual(s.compute, { msPerSample: 0.02, regime: { name: "cpu", factor: 1 }, speeds: { virginia: 2, "california/w1": 0.5 }, stragglers: { probability: 0.1, slowdown: 4 }, jitter: 0.2 });
    assert.deepEqual(s.randomFaults, { untilS: 600, partitionsPerHour: 3, crashesPerHour: 0, loss: 0.01, duplicate: 0, reorder: 0 });
  });

  test("compute.regime: cpu is 1x, accelerator its stated factor, a number its own; anything else is rejected", () => {
    assert.deepEqual(parseScenarioText(pair("compute: { regime: cpu }\n"), "a.yaml").compute.regime, { name: "cpu", factor: 1 });
    assert.deepEqual(parseScenarioText(pair("compute: { regime: accelerator }\n"), "a.yaml").compute.regime, { name: "accelerator", factor: acceleratorFactor });
    assert.ok(acceleratorFactor > 0 && acceleratorFactor < 1, "an accelerator is faster than the calibrated CPU kernels");
    assert.deepEqual(parseScenarioText(pair("compute: { regime: 250 }\n"), "a.yaml").compute.regime, { name: "custom", factor: 250 });
    rejects(pair("compute:\n  regime: tpu\n"), { path: "compute.regime", line: 6, includes: "" });
    rejects(pair("compute:\n  regime: 0\n"), { path: "compute.regime", line: 6, includes: "" });
  });
});

describe("loadScenario: topology", () => {
  test("explicit data centers and links: both directions, one-way latency = rtt / 2, scales applied", () => {
    const s = parseScenarioText(
      `topology:
  dataCenters: [east, west, south]
  bandwidthScale: 0.5
  egressUsdPerGb: 0.05
  links:
    - { link: [east, west], bandwidthMbps: 100, rttMs: 40 }
    - { link: [east, south], bandwidthMbps: 50, latencyMs: 30, bandwidthScale: 2 }
    - { link: [west, south], bandwidthMbps: 10, rttMs: 100, oneWay: true }
    - { link: [south, west], bandwidthMbps: 20, rttMs: 120, oneWay: true }
workload: { kind: mf }
`,
      "explicit.yaml",
    );
    const t = s.topology;
    assert.equal(t.preset, null);
    assert.deepEqual(t.dataCenters, ["east", "west", "south"]);
    const link = (a: string, b: string) => t.links.find((l) => l.source === a && l.target === b);
    assert.deepEqual(link("east", "west"), { source: "east", target: "west", bandwidthMbps: 50, latencyMs: 20 });
    assert.deepEqual(link("west", "east"), { source: "west", target: "east", bandwidthMbps: 50, latencyMs: 20 });
    assert.deepEqual(link("south", "east"), { source: "south", target: "east", bandwidthMbps: 50, latencyMs: 30 });
    assert.deepEqual(link("west", "south"), { source: "west", target: "south", bandwidthMbps: 5, latencyMs: 50 });
    assert.deepEqual(link("south", "west"), { source: "south", target: "west", bandwidthMbps: 10, latencyMs: 60 });
    assert.equal(t.links.length, 6);
    assert.deepEqual(t.egressUsdPerGb, { east: 0.05, west: 0.05, south: 0.05 });
  });

  test("a preset subset with a per-link override and per-data-center prices", () => {
    const s = parseScenarioText(
      `topology:
  preset: ec2-11
  dataCenters: [virginia, tokyo, sao-paulo]
  machinesPerDataCenter: 3
  shardsPerDataCenter: 1
  egressUsdPerGb: { tokyo: 0.5 }
  links:
    - { link: [virginia, tokyo], bandwidthScale: 0.1 }
workload: { kind: mf }
`,
      "subset.yaml",
    );
    const t = s.topology;
    assert.equal(t.preset, "ec2-11");
    assert.deepEqual(t.dataCenters, ["virginia", "tokyo", "sao-paulo"]);
    assert.equal(t.links.length, 6);
    assert.equal(t.workersPerDataCenter, 3);
    assert.equal(t.shardsPerDataCenter, 1);
    const vt = t.links.find((l) => l.source === "virginia" && l.target === "tokyo")!;
    const tv = t.links.find((l) => l.source === "tokyo" && l.target === "virginia")!;
    assert.ok(Math.abs(vt.bandwidthMbps - 4.513) < 1e-9);
    assert.equal(tv.bandwidthMbps, vt.bandwidthMbps);
    assert.equal(vt.latencyMs, 72.5);
    assert.equal(t.egressUsdPerGb["tokyo"], 0.5);
    assert.equal(t.egressUsdPerGb["virginia"], 0.02);
  });

  test("hubs: auto gives Gaia's groups on ec2-11 and none on two regions; explicit groups add their hub", () => {
    const ec2 = parseScenarioText("topology: { preset: ec2-11 }\nworkload: { kind: mf }\nsync: { hubs: auto }\n", "a.yaml");
    assert.deepEqual(
      ec2.sync.hubGroups.map((g) => g.hub),
      ["virginia", "tokyo", "frankfurt"],
    );
    assert.deepEqual(ec2.sync.hubGroups[2]!.members, ["frankfurt", "ireland", "mumbai"]);
    assert.deepEqual(parseScenarioText(pair("sync: { hubs: auto }\n"), "a.yaml").sync.hubGroups, []);
    const explicit = parseScenarioText(pair("sync: { hubs: [{ hub: virginia, members: [california] }] }\n"), "a.yaml");
    assert.deepEqual(explicit.sync.hubGroups, [{ hub: "virginia", members: ["virginia", "california"] }]);
  });

  test("the lan preset has one data center and no WAN links", () => {
    const s = parseScenarioText("topology: { preset: lan, machinesPerDataCenter: 8 }\nworkload: { kind: mf }\n", "a.yaml");
    assert.deepEqual(s.topology.dataCenters, ["lan"]);
    assert.deepEqual(s.topology.links, []);
    assert.equal(s.topology.workersPerDataCenter, 8);
  });
});

describe("loadScenario: overrides", () => {
  test("--sync bsp turns an asp file into its baseline: no staleness, no hubs, no hub faults", () => {
    const text = "topology: { preset: ec2-11 }\nworkload: { kind: mf }\nsync: { model: asp, withinDataCenter: ssp, staleness: 3, hubs: auto }\nfaults:\n  - { at: 5s, crash: tokyo/hub }\n  - { at: 6s, crash: tokyo/w0 }\n";
    const asp = parseScenarioText(text, "a.yaml");
    assert.equal(asp.sync.model, "asp");
    assert.equal(asp.sync.staleness, 3);
    assert.equal(asp.faults.length, 2);
    const bsp: Scenario = parseScenarioText(text, "a.yaml", { sync: "bsp", seed: 99 });
    assert.equal(bsp.sync.model, "bsp");
    assert.equal(bsp.sync.staleness, 0);
    assert.deepEqual(bsp.sync.hubGroups, []);
    assert.deepEqual(bsp.faults.map((f) => (f.kind === "crash" ? f.node : f.kind)), ["tokyo/w0"]);
    assert.equal(bsp.seed, 99);
    assert.equal(parseScenarioText(text, "a.yaml", { sync: "ssp" }).sync.staleness, 3);
  });
});

describe("loadScenario: errors name the file, the path and the line:column", () => {
  test("YAML syntax error", () => {
    const error = rejects("topology:\n  preset: [ec2-11\nworkload: { kind: mf }\n", { path: "", line: 3, includes: "YAML syntax error" }, "broken.yaml");
    assert.match(error.message, /^broken\.yaml:3:\d+: YAML syntax error/);
  });

  test("duplicate keys are a syntax error", () => {
    rejects("topology: { preset: lan }\ntopology: { preset: lan }\nworkload: { kind: mf }\n", { path: "", line: 2, includes: "YAML syntax error" });
  });

  test("wrong type", () => {
    const error = rejects(pair("sync:\n  mirrorClockBound: two\n"), { path: "sync.mirrorClockBound", line: 6, column: 21, includes: "must be an integer" });
    assert.equal(error.message, 'case.yaml:6:21: sync.mirrorClockBound: must be an integer, not "two"');
  });

  test("unknown field, with a suggestion for a typo", () => {
    rejects(pair("sync:\n  mirorClockBound: 1\n"), { path: "sync.mirorClockBound", line: 6, column: 3, includes: 'did you mean "mirrorClockBound"' });
    rejects(pair("colour: blue\n"), { path: "colour", line: 5, column: 1, includes: 'unknown field "colour"' });
  });

  test("unknown preset", () => {
    rejects("topology:\n  preset: ec2-12\nworkload: { kind: mf }\n", { path: "topology.preset", line: 2, column: 11, includes: "ec2-11, virginia-california, singapore-sao-paulo, lan" });
  });

  test("a fault naming an unknown data center", () => {
    rejects(pair("faults:\n  - { at: 120s, partition: [virginia, tokyo], for: 60s }\n"), { path: "faults[0].partition[1]", line: 6, column: 39, includes: 'unknown data center "tokyo"' });
    rejects(pair("faults:\n  - { at: 1s, isolate: mars, for: 1s }\n"), { path: "faults[0].isolate", line: 6, includes: 'unknown data center "mars"' });
    rejects(pair("faults:\n  - { at: 1s, bandwidth: { link: [virginia, oregon], factor: 0.5 } }\n"), { path: "faults[0].bandwidth.link[1]", line: 6, includes: '"oregon"' });
  });

  test("bad duration", () => {
    rejects(pair("faults:\n  - { at: 10x, isolate: virginia }\n"), { path: "faults[0].at", line: 6, column: 11, includes: "is not a duration" });
    rejects(pair("stop:\n  maxVirtualTime: two hours\n"), { path: "stop.maxVirtualTime", line: 6, includes: "is not a duration" });
  });

  test("unknown or malformed node ids", () => {
    rejects(pair("faults:\n  - { at: 1s, crash: virginia/w5 }\n"), { path: "faults[0].crash", line: 6, includes: "w0..w1" });
    rejects(pair("faults:\n  - { at: 1s, crash: frankfurt/ps0 }\n"), { path: "faults[0].crash", line: 6, includes: "is not a node id" });
    rejects(pair("faults:\n  - { at: 1s, crash: tokyo/s0 }\n"), { path: "faults[0].crash", line: 6, includes: 'unknown data center "tokyo"' });
    rejects(pair("faults:\n  - { at: 1s, crash: virginia/hub }\n"), { path: "faults[0].crash", line: 6, includes: "hosts no hub" });
    rejects(pair("compute: { speeds: { virginia/s9: 2 } }\n"), { path: "compute.speeds.virginia/s9", line: 5, includes: "s0..s1" });
  });

  test("a fault needs exactly one kind", () => {
    rejects(pair("faults:\n  - { at: 1s, crash: virginia/w0, isolate: virginia }\n"), { path: "faults[0]", line: 6, includes: "exactly one of partition, isolate, bandwidth, crash, slow, lossy (found: isolate, crash)" });
    rejects(pair("faults:\n  - { at: 1s }\n"), { path: "faults[0]", line: 6, includes: "(found: none)" });
  });

  test("a pair must have two ends", () => {
    rejects(pair("faults:\n  - { at: 1s, partition: [virginia] }\n"), { path: "faults[0].partition", line: 6, includes: "must be a pair [a, b]" });
  });

  test("explicit topologies need every link", () => {
    rejects("topology:\n  dataCenters: [a, b, c]\n  links:\n    - { link: [a, b], bandwidthMbps: 100, rttMs: 20 }\nworkload: { kind: mf }\n", { path: "topology.links", line: 4, includes: "missing a -> c, b -> c" });
    rejects("topology:\n  dataCenters: [a, b]\n  links:\n    - { link: [a, b], rttMs: 20 }\nworkload: { kind: mf }\n", { path: "topology.links[0]", line: 4, includes: "needs bandwidthMbps" });
    rejects("topology: {}\nworkload: { kind: mf }\n", { path: "topology", line: 1, includes: "needs a preset or a list of dataCenters" });
    rejects("topology: { preset: ec2-11, dataCenters: [virginia, atlantis] }\nworkload: { kind: mf }\n", { path: "topology.dataCenters[1]", line: 1, includes: "not a data center of preset ec2-11" });
  });

  test("hub groups must cover every data center once", () => {
    rejects(pair("sync:\n  hubs: [{ hub: virginia, members: [virginia] }]\n"), { path: "sync.hubs", line: 6, includes: "missing: california" });
    rejects(pair("sync:\n  hubs: sometimes\n"), { path: "sync.hubs", line: 6, includes: "must be one of auto, none" });
  });

  test("the workload section is checked against @gaia/workloads' schema, for the chosen kind only", () => {
    rejects("topology: { preset: lan }\nworkload:\n  kind: mf\n  rank: 0\n", { path: "workload.rank", line: 4, column: 9, includes: "must be >= 1" });
    rejects("topology: { preset: lan }\nworkload:\n  kind: mf\n  rnak: 8\n", { path: "workload.rnak", line: 4, column: 3, includes: 'did you mean "rank"' });
    rejects("topology: { preset: lan }\nworkload:\n  kind: svm\n", { path: "workload.kind", line: 3, includes: "must be one of mf, lda, mnist" });
    rejects("topology: { preset: lan }\nworkload:\n  kind: mf\n  lrSchedule: linear\n", { path: "workload.lrSchedule", line: 4, includes: "must be one of constant, inverse-sqrt" });
    const error = rejects("topology: { preset: lan }\nworkload:\n  kind: mf\n  lrSchedule: { kind: step, every: 0, factor: 0.5 }\n", { path: "workload.lrSchedule.every", line: 4, includes: "must be >= 1" });
    assert.equal(error.issues.length, 1, error.message);
  });

  test("missing sections and empty files", () => {
    rejects("topology: { preset: lan }\n", { path: "", line: 1, includes: 'missing required field "workload"' });
    rejects("", { path: "", line: 1, includes: "the file is empty" });
    rejects("- a\n- b\n", { path: "", line: 1, includes: "must be a map" });
  });

  test("several problems are all reported, in file order", () => {
    const error = rejects(pair("sync:\n  model: gaia\nstop:\n  maxIterations: -1\n"), { path: "sync.model", line: 6, includes: "must be one of lan, bsp, ssp, asp" });
    assert.deepEqual(
      error.issues.map((i) => i.path),
      ["sync.model", "stop.maxIterations"],
    );
    assert.equal(error.message.split("\n").length, 2);
  });

  test("loadScenario reads a file and names it; a missing file is a ScenarioError too", () => {
    const dir = mkdtempSync(join(tmpdir(), "gaia-load-"));
    const path = join(dir, "bad.yaml");
    writeFileSync(path, pair("seed: -3\n"));
    assert.throws(() => loadScenario(path), (error: unknown) => error instanceof ScenarioError && error.message.startsWith(`${path}:5:7: seed: `));
    assert.throws(() => loadScenario(join(dir, "nope.yaml")), (error: unknown) => error instanceof ScenarioError && /nope\.yaml: cannot read the scenario: no such file/.test(error.message));
  });
});

// Proves the loader rejects what the run would reject, cleanly: non-finite numbers anywhere, bad
// aliases, durations beyond float range, loss probabilities of 1; and that its memory and time are
// bounded by the file and the error list, not by the topology the file describes.
describe("loader holes: everything finite, every error placed", () => {
  for (const [where, text, path, line] of [
    ["an integer field", pair("stop: { maxIterations: .inf }\n"), "stop.maxIterations", 5],
    ["a number field", pair("sync: { significance: { threshold: .nan } }\n"), "sync.significance.threshold", 5],
    ["a duration", pair("stop: { maxVirtualTime: .inf }\n"), "stop.maxVirtualTime", 5],
    ["a workload field", pair("", "  preset: virginia-california\n  machinesPerDataCenter: -.inf\n"), "topology.machinesPerDataCenter", 3],
    ["a fault time", pair("faults:\n  - { at: .inf, crash: virginia/s0 }\n"), "faults[0].at", 6],
  ] as const) {
    test(`.inf / .nan in ${where} is refused with file:line:col and the YAML spelling`, () => {
      const error = rejects(text, { path, line, includes: /must be a finite number, not -?\.(inf|nan)/ });
      assert.ok(!error.message.includes("null"), "NaN is not printed as null");
    });
  }

  test("an unresolved alias is a placed error, not a ReferenceError", () => {
    rejects(pair("stop: { maxIterations: *missing }\n"), { path: "", line: 5, includes: /alias/i });
  });

  test("a duration too long for a float is refused, not thrown", () => {
    rejects(pair(`stop: { maxIterations: 3, maxVirtualTime: "${"9".repeat(400)}s" }\n`), { path: "stop.maxVirtualTime", line: 5, includes: "not a finite duration" });
  });

  test("lossy.loss: 1 is refused by the schema, as the run would refuse it", () => {
    rejects(pair("faults:\n  - { at: 1s, lossy: { link: all, loss: 1 } }\n"), { path: "faults[0].lossy.loss", line: 6, includes: "must be < 1" });
  });

  test("10,000 data centers without links: one problem, found in bounded time and memory", () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `d${i}`);
    const started = performance.now();
    const heapBefore = process.memoryUsage().heapUsed;
    const error = rejects(`topology:\n  dataCenters: [${names.join(", ")}]\nworkload:\n  kind: mf\n`, { path: "topology.dataCenters", line: 2, includes: "and 99989994 more" });
    assert.equal(error.issues.length, 1);
    assert.ok(performance.now() - started < 20_000, "seconds, not minutes");
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 500e6, "no list of 10^8 pairs");
  });

  test("the error list is capped: a file with 5,000 problems keeps 1,000 and counts the rest", () => {
    const faults = Array.from({ length: 5000 }, (_, i) => `  - { at: ${i}, crash: nowhere${i}/s0 }\n`).join("");
    let caught: unknown;
    try {
      parseScenarioText(pair(`faults:\n${faults}`), "many.yaml");
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ScenarioError);
    assert.equal(caught.issues.length, 1001);
    assert.match(caught.issues.at(-1)!.message, /and 4000 more problem\(s\)/);
  });
});
