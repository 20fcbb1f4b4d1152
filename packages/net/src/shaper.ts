/**
 * WAN emulation for one-machine runs. Each directed cross-data-center link of a sending process
 * is a serialized queue: a data frame starts when the previous one has left (bandwidth), and
 * arrives one one-way latency later. Control frames do not queue behind data (they model the
 * paper's separate control channel): they pay the latency only. Release times never decrease, so
 * frames stay in order per channel. Pure arithmetic; the transport owns the timers.
 *
 * A bandwidth fault scales the link's rate (`factor`); it applies to frames handed over from then
 * on, as the simulator's link does to bytes not yet carried.
 */
export class LinkShaper {
  private freeAtMs = 0;
  private lastControlMs = 0;
  /** Product of the active bandwidth faults on this link (1: none). */
  factor = 1;

  constructor(
    readonly baseBytesPerMs: number,
    readonly latencyMs: number,
  ) {}

  /** The link's current rate. */
  get bytesPerMs(): number {
    return this.baseBytesPerMs * this.factor;
  }

  /** When a frame of `bytes` handed over at `nowMs` should be written to the socket. */
  releaseAt(bytes: number, nowMs: number, channel: "data" | "control"): number {
    if (channel === "control") {
      this.lastControlMs = Math.max(this.lastControlMs, nowMs + this.latencyMs);
      return this.lastControlMs;
    }
    const start = Math.max(nowMs, this.freeAtMs);
    this.freeAtMs = start + bytes / this.bytesPerMs;
    return this.freeAtMs + this.latencyMs;
  }

  /** Milliseconds of data queued ahead of a frame handed over now. */
  backlogMs(nowMs: number): number {
    return Math.max(0, this.freeAtMs - nowMs);
  }
}

/** Megabits per second to bytes per millisecond. */
export const bytesPerMsOf = (mbps: number): number => (mbps * 1e6) / 8 / 1000;
