/**
 * The cluster section of a cluster file, normalized: where each node of a real run listens and
 * how nodes trust each other. A cluster file is a scenario (the same keys, parser and checks as
 * `gaia simulate`) plus this section, so one file describes a run for both drivers:
 *
 *   cluster:
 *     secret: a-shared-secret          # HMAC key every node proves it knows
 *     host: 127.0.0.1                  # default host of every node
 *     basePort: 47100                  # ports basePort, basePort+1, ... in layout order
 *     nodes: [{id: virginia/s0, host: 10.0.0.5, port: 47100}]   # or explicit addresses
 *     tls: {cert: cert.pem, key: key.pem}
 *     wanEmulation: {enabled: true, bandwidthScale: 1, latencyScale: 1, cutMode: hold, bandwidthBy: runtime}
 *     faultTimeScale: 1                # the scenario's fault times (at, for, restartAfter) x this, in wall seconds
 *     lanCarrier: ws                   # nodes of one data center on one host: ws, or unix (unix-domain sockets)
 *     socketDir: /tmp                  # where the unix sockets live (default: the temporary directory)
 *     emulateCompute: false            # a compute step takes at least samples x msPerSample x regime factor / speed
 *     checkpoint: {enabled: true, dir: ckpt, everyMs: 1000, commitMs: 2.5}   # default dir: runs/checkpoints/<name>; gaia launch: <out>/checkpoints
 *                                  # commitMs: the simulator's time of one checkpoint (output commit; the runtime measures its own)
 *
 * The schema (schema.ts, `definitions.cluster`) checks it with the rest of the file; here only the
 * defaults are filled in and relative paths resolved against the file's directory.
 */
import { tmpdir } from "node:os";
import { dirname, resolve } from "node:path";
import type { Scenario } from "./scenario.js";
import type { PathSegment } from "./issues.js";
import type { ClusterSection } from "./schema.js";

/**
 * What a command line may change in a cluster file: `set` as for a scenario (`gaia launch --set`),
 * and where shard checkpoints go when the file names no `checkpoint.dir` (`gaia launch`: under its
 * output folder). A launch passes the same overrides to every node it spawns, so all read one file.
 */
export interface ClusterOverrides {
  readonly set?: readonly { readonly path: readonly PathSegment[]; readonly value: unknown }[];
  readonly checkpointDir?: string;
}

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
  /** `bandwidthBy: kernel`: the nodes shape latency only; tc shapes bandwidth (gaia launch --hosts netns). */
  readonly wanEmulation: { readonly enabled: boolean; readonly bandwidthScale: number; readonly latencyScale: number; readonly cutMode: "hold" | "drop"; readonly bandwidthBy: "runtime" | "kernel" };
  /** `gaia launch` applies the scenario's faults at `at` x this wall seconds after every node is up. */
  readonly faultTimeScale: number;
  /**
   * Workers pad each compute step to the simulator's cost model (samples x msPerSample / speed),
   * sleeping after a step that ran faster, so a one-machine run trains in the paper's regime, where
   * a step costs about as much as a WAN transfer.
   */
  readonly emulateCompute: boolean;
  /**
   * Nodes of one data center on one host reach each other over unix-domain sockets ("unix") or
   * WebSocket ("ws"); every other pair, and every pair when TLS is on, over WebSocket.
   */
  readonly lanCarrier: "unix" | "ws";
  /** Directory of the unix-socket carrier's sockets. */
  readonly socketDir: string;
  /** Shard checkpoints; off, a restarted shard cannot rejoin (but replies leave without an fsync). */
  readonly checkpoint: { readonly enabled: boolean; readonly dir: string; readonly everyMs: number };
  /** What the command line changed when the file was read; a launch hands them to every node. */
  readonly overrides: ClusterOverrides;
}

/** The cluster configuration of a valid cluster file (its section has passed the schema). */
export function clusterConfigOf(section: ClusterSection, scenario: Scenario, file: string, overrides: ClusterOverrides = {}): ClusterConfig {
  const base = dirname(resolve(file));
  const wan = section.wanEmulation ?? {};
  const checkpoint = section.checkpoint ?? {};
  const host = section.host ?? "127.0.0.1";
  const nodes = new Map<string, NodeAddress>();
  for (const node of section.nodes ?? []) nodes.set(node.id, { id: node.id, host: node.host ?? host, port: node.port });
  return {
    file,
    scenario,
    secret: section.secret,
    tls: section.tls ? { cert: resolve(base, section.tls.cert), key: resolve(base, section.tls.key) } : null,
    nodes,
    host,
    basePort: section.basePort ?? null,
    listenHost: section.listenHost ?? null,
    wanEmulation: { enabled: wan.enabled ?? false, bandwidthScale: wan.bandwidthScale ?? 1, latencyScale: wan.latencyScale ?? 1, cutMode: wan.cutMode ?? "hold", bandwidthBy: wan.bandwidthBy ?? "runtime" },
    faultTimeScale: section.faultTimeScale ?? 1,
    emulateCompute: section.emulateCompute ?? false,
    lanCarrier: section.lanCarrier ?? "ws",
    socketDir: section.socketDir !== undefined ? resolve(base, section.socketDir) : tmpdir(),
    // A relative dir is relative to the cluster file; the default is the command's (a launch: its
    // output folder), else under runs/ (ignored by git).
    checkpoint: { enabled: checkpoint.enabled ?? true, dir: checkpoint.dir !== undefined ? resolve(base, checkpoint.dir) : resolve(overrides.checkpointDir ?? resolve("runs", "checkpoints", scenario.name)), everyMs: checkpoint.everyMs ?? 1000 },
    overrides,
  };
}
