/**
 * Kubernetes manifests for a cluster file (`gaia deploy k8s`): one Kubernetes cluster per data
 * center, and for each, one YAML file with
 * - a ConfigMap holding the cluster file, its addresses rewritten to DNS names: the nodes of this
 *   data center by their pods' in-cluster names (`<pod>.<headless service>.<ns>.svc.cluster.local`),
 *   the nodes of other data centers by their multi-cluster service names
 *   (`<service>.<ns>.svc.clusterset.local`), every node on one port, listening on 0.0.0.0;
 * - one workload object: a JobSet (jobset.x-k8s.io/v1alpha2, one replicated job per node, the
 *   form for a batch run) or a StatefulSet with its headless Service (one pod per node);
 * - per node, a Service exported to the clusterset (a ServiceExport of the same name), by which
 *   the other data centers reach it;
 * - the Secret by reference only: it is mounted as a file and named by GAIA_SECRET_FILE; its value
 *   is never written here (`kubectl create secret generic NAME --from-literal=secret=...`);
 * - probes: startup and liveness on /healthz, readiness on /readyz.
 *
 * Every DNS record is published before its pod is ready (publishNotReadyAddresses): a node is ready
 * only once it has joined its peers, so peers that could not find each other until ready would
 * never be. Every object is checked against the Kubernetes API schemas (kubernetes-models) and the
 * JobSet against its CRD's schema before it is written.
 */
import { dataCenterOf, type NodeId } from "@gaia/core";
import { resolveAddresses, type ClusterConfig } from "@gaia/net";
import { planLayout } from "@gaia/scenario";
import { createWorkload, tableShape } from "@gaia/workloads";
import { dirname } from "node:path";
import { parseDocument } from "yaml";

export type WorkloadForm = "jobset" | "statefulset";

export interface DeployOptions {
  readonly form: WorkloadForm;
  readonly image: string;
  /** The Secret (in every cluster) whose key `secret` holds the shared secret. */
  readonly secretName: string;
  /** The Secret (kubernetes.io/tls) with tls.crt and tls.key, when the cluster file has tls. */
  readonly tlsSecretName: string;
  readonly namespace: string;
  /** The port every node listens on. */
  readonly port: number;
  /** SIGTERM grace (GAIA_GRACE), seconds; the pod's termination grace is 10 s more. */
  readonly graceSeconds: number;
  /** StatefulSet form: the size of each pod's checkpoint volume. */
  readonly storage: string;
}

/** A Kubernetes object as plain data (what is written). */
export type Manifest = { readonly apiVersion: string; readonly kind: string; readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> } } & Record<string, unknown>;

export interface DataCenterManifests {
  readonly dataCenter: string;
  /** Every object of this data center's cluster, in the order they are applied. */
  readonly objects: readonly Manifest[];
  /** The cluster file in the ConfigMap. */
  readonly clusterFile: string;
}

/** Bad input to the generator (a name that cannot be a DNS label, ...): exit 2. */
export class DeployError extends Error {}

export const mountPaths = { cluster: "/etc/gaia/cluster", secret: "/etc/gaia/secret", tls: "/etc/gaia/tls", checkpoints: "/var/lib/gaia/checkpoints" } as const;
const secretPlaceholder = "replaced-by-GAIA_SECRET_FILE";

/** A DNS-1123 label from a name: lower case, [a-z0-9-], no dash at the ends. */
export function dnsLabel(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** The nodes of the run's layout, in layout order (as the runtime numbers them). */
export async function layoutNodes(cluster: ClusterConfig): Promise<readonly NodeId[]> {
  const { scenario } = cluster;
  let shape: { rows: number; cols: number };
  try {
    shape = tableShape(scenario.workload);
  } catch {
    // A workload kind without a closed-form shape (a module): build it, as a node would.
    shape = await createWorkload(scenario.workload, { seed: scenario.seed, dataCenters: scenario.topology.dataCenters, workersPerDataCenter: scenario.topology.workersPerDataCenter, baseDir: scenario.baseDir ?? dirname(cluster.file) });
  }
  return planLayout(scenario, shape).layout.nodes;
}

interface NodeNames {
  readonly id: NodeId;
  readonly dataCenter: string;
  /** The node's name inside its data center, as a DNS label ("s0", "w1", "hub"). */
  readonly local: string;
  /** The pod's hostname. */
  readonly pod: string;
  /** The exported per-node Service. */
  readonly service: string;
  /** StatefulSet form: the pod's ordinal. */
  readonly ordinal: number;
}

/** The Kubernetes objects of every data center of `cluster`. */
export async function k8sManifests(cluster: ClusterConfig, text: string, options: DeployOptions): Promise<DataCenterManifests[]> {
  const nodes = await layoutNodes(cluster);
  // The cluster file's own addresses must fit the layout, as for any run.
  resolveAddresses(cluster, nodes);
  const prefix = dnsLabel(cluster.scenario.name) || "gaia";
  const workloadName = (dc: string): string => `${prefix}-${dnsLabel(dc)}`;
  const names = new Map<NodeId, NodeNames>();
  const ordinals = new Map<string, number>();
  for (const id of nodes) {
    const dc = dataCenterOf(id);
    if (dnsLabel(dc) === "") throw new DeployError(`data center ${JSON.stringify(dc)} has no letter or digit to name its objects by`);
    const local = dnsLabel(id.slice(id.indexOf("/") + 1));
    const ordinal = ordinals.get(dc) ?? 0;
    ordinals.set(dc, ordinal + 1);
    const pod = options.form === "jobset" ? `${workloadName(dc)}-${local}-0-0` : `${workloadName(dc)}-${ordinal}`;
    names.set(id, { id, dataCenter: dc, local, pod, service: `${workloadName(dc)}-${local}`, ordinal });
  }
  for (const n of names.values()) {
    for (const [what, label] of [["pod hostname", n.pod], ["service name", n.service]] as const) {
      if (label.length > 63) throw new DeployError(`${n.id}: its ${what} ${label} is ${label.length} characters; a DNS label has at most 63 (shorten the scenario's name or the data center's)`);
    }
  }
  const dataCenters = [...new Set(nodes.map(dataCenterOf))];
  return dataCenters.map((dc) => {
    const host = (n: NodeNames): string => (n.dataCenter === dc ? `${n.pod}.${workloadName(dc)}.${options.namespace}.svc.cluster.local` : `${n.service}.${options.namespace}.svc.clusterset.local`);
    const clusterFile = rewriteClusterFile(text, cluster, [...names.values()].map((n) => ({ id: n.id, host: host(n), port: options.port })));
    const local = [...names.values()].filter((n) => n.dataCenter === dc);
    return { dataCenter: dc, clusterFile, objects: dataCenterObjects(cluster, dc, workloadName(dc), local, clusterFile, options) };
  });
}

/**
 * The cluster file as a data center's nodes read it: explicit addresses for every node, listening
 * on every interface, checkpoints on the pod's volume, the secret left to GAIA_SECRET_FILE, TLS
 * files from their Secret, and no emulated WAN (the data centers are apart; the WAN is real).
 */
function rewriteClusterFile(text: string, cluster: ClusterConfig, addresses: readonly { id: NodeId; host: string; port: number }[]): string {
  const doc = parseDocument(text);
  const section = ["cluster"];
  for (const key of ["host", "basePort", "lanCarrier", "socketDir", "nodes"]) doc.deleteIn([...section, key]);
  doc.setIn([...section, "secret"], secretPlaceholder);
  doc.setIn([...section, "listenHost"], "0.0.0.0");
  doc.setIn([...section, "nodes"], doc.createNode(addresses.map((a) => ({ ...a }))));
  doc.setIn([...section, "wanEmulation", "enabled"], false);
  doc.setIn([...section, "checkpoint", "dir"], mountPaths.checkpoints);
  if (cluster.tls) doc.setIn([...section, "tls"], doc.createNode({ cert: `${mountPaths.tls}/tls.crt`, key: `${mountPaths.tls}/tls.key` }));
  doc.commentBefore = ` Written by gaia deploy k8s from ${cluster.file}: addresses are DNS names, the secret comes from GAIA_SECRET_FILE.`;
  return doc.toString();
}

function dataCenterObjects(cluster: ClusterConfig, dc: string, name: string, nodes: readonly NodeNames[], clusterFile: string, options: DeployOptions): Manifest[] {
  const namespace = options.namespace;
  const labels = { "app.kubernetes.io/name": "gaia", "app.kubernetes.io/instance": name, "gaia/data-center": dnsLabel(dc) };
  const configMap: Manifest = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${name}-cluster`, namespace, labels }, data: { "cluster.yaml": clusterFile } };
  const scheme = cluster.tls ? "HTTPS" : "HTTP";
  const probe = (path: string, periodSeconds: number, failureThreshold: number): Record<string, unknown> => ({ httpGet: { path, port: "gaia", scheme }, periodSeconds, failureThreshold, timeoutSeconds: 2 });
  const container = (env: readonly Record<string, unknown>[], command?: readonly string[]): Record<string, unknown> => ({
    name: "gaia",
    image: options.image,
    ...(command ? { command } : {}),
    env: [
      { name: "GAIA_CLUSTER", value: `${mountPaths.cluster}/cluster.yaml` },
      { name: "GAIA_SECRET_FILE", value: `${mountPaths.secret}/secret` },
      { name: "GAIA_GRACE", value: String(options.graceSeconds) },
      ...env,
    ],
    ports: [{ name: "gaia", containerPort: options.port, protocol: "TCP" }],
    // Building the workload comes before listening: the startup probe allows 5 minutes for it.
    startupProbe: probe("/healthz", 5, 60),
    livenessProbe: probe("/healthz", 10, 3),
    readinessProbe: probe("/readyz", 2, 1),
    volumeMounts: [
      { name: "cluster", mountPath: mountPaths.cluster, readOnly: true },
      { name: "secret", mountPath: mountPaths.secret, readOnly: true },
      { name: "checkpoints", mountPath: mountPaths.checkpoints },
      ...(cluster.tls ? [{ name: "tls", mountPath: mountPaths.tls, readOnly: true }] : []),
    ],
  });
  const volumes = (withCheckpoints: boolean): Record<string, unknown>[] => [
    { name: "cluster", configMap: { name: `${name}-cluster` } },
    { name: "secret", secret: { secretName: options.secretName, items: [{ key: "secret", path: "secret" }] } },
    ...(withCheckpoints ? [{ name: "checkpoints", emptyDir: {} }] : []),
    ...(cluster.tls ? [{ name: "tls", secret: { secretName: options.tlsSecretName } }] : []),
  ];
  const terminationGracePeriodSeconds = options.graceSeconds + 10;
  // The image runs as user node (uid and gid 1000): its checkpoint volume must be writable by it.
  const securityContext = { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 };
  const nodeLabel = (n: NodeNames): Record<string, string> => ({ ...labels, "gaia/node": n.local });

  const objects: Manifest[] = [configMap];
  let workload: Manifest;
  if (options.form === "jobset") {
    workload = {
      apiVersion: "jobset.x-k8s.io/v1alpha2",
      kind: "JobSet",
      metadata: { name, namespace, labels },
      spec: {
        // JobSet makes the headless Service named by the subdomain; pods are <name>-<job>-0-0.
        network: { enableDNSHostnames: true, subdomain: name, publishNotReadyAddresses: true },
        // A node restarted without --restore would start over while its peers remember it.
        failurePolicy: { maxRestarts: 0 },
        successPolicy: { operator: "All" },
        replicatedJobs: nodes.map((n) => ({
          name: n.local,
          replicas: 1,
          template: {
            spec: {
              parallelism: 1,
              completions: 1,
              backoffLimit: 0,
              template: {
                metadata: { labels: nodeLabel(n) },
                spec: { restartPolicy: "Never", terminationGracePeriodSeconds, securityContext, containers: [container([{ name: "GAIA_NODE", value: n.id }])], volumes: volumes(true) },
              },
            },
          },
        })),
      },
    };
  } else {
    objects.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace, labels },
      spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: labels, ports: [{ name: "gaia", port: options.port, targetPort: "gaia" }] },
    });
    // One template for every pod: the pod's ordinal (its hostname's last part) picks its node.
    const cases = nodes.map((n) => `${n.ordinal}) export GAIA_NODE='${n.id}' ;;`).join(" ");
    const script = `case "\${HOSTNAME##*-}" in ${cases} *) echo "pod $HOSTNAME: no node of ${dc} has this ordinal" >&2; exit 2 ;; esac; exec node packages/cli/bin/run.js run`;
    workload = {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name, namespace, labels },
      spec: {
        serviceName: name,
        replicas: nodes.length,
        // Every node at once: none is ready before its peers are up, so OrderedReady would wait forever.
        podManagementPolicy: "Parallel",
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { terminationGracePeriodSeconds, securityContext, containers: [container([], ["/bin/sh", "-c", script])], volumes: volumes(false) },
        },
        volumeClaimTemplates: [{ metadata: { name: "checkpoints" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: options.storage } } } }],
      },
    };
  }
  for (const n of nodes) {
    const selector = options.form === "jobset" ? nodeLabel(n) : { ...labels, "statefulset.kubernetes.io/pod-name": n.pod };
    objects.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: n.service, namespace, labels: nodeLabel(n) },
      spec: { selector, publishNotReadyAddresses: true, ports: [{ name: "gaia", port: options.port, targetPort: "gaia" }] },
    });
    objects.push({ apiVersion: "multicluster.x-k8s.io/v1alpha1", kind: "ServiceExport", metadata: { name: n.service, namespace } });
  }
  objects.push(workload);
  return objects;
}
