// Proves the reliable link's promise: whatever the wire does (loss, duplication, reordering,
// disconnects), each side delivers exactly the messages the other sent, once each, in order; and
// with durable acks, a receiver that crashes back to its last checkpoint still gets every message.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ReliableLink, validateLinkFrame, RemoteError, type LinkFrame, type LinkOutput, type LinkSnapshot } from "@gaia/core";

const seedText = process.env.GAIA_SEED ?? "";
const seed = seedText === "" ? Math.floor(Math.random() * 2 ** 31) : Number(seedText);
const numRuns = Number(process.env.GAIA_RUNS ?? "") || 150;
const options = { retransmitMs: 50, retransmitMaxMs: 400, heartbeatMs: 30, peerTimeoutMs: 200, ackDelayMs: 0, durableAcks: false };

type Side = "a" | "b";
const other = (s: Side): Side => (s === "a" ? "b" : "a");

/** Two links and the wire between them; `wire[s]` holds frames in flight from s. */
class World {
  now = 0;
  links: Record<Side, ReliableLink<number>>;
  wire: Record<Side, LinkFrame<number>[]> = { a: [], b: [] };
  up = true;
  sent: Record<Side, number[]> = { a: [], b: [] };
  got: Record<Side, number[]> = { a: [], b: [] };
  constructor(linkOptions = options) {
    this.links = { a: new ReliableLink<number>(linkOptions), b: new ReliableLink<number>(linkOptions) };
    this.apply("a", this.links.a.step({ kind: "connected" }, 0));
    this.apply("b", this.links.b.step({ kind: "connected" }, 0));
  }
  apply(side: Side, out: LinkOutput<number>): void {
    if (this.up) this.wire[side].push(...out.frames);
    this.got[side].push(...out.delivered);
    this.links[side].invariants();
    for (const s of ["a", "b"] as const) {
      const expected = this.sent[other(s)];
      assert.deepEqual(this.got[s], expected.slice(0, this.got[s].length), `${s} delivered out of order or twice`);
    }
  }
  send(side: Side, value: number): void {
    this.sent[side].push(value);
    this.apply(side, this.links[side].step({ kind: "send", body: value }, this.now));
  }
  deliver(from: Side, index: number, keep: boolean): void {
    const frames = this.wire[from];
    if (frames.length === 0) return;
    const i = index % frames.length;
    const frame = frames[i]!;
    if (!keep) frames.splice(i, 1);
    this.apply(other(from), this.links[other(from)].step({ kind: "frame", frame }, this.now));
  }
  drop(from: Side, index: number): void {
    const frames = this.wire[from];
    if (frames.length > 0) frames.splice(index % frames.length, 1);
  }
  disconnect(): void {
    this.up = false;
    this.wire = { a: [], b: [] };
    for (const s of ["a", "b"] as const) this.apply(s, this.links[s].step({ kind: "disconnected" }, this.now));
  }
  reconnect(): void {
    if (this.up) return;
    this.up = true;
    for (const s of ["a", "b"] as const) this.apply(s, this.links[s].step({ kind: "connected" }, this.now));
  }
  advance(ms: number): void {
    this.now += ms;
    for (const s of ["a", "b"] as const) {
      const deadline = this.links[s].nextDeadlineMs();
      if (deadline !== null && deadline <= this.now) this.apply(s, this.links[s].step({ kind: "timer" }, this.now));
    }
  }
  /** Liveness phase: heal, then run in FIFO order until both sides have everything. */
  settle(): void {
    this.reconnect();
    for (let round = 0; round < 10_000; round++) {
      if (this.got.a.length === this.sent.b.length && this.got.b.length === this.sent.a.length) return;
      if (this.wire.a.length + this.wire.b.length > 0) {
        this.deliver(this.wire.a.length > 0 ? "a" : "b", 0, false);
        continue;
      }
      const deadlines = [this.links.a.nextDeadlineMs(), this.links.b.nextDeadlineMs()].filter((d): d is number => d !== null);
      this.advance(Math.max(1, Math.min(...deadlines) - this.now));
    }
    assert.fail("link did not settle");
  }
}

type Command = fc.Command<object, World>;
const cmd = (name: string, run: (w: World) => void): Command => ({ check: () => true, run: (_m, w) => run(w), toString: () => name });

const side = fc.constantFrom<Side>("a", "b");
const commands = [
  fc.tuple(side, fc.integer({ min: 0, max: 1e6 })).map(([s, v]) => cmd(`Send(${s},${v})`, (w) => w.send(s, v))),
  fc.tuple(side, fc.nat(20)).map(([s, i]) => cmd(`Deliver(${s},${i})`, (w) => w.deliver(s, i, false))),
  fc.tuple(side, fc.nat(20)).map(([s, i]) => cmd(`Duplicate(${s},${i})`, (w) => w.deliver(s, i, true))),
  fc.tuple(side, fc.nat(20)).map(([s, i]) => cmd(`Drop(${s},${i})`, (w) => w.drop(s, i))),
  fc.constant(cmd("Disconnect", (w) => w.disconnect())),
  fc.constant(cmd("Reconnect", (w) => w.reconnect())),
  fc.integer({ min: 1, max: 300 }).map((ms) => cmd(`Advance(${ms})`, (w) => w.advance(ms))),
];

describe(`reliable link (GAIA_SEED=${seed})`, () => {
  test("loss, duplication, reordering and disconnects: exactly-once in-order delivery both ways", () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 200 }), (cmds) => {
        const world = new World();
        fc.modelRun(() => ({ model: {}, real: world }), cmds);
        world.settle();
        assert.deepEqual(world.got.b, world.sent.a);
        assert.deepEqual(world.got.a, world.sent.b);
      }),
      { seed, numRuns },
    );
  });

  test("durable acks: a receiver restored from its checkpoint still gets every message once", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant("send"), fc.constant("deliver"), fc.constant("checkpoint"), fc.constant("crash"), fc.constant("advance")), { maxLength: 150 }),
        (steps) => {
          const durable = { ...options, durableAcks: true };
          let now = 0;
          const sender = new ReliableLink<number>(options);
          let receiver = new ReliableLink<number>(durable);
          let wire: LinkFrame<number>[] = [];
          let back: LinkFrame<number>[] = [];
          // What the receiver's state holds, and the copy on disk.
          let state: number[] = [];
          let disk: { state: number[]; link: LinkSnapshot<number> } = { state: [], link: receiver.snapshot() };
          const sent: number[] = [];
          const toReceiver = (f: LinkFrame<number>): void => {
            const out = receiver.step({ kind: "frame", frame: f }, now);
            state.push(...out.delivered);
            back.push(...out.frames);
          };
          wire.push(...sender.step({ kind: "connected" }, now).frames);
          back.push(...receiver.step({ kind: "connected" }, now).frames);
          const pump = (): void => {
            for (const f of wire.splice(0)) toReceiver(f);
            for (const f of back.splice(0)) wire.push(...sender.step({ kind: "frame", frame: f }, now).frames);
          };
          for (const s of steps) {
            if (s === "send") {
              sent.push(sent.length);
              wire.push(...sender.step({ kind: "send", body: sent.length - 1 }, now).frames);
            } else if (s === "deliver") pump();
            else if (s === "checkpoint") {
              disk = { state: [...state], link: receiver.snapshot() };
              back.push(...receiver.step({ kind: "commit", through: disk.link.delivered }, now).frames);
            } else if (s === "crash") {
              receiver = new ReliableLink<number>(durable, disk.link);
              state = [...disk.state];
              wire = [];
              back = [];
              sender.step({ kind: "disconnected" }, now);
              wire.push(...sender.step({ kind: "connected" }, now).frames);
              back.push(...receiver.step({ kind: "connected" }, now).frames);
            } else {
              now += 60;
              wire.push(...sender.step({ kind: "timer" }, now).frames);
              back.push(...receiver.step({ kind: "timer" }, now).frames);
            }
            assert.deepEqual(state, sent.slice(0, state.length));
            sender.invariants();
            receiver.invariants();
          }
          for (let i = 0; i < 50 && state.length < sent.length; i++) pump();
          assert.deepEqual(state, sent);
        },
      ),
      { seed, numRuns },
    );
  });

  test("heartbeats: a silent peer is reported down, a heard one up", () => {
    const link = new ReliableLink<number>(options);
    link.step({ kind: "connected" }, 0);
    assert.equal(link.step({ kind: "frame", frame: { t: "hb" } }, 10).peer, true);
    assert.equal(link.step({ kind: "timer" }, 100).peer, null);
    assert.equal(link.step({ kind: "timer" }, 210).peer, false);
    assert.equal(link.isPeerUp, false);
    assert.equal(link.step({ kind: "frame", frame: { t: "ack", ack: 0 } }, 300).peer, true);
  });

  test("retransmit backs off exponentially while no ack arrives", () => {
    const link = new ReliableLink<number>(options);
    link.step({ kind: "connected" }, 0);
    link.step({ kind: "send", body: 7 }, 0);
    const resendTimes: number[] = [];
    for (let t = 1; t < 2000; t++) {
      const out = link.step({ kind: "timer" }, t);
      if (out.frames.some((f) => f.t === "data")) resendTimes.push(t);
    }
    assert.deepEqual(resendTimes.slice(0, 4), [50, 150, 350, 750]);
  });

  test("the validator rejects frames that are not link frames", () => {
    const body = (v: unknown): number => {
      if (typeof v !== "number") throw new RemoteError("bad-field", "body");
      return v;
    };
    assert.deepEqual(validateLinkFrame({ t: "data", seq: 1, ack: 0, body: 3 }, body), { t: "data", seq: 1, ack: 0, body: 3 });
    for (const bad of [null, 3, "x", {}, { t: "data", seq: 0, ack: 0, body: 1 }, { t: "data", seq: 1.5, ack: 0, body: 1 }, { t: "ack", ack: -1 }, { t: "nope" }, { t: "data", seq: 1, ack: 0, body: "s" }]) {
      assert.throws(() => validateLinkFrame(bad, body), RemoteError);
    }
  });
});

// Proves that the link trusts nothing its peer says about sequence numbers: a bogus ack or a frame
// far ahead is refused before it changes any state, and every buffer stays within its bound.
describe(`reliable link: hostile peers and memory bounds (GAIA_SEED=${seed})`, () => {
  const connected = (linkOptions: Partial<typeof options> & Record<string, unknown> = {}): ReliableLink<number> => {
    const link = new ReliableLink<number>({ ...options, ...linkOptions });
    link.step({ kind: "connected" }, 0);
    return link;
  };

  test("an ack beyond the last seq sent is a RemoteError; nothing unacknowledged is dropped and later sends still go out", () => {
    const link = connected();
    for (let v = 0; v < 3; v++) link.step({ kind: "send", body: v }, 0);
    for (const frame of [{ t: "ack", ack: 4 }, { t: "ack", ack: 1e12 }, { t: "data", seq: 1, ack: 4, body: 9 }] as const) {
      assert.throws(() => link.step({ kind: "frame", frame }, 1), (e: unknown) => e instanceof RemoteError && e.code === "bad-ack");
    }
    assert.equal(link.unackedCount, 3);
    assert.equal(link.deliveredSeq, 0, "the data frame carrying the bogus ack was not delivered");
    const out = link.step({ kind: "send", body: 3 }, 2);
    assert.deepEqual(out.frames.map((f) => (f.t === "data" ? f.seq : -1)), [4]);
    // The honest ack of everything sent is taken.
    link.step({ kind: "frame", frame: { t: "ack", ack: 4 } }, 3);
    assert.equal(link.unackedCount, 0);
  });

  test("a data frame beyond the receive window is a RemoteError and is not buffered", () => {
    const link = connected({ windowMessages: 8 });
    link.step({ kind: "frame", frame: { t: "data", seq: 8, ack: 0, body: 1 } }, 1);
    assert.throws(() => link.step({ kind: "frame", frame: { t: "data", seq: 9, ack: 0, body: 1 } }, 1), (e: unknown) => e instanceof RemoteError && e.code === "beyond-window");
    assert.throws(() => link.step({ kind: "frame", frame: { t: "data", seq: 2 ** 52, ack: 0, body: 1 } }, 1), RemoteError);
    link.invariants();
  });

  test("the early buffer holds at most earlyBytesMax bytes; a frame over it is dropped and delivered after the resend", () => {
    const sizeOf = (b: unknown): number => b as number;
    const link = connected({ windowMessages: 100, earlyBytesMax: 1000, sizeOf } as never);
    for (let seq = 2; seq <= 30; seq++) link.step({ kind: "frame", frame: { t: "data", seq, ack: 0, body: 100 } }, 1);
    link.invariants();
    assert.equal(link.earlyDropped, 19);
    const out = link.step({ kind: "frame", frame: { t: "data", seq: 1, ack: 0, body: 100 } }, 2);
    assert.equal(out.delivered.length, 11, "seq 1 and the ten buffered frames");
    assert.equal(link.deliveredSeq, 11);
  });

  test("the sender keeps at most windowMessages frames on the wire and sends the rest as acks open the window", () => {
    const link = connected({ windowMessages: 3 });
    const seqs = (out: LinkOutput<number>): number[] => out.frames.flatMap((f) => (f.t === "data" ? [f.seq] : []));
    const sent: number[] = [];
    for (let v = 0; v < 7; v++) sent.push(...seqs(link.step({ kind: "send", body: v }, 0)));
    assert.deepEqual(sent, [1, 2, 3]);
    assert.deepEqual(seqs(link.step({ kind: "frame", frame: { t: "ack", ack: 2 } }, 1)), [4, 5]);
    assert.deepEqual(seqs(link.step({ kind: "timer" }, 1000)), [3, 4, 5], "a retransmit stays inside the window");
    assert.deepEqual(seqs(link.step({ kind: "frame", frame: { t: "ack", ack: 7 } }, 1001)), []);
    assert.equal(link.unackedCount, 0);
  });

  test("loss, duplication, reordering and disconnects with a window of 3 and a 2-frame early budget: exactly-once in-order delivery", () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 200 }), (cmds) => {
        const world = new World({ ...options, windowMessages: 3, earlyBytesMax: 2 } as typeof options);
        fc.modelRun(() => ({ model: {}, real: world }), cmds);
        world.settle();
        assert.deepEqual(world.got.b, world.sent.a);
        assert.deepEqual(world.got.a, world.sent.b);
      }),
      { seed, numRuns },
    );
  });
});

describe("reliable link: fast retransmit", () => {
  test("a lost frame is resent after two duplicate acks, long before the retransmit deadline", () => {
    const slow = { ...options, retransmitMs: 60_000, retransmitMaxMs: 60_000 };
    const sender = new ReliableLink<number>(slow);
    const receiver = new ReliableLink<number>(slow);
    sender.step({ kind: "connected" }, 0);
    receiver.step({ kind: "connected" }, 0);
    const wire = [1, 2, 3].flatMap((v) => sender.step({ kind: "send", body: v }, 0).frames);
    const acks = wire.slice(1).flatMap((f) => receiver.step({ kind: "frame", frame: f }, 1).frames); // seq 1 is lost
    assert.deepEqual(acks, [{ t: "ack", ack: 0 }, { t: "ack", ack: 0 }], "each frame past the gap is answered at once");
    const resent = acks.flatMap((f) => sender.step({ kind: "frame", frame: f }, 2).frames);
    assert.deepEqual(resent.map((f) => (f.t === "data" ? f.seq : f.t)), [1]);
    const out = receiver.step({ kind: "frame", frame: resent[0]! }, 3);
    assert.deepEqual(out.delivered, [1, 2, 3]);
  });
});
