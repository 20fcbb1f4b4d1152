/**
 * Frames on a byte stream (the unix-socket carrier): each frame is `length:uint32le` and then that
 * many bytes, the same bytes a WebSocket message carries (a handshake frame, a link frame or a
 * batch; envelope.ts). The reader owns what it hands out: a frame that lies inside one chunk is a
 * view of that chunk (the socket's chunks are fresh memory, never reused), one that spans chunks is
 * copied once into a buffer of its own size, so a large frame costs one copy and one allocation.
 *
 * Reuse. A large frame's buffer (at least `reuseBytesMin`) is read into again for a later frame
 * only when the receiver said, as `onFrame` returned, that nothing keeps any part of it (true: every
 * message in it was used up during the call). Anything else (false, nothing, a throw) leaves it to
 * the receiver and the collector. So a frame whose message the receiver keeps, or that its link
 * holds for later, is never overwritten; a 10 MB push consumed at once costs no fresh memory.
 *
 * A length of 0 or above `maxPayloadBytes` is a RemoteError (the connection is then closed): the
 * reader never allocates more than one frame's bytes on a peer's word, and never more than the
 * bound. A stream that ends inside a frame leaves the partial frame unread (the link resends it on
 * the next connection).
 */
import { RemoteError } from "@gaia/core";
import { allocateUnzeroed, maxPayloadBytes } from "./envelope.js";

export const lengthBytes = 4;
/** Frames at least this large are gathered into a reused buffer when the receiver allows it. */
export const reuseBytesMin = 32 * 1024;

// Views are made with the plain Uint8Array constructor: a Node Buffer's `subarray` goes through
// Buffer's own, slower one.

/**
 * Gathers one frame at a time out of a stream's chunks into memory of its own: a buffer of the
 * frame's size, or the memory of the last large frame its receiver released (see "Reuse" above).
 * Shared by the length-prefixed reader below and the WebSocket dialer's reader (ws-client.ts).
 */
export class FrameGatherer {
  private frame: Uint8Array | null = null;
  private frameAt = 0;
  /** A released large frame's memory, free for the next large frame; null while in use. */
  private spare: Uint8Array | null = null;
  constructor(private readonly reuseMin = reuseBytesMin) {}

  get hasSpare(): boolean {
    return this.spare !== null;
  }
  /** Whether a frame is being gathered. */
  get busy(): boolean {
    return this.frame !== null;
  }
  /** Bytes gathered of the current frame. */
  get at(): number {
    return this.frameAt;
  }

  /** Starts a frame of `length` bytes (not zeroed first: it is handed out once every byte is in). */
  start(length: number): void {
    // A spare at most twice the frame's size is taken (a decoded view then keeps at most that).
    const spare = this.spare;
    if (spare !== null && length >= this.reuseMin && spare.byteLength >= length && spare.byteLength <= 2 * length) {
      this.spare = null;
      // Only the released frame's own bytes: its buffer may be a shared block (allocateSmall).
      this.frame = new Uint8Array(spare.buffer, spare.byteOffset, length);
    } else this.frame = allocateUnzeroed(length);
    this.frameAt = 0;
  }

  /**
   * The rest of the frame being gathered, for a socket to read straight into, when at least `min`
   * bytes of it remain; otherwise null.
   */
  rest(min: number): Uint8Array | null {
    const frame = this.frame;
    if (frame === null || frame.byteLength - this.frameAt < min) return null;
    return new Uint8Array(frame.buffer, frame.byteOffset + this.frameAt, frame.byteLength - this.frameAt);
  }

  /** `n` more bytes of the frame are in (read straight into `rest`, or copied by `fill`); hands it on once whole. */
  filled(n: number, onFrame: (frame: Uint8Array) => unknown): void {
    const frame = this.frame!;
    this.frameAt += n;
    if (this.frameAt === frame.byteLength) {
      this.frame = null;
      const released = onFrame(frame) === true;
      if (released && frame.byteLength >= this.reuseMin) this.spare = frame;
    }
  }

  /**
   * Copies what `chunk` holds of the current frame from `at` on; returns the new position, and
   * hands the frame to `onFrame` once it is whole (its memory is kept for reuse when that returns
   * exactly true).
   */
  fill(chunk: Uint8Array, at: number, onFrame: (frame: Uint8Array) => unknown): number {
    const frame = this.frame!;
    const take = Math.min(frame.byteLength - this.frameAt, chunk.byteLength - at);
    frame.set(new Uint8Array(chunk.buffer, chunk.byteOffset + at, take), this.frameAt);
    this.filled(take, onFrame);
    return at + take;
  }
}

/** A read of at least this much of a frame's rest goes straight into the frame (no copy). */
export const directReadMin = 16 * 1024;

/**
 * A reader fed by a socket's `onread`: `readInto(scratch)` says where the next read should land
 * (the rest of a large frame being gathered, so the kernel writes the frame's bytes where they
 * stay, or else the reused scratch buffer), and `readDone(n)` takes the read of `n` bytes there.
 * Node asks for the next read's buffer after each read's callback, so the answer is always current.
 */
export abstract class StreamReader {
  protected readonly gather: FrameGatherer;
  /** `onGathered`, bound once (it is handed to the gatherer for every chunk and read). */
  protected readonly gathered = (frame: Uint8Array): unknown => this.onGathered(frame);
  /** Whether the last `readInto` handed out the rest of a frame (not the scratch buffer). */
  private direct = false;
  constructor(reuseMin: number) {
    this.gather = new FrameGatherer(reuseMin);
  }
  abstract push(chunk: Uint8Array): void;
  /** What the frame being gathered goes to once it is whole. */
  protected abstract onGathered(frame: Uint8Array): unknown;

  /** Whether the memory of the last large released frame is waiting for the next one (for tests). */
  get hasSpare(): boolean {
    return this.gather.hasSpare;
  }

  readInto(scratch: Uint8Array): Uint8Array {
    const rest = this.gather.rest(directReadMin);
    this.direct = rest !== null;
    return rest ?? scratch;
  }

  /** A read of `n` bytes into what `readInto` returned, or into `scratch` if it was not asked. */
  readDone(n: number, scratch: Uint8Array): void {
    if (this.direct) {
      this.direct = false;
      this.gather.filled(n, this.gathered);
    } else this.push(new Uint8Array(scratch.buffer, scratch.byteOffset, n));
  }
}

/** A reader of length-prefixed frames; `push` each chunk in order, frames come out of `onFrame`. */
export class FrameReader extends StreamReader {
  private readonly head = new Uint8Array(lengthBytes);
  private headAt = 0;
  /**
   * `chunksReused`: the chunks are one buffer read into again and again (a socket's `onread`), so
   * every frame is copied out; otherwise a frame inside one chunk is a view of it.
   */
  constructor(
    /** Returns true (exactly) when nothing keeps any part of the frame: its memory may be read into again. */
    private readonly onFrame: (frame: Uint8Array) => unknown,
    private readonly chunksReused = false,
    /** The largest frame accepted (may be raised, e.g. once the peer is authenticated). */
    public maxBytes = maxPayloadBytes,
    reuseMin = reuseBytesMin,
  ) {
    super(reuseMin);
  }

  protected onGathered(frame: Uint8Array): unknown {
    return this.onFrame(frame);
  }

  /** Frames so far incomplete (bytes read of the current one), for tests. */
  get partialBytes(): number {
    return this.gather.busy ? lengthBytes + this.gather.at : this.headAt;
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    const n = chunk.byteLength;
    while (at < n) {
      if (!this.gather.busy) {
        let length: number;
        if (this.headAt === 0 && at + lengthBytes <= n) {
          length = chunk[at]! | (chunk[at + 1]! << 8) | (chunk[at + 2]! << 16) | (chunk[at + 3]! * 0x1000000);
          at += lengthBytes;
        } else {
          while (this.headAt < lengthBytes && at < n) this.head[this.headAt++] = chunk[at++]!;
          if (this.headAt < lengthBytes) return;
          const h = this.head;
          length = h[0]! | (h[1]! << 8) | (h[2]! << 16) | (h[3]! * 0x1000000);
          this.headAt = 0;
        }
        length >>>= 0;
        if (length === 0) throw new RemoteError("truncated-frame", "stream frame of 0 bytes");
        if (length > this.maxBytes) throw new RemoteError("oversized-frame", `stream frame of ${length} bytes, above ${this.maxBytes}`);
        if (at + length <= n && !this.chunksReused) {
          // The whole frame is in this chunk: a view, no copy.
          const frame = new Uint8Array(chunk.buffer, chunk.byteOffset + at, length);
          at += length;
          this.onFrame(frame);
          continue;
        }
        this.gather.start(length);
      }
      at = this.gather.fill(chunk, at, this.gathered);
    }
  }
}

/** The length prefix of a frame of `bytes` bytes. */
export function lengthPrefix(bytes: number): Uint8Array {
  // From a shared block, not a fresh on-heap array that the socket would move off the heap.
  const out = allocateUnzeroed(lengthBytes);
  out[0] = bytes & 0xff;
  out[1] = (bytes >>> 8) & 0xff;
  out[2] = (bytes >>> 16) & 0xff;
  out[3] = (bytes >>> 24) & 0xff;
  return out;
}
