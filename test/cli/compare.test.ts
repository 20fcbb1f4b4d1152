// Proves that `gaia simulate FILE --sync lan,bsp,asp` runs every model and writes one comparison
// report whose charts draw all three runs' series on shared axes (read back from the SVG marks, not
// from the data we passed in), with the ratio table; that `gaia compare` builds the same report
// from run folders; and that runs never overwrite each other silently. Runs the built CLI
// (test/cli/cli.test.ts builds it).
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chartsOf } from "../support/report-check.js";
import { buildCli, gaiaWith, root, type Run } from "../support/cli.js";

const work = mkdtempSync(join(tmpdir(), "gaia-compare-"));

const gaia = (cwd: string, ...args: string[]): Run => gaiaWith({ cwd, timeoutMs: 180_000 }, ...args);

const noStackTrace = (text: string): void => assert.ok(!/\n\s+at .+:\d+:\d+\)?\n/.test(text), `no stack trace:\n${text}`);

before(buildCli);

const models = ["lan", "bsp", "asp"];
const timeCharts = ["objective-time", "objective-iterations", "wan-time"];

describe("gaia simulate --sync lan,bsp,asp", () => {
  const out = join(work, "cmp");
  let json: { comparison: string; moment: string; rows: { label: string; wanBytes: number }[]; runs: { sync: string; outDir: string; iterations: number; wanBytes: number }[] };

  before(() => {
    // The bundled quickstart, by name, cut short with --set so the test stays fast.
    const run = gaia(root, "simulate", "quickstart", "--sync", models.join(","), "--set", "stop.maxIterations=40", "--set", "stop.evalEvery=4", "--out", out, "--json");
    assert.equal(run.status, 0, run.stderr);
    json = JSON.parse(run.stdout) as typeof json;
  });

  test("runs every model into its own folder and prints one JSON object naming the comparison", () => {
    assert.deepEqual(json.runs.map((r) => r.sync), models);
    assert.equal(json.comparison, join(out, "compare.html"));
    for (const r of json.runs) {
      assert.equal(r.outDir, join(out, r.sync));
      for (const file of ["summary.json", "metrics.jsonl", "report.html"]) assert.ok(existsSync(join(r.outDir, file)), `${r.sync}/${file}`);
      assert.ok(r.iterations <= 40, "--set stop.maxIterations=40 applied");
    }
    assert.equal(json.runs.find((r) => r.sync === "lan")!.wanBytes, 0, "LAN has no WAN");
    // The comparison's rows, as `gaia compare --json` gives them, not only the report's path.
    assert.deepEqual(json.rows.map((r) => r.label), models);
    assert.equal(json.moment, "at end", "no run reached the target in 40 iterations: the figures are the end's");
  });

  test("the comparison report's charts draw all three runs' series", () => {
    const html = readFileSync(json.comparison, "utf8");
    const charts = chartsOf(html);
    for (const name of timeCharts) {
      const chart = charts.get(name);
      assert.ok(chart, `chart ${name}`);
      assert.deepEqual(chart.declared, models);
      assert.deepEqual([...chart.lines.keys()].sort(), [...models].sort(), `${name}: one line per run`);
      for (const model of models) assert.ok(chart.lines.get(model)! >= 5, `${name}: ${model}'s line has its points (${chart.lines.get(model)})`);
      assert.deepEqual(chart.legend, models, `${name}: legend`);
    }
    // Bars: every run with WAN traffic has a bar; LAN has none but keeps its "0 B" label.
    const bytes = charts.get("wan-bytes")!;
    assert.deepEqual([...bytes.marks].sort(), ["asp", "bsp"]);
    assert.ok(bytes.svg.includes(">0 B<"), "LAN's zero is labelled");
    assert.deepEqual([...charts.get("blocked")!.marks].sort(), [...models].sort());
    for (const [name, chart] of charts) for (const axis of chart.axes) assert.equal(new Set(axis).size, axis.length, `${name}: no two ticks read the same: ${axis.join(", ")}`);
  });

  test("the ratio table compares with LAN and BSP", () => {
    const html = readFileSync(json.comparison, "utf8");
    assert.match(html, /<th>time \/ LAN<\/th>/);
    assert.match(html, /<th>speedup over BSP<\/th>/);
    const table = /<table class="ratios">[\s\S]*?<\/table>/.exec(html)![0];
    const rows = [...table.matchAll(/<tr><td>(lan|bsp|asp)<\/td>((?:<td[^>]*>[^<]*<\/td>)+)<\/tr>/g)].map((m) => [m[1], [...m[2]!.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1])] as const);
    assert.deepEqual(rows.map(([label]) => label), models);
    const lan = rows.find(([label]) => label === "lan")![1];
    const bsp = rows.find(([label]) => label === "bsp")![1];
    assert.equal(lan[3], "1.00x", "LAN is 1.00x of itself");
    assert.equal(bsp[4], "1.00x", "BSP's speedup over itself");
    assert.ok(!/NaN|Infinity|undefined/.test(html));
    assert.ok(!/<script|<link|src=|href=/i.test(html), "self-contained: no script, no external asset");
  });

  test("gaia compare builds the same comparison from the run folders", () => {
    const target = join(work, "again");
    const run = gaia(root, "compare", ...models.map((m) => join(out, m)), "--out", target, "--json");
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { comparison: string; measure: string; rows: { label: string; vsLan: number | null }[] };
    assert.deepEqual(result.rows.map((r) => r.label), models);
    assert.equal(result.rows[0]!.vsLan, 1);
    const charts = chartsOf(readFileSync(result.comparison, "utf8"));
    for (const name of timeCharts) assert.deepEqual([...charts.get(name)!.lines.keys()].sort(), [...models].sort(), name);
    // Without --json: the ratio table on stdout, as simulate --sync prints it.
    const table = gaia(root, "compare", ...models.map((m) => join(out, m)), "--out", join(work, "again-table"));
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /^sync\s+(time to target|run time)\s+time\/LAN\s+speedup\/BSP/m);
    for (const model of models) assert.match(table.stdout, new RegExp(`^${model}\\s+\\S+`, "m"), model);
  });

  test("gaia compare: a folder that is not a run is one clear error, exit 2", () => {
    const empty = join(work, "empty");
    mkdirSync(empty, { recursive: true });
    for (const args of [[join(out, "lan"), empty], [join(work, "missing")]]) {
      const run = gaia(root, "compare", ...args);
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /^Error: .*(not a run folder|no such folder)/);
      noStackTrace(run.stderr);
    }
    const broken = join(work, "broken");
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, "summary.json"), "{ nope");
    const run = gaia(root, "compare", broken);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /summary\.json: not JSON/);
  });
});

describe("runs never overwrite each other silently", () => {
  test("the default folder is numbered; an explicit --out that holds a run needs --force", () => {
    const cwd = join(work, "numbered");
    mkdirSync(cwd, { recursive: true });
    const args = ["simulate", join(root, "scenarios/quickstart.yaml"), "--set", "stop.maxIterations=10", "--quiet"];
    assert.equal(gaia(cwd, ...args).status, 0);
    const second = gaia(cwd, ...args);
    assert.equal(second.status, 0, second.stderr);
    assert.ok(existsSync(join(cwd, "runs/quickstart-42/summary.json")));
    assert.ok(existsSync(join(cwd, "runs/quickstart-42.2/summary.json")), "the second run is numbered");
    const refused = gaia(cwd, ...args, "--out", "runs/quickstart-42");
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /already holds a run; pass --force/);
    assert.equal(gaia(cwd, ...args, "--out", "runs/quickstart-42", "--force").status, 0);
  });
});

describe("gaia simulate: bad --sync and --set", () => {
  for (const [args, message] of [
    [["--sync", "lan,gaia"], /--sync: unknown model "gaia"/],
    [["--sync", "bsp,bsp"], /listed twice/],
    [["--set", "stop.maxIterations"], /write --set path=value/],
    [["--set", "stop..x=1"], /not a field path/],
    [["--set", "stop.maxIterations=many"], /stop\.maxIterations/],
  ] as const) {
    test(`${args.join(" ")}: one line, exit 2`, () => {
      const run = gaia(root, "simulate", "quickstart", ...args);
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, message);
      noStackTrace(run.stderr);
    });
  }

  test("a bad value from --set is reported at its --set, not at a line of the file", () => {
    const run = gaia(root, "simulate", "quickstart", "--set", "stop.maxIteration=20");
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /--set stop\.maxIteration \(on scenarios\/quickstart\.yaml\): unknown field "maxIteration" \(did you mean "maxIterations"\?\)/);
    assert.doesNotMatch(run.stderr, /quickstart\.yaml:\d+/, "no line of the file, which does not hold the value");
    const nested = gaia(root, "simulate", "quickstart", "--set", "topology.dataCenters=[virginia, tokyo]");
    assert.equal(nested.status, 2);
    assert.match(nested.stderr, /--set topology\.dataCenters \(on scenarios\/quickstart\.yaml\): topology\.dataCenters\[1\]: "tokyo" is not a data center/);
    noStackTrace(nested.stderr);
  });

  test("the README's --set examples run on the bundled quickstart", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const sentence = readme.slice(readme.indexOf("`--set PATH=VALUE` any field") + "`--set PATH=VALUE` any field".length, readme.indexOf("values are YAML"));
    const examples = [...sentence.matchAll(/`(--set [^`]+)`/g)].map((m) => m[1]!);
    assert.ok(examples.length >= 3, `found the examples: ${examples.join(" | ")}`);
    for (const example of examples) {
      const args = [...example.matchAll(/--set (?:'([^']+)'|(\S+))/g)].flatMap((m) => ["--set", m[1] ?? m[2]!]);
      const scenario = example.includes("faults") ? "partition-heal" : "quickstart";
      const run = gaia(root, "simulate", scenario, ...args, "--set", "stop.maxIterations=2", "--quiet", "--out", join(work, `readme-set-${examples.indexOf(example)}`));
      assert.equal(run.status, 0, `${example}: ${run.stderr}`);
    }
  });

  test("an unknown scenario name lists the bundled ones", () => {
    const run = gaia(root, "simulate", "quickstrat");
    assert.equal(run.status, 2);
    assert.match(run.stderr, /neither a file nor a bundled scenario \(bundled: .*quickstart/);
  });
});
