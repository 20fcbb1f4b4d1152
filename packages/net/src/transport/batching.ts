/**
 * Burst batching, shared by every carrier's connection: the frames sent in one burst of
 * synchronous work (a role step's effects, a link's resends) leave together, once the burst is
 * over, so that the connection writes them corked (one system call instead of one per frame) and
 * coalesces the small ones into batches (envelope.ts's `coalesce`, one WebSocket message instead of
 * one per frame). A burst leaves as soon as it holds `burstBytesMax`, so large frames are not held
 * back.
 *
 * Also here: which large frames a connection may still be writing (`writesPending`), so that the
 * body pool (pool.ts) never hands out memory a socket is still reading.
 */
import { poolBytesMin } from "./pool.js";

/** A burst of small frames leaves corked; once it holds this much it leaves at once. */
export const burstBytesMax = 64 * 1024;

/**
 * Frames of at least `poolBytesMin` bytes handed to a connection and not yet written out (counted
 * per frame, from `send` until the socket has written it or uWS has copied it): a pooled body is
 * given back only at a count of 0. A frame whose write never completes (its connection closed
 * first) keeps its count, and so is never pooled: the safe way to be wrong.
 */
const writesPending = new WeakMap<Uint8Array, number>();
/** What to do with a frame once its last pending write is done (give an acknowledged body back). */
const afterWrites = new WeakMap<Uint8Array, () => void>();
export const tracked = (bytes: Uint8Array): boolean => bytes.byteLength >= poolBytesMin;
const writeStarted = (bytes: Uint8Array): void => void writesPending.set(bytes, (writesPending.get(bytes) ?? 0) + 1);
export const writeDone = (bytes: Uint8Array): void => {
  const n = (writesPending.get(bytes) ?? 1) - 1;
  if (n > 0) {
    writesPending.set(bytes, n);
    return;
  }
  writesPending.delete(bytes);
  const then = afterWrites.get(bytes);
  if (then === undefined) return;
  afterWrites.delete(bytes);
  then();
};
/** Whether a write of `bytes` may still read it (see writesPending). */
export const beingWritten = (bytes: Uint8Array): boolean => writesPending.has(bytes);
/** Calls `then` once the last pending write of `bytes` is done (see beingWritten). */
export const afterWritten = (bytes: Uint8Array, then: () => void): void => void afterWrites.set(bytes, then);

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
