/**
 * What happens to a link's frames between the link and its connection: WAN emulation and faults.
 *
 * Shaping. A frame to a peer with a shaper (shaper.ts) waits until the shaper releases it; held
 * frames leave in release order from `release`, called on the transport's timer.
 *
 * Lossy faults (`setLossy`) act below the reliable links, on the frames to every peer of a data
 * center, as the simulator's lossy links act on messages: a frame is lost, sent twice, or held back
 * past later ones (by up to `reorderMs`), from a seeded stream. The links repair it: duplicates are
 * dropped, gaps are refilled by fast retransmit (reliable.ts) or the retransmit deadline.
 *
 * WAN faults (a partition of the emulated WAN, see `cut` and `heal`) act on the frames to every
 * peer of a data center: with "hold" they wait, as the simulator's partitioned link holds its
 * arrivals, and leave when the cut heals (frames not yet shaped pay the link's bandwidth then;
 * frames that were in flight arrive at once); with "drop" they are lost, and the reliable links
 * resend everything unacknowledged when the cut heals (link.ts's `setWanCut`).
 */
import { dataCenterOf } from "@gaia/core";
import type { Conn, FrameLoss, PeerChannel, TransportOptions, WanCutMode } from "./types.js";

export class WanEmulation {
  /** Frames held by WAN emulation, in release order per channel. */
  private readonly held: { at: number; pc: PeerChannel; conn: Conn; bytes: Uint8Array }[] = [];
  /** Lossy faults in force, by the peer's data center. */
  private readonly lossy = new Map<string, FrameLoss>();
  /** Data centers whose peers are cut off (WAN partition faults). */
  private readonly wanCut = new Set<string>();
  /** Frames held by a WAN cut, by the peer's data center; `shaped` ones already paid the bandwidth. */
  private readonly cutHeld = new Map<string, { pc: PeerChannel; conn: Conn; bytes: Uint8Array; shaped: boolean }[]>();
  private readonly mode: WanCutMode;

  constructor(
    private readonly options: TransportOptions,
    /** Called when a frame was held for earlier than the transport's timer may be armed for. */
    private readonly arm: () => void,
  ) {
    this.mode = options.wanCutMode ?? "hold";
  }

  /** When the first held frame is due (Infinity: none is held). */
  get nextAt(): number {
    return this.held.length > 0 ? this.held[0]!.at : Infinity;
  }

  /** The lossy fault on frames to `peer`, if one is in force. */
  lossyFor(peer: string): FrameLoss | undefined {
    return this.lossy.size > 0 ? this.lossy.get(dataCenterOf(peer)) : undefined;
  }

  /** Sends one frame of `pc`'s through the cut, the lossy fault (`lossyFor`) and the shaper. */
  send(pc: PeerChannel, conn: Conn, bytes: Uint8Array, lossy: FrameLoss | undefined, now: number): void {
    if (this.wanCut.size > 0 && this.intoCut(pc, conn, bytes, false)) return;
    if (lossy !== undefined && this.injectLoss(pc, conn, bytes, lossy, now)) return;
    if (pc.shaper) this.hold(pc, conn, bytes, now);
    else conn.send(bytes);
  }

  /** Sends every held frame that is due at `now`. */
  release(now: number): void {
    let n = 0;
    while (n < this.held.length && this.held[n]!.at <= now) {
      const h = this.held[n++]!;
      if (h.pc.conn !== h.conn) continue;
      // In flight when the WAN was cut: it waits at the far end until the cut heals.
      if (this.wanCut.size > 0 && this.intoCut(h.pc, h.conn, h.bytes, true)) continue;
      h.conn.send(h.bytes);
    }
    if (n > 0) this.held.splice(0, n);
  }

  isCut(dataCenter: string): boolean {
    return this.wanCut.has(dataCenter);
  }

  /** Cuts the emulated WAN to every peer in `dataCenter`. */
  cut(dataCenter: string): void {
    this.wanCut.add(dataCenter);
    this.options.metrics.count("wan_cuts_total", 1, { target: dataCenter }, "WAN partitions that cut this node off a data center");
  }

  /**
   * Heals the cut to `dataCenter`. With "hold", the frames it held leave (through the shaper if
   * they had not been through it yet); with "drop" they are gone, and the caller has the links
   * resend. Returns the mode.
   */
  heal(dataCenter: string, now: number): WanCutMode {
    this.wanCut.delete(dataCenter);
    const held = this.cutHeld.get(dataCenter) ?? [];
    this.cutHeld.delete(dataCenter);
    if (this.mode === "drop") return "drop";
    for (const h of held) {
      if (h.pc.conn !== h.conn) continue; // a reconnect resent it on the new connection
      if (h.shaped || !h.pc.shaper) h.conn.send(h.bytes);
      else this.hold(h.pc, h.conn, h.bytes, now);
    }
    return "hold";
  }

  /**
   * A lossy fault on the frames to every peer in `dataCenter` (null, or all zero: it heals).
   * Returns true when the fault is in force.
   */
  setLossy(dataCenter: string, spec: FrameLoss | null): boolean {
    if (spec === null || (spec.loss <= 0 && spec.duplicate <= 0 && spec.reorder <= 0)) {
      this.lossy.delete(dataCenter);
      return false;
    }
    this.lossy.set(dataCenter, spec);
    return true;
  }

  /** A lossy fault's effect on one frame; true when it took the frame (lost, doubled or delayed). */
  private injectLoss(pc: PeerChannel, conn: Conn, bytes: Uint8Array, spec: FrameLoss, now: number): boolean {
    const random = this.options.random ?? Math.random;
    const { metrics } = this.options;
    if (spec.loss > 0 && random() < spec.loss) {
      metrics.count("lossy_frames_total", 1, { effect: "lost" }, "frames a lossy fault lost, doubled or reordered");
      return true;
    }
    const copies = spec.duplicate > 0 && random() < spec.duplicate ? 2 : 1;
    if (copies === 2) metrics.count("lossy_frames_total", 1, { effect: "duplicated" });
    const delay = spec.reorder > 0 && random() < spec.reorder ? random() * (this.options.reorderMs ?? 50) : 0;
    if (delay === 0 && copies === 1) return false;
    if (delay > 0) metrics.count("lossy_frames_total", 1, { effect: "reordered" });
    for (let i = 0; i < copies; i++) {
      const at = (pc.shaper ? pc.shaper.releaseAt(bytes.byteLength, now, pc.channel) : now) + delay;
      let k = this.held.length;
      while (k > 0 && this.held[k - 1]!.at > at) k--;
      this.held.splice(k, 0, { at, pc, conn, bytes });
    }
    this.arm();
    return true;
  }

  /** Queues a frame behind the link's shaper. */
  private hold(pc: PeerChannel, conn: Conn, bytes: Uint8Array, now: number): void {
    const at = pc.shaper!.releaseAt(bytes.byteLength, now, pc.channel);
    let i = this.held.length;
    while (i > 0 && this.held[i - 1]!.at > at) i--;
    this.held.splice(i, 0, { at, pc, conn, bytes });
  }

  /** A frame to a cut-off data center is held or dropped (true); false when the link is not cut. */
  private intoCut(pc: PeerChannel, conn: Conn, bytes: Uint8Array, shaped: boolean): boolean {
    const dataCenter = dataCenterOf(pc.peer);
    if (!this.wanCut.has(dataCenter)) return false;
    if (this.mode === "drop") {
      this.options.metrics.count("wan_cut_frames_dropped_total", 1, { peer: pc.peer });
      return true;
    }
    let list = this.cutHeld.get(dataCenter);
    if (!list) this.cutHeld.set(dataCenter, (list = []));
    list.push({ pc, conn, bytes, shaped });
    this.options.metrics.count("wan_cut_frames_held_total", 1, { peer: pc.peer });
    return true;
  }
}
