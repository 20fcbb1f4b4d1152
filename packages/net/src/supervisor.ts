/**
 * Supervision of a launch's processes: what the launcher does when a node dies or freezes without
 * being told to.
 *
 * A node that dies unexpectedly (the OOM killer, `kill -9` from outside, a failed host) is started
 * again as a scripted crash's restart would start it: a shard or a hub from its last checkpoint, a
 * worker by rejoining from its shards. Recovery is the protocol's (checkpoints, the reliable links'
 * resends, the rejoin), so the run goes on with every update applied once. Restarts are bounded
 * (`maxRestarts` per node) and spaced by an exponential backoff (`backoffMs`, doubled each time,
 * at most `backoffMaxMs`), so a node that dies whenever it starts ends the run instead of looping.
 * What cannot be restarted fails the run at once, saying why: a node that died before it was ever
 * up (its start-up is broken; a restart would fail the same way), or a shard or hub without
 * checkpoints (its state would be lost).
 *
 * A frozen node (SIGSTOP, a host that stopped scheduling it) does not exit: it stops reporting.
 * Every node reports its metrics and state twice a second; one silent for `heartbeatS` is reported
 * frozen by name (a log line and a counted event), and reported again when it speaks. The launcher
 * does nothing else about it: the protocol's rules apply (the others wait within their bounds, the
 * reliable links hold its frames), and the run's own time limit still ends a run that cannot go on.
 *
 * The decisions are here, apart from the processes; the launcher feeds deaths and heartbeats in and
 * spawns what this asks it to. Every event goes to the run summary's `supervision`.
 */
import type { NodeId } from "@gaia/core";
import type { SupervisionEvent, SupervisionSummary } from "@gaia/scenario";

export interface SupervisionPolicy {
  /** Restart nodes that die unexpectedly (false: `--no-restart`, any such death fails the run). */
  readonly restart: boolean;
  /** Restarts of one node over the run; one more death fails the run. */
  readonly maxRestarts: number;
  /** Wait before a node's first restart; doubled for each later one, up to `backoffMaxMs`. */
  readonly backoffMs: number;
  readonly backoffMaxMs: number;
  /** A running node silent this long is reported frozen (0: no heartbeat check). */
  readonly heartbeatS: number;
}

export const defaultSupervision: SupervisionPolicy = { restart: true, maxRestarts: 3, backoffMs: 500, backoffMaxMs: 8000, heartbeatS: 10 };

/** What the launcher does about one unexpected death. */
export type DeathVerdict = { readonly restartInMs: number; readonly text: string } | { readonly fail: string };

export class Supervisor {
  private readonly restartsOf = new Map<NodeId, number>();
  private readonly lastHeardMs = new Map<NodeId, number>();
  private readonly frozenSinceMs = new Map<NodeId, number>();
  private readonly events: SupervisionEvent[] = [];

  constructor(
    readonly policy: SupervisionPolicy,
    /** Null when the node can be restarted at all, else why not (a shard without checkpoints). */
    private readonly restartable: (id: NodeId) => string | null,
  ) {}

  /**
   * `id` exited unexpectedly (`how`: the signal, or "code N"), at `atS` on the run's clock. `wasUp`
   * says whether it (this or an earlier incarnation) ever reported ready.
   */
  died(id: NodeId, how: string, wasUp: boolean, atS: number): DeathVerdict {
    this.lastHeardMs.delete(id);
    this.frozenSinceMs.delete(id);
    const death = `node ${id} exited unexpectedly (${how})`;
    if (!this.policy.restart) return { fail: `${death}; not restarted (--no-restart)` };
    if (!wasUp) return { fail: `${death} before it was up; not restarted (it would fail the same way)` };
    const why = this.restartable(id);
    if (why !== null) return { fail: `${death}; cannot restart it: ${why}` };
    const done = this.restartsOf.get(id) ?? 0;
    if (done >= this.policy.maxRestarts) {
      this.events.push({ atS, node: id, kind: "gave-up", text: `${id} died (${how}) after ${done} restarts; giving up` });
      return { fail: `${death} after ${done} restarts (at most ${this.policy.maxRestarts}); giving up` };
    }
    this.restartsOf.set(id, done + 1);
    const restartInMs = Math.min(this.policy.backoffMaxMs, this.policy.backoffMs * 2 ** done);
    const text = `${id} exited unexpectedly (${how}); restart ${done + 1} of at most ${this.policy.maxRestarts} in ${restartInMs} ms`;
    this.events.push({ atS, node: id, kind: "restart", text });
    return { restartInMs, text };
  }

  /** `id` reported something at `nowMs` (any line on its stdout is a heartbeat); the text when it had been reported frozen. */
  heard(id: NodeId, nowMs: number, atS: number): string | null {
    this.lastHeardMs.set(id, nowMs);
    const since = this.frozenSinceMs.get(id);
    if (since === undefined) return null;
    this.frozenSinceMs.delete(id);
    const text = `${id} responds again after ${((nowMs - since) / 1000).toFixed(1)} s of silence`;
    this.events.push({ atS, node: id, kind: "resumed", text });
    return text;
  }

  /** The running nodes newly silent for `heartbeatS` at `nowMs`: one text each, naming the node. */
  check(nowMs: number, atS: number): string[] {
    const limitMs = this.policy.heartbeatS * 1000;
    if (limitMs <= 0) return [];
    const texts: string[] = [];
    for (const [id, heardMs] of this.lastHeardMs) {
      if (this.frozenSinceMs.has(id) || nowMs - heardMs < limitMs) continue;
      this.frozenSinceMs.set(id, heardMs);
      const text = `${id} is not responding: no heartbeat for ${((nowMs - heardMs) / 1000).toFixed(1)} s (frozen, e.g. SIGSTOP?); the others wait within the protocol's bounds`;
      this.events.push({ atS, node: id, kind: "frozen", text });
      texts.push(text);
    }
    return texts;
  }

  /** `id` says it retries a failure by itself (`recovered`: the failure is over): logged and counted, never fatal. */
  retrying(id: NodeId, message: string, recovered: boolean, atS: number): string {
    const text = `${id}: ${message}${recovered ? "" : " (the node retries; the launcher waits)"}`;
    this.events.push({ atS, node: id, kind: recovered ? "recovered" : "retrying", text });
    return text;
  }

  /** `id` exited as asked (a scripted crash, the end of the run): it is no longer watched. */
  forget(id: NodeId): void {
    this.lastHeardMs.delete(id);
    this.frozenSinceMs.delete(id);
  }

  /** Nodes reported frozen and silent still. */
  get frozen(): NodeId[] {
    return [...this.frozenSinceMs.keys()];
  }

  summary(): SupervisionSummary {
    const count = (kind: SupervisionEvent["kind"]): number => this.events.filter((e) => e.kind === kind).length;
    return { restarts: count("restart"), frozen: count("frozen"), events: [...this.events] };
  }
}
