// The core is sans-I/O, and lint proves it: each forbidden construct, placed in a core file, is
// reported; the same code outside the core is not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ESLint } from "eslint";

const eslint = new ESLint();
const forbidden = [
  ["wall clock", "export const t = Date.now();"],
  ["unseeded randomness", "export const r = Math.random();"],
  ["timer", "setTimeout(() => undefined, 1);"],
  ["Node I/O", 'import { readFileSync } from "node:fs";\nexport const f = readFileSync;'],
  ["network", 'import net from "net";\nexport const n = net;'],
  ["dynamic import", 'export const m = () => import("./x.js");'],
  ["process", "export const e = process.env;"],
];

for (const [what, code] of forbidden) {
  test(`lint rejects ${what} in packages/core`, async () => {
    const [inCore] = await eslint.lintText(code, { filePath: "packages/core/src/forbidden.ts" });
    assert.ok(inCore!.messages.some((m) => m.severity === 2), `no error for ${what}: ${JSON.stringify(inCore!.messages)}`);
  });
}

test("the same constructs are allowed in the simulator", async () => {
  const [inSim] = await eslint.lintText("export const t = Date.now();", { filePath: "packages/sim/src/allowed.ts" });
  assert.deepEqual(inSim!.messages.filter((m) => m.severity === 2), []);
});
