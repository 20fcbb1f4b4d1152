/**
 * WAN emulation for one-machine runs. Each directed cross-data-center link of a sending process
 * is a serialized queue: a data frame starts when the previous one has left (bandwidth), and
 * arrives one one-way latency later. Control frames do not queue behind data (they model the
 * paper's separate control channel): they pay the latency only. Release times never decrease, so
 * frames stay in order per channel. Pure arithmetic; the transport owns the timers.
 */
export class LinkShaper {
  private freeAtMs = 0;
  private lastControlMs = 0;

  constructor(
    readonly bytesPerMs: number,
    readonly latencyMs: number,
  ) {}

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
