#!/usr/bin/env node
// Writes packages/cli/src/deploy/jobset-v1alpha2.schema.json: the openAPIV3Schema of the JobSet
// CRD (jobset.x-k8s.io/v1alpha2), without its descriptions, for the tests that validate the
// manifests of `gaia deploy k8s`. The CRD comes from kubernetes-sigs/jobset, tag v0.12.0,
// config/components/crd/bases/jobset.x-k8s.io_jobsets.yaml:
//   node scripts/vendor-jobset-schema.mjs path/to/jobset.x-k8s.io_jobsets.yaml
import { readFileSync, writeFileSync } from "node:fs";
import { parse } from "yaml";

const source = process.argv[2];
if (!source) {
  console.error("usage: node scripts/vendor-jobset-schema.mjs path/to/jobset.x-k8s.io_jobsets.yaml");
  process.exit(2);
}
const crd = parse(readFileSync(source, "utf8"));
const version = crd.spec.versions.find((v) => v.name === "v1alpha2");
if (!version) throw new Error(`${source}: no v1alpha2 version`);
const strip = (node) => {
  if (Array.isArray(node)) return node.map(strip);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node).filter(([key]) => key !== "description").map(([key, value]) => [key, strip(value)]));
};
const schema = {
  $comment: "openAPIV3Schema of jobset.x-k8s.io/v1alpha2 JobSet, from kubernetes-sigs/jobset v0.12.0 (commit f22e565ac3cc3265c7c45ef67ecffdc689af5d77), config/components/crd/bases/jobset.x-k8s.io_jobsets.yaml, descriptions removed; written by scripts/vendor-jobset-schema.mjs",
  ...strip(version.schema.openAPIV3Schema),
};
writeFileSync("packages/cli/src/deploy/jobset-v1alpha2.schema.json", JSON.stringify(schema) + "\n");
