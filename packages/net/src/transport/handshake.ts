/**
 * The handshake, the same over every carrier: the listener challenges, the dialer answers with a
 * hello that proves the shared secret (auth.ts) and names its link epoch, the listener welcomes it
 * with its own proof and epoch, and only then does the connection carry a link (link.ts's
 * `attach`). A frame that breaks this (bad bytes, a wrong kind, a failed proof) is a remote error:
 * the connection is closed and counted.
 *
 * Here too is the listener's connection hygiene (see link.ts's header): the proof a WebSocket
 * upgrade must carry (UpgradeGate), the caps on connections still in the handshake, per node and
 * per source address, the precedence of authenticated connections at those caps, and the
 * handshake deadline.
 */
import { RemoteError } from "@gaia/core";
import { helloMac, newNonce, readUpgradeProof, sameMac, welcomeMac } from "../auth.js";
import { decodeBatch, decodeFrame, encodeFrame, isBatch } from "../envelope.js";
import type { AcceptSink, Accepted, Conn, LinkHost, PeerChannel, RefusedReason } from "./types.js";

/**
 * The listener's check of a WebSocket upgrade's proof (auth.ts's `upgradeProof`), before any
 * WebSocket exists: the MAC must be right, the time within `upgradeWindowMs` of the listener's wall
 * clock, and the nonce new. Nonces are remembered while their time is in the window, at most
 * `upgradeNoncesMax`; when full, the oldest is forgotten and every proof up to its time is
 * refused as stale, so a replay is never let through (an honest dialer's proof is fresh).
 */
export class UpgradeGate {
  /** Remembered nonces and their proof's time, oldest first. */
  private readonly nonces = new Map<string, number>();
  /** Proofs with a time at or below this are refused (the nonces up to it were forgotten early). */
  private floorMs = -Infinity;

  constructor(
    private readonly host: LinkHost,
    private readonly wallMs: () => number = Date.now,
  ) {}

  /** The dialer and channel the upgrade proves, or why it is refused. */
  check(header: string): { refused: RefusedReason } | { dialer: string; channel: string } {
    const { options, hygiene } = this.host;
    const proof = readUpgradeProof(options.secret, options.self, header);
    if (proof === null || !this.host.channel(proof.dialer, proof.channel)) {
      options.metrics.count("auth_rejected_total", 1, {}, "connections refused for a failed handshake");
      return { refused: "unauthenticated" };
    }
    const now = this.wallMs();
    for (const [nonce, timeMs] of this.nonces) {
      if (timeMs >= now - hygiene.upgradeWindowMs) break;
      this.nonces.delete(nonce);
    }
    if (Math.abs(proof.timeMs - now) > hygiene.upgradeWindowMs || proof.timeMs <= this.floorMs) return { refused: "stale-proof" };
    if (this.nonces.has(proof.nonce)) return { refused: "replayed-proof" };
    while (this.nonces.size >= hygiene.upgradeNoncesMax) {
      const [oldest, timeMs] = this.nonces.entries().next().value as [string, number];
      this.nonces.delete(oldest);
      this.floorMs = Math.max(this.floorMs, timeMs);
    }
    if (proof.timeMs <= this.floorMs) return { refused: "stale-proof" };
    this.nonces.set(proof.nonce, proof.timeMs);
    return { dialer: proof.dialer, channel: proof.channel };
  }
}

/**
 * The dialer's side of the handshake and then of the links, the same over either carrier:
 * `onBytes` takes each frame the connection delivers (bytes this process owns), `retry` is called
 * when the connection closes.
 */
export function dialHandshake(host: LinkHost, pc: PeerChannel, handle: { terminate(): void }, conn: Conn, sendRaw: (bytes: Uint8Array) => void): { onBytes: (bytes: Uint8Array) => boolean; retry: () => void } {
  const { options } = host;
  pc.dialing = handle;
  let state: "wait-challenge" | "wait-welcome" | "open" = "wait-challenge";
  let nonce: Uint8Array = new Uint8Array(0);
  // A peer that accepts the connection and then says nothing does not hold it for ever.
  const deadline = setTimeout(() => {
    if (state === "open" || pc.dialing !== handle) return;
    host.refused("handshake-timeout");
    handle.terminate();
  }, host.hygiene.handshakeMs);
  deadline.unref();
  /** True when nothing keeps any part of `bytes` (see TransportOptions.onMessage). */
  const onBytes = (bytes: Uint8Array): boolean => {
    if (host.closed) return false;
    try {
      if (state === "open" && isBatch(bytes)) {
        for (const frame of decodeBatch(bytes)) host.onLinkFrame(pc, conn, frame, false);
        return false;
      }
      const frame = decodeFrame(bytes);
      if (state === "wait-challenge") {
        if (frame.t !== "challenge") throw new RemoteError("unauthenticated", `expected a challenge, got ${frame.t}`);
        if (frame.node !== pc.peer) throw new RemoteError("unknown-peer", `dialed ${pc.peer} but ${frame.node} answered`);
        nonce = newNonce();
        const mac = helloMac(options.secret, frame.nonce, options.self, pc.peer, pc.channel, host.epoch);
        sendRaw(encodeFrame({ t: "hello", node: options.self, target: pc.peer, channel: pc.channel, nonce, mac, epoch: host.epoch }));
        state = "wait-welcome";
      } else if (state === "wait-welcome") {
        if (frame.t !== "welcome" || !sameMac(frame.mac, welcomeMac(options.secret, nonce, pc.peer, options.self, frame.epoch))) {
          options.metrics.count("auth_rejected_total", 1, {}, "connections refused for a failed handshake");
          throw new RemoteError("unauthenticated", `${pc.peer} failed to prove the shared secret`);
        }
        state = "open";
        clearTimeout(deadline);
        pc.retryDelayMs = 100;
        host.attach(pc, conn, frame.epoch);
      } else return host.onLinkFrame(pc, conn, frame, false);
    } catch (error) {
      host.onRemoteError(error, pc.peer);
      handle.terminate();
    }
    return false;
  };
  const retry = (): void => {
    clearTimeout(deadline);
    if (pc.dialing !== handle) return;
    pc.dialing = null;
    if (pc.conn === conn) host.disconnect(pc, conn);
    if (host.closed || pc.retryTimer) return;
    pc.retryTimer = setTimeout(() => {
      pc.retryTimer = null;
      options.metrics.count("reconnects_total", 1, { peer: pc.peer });
      host.dial(pc);
    }, pc.retryDelayMs);
    pc.retryDelayMs = Math.min(pc.retryDelayMs * 2, 2000);
  };
  return { onBytes, retry };
}

/** The listener's side: every accepted connection, of any carrier, from open to close. */
export class Admission implements AcceptSink {
  private readonly accepted = new Set<Accepted>();
  /** Connections still in the handshake, and how many per source address. */
  private readonly pending = new Set<Accepted>();
  private readonly pendingByAddress = new Map<string, number>();
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(private readonly host: LinkHost) {}

  /** Starts closing connections past their handshake deadline. */
  start(): void {
    const sweepMs = Math.max(10, Math.min(1000, this.host.hygiene.handshakeMs / 4));
    this.sweepTimer = setInterval(() => this.sweep(), sweepMs);
    this.sweepTimer.unref();
  }

  /** Connections still in the handshake (for tests and metrics). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Closes every accepted connection at once. */
  closeAll(): void {
    for (const a of [...this.accepted]) a.closeNow();
  }

  /** Stops the deadline sweep and closes every accepted connection. */
  stop(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.closeAll();
  }

  open(data: Accepted): void {
    const { host } = this;
    this.accepted.add(data);
    if (host.cut) {
      data.state = "closed";
      data.end(1013, "link cut");
      return;
    }
    const fromAddress = this.pendingByAddress.get(data.address) ?? 0;
    const addressFull = fromAddress >= host.hygiene.pendingPerAddressMax;
    const reason = this.pending.size >= host.hygiene.pendingMax ? "pending-cap" : addressFull ? "address-cap" : null;
    if (reason !== null) {
      // At a cap, the oldest unauthenticated pending connection (of this address, if its cap is
      // the one hit) makes room: an attacker without the secret can hold no slot against a peer
      // that has it, and one that keeps re-opening only churns its own connections. Refused only
      // when every pending connection there proved the secret.
      const victim = this.oldestUnauthenticated(addressFull ? data.address : null);
      const refusedOne = victim ?? data;
      // Closed at once (no closing handshake to wait for), so the descriptor is free again.
      this.unpend(refusedOne);
      refusedOne.state = "closed";
      host.refused(reason);
      refusedOne.closeNow();
      if (victim === null) return;
    }
    this.pending.add(data);
    this.pendingByAddress.set(data.address, (this.pendingByAddress.get(data.address) ?? 0) + 1);
    data.sendRaw(encodeFrame({ t: "challenge", node: host.options.self, nonce: data.nonce }));
  }

  message(data: Accepted, bytes: Uint8Array, borrowed: boolean): boolean {
    const { host } = this;
    if (data.state === "closed" || host.closed) return false;
    try {
      if (data.state === "open" && isBatch(bytes)) {
        for (const frame of decodeBatch(bytes)) host.onLinkFrame(data.pc!, data.conn!, frame, borrowed);
        return false;
      }
      const frame = decodeFrame(bytes);
      if (data.state === "challenged") {
        const { options } = host;
        if (frame.t !== "hello") throw new RemoteError("unauthenticated", `expected hello, got ${frame.t}`);
        const pc = host.channel(frame.node, frame.channel);
        const expected = helloMac(options.secret, data.nonce, frame.node, options.self, frame.channel, frame.epoch);
        if (frame.target !== options.self || !pc || !sameMac(frame.mac, expected)) {
          options.metrics.count("auth_rejected_total", 1, {}, "connections refused for a failed handshake");
          throw new RemoteError("unauthenticated", `handshake from ${frame.node.slice(0, 64)} refused`);
        }
        data.sendRaw(encodeFrame({ t: "welcome", mac: welcomeMac(options.secret, frame.nonce, options.self, frame.node, host.epoch), epoch: host.epoch }));
        this.unpend(data);
        data.state = "open";
        data.pc = pc;
        const conn = data.open();
        data.conn = conn;
        conn.queueBytesMax = host.hygiene.queueBytesMax;
        conn.onOverflow = () => {
          host.refused("slow-reader");
          host.disconnect(pc, conn);
        };
        host.attach(pc, conn, frame.epoch);
      } else return host.onLinkFrame(data.pc!, data.conn!, frame, borrowed);
    } catch (error) {
      this.refuse(data, error);
      data.conn?.close();
      if (!data.conn) data.end(1008, "protocol error");
    }
    return false;
  }

  close(data: Accepted): void {
    this.accepted.delete(data);
    this.unpend(data);
    data.state = "closed";
    if (data.conn) data.conn.closed = true;
    if (data.pc && data.conn && data.pc.conn === data.conn) this.host.disconnect(data.pc, data.conn);
  }

  refuse(data: Accepted, error: unknown): void {
    if (data.state === "challenged" && error instanceof RemoteError && error.code === "oversized-frame") this.host.refused("hello-oversized");
    this.host.onRemoteError(error, data.pc?.peer ?? "(unauthenticated)");
    this.unpend(data);
    data.state = "closed";
  }

  /** The oldest pending connection that has not proved the secret (from `address`, if given). */
  private oldestUnauthenticated(address: string | null): Accepted | null {
    for (const data of this.pending) if (!data.authenticated && (address === null || data.address === address)) return data;
    return null;
  }

  /** The connection left the handshake (authenticated, refused or closed). */
  private unpend(data: Accepted): void {
    if (!this.pending.delete(data)) return;
    const n = (this.pendingByAddress.get(data.address) ?? 1) - 1;
    if (n <= 0) this.pendingByAddress.delete(data.address);
    else this.pendingByAddress.set(data.address, n);
  }

  /** Closes every connection past its handshake deadline. */
  private sweep(): void {
    if (this.host.closed) return;
    const expired = this.host.nowMs() - this.host.hygiene.handshakeMs;
    for (const data of [...this.pending]) {
      if (data.openedAt > expired) continue;
      this.unpend(data);
      data.state = "closed";
      this.host.refused("handshake-timeout");
      data.closeNow();
    }
  }
}
