// The entry point `gaia launch` spawns for each node: node <this file> --cluster F --node ID [--restore] [--trace] [--overrides JSON] [--await-start].
import { parseArgs } from "node:util";
import { runNode } from "../run-node.js";
import type { NodeFaultState } from "../node.js";
import type { ClusterOverrides } from "../cluster.js";

const { values } = parseArgs({
  options: { cluster: { type: "string" }, node: { type: "string" }, restore: { type: "boolean" }, trace: { type: "boolean" }, epoch: { type: "string" }, faults: { type: "string" }, watchdog: { type: "string" }, overrides: { type: "string" }, "await-start": { type: "boolean" } },
});
if (!values.cluster || !values.node) {
  process.stderr.write("usage: node.js --cluster FILE --node ID [--restore] [--trace] [--epoch MS] [--faults JSON]\n");
  process.exit(2);
}
let faults: NodeFaultState | undefined;
let overrides: ClusterOverrides | undefined;
try {
  faults = values.faults ? (JSON.parse(values.faults) as NodeFaultState) : undefined;
} catch {
  process.stderr.write(`--faults: not JSON: ${values.faults}\n`);
  process.exit(2);
}
try {
  overrides = values.overrides ? (JSON.parse(values.overrides) as ClusterOverrides) : undefined;
} catch {
  process.stderr.write(`--overrides: not JSON: ${values.overrides}\n`);
  process.exit(2);
}
runNode({ clusterFile: values.cluster, node: values.node, launcher: true, restore: values.restore ?? false, trace: values.trace ?? false, ...(values.epoch ? { epochMs: Number(values.epoch) } : {}), ...(faults ? { faults } : {}), ...(overrides ? { overrides } : {}), ...(values.watchdog ? { watchdogMs: Number(values.watchdog) } : {}), ...(values["await-start"] ? { awaitStart: true } : {}) }).then(
  // Exit only once stdout has taken the final report (a large replica is one long line, and a
  // pipe may not take it in one write).
  (code) => void process.stdout.write("", () => process.exit(code)),
  (error: unknown) => {
    process.stdout.write(JSON.stringify({ ev: "error", node: values.node, message: error instanceof Error ? error.message : String(error) }) + "\n");
    process.stderr.write(`${values.node}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
