/**
 * Mutual HMAC-SHA256 challenge-response with a shared secret, behind the upgrade's proof (below). The listener sends a fresh nonce;
 * the dialer answers with HMAC(secret, "hello" | listener nonce | dialer | listener | channel) and
 * its own nonce; the listener answers with HMAC(secret, "welcome" | dialer nonce | listener |
 * dialer). Neither side accepts a link frame before the other has proved it knows the secret, and
 * a recorded handshake cannot be replayed because each side picks a fresh nonce. Each side's link
 * epoch (which incarnation of its link state it speaks for) is covered by its MAC, so nobody can
 * make a node believe its peer restarted.
 *
 * A restarted worker asks its shards where it stands (`GET /rejoin`); the answer carries
 * HMAC(secret, "rejoin" | the worker's nonce | shard | worker | clock | done), so it cannot be
 * forged or replayed either.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const newNonce = (): Uint8Array => randomBytes(32);

const mac = (secret: string, parts: readonly (string | Uint8Array)[]): Uint8Array => {
  const h = createHmac("sha256", secret);
  for (const p of parts) {
    const bytes = typeof p === "string" ? Buffer.from(p, "utf8") : p;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.byteLength);
    h.update(length);
    h.update(bytes);
  }
  return h.digest();
};

export const helloMac = (secret: string, listenerNonce: Uint8Array, dialer: string, listener: string, channel: string, epoch = ""): Uint8Array =>
  mac(secret, ["gaia-hello-v2", listenerNonce, dialer, listener, channel, epoch]);

export const welcomeMac = (secret: string, dialerNonce: Uint8Array, listener: string, dialer: string, epoch = ""): Uint8Array =>
  mac(secret, ["gaia-welcome-v2", dialerNonce, listener, dialer, epoch]);

export const rejoinMac = (secret: string, nonce: string, shard: string, worker: string, clock: number, done: boolean): Uint8Array =>
  mac(secret, ["gaia-rejoin-v1", nonce, shard, worker, String(clock), done ? "1" : "0"]);

export const sameMac = (a: Uint8Array, b: Uint8Array): boolean => a.byteLength === b.byteLength && timingSafeEqual(a, b);

/**
 * The proof a dialer puts in its WebSocket upgrade request (header `upgradeProofHeader`), so a
 * peer without the secret never gets a WebSocket at all, and so cannot make the listener buffer a
 * single frame: `v1 <dialer> <channel> <wall-clock ms> <nonce> <mac>`, the MAC over all of them and
 * the listener's id. The listener refuses a stale time and a nonce it has seen (UpgradeGate in
 * handshake.ts); the hello that follows still proves the secret against the listener's own nonce.
 */
export const upgradeProofHeader = "x-gaia-proof";

const upgradeMac = (secret: string, dialer: string, listener: string, channel: string, timeMs: string, nonce: string): Uint8Array =>
  mac(secret, ["gaia-upgrade-v1", dialer, listener, channel, timeMs, nonce]);

/** The upgrade proof of `dialer` to `listener` on `channel`, made at wall-clock `timeMs`. */
export function upgradeProof(secret: string, dialer: string, listener: string, channel: string, timeMs: number, nonce = Buffer.from(newNonce()).toString("hex")): string {
  const time = String(Math.floor(timeMs));
  return `v1 ${encodeURIComponent(dialer)} ${channel} ${time} ${nonce} ${Buffer.from(upgradeMac(secret, dialer, listener, channel, time, nonce)).toString("hex")}`;
}

/** An upgrade proof's fields, if its MAC is right for `listener`; null otherwise. */
export function readUpgradeProof(secret: string, listener: string, header: string): { dialer: string; channel: string; timeMs: number; nonce: string } | null {
  const parts = header.split(" ");
  if (parts.length !== 6 || parts[0] !== "v1") return null;
  const [, dialerText, channel, time, nonce, macHex] = parts as [string, string, string, string, string, string];
  if (!/^\d{1,16}$/.test(time) || !/^[0-9a-f]{64}$/.test(nonce) || !/^[0-9a-f]{64}$/.test(macHex)) return null;
  let dialer: string;
  try {
    dialer = decodeURIComponent(dialerText);
  } catch {
    return null;
  }
  if (!sameMac(Buffer.from(macHex, "hex"), upgradeMac(secret, dialer, listener, channel, time, nonce))) return null;
  return { dialer, channel, timeMs: Number(time), nonce };
}
