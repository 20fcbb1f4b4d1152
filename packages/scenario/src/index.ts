// What both drivers share: the scenario model (types, schema, loading, presets, the layout, pacing
// and fault plans), the cluster section of cluster files, and the trace vocabulary with its
// checkers and hash. @gaia/sim and @gaia/net both depend on this package and never on each other.
export * from "./scenario.js";
export * from "./result.js";
export * from "./presets.js";
export * from "./schema.js";
export * from "./load.js";
export * from "./cluster.js";
export * from "./layout-plan.js";
export * from "./pacing.js";
export * from "./latency-model.js";
export * from "./faults.js";
export * from "./trace.js";
export * from "./checkers.js";
export * from "./significance-checker.js";
export * from "./divergence.js";
export * from "./outer-step-checker.js";
export * from "./memory.js";
export * from "./stop.js";
