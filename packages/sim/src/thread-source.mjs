// The compute thread's entry when the simulator runs from source (through tsx, as the tests and
// benchmarks do): a worker thread does not inherit the tsx loader, so it registers it first.
import { register } from "tsx/esm/api";

register();
await import("./thread.ts");
