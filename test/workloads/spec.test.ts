// The workload section: validateWorkloadSpec names every bad field by path, createWorkload refuses
// bad specs with a WorkloadError that lists them, and the JSON Schema (what editors and ajv see)
// accepts and rejects exactly the specs the validator does.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createRequire } from "node:module";
import { createWorkload, validateWorkloadSpec, workloadJsonSchema, workloadKinds, kindSpecs, WorkloadError, learningRateAt } from "@gaia/workloads";
import { params, seedTitle } from "../support/fc.js";

// ajv 8 is the scenario loader's (@gaia/scenario) dependency; the root node_modules holds an older one.
type Validator = ((data: unknown) => boolean) & { errors?: unknown };
const { Ajv } = createRequire(new URL("../../packages/scenario/package.json", import.meta.url))("ajv") as { Ajv: new (options: object) => { compile(schema: object): Validator } };

const paths = (spec: unknown): string[] => validateWorkloadSpec(spec).map((p) => p.path);

describe(seedTitle("workload spec"), () => {
  test("kinds are mf, lda, mnist, tfjs and module, and the bundled ones' defaults are valid", () => {
    assert.deepEqual([...workloadKinds], ["mf", "lda", "mnist", "tfjs", "module"]);
    for (const kind of Object.keys(kindSpecs)) assert.deepEqual(validateWorkloadSpec({ kind }), []);
    assert.deepEqual(paths({ kind: "module" }), ["/path"]);
  });

  test("bad fields are reported with their paths", () => {
    assert.deepEqual(paths({ kind: "mf", rank: 0 }), ["/rank"]);
    assert.deepEqual(paths({ kind: "mf", rank: 2.5, users: "many" }), ["/rank", "/users"]);
    assert.deepEqual(paths({ kind: "mf", rnak: 8 }), ["/rnak"]);
    assert.deepEqual(paths({ kind: "mf", partition: "random" }), ["/partition"]);
    assert.deepEqual(paths({ kind: "mf", skew: 1.5 }), ["/skew"]);
    assert.deepEqual(paths({ kind: "mf", learningRate: 0 }), ["/learningRate"]);
    assert.deepEqual(paths({ kind: "mf", lrSchedule: "cosine" }), ["/lrSchedule"]);
    assert.deepEqual(paths({ kind: "mf", lrSchedule: { kind: "step", every: 0, factor: 2 } }), ["/lrSchedule/every", "/lrSchedule/factor"]);
    assert.deepEqual(paths({ kind: "lda", topics: -1, alpha: "x" }), ["/topics", "/alpha"]);
    assert.deepEqual(paths({ kind: "mnist", model: "resnet" }), ["/model"]);
    assert.deepEqual(paths({ kind: "mnist", train: 9000, test: 2000 }), ["/test"]);
    assert.deepEqual(paths({ kind: "svm" }), ["/kind"]);
    assert.deepEqual(paths({ rank: 3 }), ["/kind"]);
    assert.deepEqual(paths("mf"), [""]);
    assert.match(validateWorkloadSpec({ kind: "mf", rank: 0 })[0]!.message, /must be >= 1, got 0/);
    assert.match(validateWorkloadSpec({ kind: "mf", rnak: 8 })[0]!.message, /unknown field.*rank/);
  });

  test("createWorkload throws a WorkloadError listing every problem", async () => {
    const context = { seed: 1, dataCenters: ["a"], workersPerDataCenter: 1 };
    await assert.rejects(createWorkload({ kind: "mf", rank: 0, batchSize: -2 }, context), (error: unknown) => {
      assert.ok(error instanceof WorkloadError);
      assert.match(error.message, /workload\/rank: must be >= 1/);
      assert.match(error.message, /workload\/batchSize/);
      assert.deepEqual(error.problems.map((p) => p.path), ["/rank", "/batchSize"]);
      return true;
    });
    await assert.rejects(createWorkload({ kind: "mf" }, { ...context, dataCenters: [] }), WorkloadError);
    await assert.rejects(createWorkload({ kind: "mf" }, { ...context, workersPerDataCenter: 0 }), WorkloadError);
  });

  test("learning-rate schedules scale the base rate by clock", () => {
    assert.equal(learningRateAt(0.1, { kind: "constant" }, 99), 0.1);
    assert.equal(learningRateAt(0.1, { kind: "inverse-sqrt" }, 3), 0.05);
    assert.equal(learningRateAt(0.1, { kind: "step", every: 10, factor: 0.5 }, 25), 0.025);
  });

  test("the JSON Schema compiles and agrees with the validator", () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(workloadJsonSchema);
    const value = fc.oneof(
      fc.integer({ min: -3, max: 3000 }),
      fc.double({ min: -2, max: 2, noNaN: true }),
      fc.constantFrom("iid", "skewed", "softmax", "cnn", "constant", "inverse-sqrt", "auto", "wasm", "bogus"),
      fc.record({ kind: fc.constantFrom("step", "constant", "cosine"), every: fc.integer({ min: -1, max: 5 }), factor: fc.double({ min: -1, max: 2, noNaN: true }) }, { requiredKeys: ["kind"] }),
    );
    const spec = fc.constantFrom(...Object.keys(kindSpecs)).chain((kind) =>
      fc.dictionary(fc.constantFrom(...Object.keys(kindSpecs[kind]!.fields), "extra"), value, { maxKeys: 4 }).map((fields): Record<string, unknown> & { kind: string } => ({ ...fields, kind })),
    );
    fc.assert(
      fc.property(spec, (candidate) => {
        const ours = validateWorkloadSpec(candidate).length === 0;
        // The schema cannot state the mnist train + test <= 10000 rule; leave those cases out.
        const crossField = candidate.kind === "mnist" && typeof candidate["train"] === "number" && typeof candidate["test"] === "number";
        if (!crossField) assert.equal(validate(candidate), ours, `${JSON.stringify(candidate)}: schema ${validate(candidate)}, validator ${ours} ${JSON.stringify(validateWorkloadSpec(candidate))}`);
      }),
      params(300),
    );
  });
});
