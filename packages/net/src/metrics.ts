/**
 * Counters and gauges of one node, rendered as Prometheus text (GET /metrics) and as a plain
 * object for the JSONL reports.
 */
export class Metrics {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, number>();
  private readonly help = new Map<string, string>();

  constructor(readonly node: string) {}

  count(name: string, by = 1, labels: Readonly<Record<string, string>> = {}, help?: string): void {
    const key = keyOf(name, labels);
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
    if (help !== undefined) this.help.set(name, help);
  }

  /** A counter's key, built once, for `countKey` on hot paths (per message). */
  static key(name: string, labels: Readonly<Record<string, string>> = {}): string {
    return keyOf(name, labels);
  }

  /** Adds to the counter `key` (from `Metrics.key`). */
  countKey(key: string, by = 1): void {
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
  }

  gauge(name: string, value: number, labels: Readonly<Record<string, string>> = {}): void {
    this.gauges.set(keyOf(name, labels), value);
  }

  get(name: string, labels: Readonly<Record<string, string>> = {}): number {
    const key = keyOf(name, labels);
    return this.counters.get(key) ?? this.gauges.get(key) ?? 0;
  }

  /** Sum of a counter over all its labels. */
  total(name: string): number {
    let sum = 0;
    for (const [key, value] of this.counters) if (key === name || key.startsWith(`${name}{`)) sum += value;
    return sum;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counters, ...this.gauges]);
  }

  prometheus(): string {
    const lines: string[] = [];
    const emit = (entries: Map<string, number>, type: string): void => {
      const seen = new Set<string>();
      for (const [key, value] of [...entries].sort(([a], [b]) => a.localeCompare(b))) {
        const name = key.split("{")[0]!;
        if (!seen.has(name)) {
          seen.add(name);
          const help = this.help.get(name);
          if (help) lines.push(`# HELP gaia_${name} ${help}`);
          lines.push(`# TYPE gaia_${name} ${type}`);
        }
        const labels = key.includes("{") ? key.slice(key.indexOf("{") + 1, -1) : "";
        lines.push(`gaia_${name}{node="${this.node}"${labels ? "," + labels : ""}} ${value}`);
      }
    };
    emit(this.counters, "counter");
    emit(this.gauges, "gauge");
    return lines.join("\n") + "\n";
  }
}

const keyOf = (name: string, labels: Readonly<Record<string, string>>): string => {
  const entries = Object.entries(labels);
  if (entries.length === 0) return name;
  return `${name}{${entries.map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, "_")}"`).join(",")}}`;
};
