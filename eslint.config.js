// Lint rules. The strictest part is the core's: it is sans-I/O, so wall clocks, timers,
// unseeded randomness and Node's I/O modules are forbidden there (DESIGN.md, "The core is sans-I/O").
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const nodeIoModules = [
  "fs", "fs/promises", "net", "http", "https", "http2", "dgram", "dns", "tls", "child_process",
  "worker_threads", "cluster", "os", "process", "readline", "timers", "timers/promises", "perf_hooks",
];

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/*.js", "**/*.mjs", "**/*.cjs", "bench/results/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    files: ["packages/core/src/**/*.ts"],
    rules: {
      "no-restricted-globals": [
        "error",
        { name: "setTimeout", message: "core is sans-I/O: ask for a timer with nextDeadlineMs()" },
        { name: "setInterval", message: "core is sans-I/O: ask for a timer with nextDeadlineMs()" },
        { name: "setImmediate", message: "core is sans-I/O" },
        { name: "queueMicrotask", message: "core is sans-I/O" },
        { name: "performance", message: "core takes time as nowMs" },
        { name: "process", message: "core must not touch the process" },
        { name: "fetch", message: "core is sans-I/O" },
        { name: "require", message: "core imports statically" },
      ],
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "core takes time as nowMs" },
        { object: "Math", property: "random", message: "use a seeded Rng stream" },
        { object: "crypto", property: "getRandomValues", message: "use a seeded Rng stream" },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "NewExpression[callee.name='Date']", message: "core takes time as nowMs" },
        { selector: "ImportExpression", message: "core imports statically, with no side effects" },
      ],
      "no-restricted-imports": [
        "error",
        {
          paths: nodeIoModules.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: "core is sans-I/O" })),
          patterns: [{ group: ["node:*"], message: "core imports no Node built-ins" }],
        },
      ],
    },
  },
);
