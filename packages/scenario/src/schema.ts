/**
 * The one description of the file format: scenario files, and cluster files (a scenario plus a
 * `cluster` section). It is written once, with TypeBox, and gives three things that therefore
 * cannot drift apart:
 * - the JSON Schema (draft-07) that `loadScenario` and `loadCluster` validate every file against
 *   with ajv;
 * - the TypeScript types of a file as written (`ScenarioFile`, `ClusterSection`: `Static<...>` of
 *   the schema), which the loader normalizes into a `Scenario` (scenario.ts) or a `ClusterConfig`;
 * - scenarios/scenario.schema.json and clusters/cluster.schema.json, the files editors read,
 *   printed from it by `npm run schemas` (`gaia scenarios schema`); a test keeps them current.
 *
 * Descriptions and defaults are written for people completing a file in an editor. What JSON
 * Schema cannot say (names that must exist in the topology, a stop condition) is checked after it,
 * in normalize.ts. Constructs whose error messages the loader words itself (if/then/else, a `$ref`
 * into `definitions`) are spelled as plain JSON Schema inside `Type.Unsafe`, typed by the TypeBox
 * types of their branches.
 *
 * The `workload` section belongs to @gaia/workloads; its `workloadJsonSchema` (a oneOf by `kind`)
 * is merged in as one if/then per kind so that errors name the fields of the chosen kind only.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import * as workloads from "@gaia/workloads";
import { presetNames } from "./presets.js";

export type JsonSchema = { readonly [key: string]: unknown };

/** A duration: seconds as a number, or a string of number+unit parts such as 90s, 5m, 1h30m, 500ms. */
export const durationPattern = "^\\s*(\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)\\s*)+$";

/** The kinds of scripted fault; every fault item has exactly one of these keys. */
export const faultKinds = ["partition", "isolate", "bandwidth", "crash", "slow", "lossy"] as const;

/** A `$ref` into `definitions`, typed as the schema it names. */
type PartName = "duration" | "dataCenterName" | "nodeId" | "pair" | "link" | "hubGroup" | "stepSchedule" | `${(typeof faultKinds)[number]}Fault` | "fault" | "cluster";
const ref = <T extends TSchema>(name: PartName, _schema: T, extra: JsonSchema = {}): T => Type.Unsafe<Static<T>>({ $ref: `#/definitions/${name}`, ...extra }) as unknown as T;

/** `if: {type: string}, then: <string form>, else: <other form>`: one error list per form. */
const stringOr = <S extends TSchema, O extends TSchema>(options: JsonSchema, then: S, otherwise: O) =>
  Type.Unsafe<Static<S> | Static<O>>({ ...options, if: { type: "string" }, then, else: otherwise });

const Duration = Type.Unsafe<number | string>({
  description: "Seconds as a number, or a string such as 500ms, 90s, 5m, 2h, 1h30m.",
  type: ["number", "string"],
  minimum: 0,
  pattern: durationPattern,
});
const DataCenterName = Type.String({ description: "A data-center (region) name: letters, digits, - and _.", pattern: "^[A-Za-z0-9][A-Za-z0-9_-]*$" });
const NodeId = Type.String({ description: "A node id: <dc>/w<i> (worker i), <dc>/s<j> (shard j) or <dc>/hub.", pattern: "^[A-Za-z0-9][A-Za-z0-9_-]*/(w\\d+|s\\d+|hub)$" });
const Pair = Type.Unsafe<[string, string]>({ description: "Two data centers [a, b].", type: "array", items: { $ref: "#/definitions/dataCenterName" }, minItems: 2, maxItems: 2 });

const duration = (description: string, extra: JsonSchema = {}) => ref("duration", Duration, { description, ...extra });
const pair = (description: string) => ref("pair", Pair, { description });
const dataCenterName = (description?: string) => ref("dataCenterName", DataCenterName, description === undefined ? {} : { description });
const nodeId = (description: string) => ref("nodeId", NodeId, { description });
const pairOrAll = (description: string) => Type.Unsafe<[string, string] | "all">({ description, if: { type: "string" }, then: { const: "all" }, else: { $ref: "#/definitions/pair" } });
const { Optional } = Type;

/** A map from any name to `value` (`additionalProperties`, which TypeBox's Record spells as a pattern). */
const mapOf = <V extends TSchema>(value: V, options: JsonSchema) => Type.Unsafe<Record<string, Static<V>>>({ ...options, type: "object", additionalProperties: value });

const Link = Type.Object(
  {
    link: pair("The two ends [source, target]."),
    bandwidthMbps: Optional(Type.Number({ description: "Link bandwidth in Mbit/s.", exclusiveMinimum: 0 })),
    bandwidthScale: Optional(Type.Number({ description: "Multiplies the link's bandwidth (after bandwidthMbps).", exclusiveMinimum: 0, default: 1 })),
    latencyMs: Optional(Type.Number({ description: "One-way latency in milliseconds.", minimum: 0 })),
    rttMs: Optional(Type.Number({ description: "Round-trip time in milliseconds (one-way latency = rtt / 2).", minimum: 0 })),
    oneWay: Optional(Type.Boolean({ description: "Apply to source -> target only.", default: false })),
  },
  { description: "Overrides (with a preset) or defines (without one) the WAN link between two data centers, both directions unless oneWay.", additionalProperties: false },
);

const HubGroup = Type.Object(
  {
    hub: dataCenterName("The data center that hosts the hub."),
    members: Type.Array(dataCenterName(), { description: "Member data centers (the hub is added if missing).", minItems: 1 }),
  },
  { description: "A group of data centers whose updates one hub aggregates.", additionalProperties: false },
);

const StepSchedule = Type.Object(
  { kind: Type.Unsafe<"step">({ const: "step" }), every: Type.Integer({ minimum: 1 }), factor: Type.Number({ exclusiveMinimum: 0 }) },
  { description: "Multiply by `factor` every `every` clocks.", additionalProperties: false },
);

const faultFor = () => Optional(duration("How long it lasts; forever if omitted."));
const PartitionFault = Type.Object(
  {
    at: duration("When the fault starts (virtual time)."),
    partition: pair("Cut the WAN link between two data centers."),
    oneWay: Optional(Type.Boolean({ description: "Cut only the direction from the first to the second.", default: false })),
    for: faultFor(),
  },
  { additionalProperties: false },
);
const IsolateFault = Type.Object(
  { at: duration("When the fault starts (virtual time)."), isolate: dataCenterName("Cut every WAN link of this data center."), for: faultFor() },
  { additionalProperties: false },
);
const BandwidthFault = Type.Object(
  {
    at: duration("When the fault starts (virtual time)."),
    bandwidth: Type.Object(
      { link: pairOrAll("[a, b] or all."), factor: Type.Number({ description: "Bandwidth multiplier (0.1 = a tenth).", exclusiveMinimum: 0 }) },
      { description: "Scale the bandwidth of one link (both directions) or of all WAN links.", additionalProperties: false },
    ),
    for: faultFor(),
  },
  { additionalProperties: false },
);
const CrashFault = Type.Object(
  { at: duration("When the node crashes (virtual time)."), crash: nodeId("The node that crashes."), restartAfter: Optional(duration("Restart it after this long; never if omitted.")) },
  { additionalProperties: false },
);
const SlowFault = Type.Object(
  {
    at: duration("When the slowdown starts (virtual time)."),
    slow: nodeId("The node that slows down."),
    factor: Type.Number({ description: "Its compute steps take this many times longer (3 = three times slower).", exclusiveMinimum: 0 }),
    for: faultFor(),
  },
  { additionalProperties: false },
);
const probability = (description: string) => Optional(Type.Number({ description, minimum: 0, exclusiveMaximum: 1, default: 0 }));
const LossyFault = Type.Object(
  {
    at: duration("When the fault starts (virtual time)."),
    lossy: Type.Object(
      {
        link: pairOrAll("[a, b] or all."),
        loss: probability("Probability that a message is lost (below 1: a link that loses everything is a partition)."),
        duplicate: probability("Probability that a message is delivered twice."),
        reorder: probability("Probability that a message is delayed past later ones."),
      },
      { description: "Lose, duplicate or reorder messages on one link (both directions) or all WAN links.", additionalProperties: false },
    ),
    for: faultFor(),
  },
  { additionalProperties: false },
);

/** A scripted fault as written: `at` plus the keys of exactly one kind (the oneOf below says which). */
type FaultKeys = Static<typeof PartitionFault> & Static<typeof IsolateFault> & Static<typeof BandwidthFault> & Static<typeof CrashFault> & Static<typeof SlowFault> & Static<typeof LossyFault>;
const Fault = Type.Unsafe<Partial<FaultKeys> & { at: number | string }>({
  description: `A scripted fault: \`at\` plus exactly one of ${faultKinds.join(", ")}.`,
  type: "object",
  required: ["at"],
  oneOf: faultKinds.map((kind) => ({ required: [kind] })),
  allOf: faultKinds.map((kind) => ({ if: { required: [kind] }, then: { $ref: `#/definitions/${kind}Fault` } })),
});

/** Where each node of a real run listens and how nodes trust each other (gaia launch, gaia run). */
const ClusterSection = Type.Object(
  {
    secret: Type.String({ description: "Shared secret for the HMAC handshake (at least 8 characters).", minLength: 8 }),
    host: Optional(Type.String({ description: "Default host of every node.", minLength: 1, default: "127.0.0.1" })),
    listenHost: Optional(Type.String({ description: "Interface to listen on (default: the node's host).", minLength: 1 })),
    basePort: Optional(Type.Integer({ description: "Nodes not listed in `nodes` listen on basePort + their index in layout order.", minimum: 1, maximum: 65535 })),
    nodes: Optional(
      Type.Array(
        Type.Object(
          {
            id: nodeId("The node whose address this is."),
            host: Optional(Type.String({ description: "Its host (default: cluster.host).", minLength: 1 })),
            port: Type.Integer({ description: "Its port.", minimum: 1, maximum: 65535 }),
          },
          { additionalProperties: false },
        ),
        { description: "Explicit addresses; a node not listed gets host:basePort+index." },
      ),
    ),
    tls: Optional(
      Type.Object(
        { cert: Type.String({ description: "PEM certificate, relative to this file." }), key: Type.String({ description: "PEM private key, relative to this file." }) },
        { description: "Serve wss:// with this certificate.", additionalProperties: false },
      ),
    ),
    wanEmulation: Optional(
      Type.Object(
        {
          enabled: Optional(Type.Boolean({ description: "Shape traffic between data centers to the topology's links.", default: false })),
          bandwidthScale: Optional(Type.Number({ description: "Multiplies every emulated WAN bandwidth.", exclusiveMinimum: 0, default: 1 })),
          latencyScale: Optional(Type.Number({ description: "Multiplies every emulated WAN latency.", minimum: 0, default: 1 })),
          cutMode: Optional(Type.Unsafe<"hold" | "drop">({ enum: ["hold", "drop"], description: "What a WAN partition fault does to frames: hold them until it heals, or drop them (the reliable links resend).", default: "hold" })),
          bandwidthBy: Optional(Type.Unsafe<"runtime" | "kernel">({ enum: ["runtime", "kernel"], description: "Who shapes the emulated WAN bandwidth: each node's runtime shaper, or the kernel (tc on each network namespace's egress; set by gaia launch --hosts netns). Latency is always the runtime's.", default: "runtime" })),
        },
        { description: "Emulate the topology's WAN between processes on one machine.", additionalProperties: false },
      ),
    ),
    lanCarrier: Optional(Type.Unsafe<"unix" | "ws">({ enum: ["unix", "ws"], description: "How nodes of one data center on one host reach each other: a unix-domain socket (length-prefixed frames) or WebSocket. Other peers, and every peer with tls, use WebSocket.", default: "ws" })),
    socketDir: Optional(Type.String({ description: "Directory of the unix-socket carrier's sockets, relative to this file (default: the system's temporary directory).", minLength: 1 })),
    emulateCompute: Optional(Type.Boolean({ description: "Pad every compute step to samples x msPerSample (the scenario's or the calibrated cost) x the compute regime's factor / speed (the simulator's cost model) by sleeping.", default: false })),
    faultTimeScale: Optional(Type.Number({ description: "Multiplies the scenario's fault times (seconds of wall time after every node is up).", exclusiveMinimum: 0, default: 1 })),
    checkpoint: Optional(
      Type.Object(
        {
          enabled: Optional(Type.Boolean({ description: "Shards checkpoint their state (a restarted shard needs it to rejoin).", default: true })),
          dir: Optional(Type.String({ description: "Checkpoint directory, relative to this file (default: runs/checkpoints/<name>).", minLength: 1 })),
          everyMs: Optional(Type.Integer({ description: "Milliseconds between checkpoints.", minimum: 10, default: 1000 })),
          commitMs: Optional(Type.Number({ description: "The simulator's modeled time of one checkpoint write (serialize, write, fsync, rename), in ms. With checkpoints on, a shard's or hub's messages leave only once a checkpoint covering them is on disk (output commit), so `gaia simulate` of a cluster file charges it on every send. The runtime ignores it; bench:time-prediction prints the measured time. Default 2.5 (a 250 kB checkpoint on the 2-core test machine).", minimum: 0, default: 2.5 })),
        },
        { description: "Shard checkpoints.", additionalProperties: false },
      ),
    ),
  },
  { description: "Only for the real runtime (gaia launch, gaia run): where each node listens and how nodes trust each other. The simulator ignores it.", additionalProperties: false },
);

/** The named parts of the schema (JSON `definitions`); the loader recognizes errors by the part (`parentSchema`) they come from. */
const parts: Record<PartName, TSchema> = {
  duration: Duration,
  dataCenterName: DataCenterName,
  nodeId: NodeId,
  pair: Pair,
  link: Link,
  hubGroup: HubGroup,
  stepSchedule: StepSchedule,
  partitionFault: PartitionFault,
  isolateFault: IsolateFault,
  bandwidthFault: BandwidthFault,
  crashFault: CrashFault,
  slowFault: SlowFault,
  lossyFault: LossyFault,
  fault: Fault,
  cluster: ClusterSection,
};
export const definitions: Readonly<Record<PartName, JsonSchema>> = parts;

/** Until @gaia/workloads publishes its schema: any object with a string `kind`. */
const fallbackWorkloadSchema: JsonSchema = {
  type: "object",
  required: ["kind"],
  properties: { kind: { description: "The ML program: mf (matrix factorization), lda (topic modeling) or mnist (image classification).", type: "string" } },
};

/**
 * Rewrites a `oneOf` whose branches each pin `kind` to one value into `kind: {enum}` plus one
 * if/then per kind, which validates the same documents but reports errors for the chosen kind only.
 */
export function discriminateByKind(schema: JsonSchema): JsonSchema {
  const branches = schema["oneOf"];
  if (!Array.isArray(branches)) return schema;
  const kinds: string[] = [];
  const rules: JsonSchema[] = [];
  for (const branch of branches as JsonSchema[]) {
    const kindSchema = (branch["properties"] as Record<string, JsonSchema> | undefined)?.["kind"];
    const kind = kindSchema?.["const"] ?? (Array.isArray(kindSchema?.["enum"]) && (kindSchema["enum"] as unknown[]).length === 1 ? (kindSchema["enum"] as unknown[])[0] : undefined);
    if (typeof kind !== "string") return schema;
    kinds.push(kind);
    rules.push({ if: { properties: { kind: { const: kind } }, required: ["kind"] }, then: branch });
  }
  const rest = Object.fromEntries(Object.entries(schema).filter(([key]) => key !== "oneOf"));
  return {
    ...rest,
    type: "object",
    required: ["kind"],
    properties: { kind: { description: `The ML program: ${kinds.join(", ")}.`, enum: kinds } },
    allOf: rules,
  };
}

function workloadSchema(): JsonSchema {
  const published = (workloads as Record<string, unknown>)["workloadJsonSchema"];
  if (typeof published !== "object" || published === null) return { description: "The ML program and its parameters.", ...fallbackWorkloadSchema };
  const { $schema: _ignored, ...body } = published as Record<string, unknown>;
  return { description: "The ML program and its parameters.", ...discriminateByKind(body) };
}

/** The workload section as written; @gaia/workloads checks it (validateWorkloadSpec). */
export type WorkloadSection = { kind: string } & Record<string, unknown>;

const Topology = Type.Object(
  {
    preset: Optional(Type.Unsafe<string>({ description: "ec2-11 (the paper's 11 EC2 regions), virginia-california, singapore-sao-paulo (2-region subsets), or lan (one data center).", enum: [...presetNames] })),
    dataCenters: Optional(Type.Array(dataCenterName(), { description: "Without a preset: the data centers. With one: the subset of its data centers to use.", minItems: 1, uniqueItems: true })),
    links: Optional(Type.Array(ref("link", Link), { description: "Per-link overrides of the preset, or every link when there is no preset." })),
    machinesPerDataCenter: Optional(Type.Integer({ description: "Worker machines per data center (the paper: 2).", minimum: 1, default: 2 })),
    shardsPerDataCenter: Optional(Type.Integer({ description: "Parameter-server shards per data center (defaults to machinesPerDataCenter).", minimum: 1, default: 2 })),
    bandwidthScale: Optional(Type.Number({ description: "Multiplies every WAN bandwidth (0.5 = half).", exclusiveMinimum: 0, default: 1 })),
    lanMbps: Optional(Type.Number({ description: "Bandwidth inside a data center in Mbit/s (preset: 1000).", exclusiveMinimum: 0, default: 1000 })),
    lanLatencyMs: Optional(Type.Number({ description: "One-way latency inside a data center in milliseconds.", minimum: 0, default: 0.1 })),
    egressUsdPerGb: Optional(
      Type.Unsafe<number | Record<string, number>>({
        description: "WAN egress price in USD per GB: one number for every data center, or per data center (preset: EC2 list prices; otherwise 0.02).",
        type: ["number", "object"],
        minimum: 0,
        additionalProperties: { type: "number", minimum: 0 },
      }),
    ),
  },
  { description: "Data centers, machines and the WAN between them: a preset, explicit dataCenters and links, or a preset with overrides.", additionalProperties: false },
);

const Significance = Type.Object(
  {
    threshold: Optional(
      stringOr(
        { description: "auto: each clock sends the most significant accumulated updates that fit a byte budget of its link, never below the floor; or a fixed threshold v (0 sends every update).", default: "auto" },
        Type.Unsafe<"auto">({ enum: ["auto"] }),
        Type.Number({ minimum: 0 }),
      ),
    ),
    floor: Optional(Type.Number({ description: "With threshold auto: the paper's hard threshold v under the budget (it follows the schedule).", minimum: 0, default: 0.01 })),
    budget: Optional(Type.Number({ description: "With threshold auto: the fraction of the tightest destination link's bandwidth x the recent measured clock duration that one clock's update may take (no budget until a clock after the first DS + 1 has been measured).", exclusiveMinimum: 0, maximum: 100, default: 0.5 })),
    ceiling: Optional(Type.Number({ description: "With threshold auto: an accumulated update above this |accum / value| goes out whatever the budget, so the budget never holds back more than this share of a value.", exclusiveMinimum: 0, default: 0.1 })),
    encoding: Optional(Type.Unsafe<"f32" | "f16" | "int8">({ description: "Value codec of mirror updates: f32, f16, or int8 with a scale per row; the rounding error stays accumulated (error feedback). int8 sends 0.3-0.4x the bytes of f32 to the same target on the bench:wan jobs, but diverges where f32 does not in scenarios/stragglers.yaml (SSP inside data centers), so f32 stays the default.", enum: ["f32", "f16", "int8"], default: "f32" })),
    schedule: Optional(
      stringOr(
        {
          description: "How the threshold changes with the clock t: constant, inverse-sqrt (v / sqrt(t), the paper's proof), learning-rate (follows the workload's learning rate), or {kind: step, every, factor}. Default constant: the paper's experiments; inverse-sqrt makes the filter less selective as training goes on.",
          default: "constant",
        },
        Type.Unsafe<"constant" | "inverse-sqrt" | "learning-rate">({ enum: ["constant", "inverse-sqrt", "learning-rate"] }),
        ref("stepSchedule", StepSchedule),
      ),
    ),
  },
  { description: "The significance filter: send an accumulated update to the mirrors when |accum / value| > threshold.", additionalProperties: false },
);

const Sync = Type.Object(
  {
    model: Optional(Type.Unsafe<"lan" | "bsp" | "ssp" | "asp" | "diloco">({ description: "asp: Gaia; bsp / ssp: one parameter server stretched over the WAN (the paper's Baseline); lan: every machine in one data center; diloco: local training for H clocks, then an outer step (sync.diloco).", enum: ["lan", "bsp", "ssp", "asp", "diloco"], default: "asp" })),
    withinDataCenter: Optional(Type.Unsafe<"bsp" | "ssp">({ description: "Synchronization inside a data center (asp, lan, diloco). Defaults to ssp when staleness > 0, else bsp.", enum: ["bsp", "ssp"], default: "bsp" })),
    staleness: Optional(Type.Integer({ description: "SSP staleness bound s (inside a data center for asp/lan, global for ssp; ssp defaults to 2).", minimum: 0 })),
    significance: Optional(Significance),
    mirrorClockBound: Optional(Type.Integer({ description: "DS: how many clocks a data center may run ahead of its slowest mirror.", minimum: 0, default: 1 })),
    selectiveBarrier: Optional(
      Type.Unsafe<"auto" | "always" | "off" | boolean>({
        description: "auto: send a destination a barrier first when the update would not reach it within barrierClockFraction of a clock at the link's measured rate; always; off (true = auto, false = off).",
        enum: ["auto", "always", "off", true, false],
        default: "auto",
      }),
    ),
    barrierClockFraction: Optional(Type.Number({ description: "Selective barrier auto: the fraction of a clock an update may take on its link before a barrier goes ahead of it.", exclusiveMinimum: 0, maximum: 1000, default: 1 })),
    hubs: Optional(
      stringOr(
        { description: "Overlay hubs: auto (Gaia's groups for the EC2 regions, none for 3 or fewer data centers), none, or explicit groups.", default: "none" },
        Type.Unsafe<"auto" | "none">({ enum: ["auto", "none"] }),
        Type.Array(ref("hubGroup", HubGroup)),
      ),
    ),
    // sync.diloco: one block (normalize.ts normalizeDiloco, core diloco.ts).
    diloco: Optional(
      Type.Object(
        {
          localClocks: Optional(Type.Integer({ description: "H: local clocks between outer steps.", minimum: 1, maximum: 100000, default: 20 })),
          outerOptimizer: Optional(Type.Unsafe<"sgd" | "nesterov">({ description: "The outer step: sgd (global += lr * g) or nesterov (DiLoCo's).", enum: ["sgd", "nesterov"], default: "nesterov" })),
          outerLearningRate: Optional(Type.Number({ description: "The outer learning rate.", exclusiveMinimum: 0, maximum: 100, default: 0.7 })),
          momentum: Optional(Type.Number({ description: "Nesterov momentum.", minimum: 0, exclusiveMaximum: 1, default: 0.9 })),
          reduce: Optional(Type.Unsafe<"mean" | "sum">({ description: "g is the mean of the data centers' pseudo-gradients (DiLoCo), or their sum (with sgd and rate 1: every update added once, as count models such as LDA need).", enum: ["mean", "sum"], default: "mean" })),
          encoding: Optional(Type.Unsafe<"f32" | "int8" | "topk">({ description: "Pseudo-gradient codec: f32; int8 with a scale per row and error feedback; topk (the keptFraction largest entries, the rest fed back). The last round is f32 with every residual.", enum: ["f32", "int8", "topk"], default: "f32" })),
          keptFraction: Optional(Type.Number({ description: "With encoding topk: the fraction of a shard's elements each round sends.", exclusiveMinimum: 0, maximum: 1, default: 0.1 })),
          fragments: Optional(Type.Integer({ description: "F: streaming DiLoCo. Each shard's rows are cut into F contiguous ranges; fragment p syncs every H clocks at an offset of floor(p H / F), and its outer result is merged into the replica (new global rows plus the local change since its delta was taken) overlapClocks later. 1: one fragment. At most localClocks.", minimum: 1, maximum: 1000, default: 1 })),
          overlapClocks: Optional(Type.Integer({ description: "tau: clocks each round's exchange overlaps with compute; reads wait for the round only from its boundary + tau on. Default floor(localClocks / fragments) when fragments > 1, else 0 (the blocking protocol). At most localClocks.", minimum: 0, maximum: 100000 })),
        },
        { description: "With model diloco: each data center trains H local clocks, then every shard exchanges its pseudo-gradient (replica minus the last global state) with its mirrors and all apply the same outer step.", additionalProperties: false },
      ),
    ),
  },
  { description: "How replicas synchronize.", additionalProperties: false },
);

const Compute = Type.Object(
  {
    msPerSample: Optional(Type.Number({ description: "Virtual milliseconds per training sample on a node of speed 1 (default: the workload's).", exclusiveMinimum: 0 })),
    regime: Optional(
      Type.Unsafe<"cpu" | "accelerator" | number>({
        description:
          "The compute regime: step cost = msPerSample (or the workload's calibrated cost) x factor. cpu = 1x (this project's JavaScript/wasm kernels on one core); accelerator = 0.02x (native multi-core or GPU workers, as in the paper; see acceleratorFactor in packages/scenario/src/scenario.ts); a number is the factor itself.",
        default: "cpu",
        oneOf: [
          { type: "string", enum: ["cpu", "accelerator"] },
          { type: "number", exclusiveMinimum: 0 },
        ],
      }),
    ),
    calibration: Optional(
      Type.String({
        description: "A calibration file written by `gaia calibrate` (a path relative to this file): its ms per sample for this workload (kind; mnist: model and backend), scaled to the job's size, becomes msPerSample. Give msPerSample or calibration, not both.",
        minLength: 1,
      }),
    ),
    speeds: Optional(mapOf(Type.Number({ exclusiveMinimum: 0 }), { description: "Speed factors by data center or node id (2 = twice as fast)." })),
    stragglers: Optional(
      Type.Object(
        { probability: Type.Number({ minimum: 0, maximum: 1 }), slowdown: Type.Number({ minimum: 1 }) },
        { description: "Each step, with this probability, takes `slowdown` times longer.", additionalProperties: false },
      ),
    ),
    jitter: Optional(Type.Number({ description: "Relative jitter of step times (lognormal sigma), 0 for none.", minimum: 0, default: 0 })),
  },
  { description: "The virtual-time cost model of compute steps.", additionalProperties: false },
);

const rate = (description: string) => Optional(Type.Number({ description, minimum: 0, maximum: 1, default: 0 }));
const RandomFaults = Type.Object(
  {
    until: duration("Random faults stop (and heal) at this virtual time."),
    partitionsPerHour: Optional(Type.Number({ description: "Mean rate of random link partitions.", minimum: 0, default: 0 })),
    crashesPerHour: Optional(Type.Number({ description: "Mean rate of random node crashes.", minimum: 0, default: 0 })),
    loss: rate("Message loss probability on WAN links."),
    duplicate: rate("Message duplication probability on WAN links."),
    reorder: rate("Message reordering probability on WAN links."),
  },
  { description: "Random faults drawn from the seed during [0, until), on top of the scripted ones.", additionalProperties: false },
);

const mbps = (description: string) => Type.Number({ description, exclusiveMinimum: 0 });
const Network = Type.Object(
  {
    sharing: Optional(Type.Unsafe<"max-min" | "cm02">({ description: "max-min: equal shares, the route latency paid after the transfer; cm02: SimGrid's CM02 (factors 1): shares weighted by 1 / route latency, the latency paid first.", enum: ["max-min", "cm02"], default: "max-min" })),
    connectionOrder: Optional(Type.Unsafe<"shared" | "fifo">({ description: "shared: every message is a flow of its own from the moment it is sent, so messages on one connection share its route (as SimGrid's communications do); fifo: a connection's messages are transferred one after another, as the bytes of one TCP stream are.", enum: ["shared", "fifo"], default: "shared" })),
    nicMbps: Optional(mbps("NIC bandwidth of every node, each direction, in Mbit/s (default: topology.lanMbps).")),
    nics: Optional(mapOf(Type.Number({ exclusiveMinimum: 0 }), { description: "NIC bandwidth by data center or node id in Mbit/s, overriding nicMbps (a node id wins over its data center)." })),
    wanCaps: Optional(
      mapOf(
        Type.Object({ egressMbps: Optional(mbps("Total WAN egress of the data center, Mbit/s.")), ingressMbps: Optional(mbps("Total WAN ingress of the data center, Mbit/s.")) }, { additionalProperties: false }),
        { description: "Caps on a data center's total WAN traffic, by data center." },
      ),
    ),
  },
  {
    description: "The network model (docs/network.md): a message crosses the sender's NIC egress, the WAN link (or the LAN fabric, which is non-blocking), the data centers' WAN caps when set, and the receiver's NIC ingress; flows share every link max-min fairly.",
    additionalProperties: false,
  },
);

const Stop = Type.Object(
  {
    maxIterations: Optional(Type.Integer({ description: "Clocks of the slowest worker. When neither this nor maxVirtualTime is given, the run stops at the default cap, 1000 clocks or 2h of virtual time (validate warns).", minimum: 1 })),
    maxVirtualTime: Optional(duration("Virtual-time limit. When neither this nor maxIterations is given, the run stops at the default cap, 1000 clocks or 2h (validate warns).")),
    target: Optional(Type.Object({ objective: Type.Number({ description: "Target objective (e.g. RMSE for mf)." }) }, { description: "Stop when the objective reaches this value.", additionalProperties: false })),
    evalEvery: Optional(Type.Integer({ description: "Evaluate the objective every this many clocks.", minimum: 1, default: 1 })),
  },
  { description: "When the run ends: the first of maxIterations, maxVirtualTime and the target.", additionalProperties: false },
);

const scenarioProperties = {
  $schema: Optional(Type.String({ description: "For editors." })),
  name: Optional(Type.String({ description: "Short name; names the output directory runs/<name>-<seed>. Defaults to the file name.", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$" })),
  description: Optional(Type.String({ description: "What the scenario shows.", default: "" })),
  seed: Optional(Type.Integer({ description: "Root seed: the same seed gives the same run, bit for bit.", minimum: 0, maximum: 4294967295, default: 1 })),
  topology: Topology,
  workload: Type.Unsafe<WorkloadSection>(workloadSchema()),
  sync: Optional(Sync),
  compute: Optional(Compute),
  faults: Optional(Type.Array(ref("fault", Fault), { description: "Scripted faults, in any order.", default: [] })),
  randomFaults: Optional(RandomFaults),
  network: Optional(Network),
  stop: Optional(Stop),
};

const header = { $schema: "http://json-schema.org/draft-07/schema#" };

/** A scenario file; a `cluster` section is allowed (and checked), so a cluster file is a scenario too. */
const ScenarioFile = Type.Object(
  { ...scenarioProperties, cluster: Optional(ref("cluster", ClusterSection)) },
  {
    ...header,
    title: "Gaia scenario",
    description: "One simulated training run: topology, workload, synchronization, compute model, faults and when to stop (gaia simulate FILE). A cluster section makes it a cluster file as well (gaia launch --cluster FILE).",
    additionalProperties: false,
    definitions: parts,
  },
);

/** A cluster file: a scenario plus its (required) cluster section. */
const ClusterFile = Type.Object(
  { ...scenarioProperties, cluster: ref("cluster", ClusterSection) },
  {
    ...header,
    title: "Gaia cluster",
    description: "A real run (gaia launch --cluster FILE): a scenario (topology, workload, sync, faults, stop: the same keys as for gaia simulate) plus a cluster section that says where each node listens.",
    additionalProperties: false,
    definitions: parts,
  },
);

/** A scenario file as written, before defaults and the checks after the schema. */
export type ScenarioFile = Static<typeof ScenarioFile>;
/** A cluster section as written. */
export type ClusterSection = Static<typeof ClusterSection>;

/** The schema of scenario files. */
export const scenarioJsonSchema: JsonSchema = ScenarioFile;
/** The schema of cluster files: the scenario schema with `cluster` required. */
export const clusterJsonSchema: JsonSchema = ClusterFile;

/**
 * Keys that lead every object TypeBox built (it puts the options first), in this order, the rest
 * keeping theirs: a reader sees what a part is before its details. Plain JSON inside (the
 * workload's schema) keeps its own order.
 */
const leadingKeys = ["$schema", "title", "$ref", "description", "type", "additionalProperties", "required", "properties"];
const readable = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(readable);
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  if (Object.getOwnPropertySymbols(value).length === 0) return Object.fromEntries(keys.map((key) => [key, readable((value as Record<string, unknown>)[key])]));
  const ordered = [...leadingKeys.filter((key) => keys.includes(key)), ...keys.filter((key) => !leadingKeys.includes(key))];
  return Object.fromEntries(ordered.map((key) => [key, readable((value as Record<string, unknown>)[key])]));
};

/** A schema as its file holds it (TypeBox's symbol keys are not part of JSON). */
const schemaText = (schema: JsonSchema): string => `${JSON.stringify(readable(schema), null, 2)}\n`;
export const scenarioSchemaText = (): string => schemaText(scenarioJsonSchema);
export const clusterSchemaText = (): string => schemaText(clusterJsonSchema);

/** The files generated from this module, relative to the repository (`npm run schemas` writes them). */
export const schemaFiles: readonly { readonly path: string; readonly text: () => string }[] = [
  { path: "scenarios/scenario.schema.json", text: scenarioSchemaText },
  { path: "clusters/cluster.schema.json", text: clusterSchemaText },
];
