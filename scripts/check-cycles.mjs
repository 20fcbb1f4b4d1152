#!/usr/bin/env node
// Fails when any package's source has an import cycle, or when a package imports one it must not.
// Dependencies point one way: core <- workloads <- scenario <- {sim, net} <- cli. The two drivers,
// sim and net, share only the scenario layer and never import each other; nothing imports cli.
// Every way a file can reach another package is checked: `from "@gaia/x"` (with or without a
// subpath), `import("@gaia/x")`, a relative path that climbs into packages/x, and the package's
// package.json dependencies and tsconfig references.
import madge from "madge";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";

const order = ["core", "workloads", "scenario", "sim", "net", "cli"];
const allowed = {
  core: [],
  workloads: ["core"],
  scenario: ["core", "workloads"],
  sim: ["core", "workloads", "scenario"],
  net: ["core", "workloads", "scenario"],
  cli: ["core", "workloads", "scenario", "sim", "net"],
};
let failed = false;
const refuse = (where, pkg, other) => {
  failed = true;
  console.error(`${where}: packages/${pkg} must not depend on @gaia/${other} (allowed: ${allowed[pkg].join(", ") || "none"})`);
};
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
    const text = readFileSync(file, "utf8");
    // Static imports and re-exports (type-only ones too), dynamic imports, and require().
    for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["']([^"']+)["']/g)) {
      const specifier = m[1];
      const line = text.slice(0, m.index).split("\n").length;
      const scoped = /^@gaia\/([a-z-]+)/.exec(specifier);
      let other = scoped?.[1] ?? null;
      if (other === null && specifier.startsWith(".")) {
        const target = relative(resolve("packages"), resolve(dirname(file), specifier));
        other = target.startsWith("..") ? null : target.split(/[\\/]/)[0];
      }
      if (other !== null && other !== pkg && !allowed[pkg].includes(other)) refuse(`${file}:${line}`, pkg, other);
    }
  }
  const manifest = JSON.parse(readFileSync(`packages/${pkg}/package.json`, "utf8"));
  for (const name of Object.keys({ ...manifest.dependencies, ...manifest.devDependencies, ...manifest.peerDependencies })) {
    const other = /^@gaia\/([a-z-]+)$/.exec(name)?.[1];
    if (other !== undefined && !allowed[pkg].includes(other)) refuse(`packages/${pkg}/package.json`, pkg, other);
  }
  const tsconfig = JSON.parse(readFileSync(`packages/${pkg}/tsconfig.json`, "utf8"));
  for (const reference of tsconfig.references ?? []) {
    const other = reference.path.replace(/^\.\.\//, "");
    if (!allowed[pkg].includes(other)) refuse(`packages/${pkg}/tsconfig.json`, pkg, other);
  }
}
if (failed) process.exit(1);
console.log("import graph: no cycles, dependencies point one way (sim and net share only @gaia/scenario)");
