/**
 * Memory for large message bodies, reused once their peer has acknowledged them (BodyPool), and
 * what says when that is (BodyReuse): the link no longer holds the body, and no connection is
 * still writing it (`writesPending`).
 */
import { invariant, type Message } from "@gaia/core";
import { allocateUnzeroed, encodeBody } from "../envelope.js";
import type { PeerChannel } from "./types.js";

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
 * Frames of at least `poolBytesMin` bytes handed to a connection and not yet written out (counted
 * per frame, from `send` until the socket has written it or uWS has copied it): a pooled body is
 * given back only at a count of 0. A frame whose write never completes (its connection closed
 * first) keeps its count, and so is never pooled: the safe way to be wrong.
 */
const writesPending = new WeakMap<Uint8Array, number>();
/** What to do with a frame once its last pending write is done (give an acknowledged body back). */
const afterWrites = new WeakMap<Uint8Array, () => void>();
export const tracked = (bytes: Uint8Array): boolean => bytes.byteLength >= poolBytesMin;
export const writeStarted = (bytes: Uint8Array): void => void writesPending.set(bytes, (writesPending.get(bytes) ?? 0) + 1);
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
const beingWritten = (bytes: Uint8Array): boolean => writesPending.has(bytes);
/** Calls `then` once the last pending write of `bytes` is done (see beingWritten). */
const afterWritten = (bytes: Uint8Array, then: () => void): void => void afterWrites.set(bytes, then);

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
class BodyPool {
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

/**
 * The transport's reuse of large bodies: each large body a link sends is listed on its channel
 * (`PeerChannel.sent`) until the peer acknowledges it, and then given back to the pool. Off for
 * good (`stop`) once anything may hold frames aside (see BodyPool).
 */
export class BodyReuse {
  private readonly pool = new BodyPool();
  /** Bytes of pooled-size bodies the links hold unacknowledged now (the `sent` lists), and the most at once. */
  private unackedLargeBytes = 0;
  private peakUnackedLargeBytes = 0;
  private readonly allocate = (bytes: number): Uint8Array => (bytes >= poolBytesMin ? this.pool.take(bytes) : null) ?? allocateUnzeroed(bytes);

  constructor(
    private readonly channels: ReadonlyMap<string, PeerChannel>,
    /** Whether acknowledged bodies go back to the pool. */
    private pooling: boolean,
  ) {}

  /** Bodies given back to the pool and handed out again so far (for tests). */
  get reused(): number {
    return this.pool.reused;
  }

  /** Bytes of free bodies the pool holds, and the most it may hold now (for tests). */
  get bytes(): { readonly free: number; readonly limit: number } {
    return { free: this.pool.freeBytes, limit: this.pool.limit };
  }

  /**
   * `msg` packed for `pc`'s link (the link keeps these bytes, and every (re)send writes its header
   * in front), into a free body of the pool where one fits; counted among the link's sent messages.
   */
  encode(pc: PeerChannel, msg: Message): Uint8Array {
    const body = this.pooling ? encodeBody(msg, this.allocate) : encodeBody(msg);
    if (this.pooling && body.byteLength >= poolBytesMin) {
      pc.sent.push({ index: pc.sentCount, body });
      this.unackedLargeBytes += body.byteLength;
      if (this.unackedLargeBytes > this.peakUnackedLargeBytes) {
        this.peakUnackedLargeBytes = this.unackedLargeBytes;
        this.pool.limit = Math.max(poolBytesMax, this.peakUnackedLargeBytes);
      }
    }
    pc.sentCount++;
    return body;
  }

  /**
   * After a frame from the peer (the only step that takes acks), for a channel with large bodies
   * listed: the bodies the link no longer holds were acknowledged; each goes back to the pool, at
   * once or, while a write may still read it (a burst of frames still leaving, a resend still
   * queued: see writesPending), once that write is done. One whose write never completes is left
   * to the collector.
   */
  reclaim(pc: PeerChannel): void {
    const sent = pc.sent;
    const acked = pc.sentCount - pc.link.unackedCount;
    if (sent[0]!.index >= acked) return;
    while (sent.length > 0 && sent[0]!.index < acked) {
      const { body } = sent.shift()!;
      this.unackedLargeBytes -= body.byteLength;
      if (!this.pooling) continue;
      if (!beingWritten(body)) this.pool.give(body);
      else afterWritten(body, () => this.pooling && this.pool.give(body));
    }
  }

  /** No more reuse, for good: the pool and the lists of sent bodies are dropped. */
  stop(): void {
    if (!this.pooling) return;
    this.pooling = false;
    this.pool.clear();
    for (const pc of this.channels.values()) pc.sent.length = 0;
    this.unackedLargeBytes = 0;
  }

  /**
   * Throws when the bookkeeping is broken (for tests, after any step): a free body that a link
   * still holds for a resend, or a list of sent bodies that is not the link's unacknowledged.
   */
  invariants(self: string): void {
    for (const pc of this.channels.values()) {
      const unacked = pc.link.snapshot().unacked;
      for (const u of unacked) invariant(!this.pool.holds(u.body), () => `${self}: a body of seq ${u.seq} to ${pc.peer} is free in the pool but unacknowledged`);
      if (!this.pooling) continue;
      const acked = pc.sentCount - unacked.length;
      for (const { index, body } of pc.sent) {
        invariant(index < acked || unacked[index - acked]?.body === body, () => `${self}: sent body ${index} to ${pc.peer} is not the link's unacknowledged one there`);
      }
      const large = unacked.filter((u) => u.body.byteLength >= poolBytesMin).length;
      invariant(pc.sent.filter((s) => s.index >= acked).length === large, () => `${self}: the link to ${pc.peer} holds large bodies the pool does not track`);
    }
    if (!this.pooling) return;
    let listed = 0;
    for (const pc of this.channels.values()) for (const { body } of pc.sent) listed += body.byteLength;
    invariant(listed === this.unackedLargeBytes, () => `${self}: ${this.unackedLargeBytes} bytes of large bodies counted unacknowledged, ${listed} listed`);
    invariant(this.pool.freeBytes <= this.pool.limit && this.pool.limit === Math.max(poolBytesMax, this.peakUnackedLargeBytes), () => `${self}: the pool holds ${this.pool.freeBytes} free bytes against a limit of ${this.pool.limit} (peak in flight ${this.peakUnackedLargeBytes})`);
  }
}
