/**
 * Where a sample was born: a value (a column of a ratings file, a line of a per-document file)
 * names its data center, directly or through the `map:` option. Unknown values are errors that
 * name the value, the file and the line.
 */
import { WorkloadError } from "../errors.js";

export class BornIn {
  private readonly index = new Map<string, number>();

  constructor(
    private readonly dataCenters: readonly string[],
    private readonly map: Readonly<Record<string, string>> | undefined,
    /** Where the map is written, for messages ("workload.data.partition.map"). */
    mapPath: string,
  ) {
    dataCenters.forEach((dc, i) => this.index.set(dc, i));
    for (const [value, dc] of Object.entries(map ?? {})) {
      if (!this.index.has(dc)) throw new WorkloadError(`${mapPath}.${value}: unknown data center "${dc}" (this topology has ${dataCenters.join(", ")})`);
    }
  }

  /** The data center index `value` (read at file:line) names. */
  dataCenterOf(value: string, file: string, line: number, what: string): number {
    const name = this.map === undefined ? value : Object.hasOwn(this.map, value) ? this.map[value]! : undefined;
    const dc = name === undefined ? undefined : this.index.get(name);
    if (dc === undefined) {
      const known = this.map === undefined ? `data centers: ${this.dataCenters.join(", ")}` : `map keys: ${Object.keys(this.map).join(", ")}`;
      throw new WorkloadError(`${file}:${line}: ${what} ${JSON.stringify(value)} is not a data center of this run (${known})`);
    }
    return dc;
  }
}
