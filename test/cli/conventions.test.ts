// Proves that `gaia` behaves as oclif users expect: help for every command (`gaia help simulate`),
// did-you-mean for a mistyped flag, a short message instead of the usage dump, a summary on every
// command, autocomplete, and JSON from `scenarios list` and `scenarios validate`; and that validate
// catches what would only fail the run later (a partition that never heals).
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { stripVTControlCharacters } from "node:util";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import semver from "semver";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bin, buildCli, gaia, root } from "../support/cli.js";

const work = mkdtempSync(join(tmpdir(), "gaia-conventions-"));


before(buildCli);

const commands = ["simulate", "compare", "launch", "run", "calibrate", "deploy k8s", "scenarios list", "scenarios validate", "scenarios schema"];

describe("oclif conventions", () => {
  test("every command has a summary in the command list, and help of its own", () => {
    const list = gaia("--help");
    assert.equal(list.status, 0);
    for (const name of ["simulate", "compare", "launch", "run", "calibrate", "deploy", "autocomplete"]) assert.match(list.stdout, new RegExp(`^  ${name} +\\S`, "m"), name);
    for (const command of commands) {
      const help = gaia("help", ...command.split(" "));
      assert.equal(help.status, 0, `gaia help ${command}: ${help.stderr}`);
      assert.match(help.stdout, /^USAGE$/m, command);
      assert.doesNotMatch(help.stdout + help.stderr, /command help not found/i);
      assert.match(help.stdout.split("\n")[0]!, /^\S.+\.$/, `${command} opens with its summary`);
    }
  });

  test("a mistyped flag: did you mean, no usage dump, exit 2", () => {
    const run = gaia("simulate", "quickstart", "--sycn", "bsp");
    assert.equal(run.status, 2);
    assert.match(run.stderr, /Nonexistent flag: --sycn/);
    assert.match(run.stderr, /Did you mean --sync\?/);
    assert.doesNotMatch(run.stderr, /USAGE|FLAGS/);
    const missing = gaia("simulate");
    assert.equal(missing.status, 2);
    assert.doesNotMatch(missing.stderr, /USAGE|allows multiple values/);
  });

  test("a mistyped command: did you mean, without a prompt, exit 127", () => {
    const run = gaia("simulat");
    assert.equal(run.status, 127);
    const text = stripVTControlCharacters(run.stderr).replace(/\s*›\s*/g, " ");
    assert.match(text, /"simulat" is not a gaia command\. Did you mean "(?:npx )?gaia simulate"\?/);
    const topic = gaia("scenarios", "lsit");
    assert.equal(topic.status, 127);
    assert.match(stripVTControlCharacters(topic.stderr).replace(/\s*›\s*/g, " "), /Did you mean "(?:npx )?gaia scenarios list"\?/);
    const far = gaia("zzzzzz");
    assert.equal(far.status, 127);
    assert.doesNotMatch(far.stderr, /Did you mean/);
    assert.match(stripVTControlCharacters(far.stderr).replace(/\s*›\s*/g, " "), /Run "(?:npx )?gaia help" for the list of commands/);
  });

  test("autocomplete is installed, and under npx says how to put gaia on PATH", () => {
    const run = gaia("autocomplete", "--help");
    assert.equal(run.status, 0);
    assert.match(run.stdout, /autocomplete/);
    const npx = spawnSync(process.execPath, [bin, "autocomplete", "bash"], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", npm_command: "exec" }, timeout: 120_000 });
    assert.equal(npx.status, 0, npx.stderr);
    assert.match(npx.stderr, /export PATH="\$PWD\/node_modules\/\.bin:\$PATH"/);
    const direct = spawnSync(process.execPath, [bin, "autocomplete", "bash"], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", npm_command: "" }, timeout: 120_000 });
    assert.doesNotMatch(direct.stderr, /npx puts on PATH/);
  });
});

describe("scenarios list and validate", () => {
  test("list --json: every bundled scenario, valid, runnable by name", () => {
    const run = gaia("scenarios", "list", "--json");
    assert.equal(run.status, 0, run.stderr);
    const rows = JSON.parse(run.stdout) as { name: string; file: string; valid: boolean; workload: string }[];
    assert.ok(rows.length >= 7);
    for (const row of rows) {
      assert.equal(row.valid, true, row.name);
      assert.equal(row.file, `scenarios/${row.name}.yaml`);
    }
    assert.ok(rows.some((r) => r.name === "quickstart" && r.workload === "mf"));
  });

  test("validate --json: a result per file, with positions; a bundled name works; exit 2 when one is invalid", () => {
    const bad = join(work, "forever.yaml");
    writeFileSync(bad, "topology:\n  preset: virginia-california\nworkload: { kind: mf }\nfaults:\n  - { at: 10s, partition: [virginia, california] }\n  - { at: 20s, isolate: virginia }\n");
    const run = gaia("scenarios", "validate", "quickstart", bad, "--json");
    assert.equal(run.status, 2);
    const results = JSON.parse(run.stdout) as { file: string; valid: boolean; problems: { path: string; line: number; message: string }[] }[];
    assert.deepEqual(results.map((r) => r.valid), [true, false]);
    assert.deepEqual(results[1]!.problems.map((p) => [p.path, p.line]), [["faults[0].partition", 5], ["faults[1].isolate", 6]]);
    assert.match(results[1]!.problems[0]!.message, /needs "for: DURATION"/);
  });
});

describe("the Node.js versions the project declares", () => {
  test("every installed package admits every Node.js version of the project's engines (npm ci warns EBADENGINE otherwise)", () => {
    const engines = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
    assert.ok(semver.satisfies(process.versions.node, engines), `this Node.js ${process.versions.node} is one of ${engines}`);
    const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { engines?: { node?: string } | string[] }> };
    const narrower = Object.entries(lock.packages)
      .map(([path, entry]) => [path, Array.isArray(entry.engines) ? undefined : entry.engines?.node] as const)
      .filter(([, range]) => range !== undefined && !semver.subset(engines, range))
      .map(([path, range]) => `${path} wants node ${range}`);
    assert.deepEqual(narrower, [], `the project declares node ${engines}`);
  });
});
