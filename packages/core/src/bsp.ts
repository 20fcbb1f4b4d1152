/**
 * Bulk Synchronous Parallel: SSP with staleness 0.
 *
 * Guarantee: no worker reads for iteration c before every client's update for iteration c - 1 has
 * been applied at the shard (lockstep). Pushes are never blocked; only reads are.
 */
import { sspAdmits } from "./ssp.js";

export function bspAdmits(readClock: number, localClock: number): boolean {
  return sspAdmits(readClock, localClock, 0);
}
