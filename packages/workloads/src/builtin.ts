/**
 * The bundled workloads, each written on the workload API (define.ts) like a user's module: mf
 * (matrix factorization), lda (topic modeling), mnist (image classification) and tfjs (a
 * TensorFlow.js Layers model on a data file, tfjs-workload.ts). The options of the first three
 * come from the field tables of spec.ts, which word their own validation messages.
 */
import { defineWorkload, type WorkloadDefinition } from "./define.js";
import { parseLearningRateSchedule } from "./learning-rate.js";
import { LdaWorkload, type LdaSpec } from "./lda.js";
import { MfWorkload, type MfSpec } from "./mf.js";
import { createMnist, type MnistSpec } from "./mnist.js";
import { fieldProblems, fieldsSchema, kindSpecs } from "./spec.js";
import { ldaFromData } from "./data/bag-of-words.js";
import { mfFromData } from "./data/ratings.js";
import type { BagOfWordsDataSpec, RatingsDataSpec } from "./data/spec.js";
import { tfjsDefinition } from "./tfjs-workload.js";

const fromFields = (kind: string) => ({ description: kindSpecs[kind]!.description, options: fieldsSchema(kind), validate: (options: unknown) => fieldProblems(kind, options) });

export const mfDefinition = defineWorkload({
  name: "mf",
  ...fromFields("mf"),
  // Seeded ratings, or a ratings file's (`data`, data/ratings.ts).
  setup: (options, context) => {
    const spec: MfSpec = { ...(options as unknown as MfSpec), lrSchedule: parseLearningRateSchedule((options as Record<string, unknown>)["lrSchedule"]) };
    const data = (options as Record<string, unknown>)["data"] as RatingsDataSpec | undefined;
    return data === undefined ? new MfWorkload(spec, context) : mfFromData(spec, data, context);
  },
});

export const ldaDefinition = defineWorkload({
  name: "lda",
  ...fromFields("lda"),
  // A generated corpus, or a UCI bag-of-words file's (`data`, data/bag-of-words.ts).
  setup: (options, context) => {
    const data = (options as Record<string, unknown>)["data"] as BagOfWordsDataSpec | undefined;
    return data === undefined ? new LdaWorkload(options as unknown as LdaSpec, context) : ldaFromData(options as unknown as LdaSpec, data, context);
  },
});

export const mnistDefinition = defineWorkload({
  name: "mnist",
  ...fromFields("mnist"),
  setup: (options, context) => createMnist({ ...(options as unknown as MnistSpec), lrSchedule: parseLearningRateSchedule((options as Record<string, unknown>)["lrSchedule"]) }, context),
});

/** The bundled definitions by kind, in the order the docs list them. */
export const builtinDefinitions: ReadonlyMap<string, WorkloadDefinition> = new Map<string, WorkloadDefinition>([
  ["mf", mfDefinition],
  ["lda", ldaDefinition],
  ["mnist", mnistDefinition],
  ["tfjs", tfjsDefinition as unknown as WorkloadDefinition],
]);
