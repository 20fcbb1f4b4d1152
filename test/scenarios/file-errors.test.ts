// Proves that scenario files and cluster files report every kind of mistake in one format,
// `file:line:col: path: message` (did-you-mean included), because one loader reads both: each row
// of the table is one kind of mistake, checked in a scenario file and in a cluster file alike. A
// cluster file is the scenario plus a `cluster` section at its end, so a row's line numbers are the
// same in both; rows about the cluster section put one in the scenario file too (a scenario file may
// carry it, and it is checked there as well).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ClusterError, parseClusterText, parseScenarioText, ScenarioError } from "@gaia/scenario";

const scenario = `name: table
topology:
  preset: ec2-11
  dataCenters: [virginia, california]
  machinesPerDataCenter: 1
  shardsPerDataCenter: 1
workload: { kind: mf, users: 50, items: 20, ratings: 500, rank: 4 }
sync:
  model: asp
  mirrorClockBound: 1
faults:
  - { at: 1s, partition: [virginia, california], for: 2s }
stop:
  maxIterations: 5
`;
const section = `cluster:
  secret: long-enough-secret
  basePort: 40000
  wanEmulation: { enabled: true, cutMode: hold }
`;

interface Row {
  readonly mistake: string;
  /** Turns the valid file into one with the mistake (a plain replacement of its text). */
  readonly from: string;
  readonly to: string;
  /** The first line of the error, after `file:`. */
  readonly expected: string;
  /** Which kinds the row applies to (default both). */
  readonly kinds?: readonly ("scenario" | "cluster")[];
}

const rows: readonly Row[] = [
  { mistake: "YAML syntax", from: "  model: asp\n", to: "  model: [asp\n", expected: "10:3: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]" },
  { mistake: "misspelled key, with a guess", from: "  maxIterations: 5", to: "  maxIteratons: 5", expected: `14:3: stop.maxIteratons: unknown field "maxIteratons" (did you mean "maxIterations"?)` },
  { mistake: "unknown key, no close guess", from: "  mirrorClockBound: 1\n", to: "  mirrorClockBound: 1\n  colour: red\n", expected: `11:3: sync.colour: unknown field "colour" (known: model, withinDataCenter, staleness, significance, mirrorClockBound, selectiveBarrier, barrierClockFraction, hubs, diloco)` },
  { mistake: "wrong type", from: "  mirrorClockBound: 1", to: "  mirrorClockBound: ten", expected: `10:21: sync.mirrorClockBound: must be an integer, not "ten"` },
  { mistake: "not one of the allowed values", from: "  model: asp", to: "  model: gaia", expected: `9:10: sync.model: must be one of lan, bsp, ssp, asp, diloco, not "gaia"` },
  { mistake: "out of range", from: "  maxIterations: 5", to: "  maxIterations: 0", expected: "14:18: stop.maxIterations: must be >= 1, not 0" },
  { mistake: "missing required field", from: "workload: { kind: mf, users: 50, items: 20, ratings: 500, rank: 4 }\n", to: "", expected: `1:1: missing required field "workload"` },
  { mistake: "a number that is not finite", from: "  maxIterations: 5", to: "  maxIterations: .inf", expected: "14:18: stop.maxIterations: must be a finite number, not .inf" },
  { mistake: "an alias without an anchor", from: "  model: asp", to: "  model: *nowhere", expected: "9:10: YAML alias error: Unresolved alias (the anchor must be set before the alias): nowhere" },
  { mistake: "not a duration", from: "at: 1s", to: "at: 1 second", expected: `12:11: faults[0].at: "1 second" is not a duration: use seconds (90) or a string such as 500ms, 90s, 5m, 2h, 1h30m` },
  { mistake: "a name the topology does not have", from: "partition: [virginia, california]", to: "partition: [virginia, tokyo]", expected: `12:37: faults[0].partition[1]: unknown data center "tokyo" (this topology has virginia, california)` },
  { mistake: "a fault of no kind", from: "partition: [virginia, california], ", to: "", expected: "12:5: faults[0]: a fault needs exactly one of partition, isolate, bandwidth, crash, slow, lossy (found: none)" },
  { mistake: "a misspelled cluster key", from: "  basePort: 40000", to: "  basePortt: 40000", expected: `17:3: cluster.basePortt: unknown field "basePortt" (did you mean "basePort"?)` },
  { mistake: "a misspelled key inside the cluster section", from: "{ enabled: true,", to: "{ enabeld: true,", expected: `18:19: cluster.wanEmulation.enabeld: unknown field "enabeld" (did you mean "enabled"?)` },
  { mistake: "a cluster value not allowed", from: "cutMode: hold", to: "cutMode: lose", expected: `18:43: cluster.wanEmulation.cutMode: must be one of hold, drop, not "lose"` },
  { mistake: "a cluster value out of range", from: "  basePort: 40000", to: "  basePort: 99999", expected: "17:13: cluster.basePort: must be <= 65535, not 99999" },
  { mistake: "a malformed node id", from: "  basePort: 40000\n", to: "  nodes: [{ id: virginia/x1, port: 4 }]\n", expected: `17:17: cluster.nodes[0].id: "virginia/x1" is not a node id: use <dc>/w<i> (worker), <dc>/s<j> (shard) or <dc>/hub` },
  { mistake: "a cluster key at the top level", from: "name: table\n", to: "name: table\nsecret: long-enough-secret\n", expected: `2:1: secret: unknown field "secret" (a cluster key: it belongs in the cluster section, as cluster.secret)` },
  { mistake: "a cluster file without its cluster section", from: section, to: "", expected: `1:1: missing required field "cluster"`, kinds: ["cluster"] },
];

/** The first line of the error that reading `text` as `kind` gives (and that it is the right class, with no stack trace). */
function firstError(kind: "scenario" | "cluster", text: string, file: string): string {
  try {
    if (kind === "scenario") parseScenarioText(text, file);
    else parseClusterText(text, file);
  } catch (error) {
    assert.ok(error instanceof ScenarioError, String(error));
    assert.equal(error instanceof ClusterError, kind === "cluster", "a cluster file's problems are a ClusterError");
    assert.ok(!/\n\s+at /.test(error.message), "no stack trace in the message");
    return error.message.split("\n")[0]!;
  }
  assert.fail(`${file} was accepted`);
}

describe("one error format for scenario files and cluster files", () => {
  test("the table's base files are valid", () => {
    assert.equal(parseScenarioText(scenario, "table.yaml").name, "table");
    assert.equal(parseScenarioText(scenario + section, "table.yaml").name, "table", "a scenario file may carry a cluster section");
    assert.equal(parseClusterText(scenario + section, "table.yaml").basePort, 40000);
  });

  for (const row of rows) {
    const aboutCluster = row.from === section || section.includes(row.from);
    for (const kind of row.kinds ?? (["scenario", "cluster"] as const)) {
      test(`${row.mistake}: ${kind} file`, () => {
        const valid = kind === "cluster" || aboutCluster ? scenario + section : scenario;
        assert.ok(valid.includes(row.from), `the row's text is in the base file: ${row.from}`);
        const file = `${kind}.yaml`;
        assert.equal(firstError(kind, valid.replace(row.from, row.to), file), `${file}:${row.expected}`);
      });
    }
  }
});
