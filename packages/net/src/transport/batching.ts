/**
 * Burst batching, shared by every carrier's connection: the frames sent in one burst of
 * synchronous work (a role step's effects, a link's resends) leave together, once the burst is
 * over, so that the connection writes them corked (one system call instead of one per frame) and
 * coalesces the small ones into batches (envelope.ts's `coalesce`, one WebSocket message instead of
 * one per frame). A burst leaves as soon as it holds `burstBytesMax`, so large frames are not held
 * back. Each large frame is counted as being written from here on (pool.ts's `writeStarted`), until
 * its connection says it is done.
 */
import { tracked, writeStarted } from "./pool.js";

/** A burst of small frames leaves corked; once it holds this much it leaves at once. */
export const burstBytesMax = 64 * 1024;

/**
 * The sends of one burst (one turn of the event loop, or burstBytesMax bytes, whichever comes
 * first), handed to `flush` together so that a connection can cork and coalesce them.
 */
export class Burst {
  private frames: Uint8Array[] = [];
  private bytes = 0;
  private queued = false;
  constructor(private readonly flush: (frames: Uint8Array[]) => void) {}
  push(frame: Uint8Array): void {
    if (tracked(frame)) writeStarted(frame);
    this.frames.push(frame);
    this.bytes += frame.byteLength;
    if (this.bytes >= burstBytesMax) this.take();
    else if (!this.queued) {
      this.queued = true;
      process.nextTick(() => {
        this.queued = false;
        this.take();
      });
    }
  }
  private take(): void {
    const frames = this.frames;
    if (frames.length === 0) return;
    this.frames = [];
    this.bytes = 0;
    this.flush(frames);
  }
}
