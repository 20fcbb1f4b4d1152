// Writes train.csv: 300 samples of a 3-class problem that no linear model separates: points in the
// plane whose class is their ring (radius below 1.2, 1.2 to 2.2, above 2.2), plus a feature of
// pure noise; from a fixed seed, so the file is the same on every run.
//   node examples/tfjs-csv/make-data.mjs
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

let state = 20261207;
const uniform = () => {
  // mulberry32
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
const lines = ["x1,x2,noise,class"];
const bands = [[0, 1.05], [1.35, 2.05], [2.35, 3]];
for (let k = 0; k < 300; k++) {
  const label = k % 3;
  // A radius drawn uniformly over the band's area, a uniform angle; gaps between the bands.
  const [lo, hi] = bands[label];
  const r = Math.sqrt(lo * lo + (hi * hi - lo * lo) * uniform());
  const angle = 2 * Math.PI * uniform();
  lines.push([r * Math.cos(angle), r * Math.sin(angle), normal()].map((v) => v.toFixed(3)).join(",") + `,${label}`);
}
writeFileSync(fileURLToPath(new URL("train.csv", import.meta.url)), `${lines.join("\n")}\n`);
