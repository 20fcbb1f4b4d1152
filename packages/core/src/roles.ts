/**
 * Builds every role of a layout: the one place the simulator and the runtime construct the
 * protocol, so both run exactly the same objects.
 */
import type { WorkerProgram } from "./app.js";
import { invariant } from "./errors.js";
import { HubRole } from "./hub.js";
import type { Layout, NodeId } from "./layout.js";
import type { Message } from "./messages.js";
import type { Role } from "./role.js";
import { ShardRole, type ShardSync } from "./shard.js";
import { WorkerRole, type RejoinState, type RowPlanner } from "./worker.js";

export interface RoleOptions {
  readonly sync: ShardSync;
  /** The full initial table (rows * cols), identical in every replica. */
  readonly initial: Float32Array;
  /** Iterations each worker runs (Infinity: until told to stop). At least 1. */
  readonly maxClock: number;
  readonly programs: ReadonlyMap<NodeId, RowPlanner | WorkerProgram>;
  /** A restarted worker: where each of its shards stands (see WorkerRole). */
  readonly rejoin?: ReadonlyMap<NodeId, RejoinState>;
  /** Workers keep an SSP cache when the staleness is above 0 (default true; see worker-cache.ts). */
  readonly workerCache?: boolean;
  /**
   * Shards lend their replica to whole-range read replies instead of copying it (default false):
   * the reply's values are valid only until the shard's next step, so the driver must encode (or
   * copy) every send effect before then. The runtime does; the simulator does not.
   */
  readonly lendReplies?: boolean;
}

export function createRole(layout: Layout, id: NodeId, options: RoleOptions): Role {
  const { cols } = layout.spec;
  if (layout.hasShard(id)) {
    const { range } = layout.shard(id);
    return new ShardRole(id, layout, options.sync, options.initial.subarray(range.start * cols, range.end * cols), options.lendReplies ?? false);
  }
  if (layout.workers.includes(id)) {
    const program = options.programs.get(id);
    invariant(program, `no program for worker ${id}`);
    // Under DiLoCo every read must reach the shard, which holds reads past a round boundary until
    // the outer step: a cached row would let a worker run into the next round on the old state.
    const cache = (options.workerCache ?? true) && !options.sync.diloco;
    return new WorkerRole(id, layout, program, options.maxClock, options.sync.staleness, cache, options.rejoin);
  }
  invariant(layout.hubs.some((h) => h.id === id), `no node ${id} in the layout`);
  return new HubRole(id, layout, options.sync.asp?.encoding ?? "f32");
}

/**
 * Whether `role` keeps nothing of a message of this kind once its step returns: it reads the
 * arrays during the step and copies what it keeps (a shard adds a push into its replica; a worker
 * copies a read reply into its cache or into the clock's gathered values). A driver may then reuse
 * the memory the message was decoded from. False for everything else, which may be kept (a read
 * waiting for its clock, a mirror update held for its turn).
 */
export function usesUp(role: Role, kind: Message["kind"]): boolean {
  return role instanceof ShardRole ? kind === "push" : role instanceof WorkerRole && kind === "read-reply";
}

export function createRoles(layout: Layout, options: RoleOptions): Map<NodeId, Role> {
  invariant(options.maxClock >= 1, "maxClock must be at least 1");
  invariant(options.initial.length === layout.spec.rows * layout.spec.cols, "initial table has the wrong size");
  const roles = new Map<NodeId, Role>();
  for (const id of layout.nodes) roles.set(id, createRole(layout, id, options));
  return roles;
}
