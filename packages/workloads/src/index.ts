/**
 * @gaia/workloads: the ML programs a Gaia run trains (matrix factorization, LDA, MNIST with
 * TensorFlow.js), built from a scenario's `workload:` section behind core's `Workload` interface.
 */
import type { Workload } from "@gaia/core";
import { WorkloadError } from "./errors.js";
import type { PartitionStats } from "./partition.js";

export type { Backend, WorkloadContext } from "./context.js";
export { WorkloadError } from "./errors.js";
export { learningRateAt, parseLearningRateSchedule, constantSchedule, scheduleFactor, type Schedule } from "./learning-rate.js";
export { kindSpecs, type FieldSpec, type KindSpec } from "./spec.js";
export { workloadKinds, workloadJsonSchema, validateWorkloadSpec, withDefaults, definitionOf, modulePath, moduleKind, type SectionContext } from "./registry.js";
export {
  defineWorkload,
  isWorkloadDefinition,
  optionProblems,
  withOptionDefaults,
  instantiate,
  DefinedWorkload,
  Layout,
  RowReader,
  DeltaBuilder,
  Type,
  type Static,
  type TObject,
  type TSchema,
  type Problem,
  type Table,
  type TableDeclaration,
  type SetupContext,
  type WorkloadJob,
  type WorkloadDefinition,
} from "./define.js";
export { loadWorkloadModule, workloadModule, takeWantedModules, moduleExtensions } from "./modules.js";
export { builtinDefinitions, mfDefinition, ldaDefinition, mnistDefinition } from "./builtin.js";
export { ownsGroup, groupsOf, type PartitionMode, type PartitionKind, type PartitionStats, type DataCenterPartition } from "./partition.js";
export { MfWorkload, mfCostMsPerSample, type MfSpec } from "./mf.js";
export { LdaWorkload, ldaCostMsPerSample, type LdaSpec } from "./lda.js";
export { MnistWorkload, mnistCostMsPerSample, loadDigits, sameConvolution, type MnistSpec, type MnistModel } from "./mnist.js";
export { selectBackend, loadTf, type Tf } from "./tf.js";
export { createWorkload } from "./create.js";
export { tableShape, dataParts, dataBytes, type TableShape, type DataPart } from "./shape.js";
export { tfjsDefinition, parseCsv, parseIdx, idxSamples, type TfjsOptions, type Samples, type IdxArray, type CsvSpec } from "./tfjs-workload.js";
export {
  calibrate,
  calibrationCases,
  calibrationKinds,
  calibrationBackends,
  calibrationFormat,
  calibratedMsPerSample,
  declaredMsPerSample,
  availableBackends,
  measureCase,
  timeSteps,
  type Calibration,
  type CalibrationCase,
  type CalibrationFigure,
  type CalibrationKind,
  type CalibrateOptions,
  type StepTiming,
} from "./calibrate.js";

/** How a workload's training data is spread over data centers and workers. */
export function partitionStats(workload: Workload): PartitionStats {
  const candidate = workload as Partial<{ partitionStats(): PartitionStats }>;
  if (typeof candidate.partitionStats !== "function") throw new WorkloadError(`workload ${workload.kind} does not report partition statistics`);
  return candidate.partitionStats();
}
export { loadRatings, scanRatings, mfFromData, type RatingsData } from "./data/ratings.js";
export { loadBagOfWords, scanDocword, ldaFromData, type BagOfWordsData } from "./data/bag-of-words.js";
export { ratingsFormats, type RatingsFormat, type RatingsDataSpec, type BagOfWordsDataSpec, type DataPartition } from "./data/spec.js";
