// The network model: flow-level max-min sharing on a link, latency, asymmetric links, FIFO per
// connection, and the transport's handling of partitions, loss, duplication and reordering.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "@gaia/core";
import { Engine, Network, bytesPerMs, type Envelope, type NetworkSpec } from "@gaia/sim";

const spec: NetworkSpec = {
  dataCenters: ["a", "b"],
  links: [
    { source: "a", target: "b", bandwidthMbps: 8, latencyMs: 10 }, // 1000 bytes/ms
    { source: "b", target: "a", bandwidthMbps: 80, latencyMs: 30 },
  ],
  lanBandwidthMbps: 800,
  lanLatencyMs: 0.1,
  egressUsdPerGb: { a: 0.02, b: 0.1 },
};

function setup() {
  const engine = new Engine();
  const arrivals: { env: Envelope<string>; at: number }[] = [];
  const net = new Network<string>(engine, spec, new Rng(1), (env) => arrivals.push({ env, at: engine.now }));
  const at = (name: string) => arrivals.find((a) => a.env.payload === name)?.at;
  return { engine, net, arrivals, at };
}

describe("network: flow-level sharing", () => {
  test("one flow takes size / bandwidth + latency", () => {
    const { engine, net, at } = setup();
    assert.equal(bytesPerMs(8), 1000);
    net.send("a/w0", "b/s0", "data", "m", 100_000);
    engine.run();
    assert.equal(at("m"), 100 + 10);
  });

  test("two equal flows on one link each take twice as long", () => {
    const { engine, net, at } = setup();
    net.send("a/w0", "b/s0", "data", "x", 100_000);
    net.send("a/w1", "b/s1", "data", "y", 100_000);
    engine.run();
    assert.equal(at("x"), 200 + 10);
    assert.equal(at("y"), 200 + 10);
  });

  test("a flow that ends speeds up the other", () => {
    const { engine, net, at } = setup();
    net.send("a/w0", "b/s0", "data", "small", 50_000);
    net.send("a/w1", "b/s1", "data", "large", 150_000);
    engine.run();
    // Both share until small has 50 KB (100 ms), then large has the link alone for 100 KB.
    assert.equal(at("small"), 100 + 10);
    assert.equal(at("large"), 200 + 10);
  });

  test("a flow that starts later slows the running one from then on", () => {
    const { engine, net, at } = setup();
    net.send("a/w0", "b/s0", "data", "first", 100_000);
    engine.at(50, () => net.send("a/w1", "b/s1", "data", "second", 25_000));
    engine.run();
    // first: 50 KB alone, then shares; second needs 25 KB at 500 B/ms = 50 ms while first gets 25 KB; first has 25 KB left alone.
    assert.equal(at("second"), 100 + 10);
    assert.equal(at("first"), 125 + 10);
  });

  test("links are directed and may be asymmetric", () => {
    const { engine, net, at } = setup();
    net.send("a/w0", "b/s0", "data", "ab", 100_000);
    net.send("b/w0", "a/s0", "data", "ba", 100_000);
    engine.run();
    assert.equal(at("ab"), 100 + 10);
    assert.equal(at("ba"), 10 + 30);
    assert.deepEqual(Object.fromEntries(net.wanBytesByLink), { "a->b": 100_000, "b->a": 100_000 });
    assert.ok(Math.abs(net.stats.costUsd - (100_000 * 0.02 + 100_000 * 0.1) / 1e9) < 1e-15);
  });

  test("the control channel does not queue behind data", () => {
    const { engine, net, at } = setup();
    net.send("a/s0", "b/s0", "data", "bulk", 1_000_000);
    net.send("a/s0", "b/s0", "control", "barrier", 100);
    engine.run();
    assert.equal(at("barrier"), 0.1 + 10);
    assert.equal(at("bulk"), 1000 + 10);
  });

  test("messages of one connection arrive in order even when a later one is smaller", () => {
    const { engine, net, arrivals } = setup();
    net.send("a/w0", "b/s0", "data", "big", 100_000);
    net.send("a/w0", "b/s0", "data", "tiny", 10);
    engine.run();
    assert.deepEqual(arrivals.map((a) => a.env.payload), ["big", "tiny"]);
    assert.equal(net.stats.reorderedHeld, 1);
  });

  test("bandwidth change mid-transfer takes effect at once", () => {
    const { engine, net, at } = setup();
    net.send("a/w0", "b/s0", "data", "m", 100_000);
    engine.at(50, () => net.scaleBandwidth("a", "b", 0.5, false));
    engine.run();
    assert.equal(at("m"), 50 + 100 + 10);
  });
});

describe("network: faults under the transport", () => {
  test("a partition holds messages until it heals, one direction only", () => {
    const { engine, net, at } = setup();
    net.partition("a", "b", true);
    net.send("a/w0", "b/s0", "data", "cut", 1000);
    net.send("b/w0", "a/s0", "data", "open", 1000);
    engine.at(500, () => net.partition("a", "b", false));
    engine.run();
    assert.equal(at("open"), 0.1 + 30);
    assert.equal(at("cut"), 500 + 1 + 10);
  });

  test("loss, duplication and reordering: every message exactly once, in order", () => {
    const { engine, net, arrivals } = setup();
    net.setLossy("a", "b", { loss: 0.3, duplicate: 0.3, reorder: 0.5 });
    for (let i = 0; i < 200; i++) engine.at(i, () => net.send("a/w0", "b/s0", i % 7 === 0 ? "control" : "data", `m${i}`, 100 + (i % 13) * 50));
    engine.run();
    const data = arrivals.filter((a) => a.env.channel === "data").map((a) => a.env.seq);
    const control = arrivals.filter((a) => a.env.channel === "control").map((a) => a.env.seq);
    assert.deepEqual(data, data.map((_, i) => i));
    assert.deepEqual(control, control.map((_, i) => i));
    assert.equal(arrivals.length, 200);
    assert.ok(net.stats.retransmits > 0 && net.stats.duplicatesDropped > 0 && net.stats.reorderedHeld > 0, JSON.stringify(net.stats));
  });
});
