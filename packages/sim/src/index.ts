// The shared scenario layer, re-exported so that callers of the simulator need one import.
export * from "@gaia/scenario";
export * from "./engine.js";
export * from "./network.js";
export * from "./flows.js";
export * from "./summary.js";
export * from "./report.js";
export * from "./charts.js";
export * from "./compute.js";
export * from "./driver.js";
export * from "./metrics.js";
export * from "./toy-workload.js";
export * from "./threads.js";
export * from "./sweep-report.js";
/** The Vega-Lite specification type the chart builders take (for charts built outside this package). */
export type { TopLevelSpec } from "vega-lite";
