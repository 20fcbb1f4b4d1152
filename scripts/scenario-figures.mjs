#!/usr/bin/env node
// Prints the README's bundled-scenario figures: for each scenario, `gaia simulate NAME --sync
// asp,bsp,lan --json`, and the time to its target (or the whole run, marked *, without one).
//   node scripts/scenario-figures.mjs [name ...]
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { parse } from "yaml";

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : readdirSync("scenarios").filter((f) => f.endsWith(".yaml")).map((f) => f.replace(/\.yaml$/, ""));
const fmt = (s) => (s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`);
for (const name of names) {
  // Gaia's asp, or the file's own model where it is not a Baseline or LAN (diloco).
  const own = parse(readFileSync(`scenarios/${name}.yaml`, "utf8"))?.sync?.model ?? "asp";
  const first = ["bsp", "ssp", "lan"].includes(own) ? "asp" : own;
  // A DiLoCo file's learning rate is tuned for a region's own steps; under bsp or lan it diverges, so it runs alone.
  const models = own === "diloco" ? ["diloco"] : [first, "bsp", "lan"];
  const r = spawnSync(process.execPath, ["packages/cli/bin/run.js", "simulate", name, "--sync", models.join(","), "--json", "--force", "--out", `/tmp/scenario-figures/${name}`], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) {
    console.log(`| \`${name}\` | failed: ${(r.stderr || r.stdout).split("\n")[0]} |`);
    continue;
  }
  const parsed = JSON.parse(r.stdout);
  const runs = parsed.runs ?? [parsed]; // one model: a single summary
  const cell = (sync) => {
    const run = runs.find((x) => x.sync === sync);
    return run.reachedTarget ? fmt(run.timeToTargetS) : `${fmt(run.virtualTimeS)}*`;
  };
  const asp = runs.find((x) => x.sync === first);
  const held = runs.every((x) => Object.values(x.checks).every((v) => v === null)) ? "held" : "VIOLATED";
  if (own === "diloco") {
    console.log(`| \`${name}\` | diloco ${cell("diloco")} | WAN ${(asp.wanBytes / 1e6).toFixed(1)} MB | checks ${held} |`);
    continue;
  }
  const bsp = runs.find((x) => x.sync === "bsp");
  console.log(`| \`${name}\` | ${cell(first)} / ${cell("bsp")} / ${cell("lan")} | WAN ${(asp.wanBytes / 1e6).toFixed(1)} MB / ${(bsp.wanBytes / 1e6).toFixed(1)} MB | checks ${held} |`);
}
