/**
 * Virtual time and the event queue.
 *
 * Guarantees: events fire in order of (virtual time, insertion sequence), so two events scheduled
 * for the same instant fire in the order they were scheduled, and a run is a pure function of its
 * inputs. Nothing here reads a wall clock. The queue is a binary min-heap over parallel arrays
 * (times, sequence numbers, callbacks, arguments), which keeps the hot path free of
 * per-comparison property lookups. An event is a callback, or a callback and one argument
 * (`atWith`), so hot paths can schedule a method bound once and pass their state as the argument
 * instead of allocating a closure per event; either costs O(log n) moves.
 */

export type EventCallback = () => void;
/** A callback that takes the argument it was scheduled with. */
export type EventHandler<T> = (arg: T) => void;

/** A binary min-heap keyed by (time, sequence). */
export class EventQueue {
  private times: Float64Array;
  private seqs: Float64Array;
  private items: (EventHandler<unknown> | undefined)[];
  private args: unknown[];
  private count = 0;
  private nextSeq = 0;
  /** Time of the event `pop` returned last. */
  lastTime = 0;
  /** Argument of the event `pop` returned last (undefined for a plain callback). */
  lastArg: unknown = undefined;

  constructor(initialCapacity = 1024) {
    this.times = new Float64Array(initialCapacity);
    this.seqs = new Float64Array(initialCapacity);
    // Built by push so the arrays stay packed (no holes to check on every access).
    this.items = [];
    this.args = [];
    for (let i = 0; i < initialCapacity; i++) {
      this.items.push(undefined);
      this.args.push(undefined);
    }
  }

  get size(): number {
    return this.count;
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTime(): number {
    return this.count === 0 ? Infinity : this.times[0]!;
  }

  push(time: number, item: EventCallback): void {
    this.pushWith(time, item as EventHandler<unknown>, undefined);
  }

  pushWith<T>(time: number, item: EventHandler<T>, arg: T): void {
    if (!(time === time)) throw new RangeError("event time is NaN");
    if (this.count === this.times.length) this.grow();
    const seq = this.nextSeq++;
    let i = this.count++;
    const times = this.times;
    const seqs = this.seqs;
    const items = this.items;
    const args = this.args;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < time || (pt === time && seqs[parent]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      items[i] = items[parent];
      args[i] = args[parent];
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    items[i] = item as EventHandler<unknown>;
    args[i] = arg;
  }

  /** Removes the earliest event; `lastTime` and `lastArg` hold its time and argument afterwards. */
  pop(): EventHandler<unknown> | undefined {
    if (this.count === 0) return undefined;
    const times = this.times;
    const seqs = this.seqs;
    const items = this.items;
    const args = this.args;
    const top = items[0];
    this.lastTime = times[0]!;
    this.lastArg = args[0];
    const n = --this.count;
    if (n > 0) {
      const t = times[n]!;
      const s = seqs[n]!;
      const it = items[n];
      const a = args[n];
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        const right = child + 1;
        if (right < n && (times[right]! < times[child]! || (times[right] === times[child] && seqs[right]! < seqs[child]!))) child = right;
        const ct = times[child]!;
        if (t < ct || (t === ct && s < seqs[child]!)) break;
        times[i] = ct;
        seqs[i] = seqs[child]!;
        items[i] = items[child];
        args[i] = args[child];
        i = child;
      }
      times[i] = t;
      seqs[i] = s;
      items[i] = it;
      args[i] = a;
    }
    items[n] = undefined;
    args[n] = undefined;
    return top;
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const times = new Float64Array(capacity);
    times.set(this.times);
    const seqs = new Float64Array(capacity);
    seqs.set(this.seqs);
    this.times = times;
    this.seqs = seqs;
    for (let i = this.items.length; i < capacity; i++) {
      this.items.push(undefined);
      this.args.push(undefined);
    }
  }
}

/**
 * The clock and the loop. `now` is virtual milliseconds. Callbacks schedule further events with
 * `at` (absolute) or `after` (relative); scheduling in the past is a bug and throws.
 */
export class Engine {
  readonly queue = new EventQueue();
  now = 0;
  /** Events fired so far. */
  events = 0;

  at(timeMs: number, callback: EventCallback): void {
    if (timeMs < this.now) throw new RangeError(`event scheduled in the past: ${timeMs} < ${this.now}`);
    this.queue.push(timeMs, callback);
  }

  after(delayMs: number, callback: EventCallback): void {
    this.at(this.now + Math.max(0, delayMs), callback);
  }

  /** Schedules `handler(arg)` at `timeMs`: no closure needed for per-event state. */
  atWith<T>(timeMs: number, handler: EventHandler<T>, arg: T): void {
    if (timeMs < this.now) throw new RangeError(`event scheduled in the past: ${timeMs} < ${this.now}`);
    this.queue.pushWith(timeMs, handler, arg);
  }

  afterWith<T>(delayMs: number, handler: EventHandler<T>, arg: T): void {
    this.atWith(this.now + Math.max(0, delayMs), handler, arg);
  }

  /**
   * Fires events in order until the queue is empty, the next event is later than `untilMs`, or
   * `shouldStop()` returns true (checked after every event). Returns the number of events fired.
   */
  run(untilMs = Infinity, shouldStop: (() => boolean) | null = null, maxEvents = Infinity): number {
    const queue = this.queue;
    let fired = 0;
    while (queue.size > 0 && fired < maxEvents) {
      if (queue.peekTime() > untilMs) break;
      const handler = queue.pop()!;
      this.now = queue.lastTime;
      fired++;
      handler(queue.lastArg);
      if (shouldStop !== null && shouldStop()) break;
    }
    this.events += fired;
    return fired;
  }
}
