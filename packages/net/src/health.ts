/**
 * What an orchestrator asks a node, on the node's own port beside /metrics:
 * - GET /healthz answers 200 while the process is up and its event loop turns (a liveness probe);
 * - GET /readyz answers 200 once the node has joined its peers (every peer it exchanges messages
 *   with has been up at least once) and is training, or once it has finished; before that, and
 *   while it shuts down on SIGTERM, 503 Service Unavailable with the reason ("not ready: ...").
 *
 * Readiness is latched once reached: a peer lost later is the reliable links' business (they
 * resend once it is back), and taking this node out of its Service would only cut it off more.
 * Kubernetes counts any status from 200 to 399 as success and anything else as failure.
 */
import type { NodeId } from "@gaia/core";

/** A node's readiness, fed by the runtime: peers up, training started, finished, terminating. */
export class Readiness {
  private readonly joined = new Set<NodeId>();
  private training = false;
  private finished = false;
  private joinedAll = false;
  private terminating = false;

  constructor(private readonly peers: readonly NodeId[]) {}

  /** A peer came up (or went down: once joined, it stays counted). */
  peer(peer: NodeId, up: boolean): void {
    if (up && this.peers.includes(peer)) this.joined.add(peer);
  }

  /** The role got its start input. */
  started(): void {
    this.training = true;
  }

  /** The role is done. */
  done(): void {
    this.finished = true;
  }

  /** SIGTERM: the node is finishing; it takes no new part in the run. */
  terminate(): void {
    this.terminating = true;
  }

  /** Null when ready, else why not, in a few words. */
  reason(): string | null {
    if (this.terminating) return "terminating (SIGTERM)";
    if (this.finished) return null;
    if (!this.training) return "starting";
    if (!this.joinedAll) {
      const missing = this.peers.filter((p) => !this.joined.has(p));
      if (missing.length > 0) return `waiting for peers: ${missing.slice(0, 8).join(", ")}${missing.length > 8 ? ", ..." : ""} (${this.joined.size} of ${this.peers.length} joined)`;
      this.joinedAll = true;
    }
    return null;
  }
}

/** The routes of /healthz and /readyz; a rejected answer is served with its status (503 here) and its message. */
export function healthRoutes(readiness: Readiness): Record<string, () => string | Promise<string>> {
  return {
    "/healthz": () => "ok\n",
    "/readyz": () => {
      const reason = readiness.reason();
      // Rejected, not thrown: the listener serves a rejection with its status and message.
      return reason === null ? "ready\n" : Promise.reject(Object.assign(new Error(`not ready: ${reason}`), { status: "503 Service Unavailable" }));
    },
  };
}
