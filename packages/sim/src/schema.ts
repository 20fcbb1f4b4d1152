/**
 * The JSON Schema (draft-07) of scenario files. It is the single source for validation (`loadScenario`
 * checks every file against it with ajv) and for editors: data/scenario.schema.json and
 * scenarios/scenario.schema.json are this object, printed by `gaia scenarios schema`, and a test
 * keeps them in step. Descriptions and defaults are written for people completing a file in an
 * editor. What JSON Schema cannot say (names that must exist in the topology, a stop condition)
 * is checked afterwards in load.ts.
 *
 * The `workload` section belongs to @gaia/workloads; when that package exports `workloadJsonSchema`
 * (a oneOf by `kind`), it is merged in as one if/then per kind so that errors name the fields of
 * the chosen kind only.
 */
import * as workloads from "@gaia/workloads";
import { presetNames } from "./presets.js";

export type JsonSchema = { readonly [key: string]: unknown };

/** A duration: seconds as a number, or a string of number+unit parts such as 90s, 5m, 1h30m, 500ms. */
export const durationPattern = "^\\s*(\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)\\s*)+$";

/** The kinds of scripted fault; every fault item has exactly one of these keys. */
export const faultKinds = ["partition", "isolate", "bandwidth", "crash", "slow", "lossy"] as const;

const ref = (name: string): JsonSchema => ({ $ref: `#/definitions/${name}` });

const duration = (description: string, extra: JsonSchema = {}): JsonSchema => ({ ...ref("duration"), description, ...extra });

const pairOrAll = (description: string): JsonSchema => ({
  description,
  if: { type: "string" },
  then: { const: "all" },
  else: ref("pair"),
});

/** The named parts of the schema; load.ts recognizes errors by the part (`parentSchema`) they come from. */
export const definitions: Record<string, JsonSchema> = {
  duration: {
    description: "Seconds as a number, or a string such as 500ms, 90s, 5m, 2h, 1h30m.",
    type: ["number", "string"],
    minimum: 0,
    pattern: durationPattern,
  },
  dataCenterName: {
    description: "A data-center (region) name: letters, digits, - and _.",
    type: "string",
    pattern: "^[A-Za-z0-9][A-Za-z0-9_-]*$",
  },
  nodeId: {
    description: "A node id: <dc>/w<i> (worker i), <dc>/s<j> (shard j) or <dc>/hub.",
    type: "string",
    pattern: "^[A-Za-z0-9][A-Za-z0-9_-]*/(w\\d+|s\\d+|hub)$",
  },
  pair: {
    description: "Two data centers [a, b].",
    type: "array",
    items: ref("dataCenterName"),
    minItems: 2,
    maxItems: 2,
  },
  link: {
    description: "Overrides (with a preset) or defines (without one) the WAN link between two data centers, both directions unless oneWay.",
    type: "object",
    additionalProperties: false,
    required: ["link"],
    properties: {
      link: { ...ref("pair"), description: "The two ends [source, target]." },
      bandwidthMbps: { description: "Link bandwidth in Mbit/s.", type: "number", exclusiveMinimum: 0 },
      bandwidthScale: { description: "Multiplies the link's bandwidth (after bandwidthMbps).", type: "number", exclusiveMinimum: 0, default: 1 },
      latencyMs: { description: "One-way latency in milliseconds.", type: "number", minimum: 0 },
      rttMs: { description: "Round-trip time in milliseconds (one-way latency = rtt / 2).", type: "number", minimum: 0 },
      oneWay: { description: "Apply to source -> target only.", type: "boolean", default: false },
    },
  },
  hubGroup: {
    description: "A group of data centers whose updates one hub aggregates.",
    type: "object",
    additionalProperties: false,
    required: ["hub", "members"],
    properties: {
      hub: { ...ref("dataCenterName"), description: "The data center that hosts the hub." },
      members: { description: "Member data centers (the hub is added if missing).", type: "array", items: ref("dataCenterName"), minItems: 1 },
    },
  },
  stepSchedule: {
    description: "Multiply by `factor` every `every` clocks.",
    type: "object",
    additionalProperties: false,
    required: ["kind", "every", "factor"],
    properties: {
      kind: { const: "step" },
      every: { type: "integer", minimum: 1 },
      factor: { type: "number", exclusiveMinimum: 0 },
    },
  },
  partitionFault: {
    type: "object",
    additionalProperties: false,
    required: ["at", "partition"],
    properties: {
      at: duration("When the fault starts (virtual time)."),
      partition: { ...ref("pair"), description: "Cut the WAN link between two data centers." },
      oneWay: { description: "Cut only the direction from the first to the second.", type: "boolean", default: false },
      for: duration("How long it lasts; forever if omitted."),
    },
  },
  isolateFault: {
    type: "object",
    additionalProperties: false,
    required: ["at", "isolate"],
    properties: {
      at: duration("When the fault starts (virtual time)."),
      isolate: { ...ref("dataCenterName"), description: "Cut every WAN link of this data center." },
      for: duration("How long it lasts; forever if omitted."),
    },
  },
  bandwidthFault: {
    type: "object",
    additionalProperties: false,
    required: ["at", "bandwidth"],
    properties: {
      at: duration("When the fault starts (virtual time)."),
      bandwidth: {
        description: "Scale the bandwidth of one link (both directions) or of all WAN links.",
        type: "object",
        additionalProperties: false,
        required: ["link", "factor"],
        properties: {
          link: pairOrAll("[a, b] or all."),
          factor: { description: "Bandwidth multiplier (0.1 = a tenth).", type: "number", exclusiveMinimum: 0 },
        },
      },
      for: duration("How long it lasts; forever if omitted."),
    },
  },
  crashFault: {
    type: "object",
    additionalProperties: false,
    required: ["at", "crash"],
    properties: {
      at: duration("When the node crashes (virtual time)."),
      crash: { ...ref("nodeId"), description: "The node that crashes." },
      restartAfter: duration("Restart it after this long; never if omitted."),
    },
  },
  slowFault: {
    type: "object",
    additionalProperties: false,
    required: ["at", "slow", "factor"],
    properties: {
      at: duration("When the slowdown starts (virtual time)."),
      slow: { ...ref("nodeId"), description: "The node that slows down." },
      factor: { description: "Its compute steps take this many times longer (3 = three times slower).", type: "number", exclusiveMinimum: 0 },
      for: duration("How long it lasts; forever if omitted."),
    },
  },
  lossyFault: {
    type: "object",
    additionalProperties: false,
    required: ["at", "lossy"],
    properties: {
      at: duration("When the fault starts (virtual time)."),
      lossy: {
        description: "Lose, duplicate or reorder messages on one link (both directions) or all WAN links.",
        type: "object",
        additionalProperties: false,
        required: ["link"],
        properties: {
          link: pairOrAll("[a, b] or all."),
          loss: { description: "Probability that a message is lost (below 1: a link that loses everything is a partition).", type: "number", minimum: 0, exclusiveMaximum: 1, default: 0 },
          duplicate: { description: "Probability that a message is delivered twice.", type: "number", minimum: 0, exclusiveMaximum: 1, default: 0 },
          reorder: { description: "Probability that a message is delayed past later ones.", type: "number", minimum: 0, exclusiveMaximum: 1, default: 0 },
        },
      },
      for: duration("How long it lasts; forever if omitted."),
    },
  },
  fault: {
    description: `A scripted fault: \`at\` plus exactly one of ${faultKinds.join(", ")}.`,
    type: "object",
    required: ["at"],
    oneOf: faultKinds.map((kind) => ({ required: [kind] })),
    allOf: faultKinds.map((kind) => ({ if: { required: [kind] }, then: ref(`${kind}Fault`) })),
  },
};

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

function buildSchema(): JsonSchema {
  const durationWithDefault = (description: string, value: string): JsonSchema => duration(description, { default: value });
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "Gaia scenario",
    description: "One simulated training run: topology, workload, synchronization, compute model, faults and when to stop (gaia simulate FILE).",
    type: "object",
    additionalProperties: false,
    required: ["topology", "workload"],
    properties: {
      $schema: { description: "For editors.", type: "string" },
      name: { description: "Short name; names the output directory runs/<name>-<seed>. Defaults to the file name.", type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$" },
      description: { description: "What the scenario shows.", type: "string", default: "" },
      seed: { description: "Root seed: the same seed gives the same run, bit for bit.", type: "integer", minimum: 0, maximum: 4294967295, default: 1 },
      topology: {
        description: "Data centers, machines and the WAN between them: a preset, explicit dataCenters and links, or a preset with overrides.",
        type: "object",
        additionalProperties: false,
        properties: {
          preset: { description: "ec2-11 (the paper's 11 EC2 regions), virginia-california, singapore-sao-paulo (2-region subsets), or lan (one data center).", enum: [...presetNames] },
          dataCenters: { description: "Without a preset: the data centers. With one: the subset of its data centers to use.", type: "array", items: ref("dataCenterName"), minItems: 1, uniqueItems: true },
          links: { description: "Per-link overrides of the preset, or every link when there is no preset.", type: "array", items: ref("link") },
          machinesPerDataCenter: { description: "Worker machines per data center (the paper: 2).", type: "integer", minimum: 1, default: 2 },
          shardsPerDataCenter: { description: "Parameter-server shards per data center (defaults to machinesPerDataCenter).", type: "integer", minimum: 1, default: 2 },
          bandwidthScale: { description: "Multiplies every WAN bandwidth (0.5 = half).", type: "number", exclusiveMinimum: 0, default: 1 },
          lanMbps: { description: "Bandwidth inside a data center in Mbit/s (preset: 1000).", type: "number", exclusiveMinimum: 0, default: 1000 },
          lanLatencyMs: { description: "One-way latency inside a data center in milliseconds.", type: "number", minimum: 0, default: 0.1 },
          egressUsdPerGb: {
            description: "WAN egress price in USD per GB: one number for every data center, or per data center (preset: EC2 list prices; otherwise 0.02).",
            type: ["number", "object"],
            minimum: 0,
            additionalProperties: { type: "number", minimum: 0 },
          },
        },
      },
      workload: workloadSchema(),
      sync: {
        description: "How replicas synchronize.",
        type: "object",
        additionalProperties: false,
        properties: {
          model: { description: "asp: Gaia; bsp / ssp: one parameter server stretched over the WAN (the paper's Baseline); lan: every machine in one data center; diloco: local training for H clocks, then an outer step (sync.diloco).", enum: ["lan", "bsp", "ssp", "asp", "diloco"], default: "asp" },
          withinDataCenter: { description: "Synchronization inside a data center (asp, lan, diloco). Defaults to ssp when staleness > 0, else bsp.", enum: ["bsp", "ssp"], default: "bsp" },
          staleness: { description: "SSP staleness bound s (inside a data center for asp/lan, global for ssp; ssp defaults to 2).", type: "integer", minimum: 0 },
          significance: {
            description: "The significance filter: send an accumulated update to the mirrors when |accum / value| > threshold.",
            type: "object",
            additionalProperties: false,
            properties: {
              threshold: {
                description: "auto: each clock sends the most significant accumulated updates that fit a byte budget of its link, never below the floor; or a fixed threshold v (0 sends every update).",
                default: "auto",
                if: { type: "string" },
                then: { enum: ["auto"] },
                else: { type: "number", minimum: 0 },
              },
              floor: { description: "With threshold auto: the paper's hard threshold v under the budget (it follows the schedule).", type: "number", minimum: 0, default: 0.01 },
              budget: { description: "With threshold auto: the fraction of the tightest destination link's bandwidth x the recent clock duration that one clock's update may take.", type: "number", exclusiveMinimum: 0, maximum: 100, default: 0.5 },
              ceiling: { description: "With threshold auto: an accumulated update above this |accum / value| goes out whatever the budget, so the budget never holds back more than this share of a value.", type: "number", exclusiveMinimum: 0, default: 0.1 },
              encoding: { description: "Value codec of mirror updates: f32, f16, or int8 with a scale per row; the rounding error stays accumulated (error feedback).", enum: ["f32", "f16", "int8"], default: "f32" },
              schedule: {
                description: "How the threshold changes with the clock t: constant, inverse-sqrt (v / sqrt(t), the paper's proof), learning-rate (follows the workload's learning rate), or {kind: step, every, factor}.",
                default: "inverse-sqrt",
                if: { type: "string" },
                then: { enum: ["constant", "inverse-sqrt", "learning-rate"] },
                else: ref("stepSchedule"),
              },
            },
          },
          mirrorClockBound: { description: "DS: how many clocks a data center may run ahead of its slowest mirror.", type: "integer", minimum: 0, default: 1 },
          selectiveBarrier: { description: "auto: send a destination a barrier first when the update would not reach it within barrierClockFraction of a clock at the link's measured rate; always; off (true = auto, false = off).", enum: ["auto", "always", "off", true, false], default: "auto" },
          barrierClockFraction: { description: "Selective barrier auto: the fraction of a clock an update may take on its link before a barrier goes ahead of it.", type: "number", exclusiveMinimum: 0, maximum: 1000, default: 1 },
          hubs: {
            description: "Overlay hubs: auto (Gaia's groups for the EC2 regions, none for 3 or fewer data centers), none, or explicit groups.",
            default: "none",
            if: { type: "string" },
            then: { enum: ["auto", "none"] },
            else: { type: "array", items: ref("hubGroup") },
          },
          // sync.diloco: one block (load.ts normalizeDiloco, core diloco.ts).
          diloco: {
            description: "With model diloco: each data center trains H local clocks, then every shard exchanges its pseudo-gradient (replica minus the last global state) with its mirrors and all apply the same outer step.",
            type: "object",
            additionalProperties: false,
            properties: {
              localClocks: { description: "H: local clocks between outer steps.", type: "integer", minimum: 1, maximum: 100000, default: 50 },
              outerOptimizer: { description: "The outer step: sgd (global += lr * g) or nesterov (DiLoCo's).", enum: ["sgd", "nesterov"], default: "nesterov" },
              outerLearningRate: { description: "The outer learning rate.", type: "number", exclusiveMinimum: 0, maximum: 100, default: 0.7 },
              momentum: { description: "Nesterov momentum.", type: "number", minimum: 0, exclusiveMaximum: 1, default: 0.9 },
              reduce: { description: "g is the mean of the data centers' pseudo-gradients (DiLoCo), or their sum (with sgd and rate 1: every update added once, as count models such as LDA need).", enum: ["mean", "sum"], default: "mean" },
              encoding: { description: "Pseudo-gradient codec: f32; int8 with a scale per row and error feedback; topk (the keptFraction largest entries, the rest fed back). The last round is f32 with every residual.", enum: ["f32", "int8", "topk"], default: "f32" },
              keptFraction: { description: "With encoding topk: the fraction of a shard's elements each round sends.", type: "number", exclusiveMinimum: 0, maximum: 1, default: 0.1 },
            },
          },
        },
      },
      compute: {
        description: "The virtual-time cost model of compute steps.",
        type: "object",
        additionalProperties: false,
        properties: {
          msPerSample: { description: "Virtual milliseconds per training sample on a node of speed 1 (default: the workload's).", type: "number", exclusiveMinimum: 0 },
          regime: {
            description:
              "The compute regime: step cost = msPerSample (or the workload's calibrated cost) x factor. cpu = 1x (this project's JavaScript/wasm kernels on one core); accelerator = 0.02x (native multi-core or GPU workers, as in the paper; see acceleratorFactor in packages/sim/src/scenario.ts); a number is the factor itself.",
            default: "cpu",
            oneOf: [{ type: "string", enum: ["cpu", "accelerator"] }, { type: "number", exclusiveMinimum: 0 }],
          },
          calibration: {
            description: "A calibration file written by `gaia calibrate` (a path relative to this file): its ms per sample for this workload (kind; mnist: model and backend), scaled to the job's size, becomes msPerSample. Give msPerSample or calibration, not both.",
            type: "string",
            minLength: 1,
          },
          speeds: { description: "Speed factors by data center or node id (2 = twice as fast).", type: "object", additionalProperties: { type: "number", exclusiveMinimum: 0 } },
          stragglers: {
            description: "Each step, with this probability, takes `slowdown` times longer.",
            type: "object",
            additionalProperties: false,
            required: ["probability", "slowdown"],
            properties: {
              probability: { type: "number", minimum: 0, maximum: 1 },
              slowdown: { type: "number", minimum: 1 },
            },
          },
          jitter: { description: "Relative jitter of step times (lognormal sigma), 0 for none.", type: "number", minimum: 0, default: 0 },
        },
      },
      faults: { description: "Scripted faults, in any order.", type: "array", items: ref("fault"), default: [] },
      randomFaults: {
        description: "Random faults drawn from the seed during [0, until), on top of the scripted ones.",
        type: "object",
        additionalProperties: false,
        required: ["until"],
        properties: {
          until: duration("Random faults stop (and heal) at this virtual time."),
          partitionsPerHour: { description: "Mean rate of random link partitions.", type: "number", minimum: 0, default: 0 },
          crashesPerHour: { description: "Mean rate of random node crashes.", type: "number", minimum: 0, default: 0 },
          loss: { description: "Message loss probability on WAN links.", type: "number", minimum: 0, maximum: 1, default: 0 },
          duplicate: { description: "Message duplication probability on WAN links.", type: "number", minimum: 0, maximum: 1, default: 0 },
          reorder: { description: "Message reordering probability on WAN links.", type: "number", minimum: 0, maximum: 1, default: 0 },
        },
      },
      network: {
        description: "The network model (docs/network.md): a message crosses the sender's NIC egress, the WAN link (or the LAN fabric, which is non-blocking), the data centers' WAN caps when set, and the receiver's NIC ingress; flows share every link max-min fairly.",
        type: "object",
        additionalProperties: false,
        properties: {
          sharing: { description: "max-min: equal shares, the route latency paid after the transfer; cm02: SimGrid's CM02 (factors 1): shares weighted by 1 / route latency, the latency paid first.", enum: ["max-min", "cm02"], default: "max-min" },
          nicMbps: { description: "NIC bandwidth of every node, each direction, in Mbit/s (default: topology.lanMbps).", type: "number", exclusiveMinimum: 0 },
          nics: { description: "NIC bandwidth by data center or node id in Mbit/s, overriding nicMbps (a node id wins over its data center).", type: "object", additionalProperties: { type: "number", exclusiveMinimum: 0 } },
          wanCaps: {
            description: "Caps on a data center's total WAN traffic, by data center.",
            type: "object",
            additionalProperties: {
              type: "object",
              additionalProperties: false,
              properties: {
                egressMbps: { description: "Total WAN egress of the data center, Mbit/s.", type: "number", exclusiveMinimum: 0 },
                ingressMbps: { description: "Total WAN ingress of the data center, Mbit/s.", type: "number", exclusiveMinimum: 0 },
              },
            },
          },
        },
      },
      stop: {
        description: "When the run ends: the first of maxIterations, maxVirtualTime and the target.",
        type: "object",
        additionalProperties: false,
        properties: {
          maxIterations: { description: "Clocks of the slowest worker.", type: "integer", minimum: 1 },
          maxVirtualTime: durationWithDefault("Virtual-time limit (2h when maxIterations is not given).", "2h"),
          target: {
            description: "Stop when the objective reaches this value.",
            type: "object",
            additionalProperties: false,
            required: ["objective"],
            properties: { objective: { description: "Target objective (e.g. RMSE for mf).", type: "number" } },
          },
          evalEvery: { description: "Evaluate the objective every this many clocks.", type: "integer", minimum: 1, default: 1 },
        },
      },
    },
    definitions,
  };
}

/** The scenario-file schema, with the workload section from @gaia/workloads when it is available. */
export const scenarioJsonSchema: JsonSchema = buildSchema();

/** The schema as the JSON files hold it. */
export function scenarioSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema, null, 2)}\n`;
}
