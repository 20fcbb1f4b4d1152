export * from "./scenario.js";
export * from "./result.js";
