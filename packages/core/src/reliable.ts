/**
 * A reliable link: exactly-once, in-order delivery of messages over a connection that may drop,
 * duplicate, reorder and lose frames, and that may break and be re-established.
 *
 * Theory of operation. The sender numbers every message (`seq` = 1, 2, ...) and keeps it until the
 * peer acknowledges it. Acknowledgements are cumulative: `ack = n` means "I have delivered every
 * message up to n". They ride on data frames or go alone in `ack` frames. Unacknowledged messages
 * are sent again, in order, (a) when the connection comes back (`connected`) and (b) when the
 * retransmit deadline passes, which then backs off exponentially until an ack makes progress.
 * The receiver delivers seq = delivered + 1 at once, keeps later ones in an in-order buffer until
 * the gap fills, and drops anything it has already delivered (re-acknowledging it, so a sender
 * whose ack was lost learns). Hence every message is delivered exactly once, in order, as long as
 * the connection eventually carries frames again.
 *
 * Durable acks. A node that checkpoints its state (a parameter-server shard) must not let a peer
 * forget a message before the checkpoint that covers it is on disk, or a crash would lose it. With
 * `durableAcks` the link acknowledges only through what `commit` names; `snapshot()` captures the
 * link so that a restored node continues the same sequence numbers. Such a node holds its frames
 * until the checkpoint that numbers them is on disk (output commit), so a peer never holds a
 * sequence number its restored sender has not numbered yet.
 *
 * Trust nothing the peer says. An ack of a sequence number this link never sent, or a data frame
 * beyond the receive window, is a `RemoteError` thrown before any state changes: the transport
 * closes the connection and counts it, and the link resends once a connection is back. A peer that
 * keeps lying is refused every time, loudly; it can never make the link drop what is
 * unacknowledged, or swallow later sends (which is what believing a bogus ack would do).
 *
 * Refused messages. With a `deliver` callback on a frame input, the link hands each message to
 * the receiver before it takes the message's seq; a message the receiver refuses is dropped and
 * its seq stays free, so the real peer's frame with that seq (an interloper's forged one was
 * refused) is still taken, and delivery stops at that gap until it is filled.
 *
 * Out of step. Two ends whose sequence numbers no longer match (a secret holder's forged message
 * was taken under the real peer's seq) cannot repair themselves: the receiver would drop the real
 * message as a duplicate, the sender would refuse every ack beyond what it sent, and the link
 * would reconnect forever. The link says so instead, in `outOfStep` (and changes nothing): a
 * duplicate whose body differs from what was delivered (or held) under its seq (by `digestOf`,
 * kept for the last `digestsKept` seqs); the same message refused twice under the same seq (the
 * peer insists on it); or an ack beyond what was sent heard on `badAckConnectionsMax` connections
 * in a row, with no good frame between (one such ack is a bogus frame, and only refused). A driver
 * stops there, naming the link and the cause.
 *
 * Memory bounds. The sender puts at most `windowMessages` unacknowledged frames on the wire; later
 * sends wait in order until acks open the window, so the receiver may refuse any seq beyond
 * `delivered + windowMessages`. The receiver's buffer of frames that arrived ahead of a gap holds
 * at most `windowMessages` frames and at most `earlyBytesMax` bytes (by `sizeOf`); a frame over
 * the byte budget is dropped (not an error: an honest sender can cause it) and comes again with
 * the sender's retransmit. The sender's queue of unacknowledged messages is not capped here: it is
 * bounded by the protocol above (a worker has one clock in flight; a shard runs at most DS clocks
 * ahead of its slowest mirror and staleness + 1 clocks ahead of its slowest worker).
 *
 * Fast retransmit. A frame that arrives ahead of a gap is answered at once with an ack of what was
 * delivered (a duplicate ack); a sender that hears `fastRetransmitAcks` such acks in a row resends
 * its oldest unacknowledged frame without waiting for the retransmit deadline. Over TCP nothing is
 * lost and this never fires; under injected loss (the runtime's lossy faults) it repairs a gap in
 * about a round trip instead of a retransmit period.
 *
 * Liveness of the peer. Any frame heard proves the peer is up; heartbeats (`hb`) are sent when the
 * link has been quiet for `heartbeatMs`; a peer silent for `peerTimeoutMs` is reported down.
 *
 * Sans-I/O: no timers, no clocks. Time comes in as `nowMs`; `nextDeadlineMs()` says when to call
 * `step({kind: "timer"})`, and a spurious timer is harmless. Frames out and messages delivered are
 * returned as data.
 */
import { RemoteError, invariant } from "./errors.js";

export type LinkFrame<B> =
  | { readonly t: "data"; readonly seq: number; readonly ack: number; readonly body: B }
  | { readonly t: "ack"; readonly ack: number }
  | { readonly t: "hb" };

export type LinkInput<B> =
  /** Queue a message for the peer. */
  | { readonly kind: "send"; readonly body: B }
  /**
   * A frame arrived from the peer. `deliver`: hands each message about to be delivered, in order,
   * to the receiver before the link takes its seq, and says whether it took it (null) or why it
   * refused it; a refused one is dropped, its seq not used up (see "Refused messages").
   */
  | { readonly kind: "frame"; readonly frame: LinkFrame<B>; readonly deliver?: ((body: B) => string | null) | undefined }
  /** The connection to the peer is (again) able to carry frames. */
  | { readonly kind: "connected" }
  /** The connection broke; frames out are held until `connected`. */
  | { readonly kind: "disconnected" }
  | { readonly kind: "timer" }
  /** Durable acks: everything delivered through `through` is safe on disk and may be acknowledged. */
  | { readonly kind: "commit"; readonly through: number };

export interface LinkOutput<B> {
  /** Frames to write to the connection, in order. */
  readonly frames: LinkFrame<B>[];
  /** Messages delivered to the application, in order, each exactly once. */
  readonly delivered: B[];
  /** The peer went up (true) or down (false) during this step; null when unchanged. */
  readonly peer: boolean | null;
  /** The seq of a message the receiver refused in this step (see `deliver`); null: none. */
  readonly refused: number | null;
  /**
   * The two ends are out of step (see "Out of step"): which way (`receive`: the peer's messages to
   * this end; `send`: this end's to the peer) and why. The frame changed nothing; stop the link.
   */
  readonly outOfStep: { readonly direction: "receive" | "send"; readonly cause: string } | null;
}

export interface ReliableLinkOptions {
  /** First retransmit deadline after an unacknowledged send. */
  readonly retransmitMs: number;
  /** Cap of the exponential backoff. */
  readonly retransmitMaxMs: number;
  /** Send a heartbeat when nothing was sent for this long (while connected). */
  readonly heartbeatMs: number;
  /** The peer is down when nothing was heard from it for this long. */
  readonly peerTimeoutMs: number;
  /** Delay of a standalone ack (0: at once); acks ride on data frames sent meanwhile. */
  readonly ackDelayMs: number;
  /** Acknowledge only through `commit` (for nodes that checkpoint). */
  readonly durableAcks: boolean;
  /** Send window and receive window, in messages: frames on the wire beyond the peer's ack. */
  readonly windowMessages: number;
  /** Bytes (by `sizeOf`) the receiver buffers of frames that arrived ahead of a gap. */
  readonly earlyBytesMax: number;
  /** Duplicate acks in a row that make the sender resend its oldest unacknowledged frame. */
  readonly fastRetransmitAcks: number;
  /** The size of a body, for `earlyBytesMax` (default: 1 per message). */
  readonly sizeOf?: ((body: unknown) => number) | undefined;
  /** A digest of a body, for "Out of step" (default: none, and no such check of bodies). */
  readonly digestOf?: ((body: unknown) => number) | undefined;
  /** Delivered seqs whose digests are kept, to compare their duplicates with. */
  readonly digestsKept: number;
  /** Connections in a row on which an ack beyond what was sent makes the link out of step. */
  readonly badAckConnectionsMax: number;
}

export const defaultReliableLinkOptions: ReliableLinkOptions = {
  retransmitMs: 1000,
  retransmitMaxMs: 30_000,
  heartbeatMs: 500,
  peerTimeoutMs: 3000,
  ackDelayMs: 0,
  durableAcks: false,
  windowMessages: 4096,
  earlyBytesMax: 64 * 1024 * 1024,
  fastRetransmitAcks: 2,
  digestsKept: 1024,
  badAckConnectionsMax: 2,
};

/** What a checkpoint keeps of a link; `restore` continues from it. */
export interface LinkSnapshot<B> {
  readonly nextSeq: number;
  readonly peerAck: number;
  readonly delivered: number;
  readonly unacked: readonly { readonly seq: number; readonly body: B }[];
}

/** A step's output, as the link fills it in. */
type Output<B> = { -readonly [K in keyof LinkOutput<B>]: LinkOutput<B>[K] };

/** The earlier of a deadline so far (null: none) and another (null: none). */
const earlier = (next: number | null, t: number | null): number | null => (t !== null && (next === null || t < next) ? t : next);

/** Checks that an untrusted value is a link frame; the body is checked by `body`. */
export function validateLinkFrame<B>(value: unknown, body: (v: unknown) => B): LinkFrame<B> {
  if (typeof value !== "object" || value === null) throw new RemoteError("malformed-frame", "link frame is not a map");
  const v = value as { t?: unknown; seq?: unknown; ack?: unknown; body?: unknown };
  const count = (x: unknown, name: string): number => {
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0) throw new RemoteError("bad-field", `link frame ${name} must be a non-negative integer`);
    return x;
  };
  switch (v.t) {
    case "data": {
      const seq = count(v.seq, "seq");
      if (seq === 0) throw new RemoteError("bad-field", "link frame seq must be positive");
      return { t: "data", seq, ack: count(v.ack, "ack"), body: body(v.body) };
    }
    case "ack":
      return { t: "ack", ack: count(v.ack, "ack") };
    case "hb":
      return { t: "hb" };
    default:
      throw new RemoteError("unknown-kind", `unknown link frame type ${JSON.stringify(v.t)}`);
  }
}

export class ReliableLink<B> {
  readonly options: ReliableLinkOptions;
  private nextSeq = 1;
  /** Highest cumulative ack heard from the peer. */
  private peerAck = 0;
  /** Sent, not yet acknowledged, ascending seq. */
  private unacked: { seq: number; body: B }[] = [];
  private connected = false;
  private retransmitAt: number | null = null;
  private retransmitDelayMs: number;
  /** Highest seq delivered in order. */
  private delivered = 0;
  private readonly early = new Map<number, B>();
  private earlyBytes = 0;
  /** Highest seq put on the wire since the last (re)connect; frames above it wait for the window. */
  private sentThrough = 0;
  /** Standalone acks in a row that repeated `peerAck` while frames were unacknowledged. */
  private duplicateAcks = 0;
  /** Highest seq we may acknowledge (delivered, or committed with durable acks). */
  private ackable = 0;
  private ackSent = 0;
  private ackDueAt: number | null = null;
  private ackForced = false;
  private lastSentAt = 0;
  private lastHeardAt = 0;
  private peerUp = false;
  /** Digests of the last `digestsKept` delivered bodies, at seq % digestsKept (seqs above `digestsFrom`). */
  private readonly digests: Float64Array;
  /** Delivered before this link kept digests (a restored link's snapshot): none kept for them. */
  private digestsFrom = 0;
  /** The last message refused, by seq and digest (see "Out of step"). */
  private refusedSeq = 0;
  private refusedDigest = 0;
  /** Connections in a row that carried an ack beyond what was sent, and whether this one did. */
  private badAckConnections = 0;
  private badAckHere = false;
  /** Duplicates dropped, frames resent, early frames dropped over the byte budget: for metrics. */
  duplicatesDropped = 0;
  framesResent = 0;
  earlyDropped = 0;

  constructor(options: Partial<ReliableLinkOptions> = {}, snapshot?: LinkSnapshot<B>) {
    this.options = { ...defaultReliableLinkOptions, ...options };
    this.retransmitDelayMs = this.options.retransmitMs;
    this.digests = new Float64Array(this.options.digestOf ? this.options.digestsKept : 0);
    if (snapshot) {
      this.nextSeq = snapshot.nextSeq;
      this.peerAck = snapshot.peerAck;
      this.delivered = snapshot.delivered;
      this.digestsFrom = snapshot.delivered;
      this.ackable = snapshot.delivered;
      this.unacked = snapshot.unacked.map((u) => ({ seq: u.seq, body: u.body }));
    }
  }

  get isPeerUp(): boolean {
    return this.peerUp;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Messages sent and not yet acknowledged. */
  get unackedCount(): number {
    return this.unacked.length;
  }

  /** Whether a frame with this seq arrived ahead of a gap and waits in the early buffer. */
  holds(seq: number): boolean {
    return this.early.has(seq);
  }

  /** Highest seq delivered in order (what `commit` takes after a checkpoint). */
  get deliveredSeq(): number {
    return this.delivered;
  }

  step(input: LinkInput<B>, nowMs: number): LinkOutput<B> {
    const out: Output<B> = { frames: [], delivered: [], peer: null, refused: null, outOfStep: null };
    switch (input.kind) {
      case "send":
        this.send(input.body, nowMs, out);
        break;
      case "frame":
        this.receive(input.frame, input.deliver, nowMs, out);
        break;
      case "connected":
        this.connected = true;
        this.badAckHere = false;
        this.lastHeardAt = nowMs;
        this.resendAll(nowMs, out);
        if (this.ackable > 0) this.emitAck(nowMs, out);
        break;
      case "disconnected":
        this.connected = false;
        this.retransmitAt = null;
        break;
      case "commit":
        if (this.options.durableAcks && input.through > this.ackable) {
          this.ackable = Math.min(input.through, this.delivered);
          this.scheduleAck(nowMs, out);
        }
        break;
      case "timer":
        this.onTimer(nowMs, out);
        break;
    }
    return out;
  }

  nextDeadlineMs(): number | null {
    // Asked after every frame (the transport re-arms its timer), so no closure and no allocation.
    let next: number | null = null;
    if (this.connected) {
      next = earlier(next, this.retransmitAt);
      next = earlier(next, this.ackDueAt);
      next = earlier(next, this.lastSentAt + this.options.heartbeatMs);
    }
    if (this.peerUp) next = earlier(next, this.lastHeardAt + this.options.peerTimeoutMs);
    return next;
  }

  /** The state a checkpoint keeps; with durable acks, commit `delivered` once it is on disk. */
  snapshot(): LinkSnapshot<B> {
    return { nextSeq: this.nextSeq, peerAck: this.peerAck, delivered: this.delivered, unacked: this.unacked.map((u) => ({ seq: u.seq, body: u.body })) };
  }

  invariants(): void {
    let previous = this.peerAck;
    for (const u of this.unacked) {
      invariant(u.seq > previous, () => `unacked seq ${u.seq} not above ${previous}`);
      previous = u.seq;
    }
    invariant(previous < this.nextSeq || this.unacked.length === 0, "unacked seq at or beyond nextSeq");
    invariant(this.ackable <= this.delivered, "acknowledging beyond what was delivered");
    for (const seq of this.early.keys()) invariant(seq > this.delivered + 1, () => `early frame ${seq} should have been delivered`);
    invariant(this.early.size <= this.options.windowMessages && this.earlyBytes <= this.options.earlyBytesMax, () => `early buffer over its bound (${this.early.size} frames, ${this.earlyBytes} bytes)`);
  }

  private send(body: B, nowMs: number, out: LinkOutput<B>): void {
    const seq = this.nextSeq++;
    this.unacked.push({ seq, body });
    if (!this.connected || seq > this.peerAck + this.options.windowMessages) return;
    this.emit({ t: "data", seq, ack: this.ackable }, body, nowMs, out);
    this.sentThrough = seq;
    if (this.retransmitAt === null) this.retransmitAt = nowMs + this.retransmitDelayMs;
  }

  /**
   * The earliest error in what the peer says, checked before the frame changes any state. Returns
   * false when the link is out of step (an ack beyond what was sent, on connection after connection).
   */
  private check(frame: LinkFrame<B>, out: Output<B>): boolean {
    if (frame.t === "hb") return true;
    if (frame.ack >= this.nextSeq) {
      if (!this.badAckHere) {
        this.badAckHere = true;
        this.badAckConnections++;
      }
      const cause = `ack ${frame.ack} beyond the last seq sent (${this.nextSeq - 1})`;
      if (this.badAckConnections >= this.options.badAckConnectionsMax) {
        out.outOfStep = { direction: "send", cause: `the peer acknowledged messages never sent to it, on ${this.badAckConnections} connections in a row (${cause})` };
        return false;
      }
      throw new RemoteError("bad-ack", cause);
    }
    if (frame.t === "data" && frame.seq > this.delivered + this.options.windowMessages) {
      throw new RemoteError("beyond-window", `seq ${frame.seq} beyond the receive window (delivered ${this.delivered}, window ${this.options.windowMessages})`);
    }
    this.badAckConnections = 0;
    return true;
  }

  /** Why a duplicate of `seq` is not the message this link has under that seq; null if it is (or is not known). */
  private clashOf(seq: number, body: B): string | null {
    const digestOf = this.options.digestOf;
    if (digestOf === undefined) return null;
    const held = this.early.get(seq);
    let kept: number;
    if (held !== undefined) kept = digestOf(held);
    else if (seq > this.digestsFrom && seq > this.delivered - this.digests.length) kept = this.digests[seq % this.digests.length]!;
    else return null;
    return digestOf(body) === kept ? null : `two different messages under seq ${seq} (${held !== undefined ? "held ahead of a gap" : "delivered"}, and one that arrived since)`;
  }

  /**
   * Delivers `body` as seq delivered + 1, unless `deliver` refuses it (it is dropped, and the seq
   * stays free). Returns whether it was taken.
   */
  private take(body: B, deliver: ((body: B) => string | null) | undefined, out: Output<B>): boolean {
    const seq = this.delivered + 1;
    const digestOf = this.options.digestOf;
    // Taken before the receiver sees the body, whose bytes it may use up.
    const digest = digestOf === undefined ? 0 : digestOf(body);
    const refusal = deliver === undefined ? null : deliver(body);
    if (refusal !== null) {
      out.refused = seq;
      if (digestOf !== undefined && this.refusedSeq === seq && this.refusedDigest === digest) out.outOfStep = { direction: "receive", cause: `the peer sent seq ${seq} again, and it was refused again (${refusal})` };
      this.refusedSeq = seq;
      this.refusedDigest = digest;
      return false;
    }
    out.delivered.push(body);
    this.delivered = seq;
    if (digestOf !== undefined) this.digests[seq % this.digests.length] = digest;
    return true;
  }

  private receive(frame: LinkFrame<B>, deliver: ((body: B) => string | null) | undefined, nowMs: number, out: Output<B>): void {
    if (!this.check(frame, out)) return;
    if (frame.t === "data" && (frame.seq <= this.delivered || this.early.has(frame.seq))) {
      const clash = this.clashOf(frame.seq, frame.body);
      if (clash !== null) {
        out.outOfStep = { direction: "receive", cause: clash };
        return;
      }
    }
    this.lastHeardAt = nowMs;
    if (!this.peerUp) {
      this.peerUp = true;
      out.peer = true;
    }
    if (frame.t === "hb") return;
    if (frame.t === "ack" && frame.ack === this.peerAck && this.unacked.length > 0 && this.connected) {
      if (++this.duplicateAcks >= this.options.fastRetransmitAcks) {
        this.duplicateAcks = 0;
        const first = this.unacked[0]!;
        this.emit({ t: "data", seq: first.seq, ack: this.ackable }, first.body, nowMs, out);
        this.framesResent++;
      }
    }
    this.onAck(frame.ack, nowMs, out);
    if (frame.t !== "data") return;
    const { seq } = frame;
    if (seq <= this.delivered || this.early.has(seq)) {
      this.duplicatesDropped++;
      // Say again what we have, so a sender whose ack was lost stops resending.
      if (this.ackable > 0) this.ackForced = true;
      this.scheduleAck(nowMs, out);
      return;
    }
    if (seq !== this.delivered + 1) {
      // A gap: say at once what we have (a duplicate ack), so the sender can repair it fast.
      this.ackForced = true;
      this.scheduleAck(nowMs, out);
      const size = this.sizeOf(frame.body);
      if (this.earlyBytes + size > this.options.earlyBytesMax) {
        this.earlyDropped++;
        return;
      }
      this.early.set(seq, frame.body);
      this.earlyBytes += size;
      return;
    }
    if (this.take(frame.body, deliver, out)) {
      for (let next = this.early.get(this.delivered + 1); next !== undefined; next = this.early.get(this.delivered + 1)) {
        this.early.delete(this.delivered + 1);
        this.earlyBytes -= this.sizeOf(next);
        if (!this.take(next, deliver, out)) {
          // A held message refused: the gap is back, and the peer should hear so and resend.
          this.ackForced = this.ackable > 0;
          break;
        }
      }
    }
    if (!this.options.durableAcks) this.ackable = this.delivered;
    this.scheduleAck(nowMs, out);
  }

  private onAck(ack: number, nowMs: number, out: LinkOutput<B>): void {
    if (ack <= this.peerAck) return;
    this.peerAck = ack;
    this.duplicateAcks = 0;
    let drop = 0;
    while (drop < this.unacked.length && this.unacked[drop]!.seq <= ack) drop++;
    if (drop > 0) this.unacked.splice(0, drop);
    this.retransmitDelayMs = this.options.retransmitMs;
    this.retransmitAt = this.unacked.length > 0 && this.connected ? nowMs + this.retransmitDelayMs : null;
    if (this.connected) this.sendWindow(nowMs, out);
  }

  /** Puts on the wire the waiting messages the window now admits. */
  private sendWindow(nowMs: number, out: LinkOutput<B>): void {
    const limit = this.peerAck + this.options.windowMessages;
    const unacked = this.unacked;
    if (unacked.length === 0) return;
    // Sequence numbers in `unacked` are consecutive, so the first one not yet sent sits at a known
    // index: no walk over the window's sent messages on every ack. Should one before it be unsent
    // after all, the walk starts from the beginning (the loop skips what was sent either way).
    let i = Math.min(unacked.length, Math.max(0, this.sentThrough + 1 - unacked[0]!.seq));
    if (i > 0 && unacked[i - 1]!.seq > this.sentThrough) i = 0;
    for (; i < unacked.length; i++) {
      const u = unacked[i]!;
      if (u.seq <= this.sentThrough) continue;
      if (u.seq > limit) break;
      this.emit({ t: "data", seq: u.seq, ack: this.ackable }, u.body, nowMs, out);
      this.sentThrough = u.seq;
    }
  }

  private sizeOf(body: B): number {
    return this.options.sizeOf ? this.options.sizeOf(body) : 1;
  }

  private scheduleAck(nowMs: number, out: LinkOutput<B>): void {
    if (!this.connected || (this.ackable <= this.ackSent && !this.ackForced)) return;
    if (this.options.ackDelayMs <= 0) this.emitAck(nowMs, out);
    else if (this.ackDueAt === null) this.ackDueAt = nowMs + this.options.ackDelayMs;
  }

  private emitAck(nowMs: number, out: LinkOutput<B>): void {
    this.emit({ t: "ack", ack: this.ackable }, undefined, nowMs, out);
  }

  private resendAll(nowMs: number, out: LinkOutput<B>): void {
    const limit = this.peerAck + this.options.windowMessages;
    for (const u of this.unacked) {
      if (u.seq > limit) break;
      this.emit({ t: "data", seq: u.seq, ack: this.ackable }, u.body, nowMs, out);
      this.sentThrough = u.seq;
      this.framesResent++;
    }
    this.retransmitAt = this.unacked.length > 0 ? nowMs + this.retransmitDelayMs : null;
  }

  private onTimer(nowMs: number, out: Output<B>): void {
    if (this.connected) {
      if (this.retransmitAt !== null && nowMs >= this.retransmitAt) {
        this.retransmitDelayMs = Math.min(this.retransmitDelayMs * 2, this.options.retransmitMaxMs);
        this.resendAll(nowMs, out);
      }
      if (this.ackDueAt !== null && nowMs >= this.ackDueAt) this.emitAck(nowMs, out);
      if (nowMs >= this.lastSentAt + this.options.heartbeatMs) this.emit({ t: "hb" }, undefined, nowMs, out);
    }
    if (this.peerUp && nowMs >= this.lastHeardAt + this.options.peerTimeoutMs) {
      this.peerUp = false;
      out.peer = false;
    }
  }

  private emit(frame: { t: "data"; seq: number; ack: number } | { t: "ack"; ack: number } | { t: "hb" }, body: B | undefined, nowMs: number, out: LinkOutput<B>): void {
    if (frame.t === "data") {
      out.frames.push({ t: "data", seq: frame.seq, ack: frame.ack, body: body as B });
      this.ackSent = Math.max(this.ackSent, frame.ack);
    } else if (frame.t === "ack") {
      out.frames.push(frame);
      this.ackSent = Math.max(this.ackSent, frame.ack);
    } else out.frames.push(frame);
    if (frame.t !== "hb") this.ackForced = false;
    if (this.ackable <= this.ackSent && !this.ackForced) this.ackDueAt = null;
    this.lastSentAt = nowMs;
  }
}
