/**
 * TensorFlow.js loading and backend choice.
 *
 * tfjs is imported lazily, so matrix factorization and LDA runs never pay for it. Native backends
 * (@tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node) are optional packages that are loaded with a
 * dynamic import inside try/catch; asking for one that is absent is a WorkloadError that says how
 * to install it. `auto` prefers node-gpu, then node, then wasm, then the pure JavaScript cpu
 * backend. The backend is process-global in tfjs: `useBackend` switches synchronously to a backend
 * that is already initialized, so workloads on different backends can share a process.
 */
import type * as TF from "@tensorflow/tfjs";
import type { Backend } from "./context.js";
import { WorkloadError } from "./errors.js";

export type Tf = typeof TF;

let tfPromise: Promise<Tf> | null = null;

export function loadTf(): Promise<Tf> {
  tfPromise ??= import("@tensorflow/tfjs").then((module) => (typeof (module as unknown as Tf).tensor === "function" ? module : (module as unknown as { default: Tf }).default) as Tf);
  return tfPromise;
}

const nativePackages = { gpu: "@tensorflow/tfjs-node-gpu", node: "@tensorflow/tfjs-node" } as const;

/** Imports a package whose name is only known at run time (so it need not be installed). */
const importOptional = async (name: string): Promise<unknown> => import(name);

const silenceCpuBanner = (tf: Tf): void => {
  // The cpu backend prints a banner recommending tfjs-node on first use; the choice is ours here.
  const cpu = tf.engine().findBackend("cpu") as { firstUse?: boolean } | null;
  if (cpu !== null && "firstUse" in cpu) cpu.firstUse = false;
};

async function tryNative(tf: Tf, which: "gpu" | "node"): Promise<boolean> {
  try {
    await importOptional(nativePackages[which]);
    return tf.findBackend("tensorflow") !== null && (await tf.setBackend("tensorflow"));
  } catch {
    return false;
  }
}

async function tryWasm(tf: Tf): Promise<boolean> {
  try {
    await import("@tensorflow/tfjs-backend-wasm");
    return await tf.setBackend("wasm");
  } catch {
    return false;
  }
}

async function useCpu(tf: Tf): Promise<string> {
  if (!(await tf.setBackend("cpu"))) throw new WorkloadError("the TensorFlow.js cpu backend failed to initialize");
  silenceCpuBanner(tf);
  return "cpu";
}

/**
 * Makes `backend` tfjs's current backend and returns its tfjs name ("tensorflow", "wasm", "cpu").
 * Throws a WorkloadError when an explicitly requested backend is not available.
 */
export async function selectBackend(backend: Backend): Promise<string> {
  const tf = await loadTf();
  switch (backend) {
    case "gpu":
    case "node":
      if (await tryNative(tf, backend)) return tf.getBackend();
      throw new WorkloadError(
        `backend ${backend} needs ${nativePackages[backend]}, which is not installed here: run \`npm install ${nativePackages[backend]}\` (it downloads libtensorflow, so it needs network access), or use backend wasm or cpu`,
      );
    case "wasm":
      if (await tryWasm(tf)) return "wasm";
      throw new WorkloadError("backend wasm failed to load: run `npm install @tensorflow/tfjs-backend-wasm`, or use backend cpu");
    case "cpu":
      return useCpu(tf);
    case "auto":
      if ((await tryNative(tf, "gpu")) || (await tryNative(tf, "node"))) return tf.getBackend();
      if (await tryWasm(tf)) return "wasm";
      return useCpu(tf);
  }
}

/** Switches tfjs to an already initialized backend, synchronously. */
export function useBackend(tf: Tf, name: string): void {
  if (tf.getBackend() === name) return;
  tf.setBackend(name).catch(() => undefined);
  if (tf.getBackend() !== name) throw new WorkloadError(`TensorFlow.js backend ${name} is not initialized (call selectBackend first)`);
}
