// Compute threads leave the run unchanged for LDA, MNIST, DiLoCo and streaming DiLoCo: the same
// trace hash, objective and WAN bytes at 1 (in-process), 2 and 4 threads (see threads.test.ts).
import { describe } from "node:test";
import { sameAtEveryThreadCount } from "./threads-support.js";

describe("compute threads leave the run unchanged (lda, mnist, diloco)", () => {
  for (const c of [
    { file: "mf-diloco-ec2-11.yaml", iterations: 12 },
    { file: "mf-streaming-diloco-ec2-11.yaml", iterations: 12 },
    { file: "lda-3dc.yaml", iterations: 12 },
    { file: "mnist-3dc.yaml", iterations: 6 },
  ] as const) sameAtEveryThreadCount(c);
});
