/**
 * Memory for large message bodies, reused once their peer has acknowledged them (see BodyPool).
 */

/** Bodies at least this large are taken from, and given back to, the transport's BodyPool. */
export const poolBytesMin = 32 * 1024;
/**
 * The pool keeps at most this many bytes of free bodies, or as many as the transport has had
 * unacknowledged at once, if that is more: a window of large messages in flight (a burst of 1.1 MB
 * pushes, say) is given back in bursts of acks, and a pool smaller than the window dropped the
 * excess, so that the next window wrote into fresh memory (first-touch page faults, and the
 * external-memory collections the pool is there to avoid). Free plus in flight thus stays within
 * twice the most the traffic itself has needed at once.
 */
export const poolBytesMax = 64 * 1024 * 1024;

/**
 * Memory for large message bodies, given back once the peer acknowledged the message, so that a
 * node that sends the same large messages every clock (pushes, read replies) does not allocate
 * them afresh each time (fresh external memory is what drives V8's full collections at 10 MB
 * rounds). A body is given back only when nothing can read it any more: the link has dropped it
 * (acknowledged), the connection has written out everything it was handed, and no fault or WAN
 * emulation holds frames on the side (held, cut, reordered or gated frames, checkpoint snapshots:
 * the transport stops pooling for good once any of those was in use). Free bodies are found by
 * exact size (a node's large messages repeat their sizes).
 */
export class BodyPool {
  private readonly free = new Map<number, Uint8Array[]>();
  private bytes = 0;
  /** Most bytes of free bodies kept (poolBytesMax, raised to the transport's peak in flight). */
  limit = poolBytesMax;
  /** Bodies handed out again (for tests and metrics). */
  reused = 0;
  take(bytes: number): Uint8Array | null {
    const list = this.free.get(bytes);
    const body = list?.pop();
    if (body === undefined) return null;
    this.bytes -= bytes;
    this.reused++;
    return body;
  }
  give(body: Uint8Array): void {
    if (body.byteLength < poolBytesMin || this.bytes + body.byteLength > this.limit) return;
    let list = this.free.get(body.byteLength);
    if (!list) this.free.set(body.byteLength, (list = []));
    list.push(body);
    this.bytes += body.byteLength;
  }
  clear(): void {
    this.free.clear();
    this.bytes = 0;
  }
  holds(body: Uint8Array): boolean {
    return this.free.get(body.byteLength)?.includes(body) ?? false;
  }
  /** Bytes of free bodies held now. */
  get freeBytes(): number {
    return this.bytes;
  }
}
