/**
 * Cluster files: a scenario (topology, workload, sync, stop: the same vocabulary and the same
 * parser as `gaia simulate`) plus where each node runs and how nodes trust each other.
 *
 *   secret: a-shared-secret          # HMAC key every node proves it knows
 *   host: 127.0.0.1                  # default host of every node
 *   basePort: 47100                  # ports basePort, basePort+1, ... in layout order
 *   nodes: [{id: virginia/s0, host: 10.0.0.5, port: 47100}]   # or explicit addresses
 *   tls: {cert: cert.pem, key: key.pem}
 *   wanEmulation: {enabled: true, bandwidthScale: 1, latencyScale: 1, cutMode: hold}
 *   faultTimeScale: 1                # the scenario's fault times (at, for, restartAfter) x this, in wall seconds
 *   emulateCompute: false            # a compute step takes at least samples x compute.msPerSample / speed
 *   checkpoint: {enabled: true, dir: ckpt, everyMs: 1000}   # default dir: runs/checkpoints/<name>
 *
 * The cluster-only keys are validated here (ajv, with file:line:column positions); the rest of
 * the document goes to the scenario parser with its lines left where they were, so its messages
 * point at the right place in the cluster file too.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { LineCounter, parseDocument, isMap, isScalar, type Document, type Node as YamlNode } from "yaml";
import { parseScenarioText, ScenarioError, type Scenario, type ScenarioIssue } from "@gaia/scenario";

export interface NodeAddress {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

export interface ClusterConfig {
  readonly file: string;
  readonly scenario: Scenario;
  readonly secret: string;
  readonly tls: { readonly cert: string; readonly key: string } | null;
  /** Explicit addresses by node id; nodes not listed get host:basePort+index. */
  readonly nodes: ReadonlyMap<string, NodeAddress>;
  readonly host: string;
  readonly basePort: number | null;
  /** Interface nodes listen on (defaults to each node's host). */
  readonly listenHost: string | null;
  readonly wanEmulation: { readonly enabled: boolean; readonly bandwidthScale: number; readonly latencyScale: number; readonly cutMode: "hold" | "drop" };
  /** `gaia launch` applies the scenario's faults at `at` x this wall seconds after every node is up. */
  readonly faultTimeScale: number;
  /**
   * Workers pad each compute step to the simulator's cost model (samples x msPerSample / speed),
   * sleeping after a step that ran faster, so a one-machine run trains in the paper's regime, where
   * a step costs about as much as a WAN transfer.
   */
  readonly emulateCompute: boolean;
  /** Shard checkpoints; off, a restarted shard cannot rejoin (but replies leave without an fsync). */
  readonly checkpoint: { readonly enabled: boolean; readonly dir: string; readonly everyMs: number };
}

export class ClusterError extends ScenarioError {}

const clusterKeys = ["secret", "host", "listenHost", "basePort", "nodes", "tls", "wanEmulation", "checkpoint", "faultTimeScale", "emulateCompute"] as const;

export const clusterJsonSchema = {
  type: "object",
  required: ["secret"],
  properties: {
    secret: { description: "Shared secret for the HMAC handshake (at least 8 characters).", type: "string", minLength: 8 },
    host: { description: "Default host of every node.", type: "string", minLength: 1, default: "127.0.0.1" },
    listenHost: { description: "Interface to listen on (default: the node's host).", type: "string", minLength: 1 },
    basePort: { description: "Nodes not listed in `nodes` listen on basePort + their index in layout order.", type: "integer", minimum: 1, maximum: 65535 },
    nodes: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "port"],
        properties: { id: { type: "string", pattern: "^[^/]+/(w\\d+|s\\d+|hub)$" }, host: { type: "string", minLength: 1 }, port: { type: "integer", minimum: 1, maximum: 65535 } },
      },
    },
    tls: { type: "object", additionalProperties: false, required: ["cert", "key"], properties: { cert: { type: "string" }, key: { type: "string" } } },
    wanEmulation: {
      type: "object",
      additionalProperties: false,
      properties: {
        enabled: { type: "boolean", default: false },
        bandwidthScale: { type: "number", exclusiveMinimum: 0, default: 1 },
        latencyScale: { type: "number", minimum: 0, default: 1 },
        cutMode: { description: "What a WAN partition fault does to frames: hold them until it heals, or drop them (the reliable links resend).", enum: ["hold", "drop"], default: "hold" },
      },
    },
    emulateCompute: { description: "Pad every compute step to samples x compute.msPerSample / speed (the simulator's cost model) by sleeping.", type: "boolean", default: false },
    faultTimeScale: { description: "Multiplies the scenario's fault times (seconds of wall time after every node is up).", type: "number", exclusiveMinimum: 0, default: 1 },
    checkpoint: {
      type: "object",
      additionalProperties: false,
      properties: { enabled: { type: "boolean", default: true }, dir: { type: "string", minLength: 1 }, everyMs: { type: "integer", minimum: 10, default: 1000 } },
    },
  },
} as const;

const validateCluster = new Ajv({ allErrors: true, useDefaults: false }).compile(clusterJsonSchema);

export function loadCluster(path: string): ClusterConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ClusterError(path, [{ path: "", message: `cannot read the cluster file: ${code === "ENOENT" ? "no such file" : (error as Error).message}`, line: null, column: null }]);
  }
  return parseClusterText(text, path);
}

export function parseClusterText(text: string, file: string): ClusterConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (node: YamlNode | null | undefined): { line: number | null; column: number | null } => {
    const offset = node?.range?.[0];
    if (offset === undefined) return { line: null, column: null };
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    throw new ClusterError(file, doc.errors.map((e) => ({ path: "", message: `YAML syntax error: ${e.message.split("\n")[0]}`, ...at({ range: [e.pos[0], e.pos[1], e.pos[1]] } as YamlNode) })));
  }
  if (!isMap(doc.contents)) throw new ClusterError(file, [{ path: "", message: "a cluster file must be a map with secret, topology, workload and the nodes' addresses", line: 1, column: 1 }]);

  // Split the document: cluster keys are checked here, the rest is the scenario, with the cluster
  // keys blanked out (newlines kept) so the scenario parser's line numbers stay right.
  const own: Record<string, unknown> = {};
  let scenarioText = text;
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    if (!(clusterKeys as readonly string[]).includes(key)) continue;
    own[key] = (pair.value as YamlNode | null)?.toJSON?.() ?? (isScalar(pair.value) ? pair.value.value : null);
    const start = (pair.key as YamlNode).range![0];
    const end = (pair.value as YamlNode | null)?.range?.[2] ?? (pair.key as YamlNode).range![2];
    scenarioText = scenarioText.slice(0, start) + scenarioText.slice(start, end).replace(/[^\n]/g, " ") + scenarioText.slice(end);
  }
  const issues: ScenarioIssue[] = [];
  if (!validateCluster(own)) {
    for (const e of validateCluster.errors ?? []) issues.push(issueOf(doc, e, at));
  }
  let scenario: Scenario | null = null;
  try {
    scenario = parseScenarioText(scenarioText, file);
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    issues.push(...error.issues);
  }
  if (issues.length > 0 || scenario === null) throw new ClusterError(file, issues);

  const base = dirname(resolve(file));
  const tls = own["tls"] as { cert: string; key: string } | undefined;
  const wan = (own["wanEmulation"] ?? {}) as { enabled?: boolean; bandwidthScale?: number; latencyScale?: number; cutMode?: "hold" | "drop" };
  const checkpoint = (own["checkpoint"] ?? {}) as { enabled?: boolean; dir?: string; everyMs?: number };
  const host = (own["host"] as string | undefined) ?? "127.0.0.1";
  const nodes = new Map<string, NodeAddress>();
  ((own["nodes"] ?? []) as { id: string; host?: string; port: number }[]).forEach((n) => nodes.set(n.id, { id: n.id, host: n.host ?? host, port: n.port }));
  return {
    file,
    scenario,
    secret: own["secret"] as string,
    tls: tls ? { cert: resolve(base, tls.cert), key: resolve(base, tls.key) } : null,
    nodes,
    host,
    basePort: (own["basePort"] as number | undefined) ?? null,
    listenHost: (own["listenHost"] as string | undefined) ?? null,
    wanEmulation: { enabled: wan.enabled ?? false, bandwidthScale: wan.bandwidthScale ?? 1, latencyScale: wan.latencyScale ?? 1, cutMode: wan.cutMode ?? "hold" },
    faultTimeScale: (own["faultTimeScale"] as number | undefined) ?? 1,
    emulateCompute: (own["emulateCompute"] as boolean | undefined) ?? false,
    // A relative dir is relative to the cluster file; the default lives under runs/ (ignored by git).
    checkpoint: { enabled: checkpoint.enabled ?? true, dir: checkpoint.dir !== undefined ? resolve(base, checkpoint.dir) : resolve("runs", "checkpoints", scenario.name), everyMs: checkpoint.everyMs ?? 1000 },
  };
}

/** Every node's address, in layout order; errors name nodes that have none or that do not exist. */
export function resolveAddresses(cluster: ClusterConfig, layoutNodes: readonly string[]): Map<string, NodeAddress> {
  const problems: ScenarioIssue[] = [];
  const out = new Map<string, NodeAddress>();
  for (const id of cluster.nodes.keys()) {
    if (!layoutNodes.includes(id)) problems.push({ path: "nodes", message: `node ${id} is not in the layout (nodes are ${layoutNodes.slice(0, 6).join(", ")}${layoutNodes.length > 6 ? ", ..." : ""})`, line: null, column: null });
  }
  layoutNodes.forEach((id, index) => {
    const listed = cluster.nodes.get(id);
    if (listed) out.set(id, listed);
    else if (cluster.basePort !== null) out.set(id, { id, host: cluster.host, port: cluster.basePort + index });
    else problems.push({ path: "nodes", message: `node ${id} has no address: list it in nodes or set basePort`, line: null, column: null });
  });
  const seen = new Map<string, string>();
  for (const a of out.values()) {
    const key = `${a.host}:${a.port}`;
    if (seen.has(key)) problems.push({ path: "nodes", message: `${a.id} and ${seen.get(key)} both use ${key}`, line: null, column: null });
    seen.set(key, a.id);
  }
  if (problems.length > 0) throw new ClusterError(cluster.file, problems);
  return out;
}

function issueOf(doc: Document, error: ErrorObject, at: (node: YamlNode | null | undefined) => { line: number | null; column: number | null }): ScenarioIssue {
  const segments = error.instancePath.split("/").filter((s) => s !== "").map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, "/").replace(/~0/g, "~")));
  let message = error.message ?? "is invalid";
  if (error.keyword === "additionalProperties") {
    const extra = String(error.params["additionalProperty"]);
    segments.push(extra);
    message = "is not a known key";
  } else if (error.keyword === "required") message = `needs ${String(error.params["missingProperty"])}`;
  else if (error.keyword === "pattern" && segments.at(-1) === "id") message = "must be a node id like virginia/w0, virginia/s1 or virginia/hub";
  const node = doc.getIn(segments, true) as YamlNode | undefined;
  const path = segments.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
  return { path, message, ...at(node ?? (doc.contents as YamlNode)) };
}
