// TLS on the real runtime: a self-signed certificate made at test time with openssl (node:crypto
// cannot make certificates; without openssl the test is skipped and says so). Every node listens
// with uWS's SSLApp and dials wss://; the run completes with the replicas in agreement, so every
// message crossed an encrypted, authenticated connection.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { launchCluster, loadCluster } from "@gaia/net";
import { writeCluster } from "./support.js";

const openssl = spawnSync("openssl", ["version"], { encoding: "utf8" });
const skip = openssl.status === 0 ? false : "openssl is not installed: no way to make a test certificate (node:crypto cannot), so TLS is not tested";

test("TLS: nodes talk over wss:// with a self-signed certificate and the run completes", { timeout: 110_000, skip }, async () => {
  const file = writeCluster({ name: "tls", sync: "asp", dataCenters: ["virginia", "california"], maxIterations: 30 });
  const dir = dirname(file);
  const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { encoding: "utf8" });
  assert.equal(made.status, 0, made.stderr);
  writeFileSync(file, readFileSync(file, "utf8").replace("\ncluster:\n", "\ncluster:\n  tls: { cert: cert.pem, key: key.pem }\n"));
  const cluster = loadCluster(file);
  assert.equal(cluster.tls?.cert, join(dir, "cert.pem"));
  const launch = await launchCluster(cluster, { onLog: (node, line) => process.stderr.write(`[${node}] ${line}\n`) });
  const { summary, replicaSpread, counters } = await launch.result;
  assert.equal(summary.iterations, 30);
  assert.ok(replicaSpread <= 1e-4, `spread ${replicaSpread}`);
  assert.equal(summary.checks["replicas-agree"], null);
  const received = counters.get("virginia/s0")?.['messages_received_total{channel="data"}'] ?? 0;
  assert.ok(received > 30, `messages crossed the TLS connections (${received})`);
});
