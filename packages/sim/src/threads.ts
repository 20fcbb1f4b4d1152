/**
 * Compute threads: the simulator's worker steps and evaluations on a pool of node:worker_threads
 * (`gaia simulate --threads N`), the main thread keeping the engine, the network and the roles.
 *
 * - Each thread builds the workload itself from the scenario's workload spec and seed
 *   (createWorkload is deterministic) and creates the worker programs of its placements with the
 *   rng stream the driver would pass (`new Rng(seed).child("program:<node>")`). A worker program
 *   holds state (LDA's topic assignments), so each is pinned to one thread for the whole run.
 * - `step` hands a step to its worker's thread and returns at once; `take` blocks until that
 *   step's result is there (Atomics.wait on a counter the thread bumps after each reply, then
 *   receiveMessageOnPort), so the driver can consume every result at its virtual completion time
 *   from inside a synchronous engine event, and the run is the same at any thread count.
 * - Values go in as a copy the thread owns (moved, not copied again); deltas come back moved.
 *   Rows a program hands back again (the rows it was given, or the same array as last time) are
 *   not sent back.
 * - An error in a thread comes back as the reply to the job that hit it, with the thread's stack;
 *   `close` terminates every thread (the driver calls it at the end of a run and on error).
 */
import type { Evaluation, NodeId, StepResult, WorkerPlacement } from "@gaia/core";
import type { Scenario } from "@gaia/scenario";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";

/** What a thread needs to build the workload and its worker programs. */
export interface ThreadSetup {
  readonly workload: Scenario["workload"];
  readonly seed: number;
  readonly dataCenters: readonly string[];
  readonly workersPerDataCenter: number;
  /** The scenario file's folder, for the workload's relative data paths. */
  readonly baseDir?: string;
  /** The programs this thread runs: node id, placement, and the rng stream's name under the root. */
  readonly programs: readonly { readonly node: NodeId; readonly placement: WorkerPlacement; readonly rng: string }[];
}

/** Messages to a thread. */
export type ThreadRequest =
  | { readonly id: number; readonly kind: "setup"; readonly setup: Omit<ThreadSetup, "programs"> }
  | { readonly id: number; readonly kind: "programs"; readonly programs: ThreadSetup["programs"] }
  | { readonly id: number; readonly kind: "step"; readonly node: NodeId; readonly clock: number; readonly rows: Uint32Array; readonly values: Float32Array }
  | { readonly id: number; readonly kind: "evaluate"; readonly params: Float32Array };

/** Replies from a thread. `rows` is "given" for the rows the step was handed, "last" for the same array as this node's last step. */
export type ThreadReply =
  | { readonly id: number; readonly kind: "ready" }
  | { readonly id: number; readonly kind: "step"; readonly rows: Uint32Array | "given" | "last"; readonly deltas: Float32Array; readonly samples: number }
  | { readonly id: number; readonly kind: "evaluation"; readonly evaluation: Evaluation }
  | { readonly id: number; readonly kind: "error"; readonly message: string; readonly stack: string };

/** A job's reply, as `take` hands it back (rows resolved). */
export type JobResult = { readonly kind: "step"; readonly result: StepResult } | { readonly kind: "evaluation"; readonly evaluation: Evaluation } | { readonly kind: "ready" };

/**
 * The thread entry: thread.js beside this file when built; from source (tsx), thread-source.mjs,
 * which registers tsx in the thread (a worker thread does not inherit the loader) and loads thread.ts.
 */
const entryUrl = (): URL => new URL(import.meta.url.endsWith(".ts") ? "./thread-source.mjs" : "./thread.js", import.meta.url);

interface Thread {
  readonly index: number;
  readonly worker: Worker;
  readonly port: MessagePort;
  /** [0]: bumped by the thread after every reply it posts; [1]: set when the thread exits. */
  readonly signal: Int32Array;
  /** Why the thread stopped, once it did (seen while the main thread waits asynchronously). */
  failure: string | null;
  /** Jobs handed to it and not yet taken. */
  pending: number;
}

interface Job {
  readonly thread: Thread;
  readonly node: NodeId | null;
  readonly clock: number;
  readonly rows: Uint32Array | null;
}

export class ComputeThreads {
  private readonly threads: Thread[] = [];
  private readonly jobs = new Map<number, Job>();
  private readonly replies = new Map<number, ThreadReply>();
  private readonly lastRows = new Map<NodeId, Uint32Array>();
  private nextId = 0;
  private closed = false;

  /** Starts `count` threads, each building the workload; then `assign` their programs and wait until `ready`. */
  constructor(count: number, base: Omit<ThreadSetup, "programs">) {
    if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`compute threads: count must be an integer >= 1, got ${count}`);
    for (let index = 0; index < count; index++) {
      const { port1, port2 } = new MessageChannel();
      const signal = new Int32Array(new SharedArrayBuffer(8));
      const worker = new Worker(entryUrl(), { workerData: { port: port2, signal }, transferList: [port2], stdout: false, stderr: false });
      const thread: Thread = { index, worker, port: port1, signal, pending: 0, failure: null };
      // Errors in a job come back as its reply; these are a thread that could not start or died.
      worker.on("error", (error) => {
        thread.failure ??= error.message;
      });
      worker.on("exit", (code) => {
        thread.failure ??= `it exited with code ${code}`;
        Atomics.store(signal, 1, 1);
      });
      worker.unref();
      port1.unref();
      this.threads.push(thread);
      this.post(thread, null, 0, null, { id: this.nextId, kind: "setup", setup: base });
    }
  }

  /** Has thread `thread` create these worker programs (after its workload is built). */
  assign(thread: number, programs: ThreadSetup["programs"]): void {
    this.post(this.threads[thread]!, null, 0, null, { id: this.nextId, kind: "programs", programs });
  }

  get count(): number {
    return this.threads.length;
  }

  /**
   * Waits until every thread has built its workload and its programs, without blocking the main
   * thread (so that a thread that fails to start is seen).
   */
  async ready(): Promise<void> {
    const setups = [...this.jobs].filter(([, job]) => job.node === null && job.rows === null);
    for (const [id, job] of setups) {
      for (;;) {
        this.drain(job.thread);
        if (this.replies.has(id)) break;
        if (job.thread.failure !== null) throw new Error(`compute thread ${job.thread.index} stopped before it answered ${this.describe(job)}: ${job.thread.failure}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      this.take(id);
    }
  }

  /** Hands `node`'s step for `clock` to thread `thread`; `values` is copied (the caller may reuse it). Returns the job id. */
  step(thread: number, node: NodeId, clock: number, rows: Uint32Array, values: Float32Array): number {
    const t = this.threads[thread]!;
    const copy = values.slice();
    const id = this.nextId;
    this.post(t, node, clock, rows, { id, kind: "step", node, clock, rows, values: copy }, [copy.buffer]);
    return id;
  }

  /** Hands an evaluation of `params` (moved: the caller must not use it afterwards) to the least busy thread. */
  evaluate(params: Float32Array): number {
    let best = this.threads[0]!;
    for (const t of this.threads) if (t.pending < best.pending) best = t;
    const id = this.nextId;
    this.post(best, null, -1, new Uint32Array(0), { id, kind: "evaluate", params }, params.byteOffset === 0 && params.byteLength === params.buffer.byteLength ? [params.buffer as ArrayBuffer] : []);
    return id;
  }

  /** The result of job `id`, waiting for it if it is not there yet. Throws the thread's error with the job's context. */
  take(id: number): JobResult {
    const job = this.jobs.get(id);
    if (job === undefined) throw new Error(`compute threads: no job ${id} pending`);
    const { thread } = job;
    for (;;) {
      const reply = this.replies.get(id);
      if (reply !== undefined) {
        this.replies.delete(id);
        this.jobs.delete(id);
        thread.pending--;
        return this.resolve(job, reply);
      }
      if (this.closed) throw new Error("compute threads: closed while a job was pending");
      const seen = Atomics.load(thread.signal, 0);
      this.drain(thread);
      if (this.replies.has(id)) continue;
      // A thread that died cannot bump its counter: its exit flag is looked at every second.
      if (Atomics.load(thread.signal, 1) === 1 || thread.failure !== null) throw new Error(`compute thread ${thread.index} stopped before it answered ${this.describe(job)}${thread.failure !== null ? `: ${thread.failure}` : ""}`);
      Atomics.wait(thread.signal, 0, seen, 1000);
    }
  }

  /** Terminates every thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.threads.map(async (t) => {
      t.port.close();
      await t.worker.terminate();
    }));
  }

  private post(thread: Thread, node: NodeId | null, clock: number, rows: Uint32Array | null, request: ThreadRequest, transfer: ArrayBuffer[] = []): void {
    if (this.closed) throw new Error("compute threads: closed");
    this.nextId++;
    this.jobs.set(request.id, { thread, node, clock, rows });
    thread.pending++;
    thread.port.postMessage(request, transfer);
  }

  private drain(thread: Thread): void {
    for (;;) {
      const received = receiveMessageOnPort(thread.port);
      if (received === undefined) return;
      const reply = received.message as ThreadReply;
      this.replies.set(reply.id, reply);
    }
  }

  private describe(job: Job): string {
    if (job.node !== null) return `${job.node}'s step at clock ${job.clock}`;
    return job.rows === null ? "its setup (building the workload)" : "an evaluation";
  }

  private resolve(job: Job, reply: ThreadReply): JobResult {
    switch (reply.kind) {
      case "error": {
        const error = new Error(`${this.describe(job)} failed on compute thread ${job.thread.index}: ${reply.message}`);
        error.stack = `${error.name}: ${error.message}\n--- in compute thread ${job.thread.index} ---\n${reply.stack}`;
        throw error;
      }
      case "ready":
        return { kind: "ready" };
      case "evaluation":
        return { kind: "evaluation", evaluation: reply.evaluation };
      case "step": {
        const node = job.node!;
        let rows: Uint32Array;
        if (reply.rows === "given") rows = job.rows!;
        else if (reply.rows === "last") rows = this.lastRows.get(node)!;
        else rows = reply.rows;
        this.lastRows.set(node, rows);
        return { kind: "step", result: { rows, deltas: reply.deltas, samples: reply.samples } };
      }
    }
  }
}
