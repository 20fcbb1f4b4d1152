/**
 * Where the CLI finds things that ship with the repository.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository's scenarios/ folder: the nearest ancestor of this file that holds
 * scenarios/scenario.schema.json (this file runs from packages/cli/dist or packages/cli/src).
 */
export function bundledScenariosDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "scenarios");
    if (existsSync(join(candidate, "scenario.schema.json"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
