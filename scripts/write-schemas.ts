// Writes the JSON Schema files that editors read (scenarios/scenario.schema.json,
// clusters/cluster.schema.json) from the one description of the format in
// packages/scenario/src/schema.ts. `npm run schemas`; test/scenarios/bundled.test.ts fails when
// a written file is stale.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { schemaFiles } from "@gaia/scenario";

const root = fileURLToPath(new URL("../", import.meta.url));
for (const { path, text } of schemaFiles) {
  writeFileSync(join(root, path), text());
  console.log(`wrote ${path}`);
}
