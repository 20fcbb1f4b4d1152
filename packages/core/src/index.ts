export * from "./app.js";
export * from "./errors.js";
export * from "./layout.js";
export * from "./messages.js";
export * from "./role.js";
export * from "./rng.js";
export * from "./schedule.js";
export * from "./reliable.js";
