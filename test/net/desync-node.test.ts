// Proves the node runtime's part in "links recover or say why", with the real shard role behind the
// real transport: a push the shard refuses (a clock from the future, forged by a secret holder posing
// as the worker) is refused before its link takes the seq, so the worker's own push under that seq
// is applied; and a forged push the shard takes (the very clock it expects) makes the worker's own
// push under that seq a second message under one seq: the node stops at once and reports an error
// naming the link and the cause (which a launcher fails the run with).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { dirname } from "node:path";
import WebSocket from "ws";
import { createWorkload } from "@gaia/workloads";
import { decodeFrame, encodeBody, encodeFrame, helloMac, loadCluster, Metrics, newNonce, NodeRuntime, planOf, resolveAddresses, Transport, upgradeProof, upgradeProofHeader, type NodeReport } from "@gaia/net";
import type { Message } from "@gaia/core";
import { until, writeCluster } from "./support.js";

const closers: (() => void)[] = [];
after(() => closers.forEach((close) => close()));

/** An empty push of `clock`: valid for any shard (no rows, no deltas). */
const push = (clock: number, last = false): Message => ({ kind: "push", clock, rows: new Uint32Array(0), deltas: new Float32Array(0), last });

test("a shard refuses a forged push before its link takes the seq, and stops naming the link when a forged push it took meets the worker's own", { timeout: 60_000 }, async () => {
  const file = writeCluster({ name: "desync-node", sync: "ssp", dataCenters: ["virginia"], maxIterations: 100, wan: false });
  const cluster = loadCluster(file);
  const { scenario } = cluster;
  const workload = await createWorkload(scenario.workload, { seed: scenario.seed, dataCenters: scenario.topology.dataCenters, workersPerDataCenter: scenario.topology.workersPerDataCenter, baseDir: scenario.baseDir ?? dirname(cluster.file) });
  const layout = planOf(scenario, workload).layout;
  const [worker, shard] = [layout.workers[0]!, layout.shards[0]!.id];
  const addresses = resolveAddresses(cluster, layout.nodes);
  // The worker is played by a bare transport; the shard is a real node.
  const metrics = new Metrics(worker);
  const w = new Transport({ self: worker, secret: cluster.secret, listenHost: "127.0.0.1", port: addresses.get(worker)!.port, peers: new Map([[shard, addresses.get(shard)!]]), metrics, onMessage: () => undefined, onPeer: () => undefined });
  closers.push(() => w.close());
  await w.start();
  const reports: NodeReport[] = [];
  const runtime = new NodeRuntime({ cluster, node: shard, report: (r) => reports.push(r), watchdogMs: 0, metricsEveryMs: 50 });
  closers.push(() => runtime.close());
  await runtime.start();
  const clock = (): number => Math.max(-1, ...reports.flatMap((r) => (r.ev === "state" && r.clock !== null ? [r.clock] : [])));

  for (let c = 0; c < 3; c++) w.send(shard, push(c), "data");
  await until("the shard at clock 3, every push acknowledged", () => clock() === 3 && w.unacked === 0, 10_000);

  const impostor = async (): Promise<WebSocket> => {
    const ws = new WebSocket(`ws://${addresses.get(shard)!.host}:${addresses.get(shard)!.port}/`, { headers: { [upgradeProofHeader]: upgradeProof(cluster.secret, worker, shard, "data", Date.now()) } });
    ws.on("error", () => undefined);
    closers.push(() => ws.terminate());
    await new Promise<void>((resolve, reject) => {
      ws.once("message", (data) => {
        const frame = decodeFrame(new Uint8Array(data as Buffer));
        if (frame.t !== "challenge") return reject(new Error("no challenge"));
        ws.send(encodeFrame({ t: "hello", node: worker, target: shard, channel: "data", nonce: newNonce(), mac: helloMac(cluster.secret, frame.nonce, worker, shard, "data", w.epoch), epoch: w.epoch }));
        ws.once("message", () => resolve());
      });
    });
    return ws;
  };

  // Seq 4 is the worker's next: a push of a clock from the future, refused by the shard itself.
  const refused = await impostor();
  refused.send(encodeFrame({ t: "data", seq: 4, ack: 0, body: encodeBody(push(7)) }));
  await until("the forged push refused", () => runtime.metrics.get("role_remote_errors_total", { code: "clock-from-future" }) === 1);
  w.send(shard, push(3), "data");
  await until("the worker's own push under seq 4 applied", () => clock() === 4 && w.unacked === 0, 10_000);

  // Seq 5: a push of the clock the shard expects (said to be the worker's last), which it takes; then the worker's own.
  const taken = await impostor();
  taken.send(encodeFrame({ t: "data", seq: 5, ack: 0, body: encodeBody(push(4, true)) }));
  await until("the forgery taken", () => clock() === 5, 10_000);
  taken.terminate();
  w.send(shard, push(4), "data");
  await until("the shard stopped", () => reports.some((r) => r.ev === "error"), 10_000);
  const error = reports.find((r) => r.ev === "error");
  assert.ok(error?.ev === "error");
  assert.equal(error.node, shard);
  assert.match(error.message, new RegExp(`^the link ${worker} -> ${shard} \\(data\\) is out of step: two different messages under seq 5`));
});
