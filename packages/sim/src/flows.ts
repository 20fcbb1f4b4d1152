/**
 * Flow-level bandwidth sharing over routes of several links: weighted max-min fairness by
 * progressive filling, recomputed incrementally, with completions keyed by time.
 *
 * Model. A link l has a capacity C_l (bytes per virtual ms). A flow f crosses the links of its
 * route R_f and has a weight w_f > 0. The rates x_f are the weighted max-min fair allocation:
 *
 *   sum of x_f over the flows crossing l  <=  C_l                for every link l,
 *   and no x_f can grow without lowering some x_g with x_g / w_g <= x_f / w_f.
 *
 * Progressive filling computes it: every unfrozen flow grows at w_f * lambda as lambda rises
 * from 0; the first link to fill (smallest remaining capacity / unfrozen weight) is a
 * bottleneck, its unfrozen flows are frozen at w_f * lambda, their rates are taken off every link
 * of their routes, and the filling goes on until every flow is frozen. With all weights 1 this is
 * plain max-min fairness (SimGrid's LMM with every sharing penalty 1); with w_f = 1 / penalty_f it
 * is SimGrid's LMM with penalties (its CM02 model). A link of capacity 0 (a partition) freezes its
 * flows at rate 0 first, so they hold no share anywhere else.
 *
 * Incremental. A flow start, a flow end or a capacity change marks its links dirty, and a solve
 * runs over the connected component of the dirty links only (the links and flows reachable from
 * them through shared flows): no allocation outside it can change. A start solves at once; ends
 * and capacity changes at one instant share one solve, from one event at that instant. Three
 * cases need no solve, because the allocation stays max-min without one:
 *   - a flow starts that can take the smallest residual capacity on its route, and on that link
 *     no other flow has a larger share per unit of weight (alone on its route, it takes the
 *     smallest capacity);
 *   - a flow ends and every link it leaves with flows on had capacity to spare (nobody's
 *     bottleneck);
 *   - a link's capacity changes and it has capacity to spare before and after.
 *
 * Completion. Each flow keeps the bytes it still has to transfer as of its last solve and its
 * rate since, so its completion time is `lastMs + remaining / rate`. Flows sit in a heap by that
 * time and the model keeps one engine event for the earliest. A flow is complete when its time
 * comes, whatever rounding left in `remaining`: completion never re-tests bytes against a slack,
 * so it cannot reschedule itself at the same instant, at any virtual time (where a remaining
 * transfer time below the resolution of `now` used to livelock the simulator).
 */
import type { Engine } from "./engine.js";

/** The model's bookkeeping on a flow (the network's envelopes carry it). */
export interface FlowState {
  /** Ids of the links the flow crosses. */
  route: readonly number[];
  /** Sharing weight (1 under max-min; 1 / penalty under CM02). */
  weight: number;
  /** Bytes still to transfer as of `lastMs`. */
  remaining: number;
  /** Current rate, bytes per virtual ms. */
  rate: number;
  /** The rate a solve in progress gives it (internal). */
  pendingRate: number;
  lastMs: number;
  /** When the transfer completes at the current rate (Infinity at rate 0). */
  doneMs: number;
  /** Position in the completion heap, -1 when not active. */
  heapIndex: number;
  /** Position of the flow in each route link's flow list. */
  slots: number[];
  /** Start order, to break ties between equal completion times. */
  order: number;
  /** Solve epoch that last visited the flow (internal). */
  mark: number;
  /** Solve epoch in which the flow was frozen (internal). */
  frozen: number;
}

/** A fresh, inactive flow state. */
export function flowState(): FlowState {
  return { route: [], weight: 1, remaining: 0, rate: 0, pendingRate: 0, lastMs: 0, doneMs: Infinity, heapIndex: -1, slots: [], order: 0, mark: 0, frozen: 0 };
}

/** Relative margin under which a link counts as saturated (rounding of summed rates). */
const SATURATION_TOLERANCE = 1e-9;

/** Components whose links x min(links, flows) is at most this are filled by scanning, larger ones with a heap. */
const SCAN_WORK_MAX = 4096;

const before = (a: FlowState, b: FlowState): boolean => a.doneMs < b.doneMs || (a.doneMs === b.doneMs && a.order < b.order);

export class FlowModel<F extends FlowState> {
  private readonly capacity: number[] = [];
  private readonly flowsOn: F[][] = [];
  private readonly linkMark: number[] = [];
  // Scratch per link for a solve.
  private capLeft = new Float64Array(64);
  private weightLeft = new Float64Array(64);
  private countLeft = new Int32Array(64);
  private readonly dirty: number[] = [];
  private dirtyCount = 0;
  private dirtyEpoch = 1;
  private readonly dirtyMark: number[] = [];
  private epoch = 0;
  private readonly heap: F[] = [];
  private order = 0;
  private version = 0;
  private scheduledAt = Infinity;
  private ticking = false;
  private readonly tickHandler = (version: number): void => this.tick(version);
  // Scratch lists for a solve, reused.
  private readonly componentLinks: number[] = [];
  private readonly componentFlows: F[] = [];
  private readonly done: F[] = [];
  // The bottleneck heap: the component's links with unfrozen flows, by share (then id), indexed.
  private readonly bottlenecks: number[] = [];
  private bottleneckAt = new Int32Array(64);
  private share = new Float64Array(64);
  private readonly touched: number[] = [];
  private touchMark = new Int32Array(64);
  private round = 0;
  /** Solves run, and flows visited by them (for benchmarks). */
  solves = 0;
  visited = 0;

  constructor(
    private readonly engine: Engine,
    private readonly onDone: (flow: F) => void,
  ) {}

  get activeFlows(): number {
    return this.heap.length;
  }

  /** Adds a link of `capacity` bytes per ms; returns its id. */
  addLink(capacity: number): number {
    if (!(capacity >= 0) || !Number.isFinite(capacity)) throw new RangeError(`link capacity must be finite and >= 0, got ${capacity}`);
    const id = this.capacity.length;
    this.capacity.push(capacity);
    this.flowsOn.push([]);
    this.linkMark.push(0);
    this.dirtyMark.push(0);
    if (id >= this.capLeft.length) {
      const n = this.capLeft.length * 2;
      this.capLeft = new Float64Array(n);
      this.weightLeft = new Float64Array(n);
      this.countLeft = new Int32Array(n);
      this.bottleneckAt = new Int32Array(n);
      this.share = new Float64Array(n);
      this.touchMark = new Int32Array(n);
    }
    return id;
  }

  capacityOf(link: number): number {
    return this.capacity[link]!;
  }

  /** Flows currently crossing `link`. */
  flowsOf(link: number): readonly F[] {
    return this.flowsOn[link]!;
  }

  get linkCount(): number {
    return this.capacity.length;
  }

  setCapacity(link: number, capacity: number): void {
    if (!(capacity >= 0) || !Number.isFinite(capacity)) throw new RangeError(`link capacity must be finite and >= 0, got ${capacity}`);
    const old = this.capacity[link]!;
    if (old === capacity) return;
    // A link with spare capacity before and after is nobody's bottleneck: nothing changes.
    const unchanged = this.flowsOn[link]!.length === 0 || (this.dirtyCount === 0 && this.spare(link, 0) && this.loadOf(link) < capacity * (1 - SATURATION_TOLERANCE));
    this.capacity[link] = capacity;
    if (!unchanged) this.markDirty(link);
  }

  /** Starts `flow` over `route` with `sizeBytes` to transfer. */
  start(flow: F, route: readonly number[], weight: number, sizeBytes: number): void {
    if (!(weight > 0) || !Number.isFinite(weight)) throw new RangeError(`flow weight must be finite and > 0, got ${weight}`);
    if (route.length === 0) throw new RangeError("a flow needs a route of at least one link");
    flow.route = route;
    flow.weight = weight;
    flow.remaining = sizeBytes;
    flow.rate = 0;
    flow.lastMs = this.engine.now;
    flow.doneMs = Infinity;
    flow.order = this.order++;
    flow.frozen = 0;
    const slots = flow.slots;
    if (slots.length > 0) slots.length = 0;
    // The common case: a flow alone on every link of its route gets the smallest capacity, at
    // once, without a solve.
    let alone = true;
    let capacity = Infinity;
    for (let i = 0; i < route.length; i++) {
      const l = route[i]!;
      if (this.flowsOn[l]!.length > 0) alone = false;
      if (this.capacity[l]! < capacity) capacity = this.capacity[l]!;
    }
    // Next most common: the flow can take the smallest residual capacity on its route, because on
    // that link no other flow has a larger share per unit of weight. Then the link becomes its
    // bottleneck and nobody else's rate changes (every other flow's bottleneck had no residual, so
    // it is not on this route). Only when no solve is pending, since pending rates are stale.
    if (!alone && this.dirtyCount === 0) {
      let residual = Infinity;
      let at = -1;
      for (let i = 0; i < route.length; i++) {
        const l = route[i]!;
        const r = this.capacity[l]! - this.loadOf(l);
        if (r < residual) {
          residual = r;
          at = l;
        }
      }
      if (residual > this.capacity[at]! * SATURATION_TOLERANCE) {
        const share = residual / weight;
        const list = this.flowsOn[at]!;
        let fair = true;
        for (let i = 0; i < list.length && fair; i++) if (list[i]!.rate / list[i]!.weight > share) fair = false;
        if (fair) {
          alone = true;
          capacity = residual;
        }
      }
    }
    for (let i = 0; i < route.length; i++) {
      const list = this.flowsOn[route[i]!]!;
      slots.push(list.length);
      list.push(flow);
      if (!alone) this.markDirty(route[i]!, false);
    }
    if (alone) {
      flow.rate = capacity;
      flow.pendingRate = capacity;
      flow.doneMs = sizeBytes <= 0 ? flow.lastMs : capacity > 0 ? flow.lastMs + sizeBytes / capacity : Infinity;
    }
    flow.heapIndex = this.heap.length;
    this.heap.push(flow);
    this.siftUp(flow.heapIndex);
    if (alone) {
      if (flow.doneMs < this.scheduledAt) this.schedule(flow.doneMs);
    } else if (this.ticking) {
      // The tick in progress solves before it re-plans.
    } else {
      // Solve at once rather than from an event at this instant: most starts come one at a time.
      this.solve();
      const next = this.heap[0]!.doneMs;
      if (next < this.scheduledAt) this.schedule(next);
    }
  }

  private markDirty(link: number, schedule = true): void {
    if (this.dirtyMark[link] !== this.dirtyEpoch) {
      this.dirtyMark[link] = this.dirtyEpoch;
      this.dirty[this.dirtyCount++] = link;
    }
    if (schedule && this.scheduledAt > this.engine.now) this.schedule(this.engine.now);
  }

  private schedule(at: number): void {
    this.scheduledAt = at;
    this.engine.atWith(at, this.tickHandler, ++this.version);
  }

  private tick(version: number): void {
    if (version !== this.version) return;
    const now = this.engine.now;
    // While this tick runs, a link that turns dirty needs no event of its own: the solve below covers it.
    this.scheduledAt = now;
    this.ticking = true;
    const heap = this.heap;
    const done = this.done;
    while (heap.length > 0 && heap[0]!.doneMs <= now) {
      const f = this.popHeap();
      this.detach(f);
      done.push(f);
    }
    if (this.dirtyCount > 0) this.solve();
    this.ticking = false;
    this.scheduledAt = Infinity;
    if (heap.length > 0 && heap[0]!.doneMs < Infinity) this.schedule(heap[0]!.doneMs);
    if (done.length === 0) return;
    if (done.length === 1) {
      const f = done.pop()!;
      this.onDone(f);
      return;
    }
    const finished = done.splice(0);
    for (const f of finished) this.onDone(f);
  }

  /** Takes a finished flow off its links. */
  private detach(f: F): void {
    const rate = f.rate;
    f.remaining = 0;
    f.rate = 0;
    const route = f.route;
    for (let i = 0; i < route.length; i++) {
      const link = route[i]!;
      const list = this.flowsOn[link]!;
      const at = f.slots[i]!;
      const last = list.pop()!;
      if (last !== f) {
        list[at] = last;
        const r = last.route;
        for (let j = 0; j < r.length; j++) {
          if (r[j] === link) {
            last.slots[j] = at;
            break;
          }
        }
      }
      // A link that had spare capacity was nobody's bottleneck: its other flows keep their rates
      // (every remaining flow still has its saturated bottleneck elsewhere, so the allocation is
      // still max-min). Only when no solve is pending, since pending rates are stale.
      if (list.length > 0 && (this.dirtyCount > 0 || !this.spare(link, rate))) this.markDirty(link);
    }
  }

  /** Bytes per ms the flows on `link` take. */
  private loadOf(link: number): number {
    const list = this.flowsOn[link]!;
    let load = 0;
    for (let i = 0; i < list.length; i++) load += list[i]!.rate;
    return load;
  }

  /** Whether `link` has capacity to spare (beyond rounding) with `extra` more load on it. */
  private spare(link: number, extra: number): boolean {
    const capacity = this.capacity[link]!;
    return this.loadOf(link) + extra < capacity * (1 - SATURATION_TOLERANCE);
  }

  /** Progressive filling over the component of the dirty links. */
  private solve(): void {
    const now = this.engine.now;
    const epoch = ++this.epoch;
    this.solves++;
    const links = this.componentLinks;
    const flows = this.componentFlows;
    // Scratch arrays are overwritten up to a count, never truncated (setting length is slow).
    let linkCount = 0;
    let flowCount = 0;
    const linkMark = this.linkMark;
    const dirty = this.dirty;
    for (let i = 0; i < this.dirtyCount; i++) {
      const l = dirty[i]!;
      if (linkMark[l] !== epoch) {
        linkMark[l] = epoch;
        links[linkCount++] = l;
      }
    }
    this.dirtyCount = 0;
    this.dirtyEpoch++;
    for (let i = 0; i < linkCount; i++) {
      const list = this.flowsOn[links[i]!]!;
      for (let j = 0; j < list.length; j++) {
        const f = list[j]!;
        if (f.mark === epoch) continue;
        f.mark = epoch;
        flows[flowCount++] = f;
        const route = f.route;
        for (let k = 0; k < route.length; k++) {
          const l = route[k]!;
          if (linkMark[l] !== epoch) {
            linkMark[l] = epoch;
            links[linkCount++] = l;
          }
        }
      }
    }
    this.visited += flowCount;
    const capLeft = this.capLeft;
    const weightLeft = this.weightLeft;
    const countLeft = this.countLeft;
    for (let i = 0; i < linkCount; i++) {
      const l = links[i]!;
      capLeft[l] = this.capacity[l]!;
      weightLeft[l] = 0;
      countLeft[l] = 0;
    }
    for (let i = 0; i < flowCount; i++) {
      const route = flows[i]!.route;
      const w = flows[i]!.weight;
      for (let k = 0; k < route.length; k++) {
        const l = route[k]!;
        weightLeft[l]! += w;
        countLeft[l]!++;
      }
    }
    // Scanning costs links x rounds, and a round freezes at least one flow.
    if (linkCount * Math.min(linkCount, flowCount) <= SCAN_WORK_MAX) this.fillByScan(linkCount, epoch);
    else this.fillByHeap(linkCount, epoch);
    // Flows whose rate changed: bring their progress up to now at the old rate, then re-plan.
    for (let i = 0; i < flowCount; i++) {
      const f = flows[i]!;
      const rate = f.pendingRate;
      if (rate === f.rate && f.lastMs !== now) continue;
      if (f.rate > 0 && now > f.lastMs) f.remaining -= f.rate * (now - f.lastMs);
      f.lastMs = now;
      f.rate = rate;
      const remaining = f.remaining > 0 ? f.remaining : 0;
      const doneMs = remaining === 0 ? now : rate > 0 ? now + remaining / rate : Infinity;
      const old = f.doneMs;
      f.doneMs = doneMs;
      if (doneMs < old) this.siftUp(f.heapIndex);
      else if (doneMs > old) this.siftDown(f.heapIndex);
    }
  }

  /** Freezes the unfrozen flows of bottleneck link `l` at `lambda` per unit of weight. */
  private freeze(l: number, lambda: number, epoch: number, round: number): number {
    const capLeft = this.capLeft;
    const weightLeft = this.weightLeft;
    const countLeft = this.countLeft;
    const touched = this.touched;
    const touchMark = this.touchMark;
    let touchedCount = 0;
    const list = this.flowsOn[l]!;
    for (let j = 0; j < list.length; j++) {
      const f = list[j]!;
      if (f.frozen === epoch) continue;
      f.frozen = epoch;
      const rate = lambda * f.weight;
      f.pendingRate = rate;
      const route = f.route;
      for (let k = 0; k < route.length; k++) {
        const m = route[k]!;
        capLeft[m]! -= rate;
        if (--countLeft[m]! === 0) weightLeft[m] = 0;
        else weightLeft[m]! -= f.weight;
        if (round > 0 && m !== l && touchMark[m] !== round) {
          touchMark[m] = round;
          touched[touchedCount++] = m;
        }
      }
    }
    return touchedCount;
  }

  /**
   * Progressive filling for a small component: each round scans the links for the least share
   * (then the least id), as the heap would pick, without keeping a heap.
   */
  private fillByScan(linkCount: number, epoch: number): void {
    const links = this.componentLinks;
    const capLeft = this.capLeft;
    const weightLeft = this.weightLeft;
    const countLeft = this.countLeft;
    for (;;) {
      let best = -1;
      let bestShare = Infinity;
      for (let i = 0; i < linkCount; i++) {
        const l = links[i]!;
        if (countLeft[l] === 0) continue;
        const share = capLeft[l]! > 0 ? capLeft[l]! / weightLeft[l]! : 0;
        if (share < bestShare || (share === bestShare && l < best)) {
          best = l;
          bestShare = share;
        }
      }
      if (best < 0) return;
      this.freeze(best, bestShare, epoch, 0);
    }
  }

  /** Progressive filling with the component's links in a heap by share (then id). */
  private fillByHeap(linkCount: number, epoch: number): void {
    const links = this.componentLinks;
    const capLeft = this.capLeft;
    const weightLeft = this.weightLeft;
    const countLeft = this.countLeft;
    // Every link of the component with flows goes into the bottleneck heap.
    const heap = this.bottlenecks;
    const share = this.share;
    // (The heap is empty here: the last solve emptied it.)
    for (let i = 0; i < linkCount; i++) {
      const l = links[i]!;
      if (countLeft[l]! === 0) continue;
      share[l] = capLeft[l]! > 0 ? capLeft[l]! / weightLeft[l]! : 0;
      this.bottleneckAt[l] = heap.length;
      heap.push(l);
    }
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) this.bottleneckDown(i);
    const touched = this.touched;
    while (heap.length > 0) {
      const l = heap[0]!;
      const lambda = share[l]!;
      this.bottleneckRemove(0);
      const touchedCount = this.freeze(l, lambda, epoch, ++this.round);
      // Shares only rise as flows freeze (up to rounding): move each touched link once.
      for (let j = 0; j < touchedCount; j++) {
        const m = touched[j]!;
        const at = this.bottleneckAt[m]!;
        if (countLeft[m]! === 0) this.bottleneckRemove(at);
        else {
          share[m] = capLeft[m]! > 0 ? capLeft[m]! / weightLeft[m]! : 0;
          this.bottleneckUp(at);
          this.bottleneckDown(this.bottleneckAt[m]!);
        }
      }
    }
  }

  private bottleneckBefore(a: number, b: number): boolean {
    const sa = this.share[a]!;
    const sb = this.share[b]!;
    return sa < sb || (sa === sb && a < b);
  }

  private bottleneckUp(i: number): void {
    const heap = this.bottlenecks;
    const l = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (!this.bottleneckBefore(l, parent)) break;
      heap[i] = parent;
      this.bottleneckAt[parent] = i;
      i = p;
    }
    heap[i] = l;
    this.bottleneckAt[l] = i;
  }

  private bottleneckDown(i: number): void {
    const heap = this.bottlenecks;
    const n = heap.length;
    const l = heap[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.bottleneckBefore(heap[c + 1]!, heap[c]!)) c++;
      const child = heap[c]!;
      if (!this.bottleneckBefore(child, l)) break;
      heap[i] = child;
      this.bottleneckAt[child] = i;
      i = c;
    }
    heap[i] = l;
    this.bottleneckAt[l] = i;
  }

  private bottleneckRemove(i: number): void {
    const heap = this.bottlenecks;
    const last = heap.pop()!;
    if (i >= heap.length) return;
    heap[i] = last;
    this.bottleneckAt[last] = i;
    this.bottleneckUp(i);
    this.bottleneckDown(this.bottleneckAt[last]!);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const f = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (!before(f, parent)) break;
      heap[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    heap[i] = f;
    f.heapIndex = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const f = heap[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && before(heap[c + 1]!, heap[c]!)) c++;
      const child = heap[c]!;
      if (!before(child, f)) break;
      heap[i] = child;
      child.heapIndex = i;
      i = c;
    }
    heap[i] = f;
    f.heapIndex = i;
  }

  private popHeap(): F {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    top.heapIndex = -1;
    if (heap.length > 0) {
      heap[0] = last;
      last.heapIndex = 0;
      this.siftDown(0);
    }
    return top;
  }
}
