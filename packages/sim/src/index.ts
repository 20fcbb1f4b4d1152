export * from "./scenario.js";
export * from "./result.js";
export * from "./engine.js";
export * from "./network.js";
