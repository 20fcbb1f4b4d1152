/**
 * Checks generated manifests against the Kubernetes API schemas: every built-in kind with the
 * model classes of kubernetes-models (its `validate()` checks an object against the OpenAPI schema
 * of its API version), the JobSet against the openAPIV3Schema of its CRD (vendored beside this
 * file: jobset-v1alpha2.schema.json, see scripts/vendor-jobset-schema.mjs) with ajv. The CRD's CEL
 * rules (x-kubernetes-validations) are the API server's to check, not this.
 */
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import { StatefulSet } from "kubernetes-models/apps/v1";
import { ConfigMap, Service } from "kubernetes-models/v1";

interface Checkable {
  validate(): void;
}

const models: Readonly<Record<string, (data: never) => Checkable>> = {
  "v1/ConfigMap": (data) => new ConfigMap(data),
  "v1/Service": (data) => new Service(data),
  "apps/v1/StatefulSet": (data) => new StatefulSet(data),
};

let jobSetValidator: ValidateFunction | null = null;

/** The JobSet CRD's schema, compiled once. */
function jobSetSchema(): ValidateFunction {
  if (jobSetValidator !== null) return jobSetValidator;
  const schema = JSON.parse(readFileSync(new URL("../../src/deploy/jobset-v1alpha2.schema.json", import.meta.url), "utf8")) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const int = (bits: number) => (n: number): boolean => Number.isInteger(n) && Math.abs(n) <= 2 ** (bits - 1);
  ajv.addFormat("int32", { type: "number", validate: int(32) });
  ajv.addFormat("int64", { type: "number", validate: int(64) });
  ajv.addFormat("date-time", { type: "string", validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  jobSetValidator = ajv.compile(schema);
  return jobSetValidator;
}

/** The problems of one object, each as `Kind/name: where: what` (none: valid). */
export function manifestProblems(object: { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } } & Record<string, unknown>): string[] {
  const id = `${String(object.kind)}/${String(object.metadata?.name)}`;
  const key = `${String(object.apiVersion)}/${String(object.kind)}`;
  if (key === "jobset.x-k8s.io/v1alpha2/JobSet") {
    const check = jobSetSchema();
    if (check(object)) return [];
    return (check.errors ?? []).map((e) => `${id}: ${e.instancePath || "/"}: ${e.message ?? "invalid"}`);
  }
  if (key === "multicluster.x-k8s.io/v1alpha1/ServiceExport") {
    // Its CRD has no spec: a name (the Service's) and a namespace are all it carries.
    const name = object.metadata?.name;
    return typeof name === "string" && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name) ? [] : [`${id}: /metadata/name: must be a DNS-1035 label`];
  }
  const model = models[key];
  if (!model) return [`${id}: no schema for ${key}`];
  try {
    model(object as never).validate();
    return [];
  } catch (error) {
    return String(error instanceof Error ? error.message : error)
      .split(/,\s*(?=data)/)
      .map((message) => `${id}: ${message.replace(/^data/, "")}`);
  }
}
