// Proves that `gaia autocomplete bash --script` completes what a user types, in a real bash: commands
// and topics, flags, the bundled scenarios by name, scenario and cluster file names, folders, --sync
// models as a comma-separated list (also after --sync=), a flag's fixed choices, and positional
// arguments after flags that take values; and that the instructions say how to install it.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { completionSpec } from "../../packages/cli/src/completion.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "packages/cli/bin/run.js");

const script = (): string => {
  const run = spawnSync(process.execPath, [bin, "autocomplete", "bash", "--script"], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
};

// The CLI runs from packages/cli/dist: build it from the source under test.
before(() => {
  spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/cli"], { cwd: root, encoding: "utf8" });
});

describe("gaia autocomplete", () => {
  const file = join(mkdtempSync(join(tmpdir(), "gaia-completion-")), "gaia.bash");
  before(() => writeFileSync(file, script()));

  /** What bash completes for the words typed so far (the last one being completed), from the repo's root. */
  const complete = (...words: string[]): string[] => {
    const quoted = ["gaia", ...words].map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(" ");
    const run = spawnSync("bash", ["-c", `source '${file}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length}; _gaia_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], { cwd: root, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    return run.stdout.split("\n").filter((l) => l !== "");
  };

  test("the script is valid bash, bound to gaia", () => {
    const text = script();
    assert.equal(spawnSync("bash", ["-n", file]).status, 0);
    assert.match(text, /^complete -F _gaia_complete gaia$/m);
  });

  test("commands, topics and flags", () => {
    assert.deepEqual(complete("sim"), ["simulate"]);
    assert.deepEqual(complete("scenarios", "v"), ["validate"]);
    assert.deepEqual(complete("deploy", ""), ["k8s"]);
    assert.deepEqual(complete("simulate", "quickstart", "--sy"), ["--sync"]);
    assert.ok(complete("sweep", "").includes("merge"), "a command that is also a topic offers its subcommands");
  });

  test("bundled scenarios by name, and scenario files", () => {
    assert.deepEqual(complete("simulate", "quick"), ["quickstart"]);
    assert.deepEqual(complete("sweep", "mf-ec"), ["mf-ec2-11"]);
    assert.deepEqual(complete("simulate", "scenarios/quick"), ["scenarios/quickstart.yaml"]);
    assert.deepEqual(complete("scenarios", "validate", "quickstart", "starv"), ["starvation"], "validate takes several");
    // After a flag that takes a value, the next word is still the first argument.
    assert.deepEqual(complete("simulate", "--out", "runs/x", "--seed", "3", "quick"), ["quickstart"]);
  });

  test("--sync: the models, as a comma-separated list, also after --sync=", () => {
    assert.deepEqual(complete("simulate", "quickstart", "--sync", "a"), ["asp"]);
    // Every model after the comma but the one already listed.
    assert.deepEqual(complete("simulate", "quickstart", "--sync", "bsp,"), ["bsp,lan", "bsp,ssp", "bsp,asp", "bsp,diloco"]);
    assert.deepEqual(complete("simulate", "quickstart", "--sync", "lan,asp,d"), ["lan,asp,diloco"]);
    assert.deepEqual(complete("sweep", "quickstart", "--sync", "=", "ss"), ["ssp"]);
  });

  test("file and folder values, and fixed choices", () => {
    const clusters = complete("launch", "--cluster", "clusters/local-3");
    assert.ok(clusters.includes("clusters/local-3dc.yaml"), clusters.join(" "));
    assert.deepEqual(complete("compare", "packa"), ["packages"]);
    assert.deepEqual(complete("deploy", "k8s", "--form", "s"), ["statefulset"]);
    assert.deepEqual(complete("autocomplete", "z"), ["zsh"]);
    assert.deepEqual(complete("simulate", "quickstart", "--seed", ""), [], "a number: nothing to offer");
  });

  test("without --script: how to install it", () => {
    const run = spawnSync(process.execPath, [bin, "autocomplete", "zsh"], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", npm_command: "" }, timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /gaia autocomplete zsh --script > ~\/\.gaia-completion\.zsh/);
    assert.match(run.stdout, /source ~\/\.gaia-completion\.zsh' >> ~\/\.zshrc/);
    const bad = spawnSync(process.execPath, [bin, "autocomplete", "fish"], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 120_000 });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /fish/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /, "no stack trace");
  });
});

test("completionSpec: booleans take no value, choices and --sync are words, --out of calibrate is a file", () => {
  const spec = completionSpec(
    [
      { id: "simulate", flags: { quiet: { type: "boolean", char: "q" }, sync: { type: "option" }, out: { type: "option" }, seed: { type: "option" } }, args: { file: {} } },
      { id: "calibrate", flags: { out: { type: "option" }, workload: { type: "option", options: ["mf", "lda"] } }, args: {} },
      { id: "secret", hidden: true, flags: {}, args: {} },
    ],
    ["bsp", "asp"],
  );
  assert.deepEqual(spec.map((c) => c.id), ["calibrate", "simulate"]);
  const [calibrate, simulate] = spec;
  assert.deepEqual(simulate!.flags.get("-q"), { kind: "none" });
  assert.deepEqual(simulate!.flags.get("--sync"), { kind: "list", words: ["bsp", "asp"] });
  assert.deepEqual(simulate!.flags.get("--out"), { kind: "dir" });
  assert.deepEqual(simulate!.flags.get("--seed"), { kind: "free" });
  assert.deepEqual(simulate!.args, [{ kind: "scenario" }]);
  assert.deepEqual(calibrate!.flags.get("--out"), { kind: "file" });
  assert.deepEqual(calibrate!.flags.get("--workload"), { kind: "words", words: ["mf", "lda"] });
});
