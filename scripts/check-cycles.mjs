#!/usr/bin/env node
// Fails when any package's source has an import cycle, or when a package imports one it must not
// (dependencies point one way: cli -> sim, net -> workloads -> core; nothing imports cli).
import madge from "madge";
import { readFileSync, readdirSync } from "node:fs";

const order = ["core", "workloads", "sim", "net", "cli"];
const allowed = { core: [], workloads: ["core"], sim: ["core", "workloads"], net: ["core", "workloads", "sim"], cli: ["core", "workloads", "sim", "net"] };
let failed = false;
for (const pkg of order) {
  const res = await madge(`packages/${pkg}/src`, { fileExtensions: ["ts"], tsConfig: `packages/${pkg}/tsconfig.json`, detectiveOptions: { ts: { skipTypeImports: true } } });
  const cycles = res.circular();
  if (cycles.length > 0) {
    failed = true;
    console.error(`import cycle in packages/${pkg}:`);
    for (const c of cycles) console.error("  " + c.join(" -> "));
  }
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${dir}/${e.name}`) : e.name.endsWith(".ts") ? [`${dir}/${e.name}`] : []));
  for (const file of walk(`packages/${pkg}/src`)) {
    for (const m of readFileSync(file, "utf8").matchAll(/from\s+["']@gaia\/([a-z]+)["']/g)) {
      if (m[1] !== pkg && !allowed[pkg].includes(m[1])) {
        failed = true;
        console.error(`${file}: packages/${pkg} must not import @gaia/${m[1]}`);
      }
    }
  }
}
if (failed) process.exit(1);
console.log("import graph: no cycles, dependencies point one way");
