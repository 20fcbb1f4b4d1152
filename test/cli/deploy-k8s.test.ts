// Proves that `gaia deploy k8s` writes, per data center, manifests the Kubernetes API schemas accept
// (built-in kinds through kubernetes-models, the JobSet through its CRD's openAPIV3Schema with
// ajv), in both forms; that one invalid field makes them fail; that nodes are named by DNS (pod
// names within a data center, exported clusterset.local services across) and the names resolve
// to the objects written; that the probes ask the paths a node serves, the secret is only
// referenced, and bad flags are one line and exit 2.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { StatefulSet } from "kubernetes-models/apps/v1";
import { ConfigMap, Service } from "kubernetes-models/v1";
import { parseAllDocuments } from "yaml";
import { healthRoutes, loadCluster, Readiness, resolveAddresses } from "@gaia/net";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "packages/cli/bin/run.js");
spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/cli"], { cwd: root, encoding: "utf8" });
const source = join(root, "clusters/local-3dc.yaml");
const dataCenters = ["virginia", "california", "oregon"];

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> } & Record<string, any>;

function gaia(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [bin, "deploy", "k8s", ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function deploy(form: string): Map<string, Obj[]> {
  const out = mkdtempSync(join(tmpdir(), `gaia-deploy-${form}-`));
  const run = gaia("--cluster", source, "--out", out, "--form", form, "--image", "registry.example.com/gaia:1");
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(readdirSync(out).sort(), dataCenters.map((dc) => `${dc}.yaml`).sort());
  return new Map(
    dataCenters.map((dc) => {
      const text = readFileSync(join(out, `${dc}.yaml`), "utf8");
      // Plain YAML, no anchors or aliases for a tool to trip on.
      assert.doesNotMatch(text, /: [&*]a\d+\b/, dc);
      return [dc, parseAllDocuments(text).map((d) => d.toJS() as Obj)];
    }),
  );
}

const jobSetSchema = JSON.parse(readFileSync(join(root, "packages/cli/src/deploy/jobset-v1alpha2.schema.json"), "utf8")) as object;
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 31 });
ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
ajv.addFormat("date-time", { type: "string", validate: (s: string) => !Number.isNaN(Date.parse(s)) });
const validateJobSet = ajv.compile(jobSetSchema);

/** Null when the object is valid against its API schema, else the error. */
function schemaError(object: Obj): string | null {
  const key = `${object.apiVersion}/${object.kind}`;
  try {
    if (key === "v1/ConfigMap") new ConfigMap(object as never).validate();
    else if (key === "v1/Service") new Service(object as never).validate();
    else if (key === "apps/v1/StatefulSet") new StatefulSet(object as never).validate();
    else if (key === "jobset.x-k8s.io/v1alpha2/JobSet") return validateJobSet(object) ? null : ajv.errorsText(validateJobSet.errors);
    else if (key === "multicluster.x-k8s.io/v1alpha1/ServiceExport") return Object.keys(object).every((k) => ["apiVersion", "kind", "metadata"].includes(k)) ? null : "unexpected keys";
    else return `no schema for ${key}`;
  } catch (error) {
    return (error as Error).message;
  }
  return null;
}

/** The pod specs of a workload object, with the labels each pod gets. */
function pods(workload: Obj): { labels: Record<string, string>; spec: any }[] {
  if (workload.kind === "JobSet") return workload.spec.replicatedJobs.map((job: any) => ({ labels: job.template.spec.template.metadata.labels, spec: job.template.spec.template.spec }));
  return [{ labels: workload.spec.template.metadata.labels, spec: workload.spec.template.spec }];
}

const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);

for (const form of ["jobset", "statefulset"]) {
  test(`${form}: every object of every data center validates against its Kubernetes schema; an invalid field fails`, () => {
    const files = deploy(form);
    for (const [dc, objects] of files) {
      for (const object of objects) assert.equal(schemaError(object), null, `${dc}: ${object.kind}/${object.metadata.name}`);
      const kinds = objects.map((o) => o.kind);
      assert.equal(kinds.filter((k) => k === (form === "jobset" ? "JobSet" : "StatefulSet")).length, 1, "one workload object");
      assert.equal(kinds.filter((k) => k === "ConfigMap").length, 1);
      assert.ok(!kinds.includes("Secret"), "the Secret is referenced, not written");
      const workload = structuredClone(objects.find((o) => o.kind === "JobSet" || o.kind === "StatefulSet")!);
      pods(workload)[0]!.spec.containers[0].ports[0].containerPort = "abc";
      assert.match(schemaError(workload) ?? "", /containerPort.* must be integer/);
    }
    const statefulSet = structuredClone(files.get("virginia")!.find((o) => o.kind === "JobSet" || o.kind === "StatefulSet")!);
    if (form === "jobset") statefulSet.spec.network.enableDNSHostnames = "yes";
    else statefulSet.spec.replicas = "two";
    assert.match(schemaError(statefulSet) ?? "", /must be (boolean|integer)/);
  });

  test(`${form}: nodes are found by DNS, the probes ask /healthz and /readyz on the node's port, the secret is a mounted file`, () => {
    const files = deploy(form);
    const secret = /secret: (\S+)/.exec(readFileSync(source, "utf8"))![1]!;
    const served = Object.keys(healthRoutes(new Readiness([])));
    for (const [dc, objects] of files) {
      assert.ok(!JSON.stringify(objects).includes(secret), `${dc}: the cluster file's secret is not written`);
      const configMap = objects.find((o) => o.kind === "ConfigMap")!;
      const file = join(mkdtempSync(join(tmpdir(), "gaia-deploy-cluster-")), "cluster.yaml");
      writeFileSync(file, configMap.data!["cluster.yaml"]!);
      const cluster = loadCluster(file);
      assert.equal(cluster.listenHost, "0.0.0.0");
      assert.equal(cluster.wanEmulation.enabled, false, "the WAN between the clusters is real");
      const workload = objects.find((o) => o.kind === "JobSet" || o.kind === "StatefulSet")!;
      const headless = form === "jobset" ? workload.spec.network.subdomain : workload.spec.serviceName;
      if (form === "jobset") assert.equal(workload.spec.network.publishNotReadyAddresses, true);
      else {
        const service = objects.find((o) => o.kind === "Service" && o.metadata.name === headless)!;
        assert.equal(service.spec.clusterIP, "None");
        assert.equal(service.spec.publishNotReadyAddresses, true);
        assert.equal(workload.spec.podManagementPolicy, "Parallel");
      }
      const addresses = [...resolveAddresses(cluster, [...cluster.nodes.keys()]).values()];
      assert.equal(addresses.length, 6);
      for (const address of addresses) {
        const nodeDc = address.id.split("/")[0]!;
        if (nodeDc === dc) {
          // <pod>.<headless service>.<namespace>.svc.cluster.local, a pod the workload makes.
          const [pod, subdomain, namespace, ...rest] = address.host.split(".");
          assert.equal(rest.join("."), "svc.cluster.local", address.host);
          assert.equal(subdomain, headless);
          assert.equal(namespace, workload.metadata.namespace);
          const expected = form === "jobset" ? workload.spec.replicatedJobs.map((j: any) => `${workload.metadata.name}-${j.name}-0-0`) : Array.from({ length: workload.spec.replicas }, (_, i) => `${workload.metadata.name}-${i}`);
          assert.ok(expected.includes(pod), `${pod} is one of ${expected.join(", ")}`);
        } else {
          // <service>.<namespace>.svc.clusterset.local, a Service exported from the node's own cluster.
          const [service, namespace, ...rest] = address.host.split(".");
          assert.equal(rest.join("."), "svc.clusterset.local", address.host);
          const remote = files.get(nodeDc)!;
          const exported = remote.find((o) => o.kind === "Service" && o.metadata.name === service && o.metadata.namespace === namespace);
          assert.ok(exported, `${address.host}: a Service in ${nodeDc}`);
          assert.ok(remote.some((o) => o.kind === "ServiceExport" && o.metadata.name === service), `${service} is exported`);
          const remoteWorkload = remote.find((o) => o.kind === "JobSet" || o.kind === "StatefulSet")!;
          if (form === "jobset") assert.ok(pods(remoteWorkload).some((p) => selects(exported.spec.selector, p.labels)), `${service} selects a pod`);
          else assert.match(exported.spec.selector["statefulset.kubernetes.io/pod-name"], new RegExp(`^${remoteWorkload.metadata.name}-\\d+$`));
        }
        assert.equal(address.port, 47100);
      }
      for (const { spec } of pods(workload)) {
        const container = spec.containers[0];
        const port = container.ports.find((p: any) => p.name === "gaia");
        assert.equal(port.containerPort, 47100);
        for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
          assert.equal(container[probe].httpGet.port, "gaia", probe);
          assert.ok(served.includes(container[probe].httpGet.path), `${probe} asks ${container[probe].httpGet.path}, which a node serves (${served.join(", ")})`);
        }
        assert.equal(container.readinessProbe.httpGet.path, "/readyz");
        assert.equal(container.livenessProbe.httpGet.path, "/healthz");
        const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
        const secretVolume = spec.volumes.find((v: any) => v.secret?.secretName === "local-3dc-secret");
        assert.ok(secretVolume, "the Secret is mounted");
        const mount = container.volumeMounts.find((m: any) => m.name === secretVolume.name);
        assert.equal(env["GAIA_SECRET_FILE"], `${mount.mountPath}/${secretVolume.secret.items[0].path}`);
        const clusterVolume = spec.volumes.find((v: any) => v.configMap?.name === configMap.metadata.name);
        assert.equal(env["GAIA_CLUSTER"], `${container.volumeMounts.find((m: any) => m.name === clusterVolume.name).mountPath}/cluster.yaml`);
        if (form === "jobset") assert.match(env["GAIA_NODE"], new RegExp(`^${dc}/`));
        else for (const node of [...cluster.nodes.keys()].filter((n) => n.startsWith(`${dc}/`))) assert.ok(container.command.join(" ").includes(`export GAIA_NODE='${node}'`), node);
        assert.equal(container.image, "registry.example.com/gaia:1");
      }
    }
  });
}

test("gaia deploy k8s: bad flags and a taken output folder are one line and exit 2", () => {
  const out = mkdtempSync(join(tmpdir(), "gaia-deploy-flags-"));
  const cases: [string[], RegExp][] = [
    [["--form", "deployment"], /Expected --form=deployment to be one of: jobset, statefulset/],
    [["--namespace", "Gaia_NS"], /^Error: --namespace Gaia_NS: a namespace is a DNS label/m],
    [["--storage", "lots"], /^Error: --storage lots: a Kubernetes quantity/m],
    [["--secret", "My Secret"], /^Error: --secret My Secret: a Secret's name is a DNS subdomain/m],
  ];
  for (const [args, message] of cases) {
    const run = gaia("--cluster", source, "--out", out, ...args);
    assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  }
  assert.equal(gaia("--cluster", source, "--out", out).status, 0);
  const again = gaia("--cluster", source, "--out", out);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /already exist; add --force to replace/);
  assert.equal(gaia("--cluster", source, "--out", out, "--force").status, 0);
});
