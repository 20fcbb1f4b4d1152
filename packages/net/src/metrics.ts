/**
 * The metrics of one node: Prometheus text at GET /metrics (through prom-client), and a plain
 * object for the launcher's JSONL reports.
 *
 * Hot paths (one update per message) add to a plain map keyed by a prebuilt string (`countKey`);
 * prom-client reads the map when it is scraped. Every metric the runtime knows is declared in
 * `catalog` with its HELP, type and labels, so a scrape shows HELP and TYPE for each, and the node
 * declares the series it will have (its peers, links, channels and block reasons) up front, so
 * every series is present, at 0, from the first scrape. Durations are in seconds, as Prometheus
 * names them. The process metrics (`process_*`, `nodejs_*`) come from prom-client's defaults.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

interface MetricSpec {
  readonly type: "counter" | "gauge";
  readonly help: string;
  readonly labels: readonly string[];
}

/** Every counter and gauge a node exports, without the `gaia_` prefix. */
export const catalog: Readonly<Record<string, MetricSpec>> = {
  messages_sent_total: { type: "counter", help: "Protocol messages sent, by channel (data or control).", labels: ["channel"] },
  messages_received_total: { type: "counter", help: "Protocol messages received, by channel.", labels: ["channel"] },
  message_bytes_sent_total: { type: "counter", help: "Encoded message bytes sent to each peer (payload, before framing).", labels: ["peer"] },
  bytes_sent_total: { type: "counter", help: "Bytes written to each peer's sockets, frames and resends included.", labels: ["peer"] },
  wan_bytes_sent_total: { type: "counter", help: "Bytes this node sent over each WAN link (source->target data center).", labels: ["link"] },
  connections_total: { type: "counter", help: "Connections established, by peer and channel.", labels: ["peer", "channel"] },
  unix_connections_total: { type: "counter", help: "Connections established over the unix-socket carrier (lanCarrier: unix), by peer and channel.", labels: ["peer", "channel"] },
  reconnects_total: { type: "counter", help: "Connections to a peer re-established after a loss: a connection of a channel (data or control) that had one before. The first connection is not one, however many dials it took.", labels: ["peer"] },
  dial_retries_total: { type: "counter", help: "Dials to a peer made again after a dial failed or a connection closed, by peer; the first dials of a run, to a peer whose listener is not up yet, included.", labels: ["peer"] },
  auth_rejected_total: { type: "counter", help: "Connections refused for a failed handshake.", labels: [] },
  remote_errors_total: { type: "counter", help: "Frames or messages refused as protocol violations, by code.", labels: ["code"] },
  role_remote_errors_total: { type: "counter", help: "Messages the protocol role rejected as remote errors, by code.", labels: ["code"] },
  wan_cuts_total: { type: "counter", help: "WAN partitions that cut this node off a data center.", labels: ["target"] },
  wan_cut_frames_dropped_total: { type: "counter", help: "Frames dropped on a cut WAN link (cutMode drop).", labels: ["peer"] },
  wan_cut_frames_held_total: { type: "counter", help: "Frames held back on a cut WAN link until it heals (cutMode hold).", labels: ["peer"] },
  read_blocked_seconds_total: { type: "counter", help: "Seconds reads served by this shard waited, by the rule that held them (ssp, mirror-clock, barrier).", labels: ["reason"] },
  reads_blocked_total: { type: "counter", help: "Reads served by this shard that waited, by the rule that held them.", labels: ["reason"] },
  filter_accumulated_entries_total: { type: "counter", help: "Non-zero accumulators at this shard's clock flushes.", labels: [] },
  filter_significant_entries_total: { type: "counter", help: "Accumulators above the significance filter's floor threshold at the flushes.", labels: [] },
  filter_sent_entries_total: { type: "counter", help: "Significant entries this shard sent to its mirrors.", labels: [] },
  filter_held_back_entries_total: { type: "counter", help: "Significant entries the per-link byte budget kept accumulated instead of sending.", labels: [] },
  filter_sent_bytes_total: { type: "counter", help: "Encoded bytes of the mirror updates' bodies this shard sent.", labels: [] },
  mirror_updates_sent_total: { type: "counter", help: "Mirror updates (one per clock flush) this shard sent.", labels: [] },
  barriers_sent_total: { type: "counter", help: "Selective-barrier control messages this shard sent (one per destination).", labels: [] },
  mirror_entries_applied_total: { type: "counter", help: "Entries received from mirrors and applied to this replica.", labels: [] },
  compute_seconds_total: { type: "counter", help: "Seconds workers spent in the training step.", labels: [] },
  compute_sleep_seconds_total: { type: "counter", help: "Seconds workers slept to emulate the modeled compute cost or a slow node.", labels: [] },
  checkpoints_total: { type: "counter", help: "Shard checkpoints written.", labels: [] },
  checkpoint_errors_total: { type: "counter", help: "Checkpoint writes that failed (EMFILE, a full disk), by error code; retried with backoff.", labels: ["code"] },
  connections_refused_total: { type: "counter", help: "Connections refused or closed by connection hygiene: pending-cap, address-cap, handshake-timeout, slow-reader.", labels: ["reason"] },
  peer_restarts_total: { type: "counter", help: "Peers that came back with another link epoch (a restarted worker): their links here started over.", labels: ["peer", "channel"] },
  links_out_of_step_total: { type: "counter", help: "Links whose two ends no longer agree on their sequence numbers (a forged message took the real peer's seq): the node stops, naming the link.", labels: ["peer", "channel"] },
  lossy_frames_total: { type: "counter", help: "Frames a lossy fault lost, duplicated or reordered, by effect.", labels: ["effect"] },
  stalls_total: { type: "counter", help: "Watchdog reports: no progress for the watchdog period.", labels: [] },
  checkpoint_seconds_total: { type: "counter", help: "Seconds spent writing shard checkpoints.", labels: [] },
  local_clock: { type: "gauge", help: "The shard's local clock (every local worker has pushed it).", labels: [] },
  worker_clock: { type: "gauge", help: "The worker's clock (iterations completed).", labels: [] },
  unacked_frames: { type: "gauge", help: "Frames sent and not yet acknowledged by their peer.", labels: [] },
  objective: { type: "gauge", help: "The objective (e.g. RMSE) last evaluated on the replica of this shard's data center; set on the evaluation data center's shards at each evaluation, absent before the first.", labels: ["data_center"] },
  objective_iteration: { type: "gauge", help: "The iteration (clock) at which gaia_objective was evaluated.", labels: ["data_center"] },
};

/** Histograms, observed directly (one observation per step or read). */
const histograms = {
  step_seconds: { help: "Duration of one worker training step, in seconds (emulated compute included).", labels: [] as string[], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] },
  read_wait_seconds: { help: "Seconds a read served by this shard waited, by the rule that held it (none when it did not wait).", labels: ["reason"], buckets: [0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
} as const;
export type HistogramName = keyof typeof histograms;

/** Label values as Prometheus text escapes them (backslash, double quote, newline). */
const escapeLabel = (value: string): string => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Parsed keys, so a scrape knows the name and labels of every stored value. */
const parsedKeys = new Map<string, Series>();

const keyOf = (name: string, labels: Readonly<Record<string, string>>): string => {
  const entries = Object.entries(labels);
  const key = entries.length === 0 ? name : `${name}{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
  if (!parsedKeys.has(key)) parsedKeys.set(key, { name, labels: { ...labels } });
  return key;
};

export class Metrics {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, number>();
  private readonly extraHelp = new Map<string, string>();
  readonly registry = new Registry();
  private readonly exported = new Map<string, Counter | Gauge>();
  private readonly histograms = new Map<HistogramName, Histogram>();

  constructor(
    readonly node: string,
    options: { readonly processMetrics?: boolean } = {},
  ) {
    this.registry.setDefaultLabels({ node });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    for (const [name, spec] of Object.entries(catalog)) this.export(name, spec);
    for (const [name, spec] of Object.entries(histograms) as [HistogramName, (typeof histograms)[HistogramName]][]) {
      this.histograms.set(name, new Histogram({ name: `gaia_${name}`, help: spec.help, labelNames: [...spec.labels], buckets: [...spec.buckets], registers: [this.registry] }));
    }
  }

  /** A prom-client metric that reads this node's map at scrape time. */
  private export(name: string, spec: MetricSpec): void {
    const store = spec.type === "counter" ? this.counters : this.gauges;
    const config = {
      name: `gaia_${name}`,
      help: spec.help,
      labelNames: [...spec.labels],
      registers: [this.registry],
      collect(this: Counter | Gauge) {
        this.reset();
        for (const [key, value] of store) {
          const series = parsedKeys.get(key);
          if (series?.name !== name) continue;
          if (this instanceof Counter) this.inc(series.labels, value);
          else (this as Gauge).set(series.labels, value);
        }
      },
    };
    this.exported.set(name, spec.type === "counter" ? new Counter(config) : new Gauge(config));
  }

  /** A metric used without an entry in `catalog` is still exported, with the help given (or its name). */
  private ensure(name: string, type: "counter" | "gauge", labels: Readonly<Record<string, string>>): void {
    if (this.exported.has(name)) return;
    this.export(name, { type, help: this.extraHelp.get(name) ?? name.replace(/_/g, " "), labels: Object.keys(labels) });
  }

  count(name: string, by = 1, labels: Readonly<Record<string, string>> = {}, help?: string): void {
    // The transport counts each dial it makes again as `reconnects_total`, also while the first
    // connection of a run waits for the peer's listener: those are dial retries. A reconnect is a
    // channel's connection after its first, known here from connections_total.
    if (name === "reconnects_total") name = "dial_retries_total";
    else if (name === "connections_total" && this.get(name, labels) > 0) this.add("reconnects_total", by, { peer: labels["peer"] ?? "" });
    this.add(name, by, labels, help);
  }

  private add(name: string, by: number, labels: Readonly<Record<string, string>>, help?: string): void {
    if (help !== undefined && !this.exported.has(name)) this.extraHelp.set(name, help);
    this.ensure(name, "counter", labels);
    const key = keyOf(name, labels);
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
  }

  /** A series that exists from the start, at 0 (a counter, or a gauge with `gauge: true`). */
  declare(name: string, labels: Readonly<Record<string, string>> = {}): void {
    const spec = catalog[name];
    const store = spec?.type === "gauge" ? this.gauges : this.counters;
    this.ensure(name, spec?.type ?? "counter", labels);
    const key = keyOf(name, labels);
    if (!store.has(key)) store.set(key, 0);
  }

  /** A histogram series that exists from the start, with no observation. */
  declareHistogram(name: HistogramName, labels: Readonly<Record<string, string>> = {}): void {
    this.histograms.get(name)!.zero(labels);
  }

  observe(name: HistogramName, seconds: number, labels: Readonly<Record<string, string>> = {}): void {
    this.histograms.get(name)!.observe(labels, seconds);
  }

  /** A counter's key, built once, for `countKey` on hot paths (per message). */
  static key(name: string, labels: Readonly<Record<string, string>> = {}): string {
    return keyOf(name, labels);
  }

  /** Adds to the counter `key` (from `Metrics.key`). */
  countKey(key: string, by = 1): void {
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
  }

  /** Sets a counter derived from others (it only grows because they do). */
  setCounter(name: string, value: number, labels: Readonly<Record<string, string>> = {}): void {
    this.ensure(name, "counter", labels);
    this.counters.set(keyOf(name, labels), value);
  }

  gauge(name: string, value: number, labels: Readonly<Record<string, string>> = {}): void {
    this.ensure(name, "gauge", labels);
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

  /** The Prometheus text exposition of every metric of this node. */
  async prometheus(): Promise<string> {
    for (const key of this.counters.keys()) {
      const series = parsedKeys.get(key);
      if (series && !this.exported.has(series.name)) this.ensure(series.name, "counter", series.labels);
    }
    return this.registry.metrics();
  }

  /** The content type of `prometheus()`. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
