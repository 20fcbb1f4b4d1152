import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Flags } from "@oclif/core";
import type { ClusterConfig } from "@gaia/net";
import { stringify } from "yaml";
import { GaiaCommand } from "../../base.js";
import type { WorkloadForm } from "../../deploy/k8s.js";

export default class DeployK8sCommand extends GaiaCommand {
  static override summary = "Write Kubernetes manifests for a cluster file: one Kubernetes cluster per data center.";

  static override description = [
    "Write Kubernetes manifests for a cluster file, one YAML file per data center (OUT/<data center>.yaml), to apply in that data center's Kubernetes cluster.",
    "",
    "Each file holds a ConfigMap with the cluster file (addresses rewritten to DNS names: in-cluster pod names within the data center, <service>.<namespace>.svc.clusterset.local across data centers), the workload (a JobSet, or a StatefulSet with its headless Service), one Service and ServiceExport per node for the other data centers, a reference to the Secret holding the shared secret (mounted as a file, GAIA_SECRET_FILE; create it with `kubectl create secret generic NAME --from-literal=secret=...`), and probes on /healthz and /readyz. Every object is checked against the Kubernetes API schemas before it is written. See docs/deploy.md. Exits 2 on a bad cluster file or flag.",
  ].join("\n");

  static override examples = ["<%= config.bin %> deploy k8s --cluster clusters/local-3dc.yaml --out deploy/k8s", "<%= config.bin %> deploy k8s --cluster cluster.yaml --out k8s --form statefulset --image registry.example.com/gaia:1 --secret gaia-secret"];

  static override flags = {
    cluster: Flags.string({ description: "cluster file (YAML)", required: true }),
    out: Flags.string({ description: "folder to write <data center>.yaml into", required: true }),
    form: Flags.string({ description: "the workload object: a JobSet (a batch run) or a StatefulSet with a headless Service", options: ["jobset", "statefulset"], default: "jobset" }),
    image: Flags.string({ description: "container image built from the repo's Containerfile", default: "gaia:latest" }),
    secret: Flags.string({ description: "the Secret whose key `secret` holds the shared secret [default: <name>-secret]" }),
    "tls-secret": Flags.string({ description: "the kubernetes.io/tls Secret with the certificate, when the cluster file has tls [default: <name>-tls]" }),
    namespace: Flags.string({ description: "namespace of every object (the same in every cluster)", default: "gaia" }),
    port: Flags.integer({ description: "the port every node listens on", default: 47100, min: 1, max: 65535 }),
    grace: Flags.integer({ description: "seconds a node may take on SIGTERM (GAIA_GRACE); pods get 10 more", default: 20, min: 1 }),
    storage: Flags.string({ description: "StatefulSet form: each pod's checkpoint volume", default: "1Gi" }),
    force: Flags.boolean({ description: "replace files already in the output folder", default: false }),
  };

  async run(): Promise<void> {
    // Loaded here, not at the top: every gaia command imports every command module.
    const { ClusterError, loadClusterAsync } = await import("@gaia/net");
    const { DeployError, dnsLabel, k8sManifests } = await import("../../deploy/k8s.js");
    const { manifestProblems } = await import("../../deploy/validate.js");
    const { flags } = await this.parse(DeployK8sCommand);
    let cluster: ClusterConfig;
    try {
      cluster = await loadClusterAsync(flags.cluster);
    } catch (error) {
      if (error instanceof ClusterError) {
        process.stderr.write(`Error: invalid cluster file\n${error.message}\n`);
        return this.exit(2);
      }
      throw error;
    }
    const namespace = dnsLabel(flags.namespace);
    if (namespace !== flags.namespace || namespace.length > 63) this.fail(`--namespace ${flags.namespace}: a namespace is a DNS label (a-z, 0-9, -; at most 63 characters)`);
    if (!/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/.test(flags.storage)) this.fail(`--storage ${flags.storage}: a Kubernetes quantity, e.g. 1Gi or 500Mi`);
    const prefix = dnsLabel(cluster.scenario.name) || "gaia";
    const options = { form: flags.form as WorkloadForm, image: flags.image, secretName: flags.secret ?? `${prefix}-secret`, tlsSecretName: flags["tls-secret"] ?? `${prefix}-tls`, namespace, port: flags.port, graceSeconds: flags.grace, storage: flags.storage };
    for (const [flag, name] of [["--secret", options.secretName], ["--tls-secret", options.tlsSecretName]] as const) {
      if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) this.fail(`${flag} ${name}: a Secret's name is a DNS subdomain (a-z, 0-9, -, .)`);
    }
    let manifests;
    try {
      manifests = await k8sManifests(cluster, readFileSync(flags.cluster, "utf8"), options);
    } catch (error) {
      if (error instanceof DeployError) this.fail(`${flags.cluster}: ${error.message}`);
      if (error instanceof ClusterError) {
        process.stderr.write(`Error: invalid cluster file\n${error.message}\n`);
        return this.exit(2);
      }
      throw error;
    }
    const problems = manifests.flatMap((m) => m.objects.flatMap((o) => manifestProblems(o)));
    if (problems.length > 0) {
      process.stderr.write(`Error: the manifests do not validate against the Kubernetes API schemas (a bug in gaia deploy k8s):\n${problems.map((p) => `  ${p}`).join("\n")}\n`);
      return this.exit(1);
    }
    const files = manifests.map((m) => ({ path: join(flags.out, `${dnsLabel(m.dataCenter)}.yaml`), manifests: m }));
    const taken = files.filter((f) => existsSync(f.path));
    if (taken.length > 0 && !flags.force) this.fail(`${taken.map((f) => f.path).join(", ")} already exist${taken.length === 1 ? "s" : ""}; add --force to replace`);
    mkdirSync(flags.out, { recursive: true });
    for (const { path, manifests: m } of files) {
      const header = `# gaia deploy k8s: data center ${m.dataCenter} of ${flags.cluster} (${options.form}); apply in ${m.dataCenter}'s cluster:\n#   kubectl create namespace ${namespace}; kubectl -n ${namespace} create secret generic ${options.secretName} --from-literal=secret=...\n#   kubectl apply -f ${path}\n`;
      writeFileSync(path, header + m.objects.map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`).join(""));
      process.stdout.write(`wrote ${path}: ${m.objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}\n`);
    }
  }

}
