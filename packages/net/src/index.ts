export * from "./auth.js";
export * from "./envelope.js";
export * from "./metrics.js";
export * from "./shaper.js";
export * from "./transport.js";
