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

/** A reader of length-prefixed frames; `push` each chunk in order, frames come out of `onFrame`. */
export class FrameReader {
  private readonly head = new Uint8Array(lengthBytes);
  private headAt = 0;
  private frame: Uint8Array | null = null;
  private frameAt = 0;
  /** A released large frame's memory, free for the next large frame; null while in use. */
  private spare: ArrayBuffer | null = null;
  /**
   * `chunksReused`: the chunks are one buffer read into again and again (a socket's `onread`), so
   * every frame is copied out; otherwise a frame inside one chunk is a view of it.
   */
  constructor(
    /** Returns true (exactly) when nothing keeps any part of the frame: its memory may be read into again. */
    private readonly onFrame: (frame: Uint8Array) => unknown,
    private readonly chunksReused = false,
    private readonly maxBytes = maxPayloadBytes,
    private readonly reuseMin = reuseBytesMin,
  ) {}

  /** Whether the memory of the last large released frame is waiting for the next one (for tests). */
  get hasSpare(): boolean {
    return this.spare !== null;
  }

  /** Frames so far incomplete (bytes read of the current one), for tests. */
  get partialBytes(): number {
    return this.frame === null ? this.headAt : lengthBytes + this.frameAt;
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    const n = chunk.byteLength;
    while (at < n) {
      if (this.frame === null) {
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
        // Not zeroed first: the frame is handed out only once every byte has been read into it. A
        // spare at most twice the frame's size is taken (a decoded view then keeps at most that).
        const spare = this.spare;
        if (spare !== null && length >= this.reuseMin && spare.byteLength >= length && spare.byteLength <= 2 * length) {
          this.spare = null;
          this.frame = new Uint8Array(spare, 0, length);
        } else this.frame = allocateUnzeroed(length);
        this.frameAt = 0;
      }
      const frame = this.frame;
      const take = Math.min(frame.byteLength - this.frameAt, n - at);
      frame.set(new Uint8Array(chunk.buffer, chunk.byteOffset + at, take), this.frameAt);
      this.frameAt += take;
      at += take;
      if (this.frameAt === frame.byteLength) {
        this.frame = null;
        const released = this.onFrame(frame) === true;
        if (released && frame.byteLength >= this.reuseMin) this.spare = frame.buffer as ArrayBuffer;
      }
    }
  }
}

/** The length prefix of a frame of `bytes` bytes. */
export function lengthPrefix(bytes: number): Uint8Array {
  return Uint8Array.of(bytes & 0xff, (bytes >>> 8) & 0xff, (bytes >>> 16) & 0xff, (bytes >>> 24) & 0xff);
}
