// Asserts that a scenario text is refused the way users see it: a ScenarioError naming the file,
// line and path, with the given words, and no stack trace.
import assert from "node:assert/strict";
import { parseScenarioText, ScenarioError } from "@gaia/scenario";

export function rejectsAt(text: string, file: string, path: string, line: number, includes: string): void {
  assert.throws(
    () => parseScenarioText(text, file),
    (error: unknown) => error instanceof ScenarioError && error.message.includes(`${file}:${line}:`) && error.message.includes(`${path}: `) && error.message.includes(includes) && !/\n\s+at /.test(error.message),
  );
}
