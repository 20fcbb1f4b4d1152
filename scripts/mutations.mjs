#!/usr/bin/env node
// Mutation check: breaks the code on purpose, one defect at a time, and runs the tests that name
// that defect. Each mutation must make its tests fail; a mutation the suite survives is a hole in
// the suite, and this script exits 1. The source is restored after each run (and on Ctrl-C).
//
//   node scripts/mutations.mjs            every mutation
//   node scripts/mutations.mjs bogus-ack  only the named ones
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const mutations = [
  {
    name: "restore-unchecked",
    what: "a node restored from its checkpoint is not checked against the state the checkpoint was written with",
    file: "packages/net/src/checkpoint.ts",
    find: "if (restored !== expected) throw new Error(",
    replace: "if (restored === null) throw new Error(",
    tests: ["test/net/checkpoint-files.test.ts"],
  },
  {
    name: "restore-drops-filter",
    what: "a restored shard leaves its significance filter as built (empty) instead of taking the checkpoint's accumulated updates",
    file: "packages/core/src/shard.ts",
    find: "if (this.filter && s.filter) this.filter.restore(s.filter);",
    replace: "",
    tests: ["test/sim/driver.test.ts"],
  },
  {
    name: "launch-objective-gauge-unset",
    what: "the launcher never tells the evaluated replica's shards the objective, so gaia_objective stays absent in a launch",
    file: "packages/net/src/launcher.ts",
    find: "for (const s of replica) this.command(s.id, `objective ${clock} ${evaluation.objective}`);",
    replace: "",
    tests: ["test/net/metrics.test.ts"],
  },
  {
    name: "completion-sync-free",
    what: "shell completion offers nothing for --sync (the models are not completed)",
    file: "packages/cli/src/completion.ts",
    find: 'if (name === "sync") return { kind: "list", words: syncModels };',
    replace: "",
    tests: ["test/cli/completion.test.ts"],
  },
  {
    name: "completion-lists-repeat",
    what: "completing a --sync list offers a model already in it again",
    file: "packages/cli/src/completion.ts",
    find: `'    [[ ",$done" == *",$w,"* ]] || COMPREPLY+=("$done$w")',`,
    replace: `'    COMPREPLY+=("$done$w")',`,
    tests: ["test/cli/completion.test.ts"],
  },
  {
    name: "launch-points-without-links",
    what: "a launched run's metrics rows carry no per-link WAN bytes, so its report has no per-link chart",
    file: "packages/net/src/launcher.ts",
    find: "wanBytes, wanBytesByLink: byLink, costUsd, blockedS };",
    replace: "wanBytes, costUsd, blockedS };",
    tests: ["test/cli/launch.test.ts"],
  },
  {
    name: "netns-live-run-is-leftover",
    what: "gaia launch --hosts netns takes a running launch's namespaces for a killed run's leftovers (and would remove them)",
    file: "packages/net/src/netns.ts",
    find: "const out = markers.filter((m) => !alive(m.pid));",
    replace: "const out = markers.filter(() => true);",
    tests: ["test/net/netns.test.ts"],
  },
  {
    name: "netns-decimal-class-ids",
    what: "tc class ids written in decimal (tc reads them as hexadecimal: the filters would pick the wrong link's class)",
    file: "packages/net/src/netns.ts",
    find: "`1:${(d + 16).toString(16)}`",
    replace: "`1:${d + 16}`",
    tests: ["test/net/netns.test.ts"],
  },
  {
    name: "large-files-positioned",
    what: "every file is read with source positions, however large (27 MB: 3.3 GB and 86 s)",
    file: "packages/scenario/src/load.ts",
    find: "return source.text!.length > positionedMaxBytes ? parseLargeFile",
    replace: "return false ? parseLargeFile",
    tests: ["test/scenarios/large-files.test.ts"],
  },
  {
    name: "faults-own-pairs",
    what: "each normalized partition keeps its own pair of names (the file's list) instead of one shared pair per link",
    file: "packages/scenario/src/normalize.ts",
    find: 'return { kind: "partition", atS, forS, between: pair(fault.partition), oneWay: fault.oneWay ?? false };',
    replace: 'return { kind: "partition", atS, forS, between: fault.partition, oneWay: fault.oneWay ?? false };',
    tests: ["test/scenarios/large-files.test.ts"],
  },
  {
    name: "large-lists-as-pushed",
    what: "the large reader keeps js-yaml's lists as pushed (room for 17 items each), so a 10 MB file's data no longer fits in 80 MB",
    file: "packages/scenario/src/load.ts",
    find: "state.result = shareLists ? sharedList(value) : value.slice();",
    replace: "state.result = value;",
    tests: ["test/scenarios/large-files.test.ts"],
  },
  {
    name: "nan-hides-other-problems",
    what: "a non-finite number stops the check before the schema, hiding the file's unknown fields",
    file: "packages/scenario/src/load.ts",
    find: "schemaIssues(schema, data, nonFinite.length === 0 ? issues : issues.without(nonFinite));",
    replace: "if (nonFinite.length > 0) throw new Failure(fileName, issues.sorted());\n  schemaIssues(schema, data, issues);",
    tests: ["test/scenarios/large-files.test.ts"],
  },
  {
    name: "readyz-500",
    what: "/readyz answers 500 (a server error) rather than 503 Service Unavailable while the node is not ready",
    file: "packages/net/src/health.ts",
    find: '{ status: "503 Service Unavailable" }',
    replace: "{}",
    tests: ["test/cli/run-orchestrator.test.ts"],
  },
  {
    name: "diloco-default-h-50",
    what: "DiLoCo's default H is 50 again, and quickstart and lda-3dc under --sync diloco stop short of their targets",
    file: "packages/scenario/src/normalize.ts",
    find: "const dilocoDefaults = { localClocks: 20,",
    replace: "const dilocoDefaults = { localClocks: 50,",
    tests: ["test/sim/diloco.test.ts"],
  },
  {
    name: "engines-too-wide",
    what: "the project declares Node.js versions some of its packages do not run on (npm ci warns EBADENGINE)",
    file: "package.json",
    find: '"node": "^20.19.0 || ^22.13.0 || >=24"',
    replace: '"node": ">=20"',
    tests: ["test/cli/conventions.test.ts"],
  },
  {
    name: "compare-prints-no-table",
    what: "gaia compare prints only the report's path, not the ratio table",
    file: "packages/cli/src/commands/compare.ts",
    find: "process.stdout.write(`${comparisonTable(labelled)}\\n\\nwrote ${path}",
    replace: "process.stdout.write(`wrote ${path}",
    tests: ["test/cli/compare.test.ts"],
  },
  {
    name: "sweep-slices-overlap",
    what: "gaia sweep --index I --count N slices overlap (a run is in two slices)",
    file: "packages/cli/src/sweep/plan.ts",
    find: "  return points.filter((p) => p.index % count === index);\n",
    replace: "  return points.filter((p) => p.index % count <= index);\n",
    tests: ["test/cli/sweep.test.ts"],
  },
  {
    name: "sweep-resume-reruns",
    what: "gaia sweep --resume runs again the runs whose rows were written",
    file: "packages/cli/src/sweep/run.ts",
    find: "options.resume && !options.force ? finishedRow(",
    replace: "false ? finishedRow(",
    tests: ["test/cli/sweep.test.ts"],
  },
  {
    name: "sweep-csv-completion-order",
    what: "results.csv lists runs in the order they ended, so merged slices differ from one whole run",
    file: "packages/cli/src/sweep/run.ts",
    find: "  const rows = [...record.rows].sort((a, b) => a.index - b.index);\n",
    replace: "  const rows = [...record.rows];\n",
    tests: ["test/cli/sweep.test.ts"],
  },
  {
    name: "set-error-at-file-line",
    what: "a bad value given by --set is reported at a line of the file, which does not hold it",
    file: "packages/scenario/src/issues.ts",
    find: "    if (set !== undefined) {\n",
    replace: "    if (set !== undefined && false) {\n",
    tests: ["test/cli/compare.test.ts"],
  },
  {
    name: "not-found-no-suggestion",
    what: "a mistyped command gets no did-you-mean",
    file: "packages/cli/src/hooks/not-found.ts",
    find: "  const suggestion = closest(typed, ids.map(shown));\n",
    replace: "  const suggestion = null as string | null;\n",
    tests: ["test/cli/conventions.test.ts"],
  },
  {
    name: "bytes-after-target",
    what: "the ratio table's WAN bytes are the run's end (with the drain after the target), not the bytes to target",
    file: "packages/sim/src/report.ts",
    find: "        wanBytes: m.wanBytes,\n",
    replace: "        wanBytes: runs[i]!.result.summary.wanBytes,\n",
    tests: ["test/sim/at-target.test.ts"],
  },
  {
    name: "filter-snapshot-carries-score",
    what: "a shard's checkpoint of its significance filter carries the score function (a checkpoint cannot be written)",
    file: "packages/core/src/significance.ts",
    find: "    return state;\n",
    replace: "    return { ...this };\n",
    tests: ["test/core/significance-incremental.test.ts"],
  },
  {
    name: "workload-significance-ignored",
    what: "the shard's significance filter ignores the workload's own significance function",
    file: "packages/core/src/shard.ts",
    find: "    this.filter = aspOn ? new SignificanceFilter(size, sync.asp!.significance) : null;",
    replace: "    this.filter = aspOn ? new SignificanceFilter(size) : null;",
    tests: ["test/workloads/module.test.ts"],
  },
  {
    name: "paper-resume-reruns",
    what: "bench:paper --resume runs again the rows its rows file already holds",
    file: "bench/paper.ts",
    find: "    const resumed = options.resume ? savedRows(rowsFile) : [];",
    replace: "    const resumed: PaperRow[] = [];",
    tests: ["test/bench/paper-smoke.test.ts"],
  },
  {
    name: "module-options-unchecked",
    what: "a workload module's options are not checked against the schema it declares",
    file: "packages/workloads/src/define.ts",
    find: "  for (const error of Value.Errors(definition.options, filled)) {",
    replace: "  for (const error of [...Value.Errors(definition.options, filled)].slice(0, 0)) {",
    tests: ["test/workloads/module.test.ts"],
  },
  {
    name: "module-error-without-role",
    what: "an error a workload raises in a step is passed on without the workload's name, role and clock",
    file: "packages/workloads/src/define.ts",
    find: "          throw jobError(name, `${role}, clock ${clock}, step`, error);",
    replace: "          throw error;",
    tests: ["test/workloads/module.test.ts"],
  },
  {
    name: "data-by-column-ignored",
    what: "ratings partitioned by a column are dealt to any worker, not to the data center the column names",
    file: "packages/workloads/src/data/ratings.ts",
    find: "const w = born !== null ? born.dataCenterOf(label!, file, line, \"value\") * wpd + assign.int(wpd) : skewed",
    replace: "const w = born !== null ? (born.dataCenterOf(label!, file, line, \"value\"), assign.int(W)) : skewed",
    tests: ["test/workloads/data-files.test.ts"],
  },
  {
    name: "data-by-file-ignored",
    what: "documents partitioned by a per-document file go to their docID range's data center instead",
    file: "packages/workloads/src/data/bag-of-words.ts",
    find: "for (const d of training) workerOfDoc[d] = bornDc[d]! * wpd + assign.int(wpd);",
    replace: "for (const d of training) workerOfDoc[d] = Math.min(D - 1, Math.floor((d * D) / docCount)) * wpd + assign.int(wpd);",
    tests: ["test/workloads/data-files.test.ts"],
  },
  {
    name: "data-empty-number",
    what: "an empty rating field is read as 0 instead of an error",
    file: "packages/workloads/src/data/lines.ts",
    find: "  if (s === e) return NaN;",
    replace: "  if (s === e) return 0;",
    tests: ["test/workloads/data-files.test.ts"],
  },
  {
    name: "data-docid-unchecked",
    what: "a docID above the header's D is not refused",
    file: "packages/workloads/src/data/bag-of-words.ts",
    find: "if (doc < 1 || doc > D) throw",
    replace: "if (doc < 1) throw",
    tests: ["test/workloads/data-files.test.ts"],
  },
  {
    name: "state-estimate-no-accumulators",
    what: "the memory estimate leaves out the significance filter's float64 accumulators beside every ASP replica",
    file: "packages/core/src/state-bytes.ts",
    find: "    if (sync.asp !== null && s.mirrors.length > 0) accumulators += size * (F64 + 1 + 4 + 2 + 5);",
    replace: "    if (sync.asp !== null && s.mirrors.length > 0) accumulators += 0;",
    tests: ["test/sim/memory.test.ts"],
  },
  {
    name: "state-estimate-one-hub-stream",
    what: "the memory estimate counts one residual stream per hub, not one more per member",
    file: "packages/core/src/state-bytes.ts",
    find: "      const streams = 1 + (hub.members.length > 1 ? hub.members.length : 0);",
    replace: "      const streams = 1;",
    tests: ["test/sim/memory.test.ts"],
  },
  {
    name: "memory-never-refused",
    what: "a run whose memory estimate exceeds the limit is not refused (the issue's 100-million-user run starts, and is killed minutes later)",
    file: "packages/scenario/src/memory.ts",
    find: "  if (e.totalBytes <= limit.bytes) return null;",
    replace: "  if (e.totalBytes <= limit.bytes || e.totalBytes > 0) return null;",
    // The unit test catches it in-process; the CLI test would start the 100-million-user run itself.
    tests: ["test/sim/memory.test.ts"],
  },
  {
    name: "memory-cgroup-ignored",
    what: "a cgroup memory limit below the machine's memory is ignored (a container's run is killed rather than refused)",
    file: "packages/scenario/src/memory.ts",
    find: "  return group !== null && group < machine ? {",
    replace: "  return group !== null && group < 0 ? {",
    tests: ["test/sim/memory.test.ts"],
  },
  {
    name: "sweep-jobs-memory-unchecked",
    what: "gaia sweep starts --jobs runs at a time whose estimates together exceed the machine's memory",
    file: "packages/cli/src/sweep/run.ts",
    find: "  if (runs.length > 1 && options.jobs > 1 && together > options.memory.limit.bytes) {",
    replace: "  if (runs.length > 1 && options.jobs > 1 && together > options.memory.limit.bytes * 1000) {",
    tests: ["test/cli/memory.test.ts"],
  },
  {
    name: "threads-consume-early",
    what: "a step run on a compute thread is consumed as soon as its thread hands it back, not at its virtual completion time",
    file: "packages/sim/src/driver.ts",
    find: "          engine.after(compute.durationMs(node, samples, alias(node)), () => {\n            const started = performance.now();\n            const taken = pool.take(job);",
    replace: "          compute.durationMs(node, samples, alias(node));\n          engine.after(0, () => {\n            const started = performance.now();\n            const taken = pool.take(job);",
    tests: ["test/sim/threads.test.ts"],
  },
  {
    name: "pool-cap-fixed",
    what: "the BodyPool keeps at most its base 64 MiB of free bodies, however large the window in flight was",
    file: "packages/net/src/transport/pool.ts",
    find: "this.bytes + body.byteLength > this.limit) return;",
    replace: "this.bytes + body.byteLength > poolBytesMax) return;",
    tests: ["test/net/frame-reuse.test.ts"],
  },
  {
    name: "fifo-ignored",
    what: "network.connectionOrder fifo is ignored: a connection's messages are transferred side by side",
    file: "packages/sim/src/network.ts",
    find: "    if (this.fifo && conn.inFlight > 0) {",
    replace: "    if (false && conn.inFlight > 0) {",
    tests: ["test/sim/network-fifo.test.ts"],
  },
  {
    name: "fifo-queue-jumps",
    what: "with FIFO connections, a message sent while a delivery runs starts ahead of the one queued before it",
    file: "packages/sim/src/network.ts",
    find: "    if (conn.waiting.length > 0) this.startFlow(conn.waiting.shift()!);\n    this.transferred(conn.link, env);",
    replace: "    const next = conn.waiting.shift();\n    this.transferred(conn.link, env);\n    if (next !== undefined) this.startFlow(next);",
    tests: ["test/sim/network-sharing.test.ts"],
  },
  {
    name: "ds-sweep-ignores-ds",
    what: "bench:paper's DS sweep runs every point at the main runs' mirror-clock bound",
    file: "bench/paper.ts",
    find: "  const base = { workload, topology, setup, knobs, seed: options.seed,",
    replace: "  const base = { workload, topology, setup, knobs: defaultKnobs, seed: options.seed,",
    tests: ["test/bench/paper-smoke.test.ts"],
  },
  {
    name: "direct-read-miscounted",
    what: "a read straight into a frame's rest is counted one byte short",
    file: "packages/net/src/stream-frames.ts",
    find: "      this.gather.filled(n, this.gathered);",
    replace: "      this.gather.filled(n - 1, this.gathered);",
    tests: ["test/net/frame-reuse.test.ts", "test/net/ws-client.test.ts"],
  },
  {
    name: "window-skips-one",
    what: "a link that starts one place past the first unsent message when the window opens, so it skips one",
    file: "packages/core/src/reliable.ts",
    find: "    if (i > 0 && unacked[i - 1]!.seq > this.sentThrough) i = 0;\n",
    replace: "    i++;\n",
    tests: ["test/net/reliable.test.ts"],
  },
  {
    name: "small-allocations-alias",
    what: "the shared-block allocator hands the same bytes out again (it never moves on)",
    file: "packages/core/src/flat-codec.ts",
    find: "  slabAt += (bytes + 7) & ~7;",
    replace: "  slabAt += 0;",
    tests: ["test/core/flat-codec.test.ts"],
  },
  {
    name: "ws-dialer-trusts-accept",
    what: "the WebSocket dialer takes any Sec-WebSocket-Accept in the listener's 101",
    file: "packages/net/src/ws-client.ts",
    find: 'if (headers.get("sec-websocket-accept") !== acceptOf(this.key)) throw',
    replace: 'if (false && headers.get("sec-websocket-accept") !== acceptOf(this.key)) throw',
    tests: ["test/net/ws-client.test.ts"],
  },
  {
    name: "simd-skips-lanes",
    what: "the SIMD finite check reads the first 48 of every 64 bytes twice over and never the last 16",
    file: "packages/core/src/finite-simd.ts",
    find: "for (const offset of [0, 16, 32, 48])",
    replace: "for (const offset of [0, 16, 32, 32])",
    tests: ["test/net/envelope.test.ts"],
  },
  {
    name: "ws-dialer-reuses-kept",
    what: "the WebSocket dialer's reader reads into a message's memory again even when its receiver kept it",
    file: "packages/net/src/ws-client.ts",
    find: "      return this.events.onMessage(payload);",
    replace: "      this.events.onMessage(payload);\n      return true;",
    tests: ["test/net/ws-client.test.ts", "test/net/frame-reuse.test.ts"],
  },
  {
    name: "mirror-clock-off-by-one",
    what: "a shard serves reads one clock past the mirror-clock bound DS (localClock - min <= DS + 1)",
    file: "packages/core/src/mirror-clock.ts",
    find: "return m === null || localClock - m <= bound;",
    replace: "return m === null || localClock - m <= bound + 1;",
    tests: ["test/vopr/vopr.test.ts"],
  },
  {
    name: "restart-loses-an-input",
    what: "a node that restarts loses the first input that waited for it (a message, a compute result or a timer)",
    file: "packages/sim/src/driver.ts",
    find: "for (const inp of list) input(a.node, inp);",
    replace: "for (const inp of list.slice(1)) input(a.node, inp);",
    tests: ["test/vopr/vopr.test.ts"],
  },
  {
    name: "dropped-barrier",
    what: "a shard drops every selective barrier it is delivered (and still reports receiving it)",
    file: "packages/core/src/shard.ts",
    find: "    this.barriers.add(msg.source, msg.clock, rows);\n",
    replace: "",
    tests: ["test/sim/driver.test.ts"],
  },
  {
    name: "infinity-threshold",
    what: "the significance filter's threshold is Infinity at every flush",
    file: "packages/core/src/shard.ts",
    find: "const threshold = thresholdAt(asp.threshold, asp.thresholdSchedule, clock, asp.learningRate);",
    replace: "const threshold = Infinity;",
    tests: ["test/sim/significance-checker.test.ts"],
  },
  {
    name: "ignored-schedule",
    what: "the threshold's decay schedule is ignored (the base threshold at every clock)",
    file: "packages/core/src/significance.ts",
    find: "  return base * scheduleFactor(schedule, clock);",
    replace: "  return base;",
    tests: ["test/sim/significance-checker.test.ts"],
  },
  {
    name: "quiet-value-change-ignored",
    what: "the significance filter ignores replica value changes of quiet entries (a mirror update never makes one significant)",
    file: "packages/core/src/significance.ts",
    find: "      if (state[offset] !== QUIET) continue;",
    replace: "      if (state[offset] !== QUIET || offset >= 0) continue;",
    tests: ["test/core/significance-incremental.test.ts"],
  },
  {
    name: "cut-ties-scan-order",
    what: "ties at the budget's cut go in rescan order, not in the order the entries were listed",
    file: "packages/core/src/significance.ts",
    find: "if (tiesTaken < ties.length) ties.sort(",
    replace: "if (tiesTaken < 0) ties.sort(",
    tests: ["test/core/significance-incremental.test.ts"],
  },
  {
    name: "quiet-bucket-never-woken",
    what: "a falling threshold does not wake the quiet entries it makes significant",
    file: "packages/core/src/significance.ts",
    find: "if (!(this.bucketMax[b]! <= threshold)) this.wake(b);",
    replace: "if (this.bucketMax[b]! > threshold + 1) this.wake(b);",
    tests: ["test/core/significance-incremental.test.ts"],
  },
  {
    name: "bogus-ack",
    what: "a link accepts an ack beyond anything it sent",
    file: "packages/core/src/reliable.ts",
    find: "if (frame.ack >= this.nextSeq) throw",
    replace: "if (frame.ack >= Infinity) throw",
    tests: ["test/net/reliable.test.ts"],
  },
  {
    name: "nan-push",
    what: "a push carrying NaN deltas passes message validation",
    file: "packages/core/src/codec.ts",
    find: "      checkFinite(kind, \"deltas\", msg.deltas);",
    replace: "",
    tests: ["test/core/hostile.test.ts"],
  },
  {
    name: "budget-on-hint",
    what: "threshold auto's budget binds before any clock was measured (on the compute-step hint)",
    file: "packages/core/src/shard.ts",
    find: "if (fraction === null || !this.clockMeasured || !(this.clockMs > 0)) return Infinity;",
    replace: "if (fraction === null || !(this.clockMs > 0)) return Infinity;",
    tests: ["test/core/budget-clock.test.ts"],
  },
  {
    name: "integer-sign",
    what: "the integer codec decodes a negative count delta off by two",
    file: "packages/core/src/update-encoding.ts",
    find: "const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);",
    replace: "const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z - 1) / 2);",
    tests: ["test/core/update-encoding.test.ts"],
  },
  {
    name: "coded-context",
    what: "the coded layout's decoder reads every column gap in the first gap's context",
    file: "packages/core/src/update-encoding.ts",
    find: "      indices[count++] = row * cols + col;\n      context = gap < 2 ? gap : 2;\n",
    replace: "      indices[count++] = row * cols + col;\n",
    tests: ["test/core/update-encoding.test.ts"],
  },
  {
    name: "coder-adaptation",
    what: "the range decoder adapts a probability faster than the encoder did (the two models drift apart)",
    file: "packages/core/src/range-coder.ts",
    find: "      model[index] = p + ((ONE - p) >> MOVE);\n      bit = 0;",
    replace: "      model[index] = p + ((ONE - p) >> 4);\n      bit = 0;",
    tests: ["test/core/update-encoding.test.ts"],
  },
  {
    name: "tfjs-delta-sign",
    what: "a tfjs worker step pushes +learningRate x gradient (ascent, not descent)",
    file: "packages/workloads/src/tfjs-workload.ts",
    find: "deltas[at + i] = -o.learningRate * gradient[i]!;",
    replace: "deltas[at + i] = o.learningRate * gradient[i]!;",
    tests: ["test/workloads/tfjs.test.ts"],
  },
  {
    name: "tfjs-packed-gradient",
    what: "a tfjs step writes each variable's gradient packed after the previous one, ignoring its table's padded rows",
    file: "packages/workloads/src/tfjs-workload.ts",
    find: "                const at = layout.table(v.table).offset * cols;\n                for (let i = 0; i < v.size; i++) deltas",
    replace: "                const at = variables.slice(0, k).reduce((a, u) => a + u.size, 0);\n                for (let i = 0; i < v.size; i++) deltas",
    tests: ["test/workloads/tfjs.test.ts"],
  },
  {
    name: "tfjs-csv-line-off",
    what: "a malformed CSV line is reported one line early",
    file: "packages/workloads/src/tfjs-workload.ts",
    find: "data.push({ fields: fieldsOf(lines[lineNo]!, lineNo + 1), line: lineNo + 1 });",
    replace: "data.push({ fields: fieldsOf(lines[lineNo]!, lineNo + 1), line: lineNo });",
    tests: ["test/workloads/tfjs.test.ts"],
  },
  {
    name: "workload-files-unchecked",
    what: "loading a scenario no longer checks that the files a workload's options name exist",
    file: "packages/workloads/src/registry.ts",
    find: "if (problems.length === 0 && found.definition.files !== undefined)",
    replace: "if (false && found.definition.files !== undefined)",
    tests: ["test/workloads/tfjs.test.ts"],
  },
  {
    name: "heatmap-labels-overlap",
    what: "the per-link heat map lets vega drop labels that overlap (5 of 11 data centers drawn)",
    file: "packages/sim/src/charts.ts",
    find: "const axis = { values: names, labelOverlap: false, grid: false,",
    replace: "const axis = { labelOverlap: \"greedy\", grid: false,",
    tests: ["test/scenarios/report-readability.test.ts"],
  },
  {
    name: "heatmap-grid",
    what: "grid lines cross every cell of the per-link heat map",
    file: "packages/sim/src/charts.ts",
    find: "const axis = { values: names, labelOverlap: false, grid: false,",
    replace: "const axis = { values: names, labelOverlap: false, grid: true,",
    tests: ["test/scenarios/report-readability.test.ts"],
  },
  {
    name: "heatmap-scale-from-min",
    what: "the heat map's colour scale runs from the smallest link to the largest, so 1.61M and 1.62M look opposite",
    file: "packages/sim/src/charts.ts",
    find: "const domain = log ? [Math.min(...positive), max] : [0, max > 0 ? max : 1];",
    replace: "const domain = [Math.min(...positive), max];",
    tests: ["test/scenarios/report-readability.test.ts"],
  },
  {
    name: "heatmap-ink-by-value",
    what: "a cell's number is white past half the largest link, whatever the cell's colour",
    file: "packages/sim/src/charts.ts",
    find: "ink: inkOn(luminance(interpolate(Math.min(1, Math.max(0, position(v.bytes))))))",
    replace: "ink: v.bytes > max * 0.5 ? lightInk : darkInk",
    tests: ["test/scenarios/report-readability.test.ts"],
  },
  {
    name: "colour-by-position",
    what: "a run's colour follows its position in the report, not its sync model",
    file: "packages/sim/src/charts.ts",
    find: "    const own = syncColors[r.summary.sync];\n",
    replace: "    const own = Object.values(syncColors)[runs.indexOf(r)];\n",
    tests: ["test/scenarios/report-readability.test.ts"],
  },
  {
    name: "reason-colour-by-position",
    what: "a reason for blocked time takes its colour from its position, so BSP lockstep changes colour between reports",
    file: "packages/sim/src/charts.ts",
    find: "range: labels.map((l, i) => reasonColors[l] ?? spareColors[i % spareColors.length]!)",
    replace: "range: labels.map((_, i) => [\"#d1242f\", \"#8250df\", \"#bf8700\", \"#0a7f8f\", \"#6e7781\"][i]!)",
    tests: ["test/scenarios/report-readability.test.ts"],
  },
  {
    name: "target-in-run-colour",
    what: "the target line takes BSP's red",
    file: "packages/sim/src/charts.ts",
    find: "export const targetColor = \"#424a53\";",
    replace: "export const targetColor = \"#d1242f\";",
    tests: ["test/scenarios/report-readability.test.ts"],
  },
  {
    name: "wan-time-log-axis",
    what: "cumulative WAN bytes are drawn on a log time axis when the runs' lengths span decades",
    file: "packages/sim/src/charts.ts",
    find: "  const axis = linearTimeAxis(runs, options.timeName);\n  const points = runs.flatMap((r) => r.series.map((p) => ({ run: r.label, timeS: p.virtualTimeS, wanBytes: p.wanBytes })));\n  const x = { field: \"timeS\", type: \"quantitative\", title: axis.title, scale: { domain: [0, axis.maxS || 1], nice: false }",
    replace: "  const axis = timeAxis(runs, options.timeName);\n  const points = runs.flatMap((r) => r.series.map((p) => ({ run: r.label, timeS: p.virtualTimeS, wanBytes: p.wanBytes })));\n  const x = { field: \"timeS\", type: \"quantitative\", title: axis.title, scale: axis.log ? { type: \"log\", domain: [0.001, axis.maxS] } : { domain: [0, axis.maxS || 1], nice: false }",
    tests: ["test/scenarios/report-readability.test.ts"],
  },
  {
    name: "lan-under-others",
    what: "LAN's line is drawn first, under the others",
    file: "packages/sim/src/charts.ts",
    find: "const parts = [points.filter((p) => !lan.has(p.run)), points.filter((p) => lan.has(p.run))];",
    replace: "const parts = [points.filter((p) => lan.has(p.run)), points.filter((p) => !lan.has(p.run))];",
    tests: ["test/scenarios/report-readability.test.ts"],
  },
  {
    name: "metrics-csv-missing-column",
    what: "metrics.csv leaves out the nested columns (blocked time, metrics, bytes by link)",
    file: "packages/sim/src/report.ts",
    find: "    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) flatten(inner, prefix === \"\" ? key : `${prefix}.${key}`, into);\n",
    replace: "    if (prefix === \"\") for (const [key, inner] of Object.entries(value as Record<string, unknown>)) if (typeof inner !== \"object\") flatten(inner, key, into);\n",
    tests: ["test/scenarios/report-readability.test.ts"],
  },
  {
    name: "metrics-csv-missing-row",
    what: "metrics.csv drops the last metrics point",
    file: "packages/sim/src/report.ts",
    find: "  const rows = series.map((point) => {\n    const flat",
    replace: "  const rows = series.slice(0, -1).map((point) => {\n    const flat",
    tests: ["test/scenarios/report-readability.test.ts"],
  },
  {
    name: "duration-two-formats",
    what: "the blocked-time chart writes a duration as 0.00494 s where the table writes 5 ms",
    file: "packages/sim/src/charts.ts",
    find: "text: formatSeconds(t.total) }",
    replace: "text: `${t.total.toPrecision(3)} s` }",
    tests: ["test/scenarios/report-readability.test.ts"],
  },
  {
    name: "progress-plateau",
    what: "the progress bar's ETA trusts the objective's rate over the whole window, so on a plateau it is stale",
    file: "packages/cli/src/progress.ts",
    find: "const rate = Math.min(rateOver(oldest, key, fraction), rateOver(middle, key, fraction));",
    replace: "const rate = rateOver(oldest, key, fraction);",
    tests: ["test/cli/progress.test.ts"],
  },
  {
    name: "progress-eta-from-start",
    what: "the ETA is the largest fraction's, from the start of the command (start-up counted)",
    file: "packages/cli/src/progress.ts",
    find: "return { fraction: this.shown, etaS: this.eta(nowS, firstS), ...this.fields(point) };",
    replace: "return { fraction: this.shown, etaS: etaS(this.shown, nowS), ...this.fields(point) };",
    tests: ["test/cli/progress.test.ts"],
  },
  {
    name: "progress-basis-switch",
    what: "the bar's fraction switches from the iterations to the objective once there is one",
    file: "packages/cli/src/progress.ts",
    find: "this.shown = Math.max(this.shown, ...fractions.values());",
    replace: "this.shown = fractions.get(\"objective\") ?? fractions.get(\"iterations\") ?? 0;",
    tests: ["test/cli/progress.test.ts"],
  },
  {
    name: "progress-line-overflows",
    what: "the progress line ignores the terminal's width (cut before the ETA at 80 columns)",
    file: "packages/cli/src/progress.ts",
    find: "const max = Math.max(20, columns - 1);",
    replace: "const max = 1000;",
    tests: ["test/cli/progress.test.ts"],
  },
  {
    name: "summary-unwrapped",
    what: "the summary's long values are not wrapped, so the terminal breaks them mid-word",
    file: "packages/sim/src/summary.ts",
    find: "const lines = room >= 20 && value.length > room ? wrapWords(value, room) : [value];",
    replace: "const lines = [value];",
    tests: ["test/cli/progress.test.ts"],
  },
  {
    name: "objective-gauge-unset",
    what: "a shard told the objective does not set gaia_objective",
    file: "packages/net/src/node.ts",
    find: "    this.metrics.gauge(\"objective\", objective, labels);\n",
    replace: "",
    tests: ["test/net/objective-gauge.test.ts"],
  },
  {
    name: "launch-startup-counted",
    what: "a launched run's metrics rows and time to target count the start-up (wall seconds since the launch, not since training started)",
    file: "packages/net/src/launcher.ts",
    find: "    return { virtualTimeS: this.trainingSAt(atMs), iteration,",
    replace: "    return { virtualTimeS: (atMs - this.startedMs) / 1000, iteration,",
    tests: ["test/net/launch-startup.test.ts"],
  },
  {
    name: "launch-interrupt-discards",
    what: "Ctrl-C on gaia launch kills the nodes and fails the run: nothing is written to --out",
    file: "packages/cli/src/actions/launch.ts",
    find: "    if (running !== null) running.interrupt(reasonOf(signal));",
    replace: "    if (running !== null) running.abort(reasonOf(signal));",
    tests: ["test/cli/launch.test.ts"],
  },
  {
    name: "launch-checkpoints-under-runs",
    what: "gaia launch keeps its checkpoints under the repo's runs/checkpoints, not under --out",
    file: "packages/cli/src/actions/launch.ts",
    find: ", checkpointDir: join(out.dir, \"checkpoints\") });",
    replace: " });",
    tests: ["test/cli/launch.test.ts"],
  },
  {
    name: "reconnects-count-first-dials",
    what: "gaia_reconnects_total counts the dials made again while the first connection waits for the peer's listener",
    file: "packages/net/src/metrics.ts",
    find: "    if (name === \"reconnects_total\") name = \"dial_retries_total\";\n    else if",
    replace: "    if",
    tests: ["test/net/reconnects.test.ts", "test/net/launch-startup.test.ts"],
  },
  {
    name: "launch-set-ignored",
    what: "gaia launch --set is parsed but the cluster file is launched unchanged",
    file: "packages/cli/src/actions/launch.ts",
    find: "  cluster = await loadClusterAsync(flags.cluster, { ...(set.length > 0 ? { set } : {}), checkpointDir",
    replace: "  cluster = await loadClusterAsync(flags.cluster, { checkpointDir",
    tests: ["test/cli/launch.test.ts"],
  },
  {
    name: "launch-set-not-on-nodes",
    what: "the launcher applies --set but the nodes it spawns read the cluster file unchanged",
    file: "packages/net/src/launcher.ts",
    find: "    if (Object.keys(this.cluster.overrides).length > 0) args.push(\"--overrides\", JSON.stringify(this.cluster.overrides));\n",
    replace: "",
    tests: ["test/cli/launch.test.ts"],
    name: "readyz-always-ready",
    what: "GET /readyz answers 200 from the start, before the node has joined its peers",
    file: "packages/net/src/health.ts",
    find: 'return reason === null ? "ready\\n" : Promise.reject(',
    replace: 'return reason === null || reason !== "" ? "ready\\n" : Promise.reject(',
    tests: ["test/cli/run-orchestrator.test.ts"],
  },
  {
    name: "sigterm-interrupts",
    what: "SIGTERM stops a standalone node at once, as SIGINT does (exit 130, no checkpoint, no final step)",
    file: "packages/net/src/run-node.ts",
    find: 'process.once("SIGTERM", terminate);',
    replace: 'process.once("SIGTERM", Math.random() < 2 ? interrupt : terminate);',
    tests: ["test/cli/run-orchestrator.test.ts"],
  },
  {
    name: "sigterm-skips-checkpoint",
    what: "a shard on SIGTERM exits without writing a checkpoint",
    file: "packages/net/src/node.ts",
    find: "    if (this.durable) {\n      this.requestCheckpoint();\n",
    replace: "    if (this.durable) {\n",
    tests: ["test/cli/run-orchestrator.test.ts"],
  },
  {
    name: "gaia-node-env-ignored",
    what: "gaia run ignores GAIA_NODE (the node id must be a flag)",
    file: "packages/cli/src/commands/run.ts",
    find: ', required: true, env: "GAIA_NODE" }),',
    replace: ", required: true }),",
    tests: ["test/cli/run-env.test.ts"],
  },
  {
    name: "secret-file-ignored",
    what: "gaia run reads the secret file but keeps the cluster file's secret",
    file: "packages/cli/src/commands/run.ts",
    find: 'const secret = this.secret(flags["secret-file"]);',
    replace: 'const secret = (this.secret(flags["secret-file"]), undefined);',
    tests: ["test/cli/run-orchestrator.test.ts"],
  },
  {
    name: "readiness-probe-path",
    what: "gaia deploy k8s points the readiness probe at a path no node serves",
    file: "packages/cli/src/deploy/k8s.ts",
    find: 'readinessProbe: probe("/readyz", 2, 1),',
    replace: 'readinessProbe: probe("/ready", 2, 1),',
    tests: ["test/cli/deploy-k8s.test.ts"],
  },
  {
    name: "manifest-port-string",
    what: "gaia deploy k8s writes the container port as a string, which the Kubernetes schemas refuse",
    file: "packages/cli/src/deploy/k8s.ts",
    find: 'ports: [{ name: "gaia", containerPort: options.port, protocol: "TCP" }],',
    replace: 'ports: [{ name: "gaia", containerPort: String(options.port), protocol: "TCP" }],',
    tests: ["test/cli/deploy-k8s.test.ts"],
  },
  {
    name: "remote-nodes-in-cluster-names",
    what: "gaia deploy k8s names the nodes of other data centers by in-cluster names, not clusterset.local",
    file: "packages/cli/src/deploy/k8s.ts",
    find: "(n.dataCenter === dc ? `${n.pod}",
    replace: "(n.dataCenter !== \"\" ? `${n.pod}",
    tests: ["test/cli/deploy-k8s.test.ts"],
  },
  {
    name: "supervisor-unbounded",
    what: "the launcher restarts a node that keeps dying forever, instead of giving up after maxRestarts",
    file: "packages/net/src/supervisor.ts",
    find: "if (done >= this.policy.maxRestarts) {",
    replace: "if (false) {",
    tests: ["test/net/supervisor.test.ts"],
  },
  {
    name: "supervise-restart-fresh",
    what: "a shard that died unexpectedly is restarted without its checkpoint (its state lost), not as a scripted restart would",
    file: "packages/net/src/launcher.ts",
    find: "this.spawn(child.id, true);",
    replace: "this.spawn(child.id, false);",
    tests: ["test/net/supervise-shard.test.ts"],
  },
  {
    name: "supervise-no-heartbeat",
    what: "the launcher takes no heartbeats, so a frozen (SIGSTOP) node is never reported",
    file: "packages/net/src/launcher.ts",
    find: "if (child.ready) this.heard(id);",
    replace: "",
    tests: ["test/net/supervise-worker.test.ts"],
  },
  {
    name: "default-cap-silent",
    what: "gaia scenarios validate says nothing of a scenario without stop limits (it stops at the default cap)",
    file: "packages/scenario/src/stop.ts",
    find: "if (stop.defaultCap !== true) return null;",
    replace: "return null;",
    tests: ["test/cli/default-cap.test.ts"],
  },
  {
    name: "default-cap-passes",
    what: "a run that stops at the default cap without reaching its target exits 0, as if it had succeeded",
    file: "packages/scenario/src/stop.ts",
    find: "const failed = stop.targetObjective !== null && !summary.reachedTarget;",
    replace: "const failed = false;",
    tests: ["test/cli/default-cap.test.ts"],
  },
  {
    name: "launcher-aborts-retry",
    what: "the launcher aborts the run when a shard says it retries its failing checkpoint writes, instead of waiting for it",
    file: "packages/net/src/launcher.ts",
    find: 'this.options.onLog?.("launcher", this.supervisor.retrying(',
    replace: 'throw new Error(r.message);\n        this.options.onLog?.("launcher", this.supervisor.retrying(',
    tests: ["test/net/checkpoint-retry.test.ts"],
  },
  {
    name: "upgrade-without-proof",
    what: "the WebSocket listener accepts an upgrade whose proof of the secret is missing or wrong, so an unauthenticated peer may buffer a 64 MiB frame",
    file: "packages/net/src/transport/uws-listener.ts",
    find: 'if ("refused" in verdict) {',
    replace: 'if ("refused" in verdict && verdict.refused === "none") {',
    tests: ["test/net/admission.test.ts"],
  },
  {
    name: "upgrade-replay-accepted",
    what: "a replayed upgrade proof (a nonce seen before) is accepted",
    file: "packages/net/src/transport/handshake.ts",
    find: 'if (this.nonces.has(proof.nonce)) return { refused: "replayed-proof" };',
    replace: "",
    tests: ["test/net/admission.test.ts"],
  },
  {
    name: "upgrade-stale-accepted",
    what: "an upgrade proof whose time is far from the listener's clock is accepted",
    file: "packages/net/src/transport/handshake.ts",
    find: "if (Math.abs(proof.timeMs - now) > hygiene.upgradeWindowMs || proof.timeMs <= this.floorMs)",
    replace: "if (proof.timeMs <= this.floorMs)",
    tests: ["test/net/admission.test.ts"],
  },
  {
    name: "unix-prehello-unbounded",
    what: "a unix connection may announce and send a frame of up to 64 MiB before its hello",
    file: "packages/net/src/transport/unix.ts",
    find: "adopted !== null, helloBytesMax);",
    replace: "adopted !== null);",
    tests: ["test/net/admission.test.ts"],
  },
  {
    name: "pending-no-eviction",
    what: "at a pending cap a new connection is refused even when an unauthenticated pending one could make room, so idle connections keep a restarted peer out",
    file: "packages/net/src/transport/handshake.ts",
    find: "const victim = this.oldestUnauthenticated(addressFull ? data.address : null);",
    replace: "const victim = addressFull && data.address === \"never\" ? this.oldestUnauthenticated(null) : null;",
    tests: ["test/net/admission.test.ts"],
  },
  {
    name: "refused-frame-uses-seq",
    what: "a data frame is checked only after the link takes its seq, so a refused (injected) frame uses up the real peer's sequence number",
    file: "packages/net/src/transport/link.ts",
    find: "if (frame.t === \"data\" && frame.seq > pc.link.deliveredSeq && !pc.link.holds(frame.seq)) checked =",
    replace: "if (frame.t === \"data\" && frame.seq > pc.link.deliveredSeq && !pc.link.holds(frame.seq) && false) checked =",
    tests: ["test/net/hygiene.test.ts"],
  },
  {
    name: "soak-doubled-as-resend",
    what: "the soak's update check takes any push applied again as a shard's resend after a restore, restart or not",
    file: "bench/lib/soak-verdict.ts",
    find: "if (restarted !== undefined && !restarted.has(e.worker)) {",
    replace: "if (true) {",
    tests: ["test/bench/soak-verdict.test.ts"],
  },
  {
    name: "soak-gap-not-lost",
    what: "the soak's update check does not count a skipped clock as a lost update",
    file: "bench/lib/soak-verdict.ts",
    find: "lost += e.clock - expected;",
    replace: "",
    tests: ["test/bench/soak-verdict.test.ts"],
  },
  {
    name: "soak-throughput-bar",
    what: "the soak's verdict ignores the throughput bar",
    file: "bench/lib/soak-verdict.ts",
    find: "if (!(throughputRatio >= bars.minThroughputRatio))",
    replace: "if (false)",
    tests: ["test/bench/soak-verdict.test.ts"],
  },
  {
    name: "max-restarts-ignored",
    what: "gaia launch does not pass --max-restarts to the supervisor (the default 3 holds)",
    file: "packages/cli/src/actions/launch.ts",
    find: 'supervision: { restart: flags.restart, maxRestarts: flags["max-restarts"] },',
    replace: "supervision: { restart: flags.restart },",
    tests: ["test/cli/launch-max-restarts.test.ts"],
  },
];

const only = process.argv.slice(2);
const unknown = only.filter((n) => !mutations.some((m) => m.name === n));
if (unknown.length > 0) {
  console.error(`unknown mutation ${unknown.join(", ")}; known: ${mutations.map((m) => m.name).join(", ")}`);
  process.exit(2);
}
const chosen = only.length === 0 ? mutations : mutations.filter((m) => only.includes(m.name));

// Every chosen mutation's text must occur exactly once, checked before anything runs: a text that
// went stale when its file changed stops the check at once, naming each such mutation.
const occurrences = (m) => readFileSync(m.file, "utf8").split(m.find).length - 1;
const stale = chosen.map((m) => ({ m, n: occurrences(m) })).filter(({ n }) => n !== 1);
if (stale.length > 0) {
  for (const { m, n } of stale) console.error(`mutation ${m.name}: the text to change occurs ${n === 0 ? "nowhere" : `${n} times`} in ${m.file}; update scripts/mutations.mjs`);
  process.exit(2);
}

let restore = null;
process.on("SIGINT", () => {
  restore?.();
  process.exit(130);
});

// The tests must pass on the unmutated code first, or a "caught" would mean nothing.
const baseline = [...new Set(chosen.flatMap((m) => m.tests))];
const clean = spawnSync(process.execPath, ["scripts/run-tests.mjs", ...baseline], { encoding: "utf8" });
if (clean.status !== 0) {
  // Tests that failed side by side are run again one file at a time: a failure that stays is the
  // code's; one that goes away is named as a test that fails under load (npm test runs it too).
  const failed = clean.stdout.split("\n").filter((l) => /^\s*not ok/.test(l)).join("\n");
  const located = new Set([...clean.stdout.matchAll(/location: '([^']+?):\d+:\d+'/g)].map((m) => m[1]));
  const suspects = baseline.filter((file) => [...located].some((path) => path.endsWith(file)));
  const still = (suspects.length > 0 ? suspects : baseline).filter((file) => spawnSync(process.execPath, ["scripts/run-tests.mjs", file], { encoding: "utf8" }).status !== 0);
  if (still.length > 0) {
    console.error(`the tests fail without any mutation (${still.join(", ")}):\n${failed}`);
    process.exit(1);
  }
  console.error(`warning: these tests failed side by side but pass one file at a time (they fail under load; fix them):\n${failed}`);
}
console.log(`baseline: ${baseline.join(", ")} pass unmutated`);

const rows = [];
for (const m of chosen) {
  const original = readFileSync(m.file, "utf8");
  const at = original.indexOf(m.find);
  if (at < 0 || original.indexOf(m.find, at + 1) >= 0) {
    console.error(`mutation ${m.name}: the text to change occurs ${at < 0 ? "nowhere" : "more than once"} in ${m.file}; update scripts/mutations.mjs`);
    process.exit(2);
  }
  restore = () => writeFileSync(m.file, original);
  writeFileSync(m.file, original.slice(0, at) + m.replace + original.slice(at + m.find.length));
  const started = Date.now();
  let result;
  try {
    result = spawnSync(process.execPath, ["scripts/run-tests.mjs", ...m.tests], { encoding: "utf8", env: { ...process.env, GAIA_TEST_CONCURRENCY: "1" } });
  } finally {
    restore();
    restore = null;
  }
  // The CLI's tests run it from packages/*/dist, built by the tests from the mutated source: build
  // it again from the restored one, so no later test meets the mutant.
  if (m.file.startsWith("packages/") && m.tests.some((t) => t.startsWith("test/cli/"))) spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-b", "packages/cli"], { encoding: "utf8" });
  const out = `${result.stdout}\n${result.stderr}`;
  const failed = Number(/^# fail (\d+)/m.exec(out)?.[1] ?? "0");
  const caught = result.status !== 0 && failed > 0;
  const firstFailure = /^\s*not ok \d+ - (.*)$/m.exec(out)?.[1] ?? "";
  rows.push({ name: m.name, caught, failed, seconds: ((Date.now() - started) / 1000).toFixed(1), firstFailure });
  console.log(`${caught ? "caught  " : "SURVIVED"} ${m.name}: ${m.what} (${failed} failing test(s) in ${m.tests.join(", ")}, ${rows.at(-1).seconds} s)${firstFailure ? `\n         first: ${firstFailure}` : ""}`);
}
const survived = rows.filter((r) => !r.caught);
console.log(`\n${rows.length - survived.length} of ${rows.length} mutations caught`);
process.exit(survived.length === 0 ? 0 : 1);
