// Proves the reliable link's two answers to a forged message (core's reliable.ts, "Refused
// messages" and "Out of step"): a message the receiver refuses never takes its seq, in order or held
// ahead of a gap, so the real peer's message with that seq is still delivered; and when the two ends
// no longer agree on what a seq means (two different messages under one seq, the same message
// refused twice, acks beyond what was sent on two connections in a row) the link says so, and
// changes nothing, instead of dropping the real message or reconnecting forever.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { ReliableLink, RemoteError, type LinkFrame, type LinkOutput } from "@gaia/core";

/** Bodies are numbers here; a number is its own digest. */
const options = { retransmitMs: 50, retransmitMaxMs: 400, heartbeatMs: 30, peerTimeoutMs: 200, ackDelayMs: 0, durableAcks: false, digestOf: (body: unknown) => body as number };

const connected = (): ReliableLink<number> => {
  const link = new ReliableLink<number>(options);
  link.step({ kind: "connected" }, 0);
  return link;
};

const data = (seq: number, body: number, ack = 0): LinkFrame<number> => ({ t: "data", seq, ack, body });

/** A receiver that refuses the bodies in `refused` and takes every other one (in `taken`). */
function receiver(refused: ReadonlySet<number>): { taken: number[]; deliver: (body: number) => string | null } {
  const taken: number[] = [];
  const deliver = (body: number): string | null => {
    if (refused.has(body)) return `body ${body} refused`;
    taken.push(body);
    return null;
  };
  return { taken, deliver };
}

const frame = (link: ReliableLink<number>, f: LinkFrame<number>, deliver?: (body: number) => string | null): LinkOutput<number> => link.step({ kind: "frame", frame: f, deliver }, 1);

describe("reliable link: a refused message keeps its seq free", () => {
  test("refused in order: the peer's next frame with that seq is delivered", () => {
    const link = connected();
    const r = receiver(new Set([99]));
    const out = frame(link, data(1, 99), r.deliver);
    assert.equal(out.refused, 1);
    assert.deepEqual(out.delivered, []);
    assert.equal(link.deliveredSeq, 0, "the seq is not used up");
    assert.ok(!out.frames.some((f) => f.t === "ack" && f.ack > 0), "nothing acknowledged");
    frame(link, data(1, 10), r.deliver);
    frame(link, data(2, 11), r.deliver);
    assert.deepEqual(r.taken, [10, 11]);
    assert.equal(link.deliveredSeq, 2);
    link.invariants();
  });

  test("refused when held ahead of a gap: delivery stops at it, and the real frame fills it", () => {
    const link = connected();
    const r = receiver(new Set([99]));
    frame(link, data(2, 99), r.deliver);
    frame(link, data(3, 12), r.deliver);
    const out = frame(link, data(1, 10), r.deliver);
    assert.equal(out.refused, 2);
    assert.deepEqual(r.taken, [10]);
    assert.equal(link.deliveredSeq, 1);
    assert.ok(out.frames.some((f) => f.t === "ack" && f.ack === 1), "the gap is acknowledged, so the sender resends");
    frame(link, data(2, 11), r.deliver);
    assert.deepEqual(r.taken, [10, 11, 12], "the real seq 2, then the held seq 3");
    link.invariants();
  });
});

describe("reliable link: out of step is said, never looped over", () => {
  test("a duplicate whose body differs from the one delivered under its seq", () => {
    const link = connected();
    const r = receiver(new Set());
    frame(link, data(1, 10), r.deliver);
    frame(link, data(2, 11), r.deliver);
    assert.equal(frame(link, data(2, 11), r.deliver).outOfStep, null, "an honest resend is a plain duplicate");
    const out = frame(link, data(1, 77), r.deliver);
    assert.equal(out.outOfStep?.direction, "receive");
    assert.match(out.outOfStep?.cause ?? "", /two different messages under seq 1/);
    assert.deepEqual(out.frames, []);
    assert.deepEqual(r.taken, [10, 11]);
    assert.equal(link.duplicatesDropped, 1, "nothing changed");
  });

  test("a frame whose body differs from the one held under its seq ahead of a gap", () => {
    const link = connected();
    const r = receiver(new Set());
    frame(link, data(2, 11), r.deliver);
    assert.equal(frame(link, data(2, 11), r.deliver).outOfStep, null);
    assert.match(frame(link, data(2, 55), r.deliver).outOfStep?.cause ?? "", /two different messages under seq 2 \(held ahead of a gap/);
  });

  test("the same message refused twice under one seq: the peer insists on it", () => {
    const link = connected();
    const r = receiver(new Set([99, 98]));
    assert.equal(frame(link, data(1, 99), r.deliver).outOfStep, null);
    assert.equal(frame(link, data(1, 98), r.deliver).outOfStep, null, "another refused message is only refused");
    const out = frame(link, data(1, 98), r.deliver);
    assert.match(out.outOfStep?.cause ?? "", /sent seq 1 again, and it was refused again \(body 98 refused\)/);
  });

  test("an ack beyond what was sent: refused on one connection, out of step on the second in a row; a good frame between starts the count over", () => {
    const link = connected();
    link.step({ kind: "send", body: 1 }, 0);
    const reconnect = (): void => {
      link.step({ kind: "disconnected" }, 1);
      link.step({ kind: "connected" }, 1);
    };
    assert.throws(() => frame(link, { t: "ack", ack: 5 }), (e: unknown) => e instanceof RemoteError && e.code === "bad-ack");
    assert.throws(() => frame(link, { t: "ack", ack: 5 }), RemoteError, "the same connection again: still one connection");
    reconnect();
    frame(link, { t: "ack", ack: 0 });
    reconnect();
    assert.throws(() => frame(link, { t: "ack", ack: 5 }), RemoteError, "a good frame came between");
    reconnect();
    const out = frame(link, { t: "ack", ack: 5 });
    assert.equal(out.outOfStep?.direction, "send");
    assert.match(out.outOfStep?.cause ?? "", /acknowledged messages never sent to it, on 2 connections in a row \(ack 5 beyond the last seq sent \(1\)\)/);
    assert.equal(link.unackedCount, 1, "nothing changed");
  });
});
