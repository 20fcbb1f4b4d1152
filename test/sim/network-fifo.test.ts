// Property test of network.connectionOrder fifo on generated traffic (messages between nodes of
// two or three data centers, random sizes and send times, both sharing models): every message is
// delivered exactly once and in order on its connection, and no two messages of one connection
// are transferred at once, so each arrives at least its own transfer time (at its route's
// bottleneck) after the one ahead of it. The same traffic with shared connections breaks that
// spacing, which shows the property can fail.
// GAIA_SEED pins the seed, GAIA_RUNS the number of runs.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Rng } from "@gaia/core";
import { Engine, Network, type NetworkSpec } from "@gaia/sim";
import { params, seedTitle } from "../support/fc.js";

interface Msg {
  readonly from: string;
  readonly to: string;
  readonly size: number;
  readonly atMs: number;
}

const dcs = ["a", "b", "c"];
const nodes = dcs.flatMap((dc) => [`${dc}/w0`, `${dc}/s0`]);
const msgArb: fc.Arbitrary<Msg> = fc
  .record({ from: fc.constantFrom(...nodes), to: fc.constantFrom(...nodes), size: fc.integer({ min: 1, max: 200_000 }), atMs: fc.integer({ min: 0, max: 300 }) })
  .filter((m) => m.from !== m.to);
const trafficArb = fc.record({ msgs: fc.array(msgArb, { minLength: 1, maxLength: 40 }), cm02: fc.boolean(), wanMbps: fc.integer({ min: 1, max: 100 }) });

/** Runs the traffic; per connection, its messages' arrival times in sending order. */
function run(t: { msgs: readonly Msg[]; cm02: boolean; wanMbps: number }, connectionOrder: "shared" | "fifo") {
  const engine = new Engine();
  const links = dcs.flatMap((source) => dcs.filter((x) => x !== source).map((target) => ({ source, target, bandwidthMbps: t.wanMbps, latencyMs: 5 + dcs.indexOf(source) + 3 * dcs.indexOf(target) })));
  const spec: NetworkSpec = { dataCenters: dcs, links, lanBandwidthMbps: 400, lanLatencyMs: 0.2, egressUsdPerGb: {}, sharing: t.cm02 ? "cm02" : "max-min", connectionOrder };
  const arrived = new Map<number, number[]>();
  const net = new Network<number>(engine, spec, new Rng(3), (env) => {
    const times = arrived.get(env.payload) ?? [];
    times.push(engine.now);
    arrived.set(env.payload, times);
  });
  t.msgs.forEach((m, i) => engine.at(m.atMs, () => net.send(m.from, m.to, "data", i, m.size)));
  engine.run();
  // The smallest capacity on a message's route (bytes per ms): NICs and the WAN link or fabric.
  const bottleneck = (m: Msg): number => {
    const wan = m.from.split("/")[0] !== m.to.split("/")[0];
    return (Math.min(400, wan ? t.wanMbps : Infinity) * 1e6) / 8 / 1000;
  };
  const byConnection = new Map<string, { i: number; m: Msg }[]>();
  // Sending order: by time, then by index (the engine runs same-time events in scheduling order).
  [...t.msgs.entries()].sort(([i, a], [j, b]) => a.atMs - b.atMs || i - j).forEach(([i, m]) => {
    const key = `${m.from}>${m.to}`;
    byConnection.set(key, [...(byConnection.get(key) ?? []), { i, m }]);
  });
  return { arrived, byConnection, bottleneck };
}

/** The first place on a connection where two messages were transferred at once, or null. */
function overlap(r: ReturnType<typeof run>): string | null {
  for (const [key, list] of r.byConnection) {
    for (let k = 1; k < list.length; k++) {
      const prev = r.arrived.get(list[k - 1]!.i)![0]!;
      const { i, m } = list[k]!;
      const at = r.arrived.get(i)![0]!;
      const transfer = m.size / r.bottleneck(m);
      if (at - prev < transfer * (1 - 1e-9) - 1e-9) return `${key}: message ${i} arrived ${(at - prev).toFixed(3)} ms after the one ahead of it, less than its ${transfer.toFixed(3)} ms transfer`;
    }
  }
  return null;
}

describe("network: connectionOrder fifo", () => {
  test(seedTitle("exactly once, in order, and one transfer at a time per connection"), () => {
    fc.assert(
      fc.property(trafficArb, (t) => {
        const r = run(t, "fifo");
        for (const [i] of t.msgs.entries()) assert.equal(r.arrived.get(i)?.length, 1, `message ${i} delivered once`);
        for (const list of r.byConnection.values()) {
          const times = list.map(({ i }) => r.arrived.get(i)![0]!);
          for (let k = 1; k < times.length; k++) assert.ok(times[k]! >= times[k - 1]!, "in order");
        }
        assert.equal(overlap(r), null);
      }),
      params(150),
    );
  });

  test("shared connections do transfer side by side (the property above can fail)", () => {
    const t = { msgs: [{ from: "a/s0", to: "b/s0", size: 100_000, atMs: 0 }, { from: "a/s0", to: "b/s0", size: 100_000, atMs: 0 }], cm02: false, wanMbps: 8 };
    assert.match(overlap(run(t, "shared")) ?? "", /a\/s0>b\/s0: message 1 arrived/);
    assert.equal(overlap(run(t, "fifo")), null);
  });
});
