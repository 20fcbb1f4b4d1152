// Polling helpers for tests that wait on real sockets and processes.
import assert from "node:assert/strict";

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 10 ms until it holds; fails the test naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs = 8000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
