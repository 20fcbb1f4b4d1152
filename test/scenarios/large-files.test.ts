// Proves that a large scenario file (over positionedMaxBytes, read as plain data) gives the same
// scenario as the positioned reader does for the same document (every bundled scenario, padded with
// a comment past the limit), in memory in proportion to its size; that its problems are all named
// by path (and `--set`'s at the --set), its syntax errors by line, and an alias bomb refused; and
// that in a file of either size a `.nan` no longer hides the file's other problems.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScenarioText, positionedMaxBytes, ScenarioError, type ScenarioIssue } from "@gaia/scenario";
import { scenarioWithFaults, smallScenario } from "../../bench/lib/fault-files.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const scenariosDir = join(root, "scenarios");

/** The text, padded with a trailing comment until it is larger than the positioned reader takes. */
const padded = (text: string): string => `${text}\n# ${"x".repeat(positionedMaxBytes)}\n`;

const issuesOf = (text: string, overrides: Parameters<typeof parseScenarioText>[2] = {}): readonly ScenarioIssue[] => {
  try {
    parseScenarioText(text, "big.yaml", overrides);
  } catch (error) {
    if (error instanceof ScenarioError) return error.issues;
    throw error;
  }
  assert.fail("the file was accepted");
};

const small = smallScenario;

/** A scenario with `n` faults, in about 60 bytes each. */
const withFaults = scenarioWithFaults;

describe("large files", () => {
  test("every bundled scenario reads the same past the limit as within it", () => {
    const files = readdirSync(scenariosDir).filter((f) => f.endsWith(".yaml"));
    assert.ok(files.length >= 10);
    for (const file of files) {
      const text = readFileSync(join(scenariosDir, file), "utf8");
      assert.ok(text.length <= positionedMaxBytes);
      assert.deepEqual(parseScenarioText(padded(text), file), parseScenarioText(text, file), file);
    }
  });

  test("problems are named by path, without a line; every one of them, .nan or not", () => {
    const text = withFaults(30_000, (i) => (i === 12_345 ? "  - { at: 2s, partition: [virginia, tokyo], for: .nan, colour: red }" : `  - { at: ${i}ms, isolate: tokyo, for: 1ms }`));
    assert.ok(text.length > positionedMaxBytes);
    const issues = issuesOf(text.replace("rank: 2", "rank: 2, wat: 1"));
    assert.deepEqual(
      issues.map((i) => `${i.path}: ${i.message.split(" (")[0]}`).sort(),
      ['faults[12345].colour: unknown field "colour"', "faults[12345].for: must be a finite number, not .nan", 'workload.wat: unknown field "wat"'],
    );
    for (const issue of issues) assert.equal(issue.line, null, issue.path);
  });

  test("a syntax error has its line; an alias bomb is refused; --set is reported at the --set", () => {
    const syntax = issuesOf(padded(`${small}faults: [ { at: 1s\n`));
    assert.equal(syntax.length, 1);
    assert.match(syntax[0]!.message, /^YAML syntax error: /);
    assert.ok(syntax[0]!.line !== null && syntax[0]!.line >= 6, `line ${syntax[0]!.line}`);

    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`)].join("\n");
    const aliases = issuesOf(padded(`${small}notes:\n  ${bomb.split("\n").join("\n  ")}\n`));
    assert.match(aliases[0]!.message, /^YAML alias error: /);

    const set = issuesOf(padded(small), { set: [{ path: ["stop", "maxIteration"], value: 20 }] });
    assert.equal(set.length, 1);
    assert.equal(set[0]!.source, "--set stop.maxIteration");
    assert.match(set[0]!.message, /maxIterations/);
    const ok = parseScenarioText(padded(small), "big.yaml", { set: [{ path: ["stop", "maxIterations"], value: 7 }, { path: ["topology", "bandwidthScale"], value: 0.5 }] });
    assert.equal(ok.stop.maxIterations, 7);
  });

  test("a 10 MB file validates in memory in proportion to its size", () => {
    const dir = mkdtempSync(join(tmpdir(), "gaia-large-"));
    const file = join(dir, "faults.yaml");
    writeFileSync(file, withFaults(170_000));
    const size = readFileSync(file).length;
    assert.ok(size > 9e6, `${size} bytes`);
    // The peak resident memory of a process that only validates it, against one that validates the small file.
    const probe = `const { loadScenario } = await import("@gaia/scenario"); loadScenario(process.argv[1]); process.stdout.write(String(process.resourceUsage().maxRSS * 1024));`;
    const peak = (path: string): number => {
      const run = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", "--input-type=module", "--eval", probe, path], { cwd: root, encoding: "utf8", timeout: 120_000 });
      assert.equal(run.status, 0, run.stderr);
      return Number(run.stdout);
    };
    writeFileSync(join(dir, "small.yaml"), small);
    const growth = peak(file) - peak(join(dir, "small.yaml"));
    // The positioned reader took about 100 bytes per byte (3.3 GB for 27 MB); this one about 7.
    assert.ok(growth < 20 * size, `${(growth / 1e6).toFixed(0)} MB for ${(size / 1e6).toFixed(1)} MB of file`);
  });

  test("a 10 MB file loads within a heap of 80 MB (the file's data, its scenario and little else)", () => {
    // Deterministic where peak RSS is not: V8 fails the process when the live heap outgrows
    // --max-old-space-size. Pairs of 17 slots, a string per name and copies to sort took over 100 MB.
    const dir = mkdtempSync(join(tmpdir(), "gaia-large-"));
    const file = join(dir, "faults.yaml");
    writeFileSync(file, withFaults(170_000));
    const probe = `const { loadScenario } = await import("@gaia/scenario"); process.stdout.write(String(loadScenario(process.argv[1]).faults.length));`;
    const run = spawnSync(process.execPath, ["--max-old-space-size=80", "--conditions=source", "--import", "tsx", "--input-type=module", "--eval", probe, file], { cwd: root, encoding: "utf8", timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr.split("\n").find((line) => /heap|Error/.test(line)) ?? run.stderr);
    assert.equal(run.stdout, "170000");
  });

  test("the scenario of a long fault schedule keeps each fault in one small object", () => {
    // The heap a loaded scenario holds (after a full collection) per fault: the fault's object and
    // its numbers. Its data centers' names and its pair are shared with every other fault's.
    const probe = `
      const { loadScenario } = await import("@gaia/scenario");
      loadScenario(process.argv[1]);
      gc(); gc();
      const before = process.memoryUsage().heapUsed;
      // A --set, so that the reader shares nothing: the scenario's own representation is measured.
      const scenario = loadScenario(process.argv[2], { set: [{ path: ["stop", "maxIterations"], value: 10 }] });
      gc(); gc();
      const held = process.memoryUsage().heapUsed - before;
      process.stdout.write(JSON.stringify({ faults: scenario.faults.length, held }));`;
    const dir = mkdtempSync(join(tmpdir(), "gaia-large-"));
    writeFileSync(join(dir, "faults.yaml"), withFaults(100_000));
    writeFileSync(join(dir, "small.yaml"), small);
    const run = spawnSync(process.execPath, ["--expose-gc", "--conditions=source", "--import", "tsx", "--input-type=module", "--eval", probe, join(dir, "small.yaml"), join(dir, "faults.yaml")], { cwd: root, encoding: "utf8", timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    const { faults, held } = JSON.parse(run.stdout) as { faults: number; held: number };
    assert.equal(faults, 100_000);
    // About 100 bytes; each fault's own pair of names took 230 more (320 in all).
    assert.ok(held / faults < 150, `${(held / faults).toFixed(0)} bytes per fault`);
  });
});

test("a .nan does not hide the file's other problems (a small file: each has its line)", () => {
  const issues = issuesOf(small.replace("rank: 2", "rank: 2, wat: 1").replace("maxIterations: 10", "maxIterations: 10, maxVirtualTime: .nan"));
  assert.deepEqual(issues.map((i) => `${i.line}: ${i.path}: ${i.message.split(" (")[0]}`), ['3: workload.wat: unknown field "wat"', "5: stop.maxVirtualTime: must be a finite number, not .nan"]);
});
