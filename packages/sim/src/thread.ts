/**
 * A compute thread's entry (see threads.ts): builds the workload and its worker programs, then
 * answers step and evaluation requests in the order they come, one at a time. After every reply
 * it bumps the shared counter, so that a main thread blocked in Atomics.wait wakes up.
 */
import { Rng, type NodeId, type Workload, type WorkerProgram } from "@gaia/core";
import { workerData, type MessagePort } from "node:worker_threads";
import type { ThreadReply, ThreadRequest, ThreadSetup } from "./threads.js";

interface WorkloadsModule {
  createWorkload: (spec: ThreadSetup["workload"], options: { seed: number; dataCenters: readonly string[]; workersPerDataCenter: number; baseDir?: string }) => Promise<Workload>;
}

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };
let workload: Workload | null = null;
let seed = 0;
const programs = new Map<NodeId, WorkerProgram>();
const lastRows = new Map<NodeId, Uint32Array>();

function reply(message: ThreadReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

async function handle(request: ThreadRequest): Promise<void> {
  switch (request.kind) {
    case "setup": {
      const { setup } = request;
      const mod = (await import("@gaia/workloads")) as WorkloadsModule;
      workload = await mod.createWorkload(setup.workload, { seed: setup.seed, dataCenters: setup.dataCenters, workersPerDataCenter: setup.workersPerDataCenter, ...(setup.baseDir !== undefined ? { baseDir: setup.baseDir } : {}) });
      seed = setup.seed;
      reply({ id: request.id, kind: "ready" });
      return;
    }
    case "programs": {
      if (workload === null) throw new Error("programs before setup");
      // The driver's stream for a program: root.child("program:<node>") of Rng(seed).
      const root = new Rng(seed);
      for (const p of request.programs) programs.set(p.node, workload.createWorker(p.placement, root.child(p.rng)));
      reply({ id: request.id, kind: "ready" });
      return;
    }
    case "step": {
      const program = programs.get(request.node);
      if (program === undefined) throw new Error(`no program for ${request.node} on this thread`);
      const result = program.step(request.clock, request.rows, request.values);
      const given = result.rows === request.rows;
      const same = !given && result.rows === lastRows.get(request.node);
      lastRows.set(request.node, result.rows);
      const { deltas } = result;
      // The deltas are the worker's from now on (StepResult): move them, unless they share memory
      // with something the thread keeps.
      const movable = deltas.byteOffset === 0 && deltas.byteLength === deltas.buffer.byteLength && deltas.buffer !== result.rows.buffer && deltas.buffer !== request.values.buffer;
      reply({ id: request.id, kind: "step", rows: given ? "given" : same ? "last" : result.rows, deltas, samples: result.samples }, movable ? [deltas.buffer as ArrayBuffer] : []);
      return;
    }
    case "evaluate": {
      if (workload === null) throw new Error("evaluation before setup");
      reply({ id: request.id, kind: "evaluation", evaluation: workload.evaluate(request.params) });
      return;
    }
  }
}

// A thread that exits (process.exit in a program, an error outside any request) says so, so that a
// main thread blocked waiting for it stops waiting.
process.on("exit", () => {
  Atomics.store(signal, 1, 1);
  Atomics.notify(signal, 0);
});

// One request at a time, in order (a setup is asynchronous: later requests wait for it).
let queue: Promise<void> = Promise.resolve();
port.on("message", (request: ThreadRequest) => {
  queue = queue.then(async () => {
    try {
      await handle(request);
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      reply({ id: request.id, kind: "error", message: e.message, stack: e.stack ?? e.message });
    }
  });
});
