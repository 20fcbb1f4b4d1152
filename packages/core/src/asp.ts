/**
 * Approximate Synchronous Parallel between data centers: the selective barrier, and the read
 * admission rule that combines it with SSP and the mirror clock.
 *
 * Selective barrier. When a shard's significant updates for a clock are larger than what its WAN
 * link carries quickly (or always, if so configured), it first sends its mirrors, on the control
 * channel, just the indices of those updates. A mirror that receives the barrier blocks local
 * reads of exactly the rows holding those elements until the values (the mirror update of that
 * source and clock) arrive. Reads of other rows go on.
 *
 * Guarantee: no read that names a barrier row is served between the barrier's arrival and the
 * arrival of the update it announces. A barrier that arrives after its update is ignored.
 */
import { sspAdmits } from "./ssp.js";
import type { MirrorClock } from "./mirror-clock.js";
import type { BlockReason } from "./role.js";

export class BarrierSet {
  /** "source@clock" -> rows it blocks. */
  private readonly pending = new Map<string, readonly number[]>();
  private readonly blockedRows = new Map<number, number>();

  private static key(source: string, clock: number): string {
    return `${source}@${clock}`;
  }

  add(source: string, clock: number, rows: readonly number[]): void {
    const key = BarrierSet.key(source, clock);
    if (this.pending.has(key)) return;
    this.pending.set(key, rows);
    for (const r of rows) this.blockedRows.set(r, (this.blockedRows.get(r) ?? 0) + 1);
  }

  release(source: string, clock: number): void {
    if (this.pending.size === 0) return;
    const key = BarrierSet.key(source, clock);
    const rows = this.pending.get(key);
    if (!rows) return;
    this.pending.delete(key);
    for (const r of rows) {
      const n = this.blockedRows.get(r)! - 1;
      if (n === 0) this.blockedRows.delete(r);
      else this.blockedRows.set(r, n);
    }
  }

  /** How many of `rows` are blocked; `rows` null means the whole range [start, end). */
  blockedAmong(rows: Uint32Array | null, start: number, end: number): number {
    if (this.blockedRows.size === 0) return 0;
    let n = 0;
    if (rows === null) {
      for (const r of this.blockedRows.keys()) if (r >= start && r < end) n++;
      return n;
    }
    for (const r of rows) if (this.blockedRows.has(r)) n++;
    return n;
  }

  get size(): number {
    return this.pending.size;
  }

  get blockedRowCount(): number {
    return this.blockedRows.size;
  }
}

export interface AdmissionState {
  readonly readClock: number;
  readonly localClock: number;
  readonly staleness: number;
  readonly mirrorClock: MirrorClock | null;
  readonly mirrorClockBound: number;
  readonly barrierRowsBlocked: number;
}

/** Why a read cannot be served now, or null when it can. Checked in this order. */
export function admission(s: AdmissionState): BlockReason | null {
  return admissionOf(s.readClock, s.localClock, s.staleness, s.mirrorClock, s.mirrorClockBound, s.barrierRowsBlocked);
}

/** `admission` with its fields as arguments, for the shard's hot path (no object per read). */
export function admissionOf(readClock: number, localClock: number, staleness: number, mirrorClock: MirrorClock | null, mirrorClockBound: number, barrierRowsBlocked: number): BlockReason | null {
  if (!sspAdmits(readClock, localClock, staleness)) return "ssp";
  if (mirrorClock && !mirrorClock.admits(localClock, mirrorClockBound)) return "mirror-clock";
  if (barrierRowsBlocked > 0) return "barrier";
  return null;
}
