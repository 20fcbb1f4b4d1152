/**
 * The client side of a worker's rejoin: a restarted worker asks each of its shards where it stands
 * (GET /rejoin on the shard's port), and trusts an answer only when its HMAC over a fresh nonce
 * checks out (the shard's side is NodeRuntime's rejoinAnswer).
 */
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { NodeId, RejoinState } from "@gaia/core";
import { rejoinMac, sameMac } from "./auth.js";
import type { ClusterConfig } from "./cluster.js";
import type { PeerAddress } from "./transport.js";

/**
 * Where a restarted worker stands with each of its shards, from the shards themselves (GET /rejoin,
 * answered with an HMAC over a fresh nonce, so a forged or replayed answer is refused). Retries
 * for up to a minute while a shard is unreachable.
 */
export async function rejoinStates(cluster: ClusterConfig, shards: readonly NodeId[], worker: NodeId, addresses: ReadonlyMap<NodeId, PeerAddress>): Promise<Map<NodeId, RejoinState>> {
  const states = new Map<NodeId, RejoinState>();
  const deadline = Date.now() + 60_000;
  for (const shard of shards) {
    const address = addresses.get(shard)!;
    for (;;) {
      const nonce = randomBytes(16).toString("hex");
      let failure: string;
      try {
        const answer = JSON.parse(await httpGet(cluster, address, `/rejoin?worker=${encodeURIComponent(worker)}&nonce=${nonce}`)) as { clock?: unknown; done?: unknown; mac?: unknown; error?: unknown };
        if (typeof answer.error === "string") throw new Error(answer.error);
        const { clock, done, mac } = answer;
        if (typeof clock !== "number" || !Number.isSafeInteger(clock) || clock < 0 || typeof done !== "boolean" || typeof mac !== "string") throw new Error("malformed answer");
        if (!sameMac(Buffer.from(mac, "hex"), rejoinMac(cluster.secret, nonce, shard, worker, clock, done))) throw new Error("the answer failed authentication");
        states.set(shard, { clock, done });
        break;
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
      if (Date.now() > deadline) throw new Error(`cannot rejoin: shard ${shard} at ${address.host}:${address.port} did not say where ${worker} stands (${failure})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return states;
}

function httpGet(cluster: ClusterConfig, address: PeerAddress, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const options = { host: address.host, port: address.port, path, timeout: 5000, rejectUnauthorized: false };
    const request = (cluster.tls ? httpsRequest : httpRequest)(options, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > 65_536) request.destroy(new Error("answer too large"));
        else chunks.push(chunk);
      });
      response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error("timed out")));
    request.on("error", reject);
    request.end();
  });
}
