/**
 * The compute cost model: how long a worker's step takes in virtual time.
 *
 * The ML math runs for real (the driver calls the program); only its duration is modelled, so
 * results do not depend on the host machine:
 *
 *   duration = samples x msPerSample / speed x straggler x jitter x slow
 *
 * - speed: compute.speeds by node id, else by data center, else 1 (2 = twice as fast);
 * - straggler: with probability p the step takes `slowdown` times longer;
 * - jitter: lognormal with sigma = compute.jitter and mean 1 (exp(sigma Z - sigma^2 / 2));
 * - slow: the product of the node's active `slow` faults (factor 3 = three times slower).
 *
 * Each node draws from its own stream `compute:<node>`, so adding a node or a fault elsewhere does
 * not change any other node's durations.
 */
import type { NodeId, Rng } from "@gaia/core";
import type { ComputeSpec } from "@gaia/scenario";

export class ComputeModel {
  private readonly streams = new Map<NodeId, Rng>();
  private readonly slow = new Map<NodeId, number>();

  constructor(
    private readonly spec: ComputeSpec,
    private readonly msPerSample: number,
    private readonly rng: Rng,
    /** The data center (or other name) whose speed applies to a node, besides its own id. */
    private readonly groupOf: (node: NodeId) => string,
  ) {
    if (!(msPerSample >= 0)) throw new RangeError(`msPerSample must be >= 0, got ${msPerSample}`);
    for (const [name, speed] of Object.entries(spec.speeds)) {
      if (!(speed > 0)) throw new RangeError(`compute.speeds.${name} must be > 0, got ${speed}`);
    }
  }

  speedOf(node: NodeId, alias: NodeId = node): number {
    return this.spec.speeds[node] ?? this.spec.speeds[alias] ?? this.spec.speeds[this.groupOf(alias)] ?? 1;
  }

  /** Multiplies (or with `undo`, divides) a node's slowdown by `factor`. */
  slowDown(node: NodeId, factor: number, undo: boolean): void {
    if (!(factor > 0)) throw new RangeError(`slow factor must be > 0, got ${factor}`);
    const now = this.slow.get(node) ?? 1;
    this.slow.set(node, undo ? now / factor : now * factor);
  }

  /** Virtual milliseconds one step of `samples` samples takes on `node`. */
  durationMs(node: NodeId, samples: number, alias: NodeId = node): number {
    let rng = this.streams.get(node);
    if (rng === undefined) {
      rng = this.rng.child(`compute:${alias}`);
      this.streams.set(node, rng);
    }
    let ms = (samples * this.msPerSample) / this.speedOf(node, alias);
    const stragglers = this.spec.stragglers;
    if (stragglers !== null && stragglers.probability > 0 && rng.bernoulli(stragglers.probability)) ms *= stragglers.slowdown;
    const sigma = this.spec.jitter;
    if (sigma > 0) ms *= Math.exp(sigma * rng.normal() - (sigma * sigma) / 2);
    return ms * (this.slow.get(node) ?? 1);
  }
}
