/**
 * A `WorkloadError` is bad input from a person (a scenario's `workload:` section, a backend that is
 * not installed). Its message says what is wrong and where, so a command can print it as it is.
 */
const brand = Symbol.for("gaia.workload-error");

export class WorkloadError extends Error {
  /**
   * By brand, not by prototype: a workload module loaded through tsx gets a copy of this package
   * of its own, whose WorkloadError is another class; both copies' errors are WorkloadErrors.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
  readonly [brand] = true;
  override readonly name = "WorkloadError";
  constructor(
    message: string,
    /** The individual problems, with JSON-pointer-ish paths inside the workload section. */
    readonly problems: readonly { readonly path: string; readonly message: string }[] = [],
    /** "input" (the default): bad input, exit 2; "run": a workload's own code failed while training. */
    readonly during: "input" | "run" = "input",
  ) {
    super(message);
  }
}
