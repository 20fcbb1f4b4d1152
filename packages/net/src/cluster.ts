/**
 * Node addresses of a real run. Cluster files themselves (a scenario plus a `cluster` section) are
 * read by @gaia/scenario, with the same parser, schema and error format as scenario files; this
 * module gives every node of the run's layout its host and port, and refuses a file whose
 * addresses do not fit the layout.
 */
import { ClusterError, type ClusterConfig, type NodeAddress, type ScenarioIssue } from "@gaia/scenario";

export { ClusterError, clusterJsonSchema, loadCluster, loadClusterAsync, parseClusterText, type ClusterConfig, type ClusterOverrides, type NodeAddress } from "@gaia/scenario";

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
