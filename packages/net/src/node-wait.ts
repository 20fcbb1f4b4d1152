/** What a node that makes no progress waits on, in words (the watchdog's `stalled` report). */
import { ShardRole, WorkerRole, type Role } from "@gaia/core";
import type { Metrics } from "./metrics.js";
import type { RunPlan } from "./plan.js";

export interface PeerStatus {
  readonly peer: string;
  readonly connected: boolean;
  readonly up: boolean;
  readonly unacked: number;
}

export function describeWait(role: Role, plan: RunPlan, peers: readonly PeerStatus[], metrics: Metrics): string {
  const parts: string[] = [];
  if (role instanceof WorkerRole) {
    const w = role.waitingOn();
    if (w.phase === "reading") parts.push(`read replies for clock ${w.clock} from ${w.shards.join(", ")}`);
    else if (w.phase === "computing") parts.push(`its own compute of clock ${w.clock}`);
    else parts.push(`${w.phase} at clock ${w.clock}`);
  } else if (role instanceof ShardRole) {
    const behind = plan.layout.shard(role.id).clients.filter((c) => {
      const s = role.clientState(c);
      return s !== null && !s.done && s.clock === role.localClock;
    });
    if (behind.length > 0) parts.push(`pushes of clock ${role.localClock} from ${behind.join(", ")}`);
    const bound = plan.sync.asp?.mirrorClockBound;
    const min = role.mirrorClockMin;
    if (bound !== undefined && min !== null && role.localClock - min > bound) parts.push(`its slowest mirror (clock ${min}; local clock ${role.localClock}, bound ${bound})`);
    if (role.pendingReads > 0) parts.push(`${role.pendingReads} read(s) held`);
  } else parts.push(`messages (${metrics.total("messages_received_total")} so far)`);
  for (const p of peers) {
    if (!p.connected) parts.push(`no connection to ${p.peer}`);
    else if (!p.up) parts.push(`nothing heard from ${p.peer}`);
    if (p.unacked > 0) parts.push(`${p.unacked} frame(s) to ${p.peer} unacknowledged`);
  }
  const errors = Object.entries(metrics.toJSON()).filter(([k, v]) => (k.startsWith("remote_errors_total") || k.startsWith("role_remote_errors_total")) && v > 0);
  if (errors.length > 0) parts.push(`remote errors ${errors.map(([k, v]) => `${k.slice(k.indexOf("{") + 1, -1)} x${v}`).join(", ")}`);
  return parts.join("; ");
}
