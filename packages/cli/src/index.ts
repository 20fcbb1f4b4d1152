// What tests reach of the CLI without spawning it: the pure parts of its console and inputs.
export { etaS, progressLine, ProgressTracker, stopFractions, stopProgress } from "./progress.js";
export { outputDir, parseFieldPath, parseSet } from "./inputs.js";
export { summaryText } from "./tables.js";
export { parseSeeds, parseVary, planHash, planPoints, slicePoints, sweepSpec, type SweepSpec, type Point, type Axis } from "./sweep/plan.js";
