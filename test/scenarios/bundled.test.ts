// Proves that every bundled scenario is valid and editor-ready, and that the schema files editors
// read are exactly the schema the loader validates with.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { clusterJsonSchema, loadScenario, parseScenarioText, scenarioJsonSchema, schemaFiles } from "@gaia/sim";

const root = fileURLToPath(new URL("../../", import.meta.url));
const scenariosDir = join(root, "scenarios");
const files = readdirSync(scenariosDir).filter((name) => name.endsWith(".yaml")).sort();

describe("bundled scenarios", () => {
  test("the expected scenarios are there", () => {
    for (const name of ["quickstart", "mf-ec2-11", "mf-virginia-california", "mf-singapore-sao-paulo", "partition-heal", "starvation", "stragglers", "lda-3dc", "mnist-3dc"]) {
      assert.ok(files.includes(`${name}.yaml`), `scenarios/${name}.yaml`);
    }
  });

  for (const file of files) {
    test(`${file} validates, names itself after its file and points editors at the schema`, () => {
      const text = readFileSync(join(scenariosDir, file), "utf8");
      assert.ok(text.startsWith("# yaml-language-server: $schema=./scenario.schema.json\n"));
      const scenario = loadScenario(join(scenariosDir, file));
      assert.equal(scenario.name, file.replace(/\.yaml$/, ""));
      assert.ok(scenario.description.length > 0);
      assert.ok((scenario.stop.maxIterations !== null || scenario.stop.maxVirtualTimeS !== null) && scenario.stop.defaultCap === undefined, "sets its own stop limit (the default cap would change its trace)");
      assert.match(text, /^compute:\n(?: {2}.*\n)* {2}regime: /m, "declares its compute regime");
    });
  }

  test("quickstart is a small mf job", () => {
    const s = loadScenario(join(scenariosDir, "quickstart.yaml"));
    assert.equal(s.workload.kind, "mf");
    assert.ok(s.stop.maxIterations !== null && s.stop.maxIterations <= 300);
    assert.ok(s.stop.targetObjective !== null, "quickstart shows a time to target");
  });

  for (const { path, text } of schemaFiles) {
    test(`${path} is generated from the loader's schema and current (regenerate: npm run schemas)`, () => {
      assert.equal(readFileSync(join(root, path), "utf8"), text(), `${path} is stale: run npm run schemas`);
    });
  }

  test("the cluster schema is the scenario schema with the cluster section required", () => {
    assert.equal(scenarioJsonSchema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert.deepEqual(Object.keys(clusterJsonSchema["properties"] as object), Object.keys(scenarioJsonSchema["properties"] as object));
    assert.deepEqual(clusterJsonSchema["required"], [...(scenarioJsonSchema["required"] as string[]), "cluster"]);
  });
});

describe("README", () => {
  test("the example scenario in README.md validates", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const example = /```yaml\n([\s\S]*?)```/.exec(readme);
    assert.ok(example, "README has a yaml example");
    const scenario = parseScenarioText(example[1]!, "README.md");
    assert.equal(scenario.name, "mf-ec2-11");
    assert.equal(scenario.faults.length, 6);
  });
});
