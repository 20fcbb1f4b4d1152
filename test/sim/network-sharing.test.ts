// The network model's routes and sharing, by hand-computed cases: a message crosses the sender's
// NIC egress, the WAN link (or the LAN fabric), the data centers' WAN caps and the receiver's NIC
// ingress, and concurrent flows share every link of their routes max-min fairly (progressive
// filling), or weighted by 1 / route latency with the latency paid first (CM02). Figures are
// worked out in the comments; 8 Mbit/s = 1000 bytes per virtual ms.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "@gaia/core";
import { Engine, Network, type Envelope, type NetworkSpec } from "@gaia/sim";

const links = (dcs: readonly string[], bandwidthMbps: number, latencyMs: Readonly<Record<string, number>> = {}) =>
  dcs.flatMap((source) => dcs.filter((t) => t !== source).map((target) => ({ source, target, bandwidthMbps, latencyMs: latencyMs[`${source}->${target}`] ?? 10 })));

function setup(spec: Partial<NetworkSpec> & Pick<NetworkSpec, "dataCenters" | "links">) {
  const engine = new Engine();
  const arrivals = new Map<string, number>();
  const full: NetworkSpec = { lanBandwidthMbps: 8, lanLatencyMs: 0.5, egressUsdPerGb: {}, ...spec };
  const net = new Network<string>(engine, full, new Rng(1), (env: Envelope<string>) => arrivals.set(env.payload, engine.now));
  const at = (name: string): number => {
    const t = arrivals.get(name);
    assert.ok(t !== undefined, `${name} never arrived`);
    return t;
  };
  return { engine, net, at };
}

const close = (actual: number, expected: number, what: string): void => assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual}, expected ${expected}`);

describe("network routes: NICs, WAN links and caps (max-min)", () => {
  test("a shard sending to three mirrors shares its NIC egress among them", () => {
    // NIC 1000 B/ms, WAN links 10000 B/ms: the NIC is the bottleneck, 1000 / 3 each.
    const { engine, net, at } = setup({ dataCenters: ["a", "b", "c", "d"], links: links(["a", "b", "c", "d"], 80) });
    for (const dc of ["b", "c", "d"]) net.send("a/s0", `${dc}/s0`, "data", dc, 100_000);
    engine.run();
    for (const dc of ["b", "c", "d"]) close(at(dc), 300 + 10, dc);
  });

  test("a receiver's NIC ingress is a bottleneck too", () => {
    // Three senders in three data centers, one receiver: its ingress (1000 B/ms) splits three ways.
    const { engine, net, at } = setup({ dataCenters: ["a", "b", "c", "d"], links: links(["a", "b", "c", "d"], 80) });
    for (const dc of ["a", "b", "c"]) net.send(`${dc}/s0`, "d/s0", "data", dc, 100_000);
    engine.run();
    for (const dc of ["a", "b", "c"]) close(at(dc), 300 + 10, dc);
  });

  test("two senders behind one WAN link share it, their NICs idle in part", () => {
    // WAN a->b 1000 B/ms, NICs 10000 B/ms: 500 each, 100 KB in 200 ms.
    const { engine, net, at } = setup({ dataCenters: ["a", "b"], links: links(["a", "b"], 8), lanBandwidthMbps: 80 });
    net.send("a/w0", "b/s0", "data", "x", 100_000);
    net.send("a/w1", "b/s1", "data", "y", 100_000);
    engine.run();
    close(at("x"), 200 + 10, "x");
    close(at("y"), 200 + 10, "y");
  });

  test("mixed: the WAN link binds two flows, the receiver's NIC gives the rest to a LAN flow", () => {
    // Links: WAN a->b 1000 B/ms (x, y), NIC ingress of b/s0 2000 B/ms (x, y, z). Progressive
    // filling: WAN share 500 < ingress share 667, so x = y = 500; the ingress has 1000 left for z.
    // z (50 KB) ends at 50 ms (+ 0.5 LAN latency); x and y stay WAN-bound: 100 KB at 500 = 200 ms.
    // Then w (a LAN flow from b/w1 starting at 100 ms, 50 KB) shares the ingress with x and y:
    // ingress share (2000) / 3 = 667 > 500, so x and y keep 500 and w gets 1000: ends at 150 ms.
    const { engine, net, at } = setup({ dataCenters: ["a", "b"], links: links(["a", "b"], 8), lanBandwidthMbps: 80, nicBandwidthMbpsByNode: { "b/s0": 16 } });
    net.send("a/w0", "b/s0", "data", "x", 100_000);
    net.send("a/w1", "b/s0", "data", "y", 100_000);
    net.send("b/w0", "b/s0", "data", "z", 50_000);
    engine.at(100, () => net.send("b/w1", "b/s0", "data", "w", 50_000));
    engine.run();
    close(at("z"), 50 + 0.5, "z");
    close(at("w"), 150 + 0.5, "w");
    close(at("x"), 200 + 10, "x");
    close(at("y"), 200 + 10, "y");
  });

  test("a flow that ends gives its share to the others at once, across links", () => {
    // a/s0 sends 50 KB to b and 150 KB to c over its NIC (1000 B/ms): 500 each until the small one
    // ends at 100 ms; the large one then has 100 KB left alone at 1000: ends at 200 ms.
    const { engine, net, at } = setup({ dataCenters: ["a", "b", "c"], links: links(["a", "b", "c"], 80) });
    net.send("a/s0", "b/s0", "data", "small", 50_000);
    net.send("a/s0", "c/s0", "data", "large", 150_000);
    engine.run();
    close(at("small"), 100 + 10, "small");
    close(at("large"), 200 + 10, "large");
  });

  test("a data center's WAN egress cap is shared by all its outgoing flows", () => {
    // Egress cap of a 1000 B/ms, WAN links and NICs 10000: two flows to b and c get 500 each.
    const { engine, net, at } = setup({ dataCenters: ["a", "b", "c"], links: links(["a", "b", "c"], 80), lanBandwidthMbps: 80, dataCenterCaps: { a: { egressMbps: 8 } } });
    net.send("a/s0", "b/s0", "data", "b", 100_000);
    net.send("a/s1", "c/s0", "data", "c", 100_000);
    net.send("b/s0", "c/s1", "data", "free", 100_000);
    engine.run();
    close(at("b"), 200 + 10, "b");
    close(at("c"), 200 + 10, "c");
    close(at("free"), 10 + 10, "free (not capped)");
  });

  test("a data center's WAN ingress cap is shared by all its incoming flows, not by LAN flows", () => {
    const { engine, net, at } = setup({ dataCenters: ["a", "b", "c"], links: links(["a", "b", "c"], 80), lanBandwidthMbps: 80, dataCenterCaps: { c: { ingressMbps: 8 } } });
    net.send("a/s0", "c/s0", "data", "a", 100_000);
    net.send("b/s0", "c/s1", "data", "b", 100_000);
    net.send("c/w0", "c/w1", "data", "lan", 100_000);
    engine.run();
    close(at("a"), 200 + 10, "a");
    close(at("b"), 200 + 10, "b");
    close(at("lan"), 10 + 0.5, "lan");
  });

  test("a partitioned WAN link holds no share of the sender's NIC", () => {
    // a->b is cut: its flow gets rate 0, so the flow to c has the whole NIC (1000 B/ms).
    const { engine, net, at } = setup({ dataCenters: ["a", "b", "c"], links: links(["a", "b", "c"], 80) });
    net.partition("a", "b", true);
    net.send("a/s0", "b/s0", "data", "cut", 100_000);
    net.send("a/s0", "c/s0", "data", "open", 100_000);
    engine.at(500, () => net.partition("a", "b", false));
    engine.run();
    close(at("open"), 100 + 10, "open");
    close(at("cut"), 500 + 100 + 10, "cut");
  });

  test("control messages take the route's smallest capacity and do not share it", () => {
    const { engine, net, at } = setup({ dataCenters: ["a", "b"], links: links(["a", "b"], 80) });
    net.send("a/s0", "b/s0", "data", "bulk", 1_000_000);
    net.send("a/s0", "b/s0", "control", "barrier", 1000);
    engine.run();
    close(at("barrier"), 1 + 10, "barrier: 1000 B at the NIC's 1000 B/ms");
    close(at("bulk"), 1000 + 10, "bulk");
  });
});

describe("network sharing: CM02", () => {
  // Sender NIC 1000 B/ms (1 MB/s), WAN links 10000 B/ms, routes of 10 ms (to b) and 100 ms (to c).
  const twoRoutes = (sharing: "max-min" | "cm02") => {
    const r = setup({ sharing, dataCenters: ["a", "b", "c"], links: links(["a", "b", "c"], 80, { "a->b": 10, "a->c": 100 }) });
    r.net.send("a/s0", "b/s0", "data", "near", 1_000_000);
    r.net.send("a/s0", "c/s0", "data", "far", 1_000_000);
    r.engine.run();
    return r;
  };

  test("weights shares by 1 / route latency and pays latency first (SimGrid's 1.10 s and 2.01 s)", () => {
    // near starts at 10 ms alone (1000 B/ms); far joins at 100 ms: weights 100 and 10, so 909.09
    // and 90.909. near has 910 KB left: 1001 ms more, ends at 1101. far has then 909 KB left,
    // alone at 1000: ends at 2010 ms. Arrival is the end of the transfer.
    const { at } = twoRoutes("cm02");
    close(at("near"), 1101, "near");
    close(at("far"), 2010, "far");
  });

  test("max-min gives equal shares and pays latency after the transfer", () => {
    // Both at 500 B/ms: transfers end at 2000 ms; arrivals one route latency later.
    const { at } = twoRoutes("max-min");
    close(at("near"), 2000 + 10, "near");
    close(at("far"), 2000 + 100, "far");
  });

  test("a route of zero latency counts as a penalty of 1 s, as SimGrid does", () => {
    // Penalties 1 s (LAN, latency 0) and 0.1 s (WAN): weights 1 and 10 on the shared NIC.
    const r = setup({ sharing: "cm02", lanLatencyMs: 0, dataCenters: ["a", "b"], links: links(["a", "b"], 80, { "a->b": 100 }) });
    r.net.send("a/s0", "a/s1", "data", "lan", 150_000);
    r.net.send("a/s0", "b/s0", "data", "wan", 1_000_000);
    r.engine.run();
    // lan runs alone for 100 ms (100 KB), then gets 1000 / 11 = 90.909 B/ms for its last 50 KB:
    // 550 ms, ends at 650. wan gets 909.09 meanwhile (500 KB), then 1000 alone: ends at 1150.
    close(r.at("lan"), 650, "lan");
    close(r.at("wan"), 1150, "wan");
  });
});

describe("network: completion at any virtual time", () => {
  test("a transfer shorter than the resolution of the clock completes, and time does not stall", () => {
    // At t = 2^53 ms the clock's resolution is 2 ms; a 1-byte transfer at 1e6 B/ms takes 1e-6 ms.
    const engine = new Engine();
    engine.now = 2 ** 53;
    let arrived = 0;
    const net = new Network<string>(engine, { dataCenters: ["a", "b"], links: links(["a", "b"], 8e6), lanBandwidthMbps: 8e6, lanLatencyMs: 0, egressUsdPerGb: {} }, new Rng(1), () => arrived++);
    for (let i = 0; i < 50; i++) net.send(`a/w${i % 3}`, `a/s${i % 2}`, "data", `m${i}`, 1 + i);
    net.send("a/w0", "b/s0", "data", "wan", 1);
    const fired = engine.run(Infinity, null, 10_000);
    assert.equal(arrived, 51);
    assert.ok(fired < 500, `${fired} events for 51 messages`);
    assert.equal(net.flows.activeFlows, 0);
  });
});

describe("connection order (network.connectionOrder)", () => {
  // One connection a/s0 -> b/s0, WAN 1000 B/ms, latency 10 ms, NICs faster (80 Mbit/s).
  const twoOnOneConnection = (connectionOrder: "shared" | "fifo" | undefined) => {
    const { engine, net, at } = setup({ dataCenters: ["a", "b"], links: links(["a", "b"], 8), lanBandwidthMbps: 80, ...(connectionOrder ? { connectionOrder } : {}) });
    net.send("a/s0", "b/s0", "data", "first", 100_000);
    net.send("a/s0", "b/s0", "data", "second", 100_000);
    // Another connection on the same WAN link, sent with them.
    net.send("a/s1", "b/s1", "data", "other", 100_000);
    engine.run();
    return { first: at("first"), second: at("second"), other: at("other") };
  };

  test("shared (the default): messages on one connection are flows side by side", () => {
    // Three flows share the link: 333 B/ms each, all three done at 300 ms.
    for (const order of [undefined, "shared"] as const) {
      const t = twoOnOneConnection(order);
      close(t.first, 300 + 10, "first");
      close(t.second, 300 + 10, "second");
      close(t.other, 300 + 10, "other");
    }
  });

  test("fifo: the second message starts when the first is transferred, as on one TCP stream", () => {
    // first and other share the link (500 B/ms): both done at 200 ms. second then has it alone: 100 ms more.
    const t = twoOnOneConnection("fifo");
    close(t.first, 200 + 10, "first");
    close(t.other, 200 + 10, "other");
    close(t.second, 300 + 10, "second");
  });

  test("fifo: a message sent while its connection's queue waits goes behind the queue", () => {
    // Inside one data center with no latency, a delivery happens at the last byte. m0 (10 kB at the
    // NIC's 1000 B/ms) is delivered at 10 ms and its receiver answers with m2 on the same
    // connection; m1, queued since 0 ms, goes first (10-20 ms), then m2 (20-30 ms).
    const engine = new Engine();
    const times = new Map<string, number>();
    const spec: NetworkSpec = { dataCenters: ["a"], links: [], lanBandwidthMbps: 8, lanLatencyMs: 0, egressUsdPerGb: {}, connectionOrder: "fifo" };
    const net: Network<string> = new Network<string>(engine, spec, new Rng(1), (env) => {
      times.set(env.payload, engine.now);
      if (env.payload === "m0") net.send("a/w0", "a/s0", "data", "m2", 10_000);
    });
    net.send("a/w0", "a/s0", "data", "m0", 10_000);
    net.send("a/w0", "a/s0", "data", "m1", 10_000);
    engine.run();
    assert.deepEqual([...times.keys()], ["m0", "m1", "m2"]);
    close(times.get("m0")!, 10, "m0");
    close(times.get("m1")!, 20, "m1");
    close(times.get("m2")!, 30, "m2");
  });

  test("an unknown order is refused", () => {
    assert.throws(() => setup({ dataCenters: ["a", "b"], links: links(["a", "b"], 8), connectionOrder: "lifo" as "fifo" }), /unknown connection order "lifo"/);
  });
});
