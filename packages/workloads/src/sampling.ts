/**
 * Sampling helpers over typed arrays: Vose's alias tables (O(1) draws from a fixed discrete
 * distribution, used for power-law popularity over millions of users and items) and a seeded
 * Fisher-Yates shuffle of a typed array.
 */
import type { Rng } from "@gaia/core";

export interface AliasTable {
  readonly probability: Float64Array;
  readonly alias: Uint32Array;
}

/** An alias table for weights proportional to `weights` (non-negative, not all zero). */
export function aliasTable(weights: Float64Array): AliasTable {
  const n = weights.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i]!;
  const probability = new Float64Array(n);
  const alias = new Uint32Array(n);
  const small = new Uint32Array(n);
  const large = new Uint32Array(n);
  let smallCount = 0;
  let largeCount = 0;
  for (let i = 0; i < n; i++) {
    probability[i] = (weights[i]! * n) / sum;
    if (probability[i]! < 1) small[smallCount++] = i;
    else large[largeCount++] = i;
  }
  while (smallCount > 0 && largeCount > 0) {
    const s = small[--smallCount]!;
    const l = large[largeCount - 1]!;
    alias[s] = l;
    probability[l] = probability[l]! + probability[s]! - 1;
    if (probability[l]! < 1) {
      largeCount--;
      small[smallCount++] = l;
    }
  }
  while (largeCount > 0) probability[large[--largeCount]!] = 1;
  while (smallCount > 0) probability[small[--smallCount]!] = 1;
  return { probability, alias };
}

export function aliasDraw(table: AliasTable, rng: Rng): number {
  const i = rng.int(table.probability.length);
  return rng.float() < table.probability[i]! ? i : table.alias[i]!;
}

/** Zipf-like weights (k + 1)^-exponent for k = 0..n-1. */
export function zipfWeights(n: number, exponent: number): Float64Array {
  const weights = new Float64Array(n);
  for (let k = 0; k < n; k++) weights[k] = Math.pow(k + 1, -exponent);
  return weights;
}

/** The identity permutation of 0..n-1, shuffled. */
export function shuffledRange(n: number, rng: Rng): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** Index of the first cumulative weight above `u * total` (cumulative is non-decreasing). */
export function searchCumulative(cumulative: Float64Array, offset: number, length: number, u: number): number {
  const target = u * cumulative[offset + length - 1]!;
  let low = 0;
  let high = length - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (cumulative[offset + mid]! > target) high = mid;
    else low = mid + 1;
  }
  return low;
}
