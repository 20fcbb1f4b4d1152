/**
 * A `WorkloadError` is bad input from a person (a scenario's `workload:` section, a backend that is
 * not installed). Its message says what is wrong and where, so a command can print it as it is.
 */
export class WorkloadError extends Error {
  override readonly name = "WorkloadError";
  constructor(
    message: string,
    /** The individual problems, with JSON-pointer-ish paths inside the workload section. */
    readonly problems: readonly { readonly path: string; readonly message: string }[] = [],
  ) {
    super(message);
  }
}
