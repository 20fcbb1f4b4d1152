/**
 * The UCI bag-of-words pair for LDA: `docword.*.txt` (three header lines D, W and NNZ, then NNZ
 * lines `docID wordID count` with 1-based ids) and, optionally, `vocab.*.txt` (one word per line,
 * W lines). Every id is checked against the header and the entries are counted against NNZ.
 *
 * The docword file is streamed twice: the first pass checks it and counts tokens per document; the
 * documents are then split into held-out documents (a seeded choice of `heldOutDocuments`
 * non-empty ones) and training documents, dealt to workers; the second pass writes each entry's
 * `count` tokens at its document's cursor. Memory holds the tokens (a Uint32 word id each) and a
 * few numbers per document, never the file's text. Documents with no entries are left out.
 */
import { Rng } from "@gaia/core";
import type { WorkloadContext } from "../context.js";
import { WorkloadError } from "../errors.js";
import { LdaWorkload, type LdaSpec } from "../lda.js";
import type { PartitionMode } from "../partition.js";
import { BornIn } from "./born.js";
import { fieldError, fieldText, forEachFieldLine, forEachLine, parseUintAt, resolveDataPath, whitespace } from "./lines.js";
import type { BagOfWordsDataSpec } from "./spec.js";

export interface BagOfWordsData {
  readonly file: string;
  /** The header's D and W. */
  readonly fileDocuments: number;
  readonly vocabulary: number;
  readonly entries: number;
  /** Training documents, contiguous by global worker (document order within a worker). */
  readonly words: Uint32Array;
  readonly docStart: Uint32Array;
  readonly workerDocStart: Uint32Array;
  /** Each training document's home data center (skewed, iid: its docID range; by file: where it was born). */
  readonly docHome: Uint16Array;
  readonly heldOut: { readonly words: Uint32Array; readonly docStart: Uint32Array };
  readonly partition: PartitionMode | "by-file";
  readonly bornFile: string | null;
}

interface Header {
  documents: number;
  vocabulary: number;
  entries: number;
}

type Emit = (doc: number, word: number, count: number, line: number) => void;

/** Reads and checks a docword file, passing each entry (0-based ids) to `emit`; returns the header. */
export async function scanDocword(file: string, emit: Emit, onHeader: (header: Header) => void = () => {}): Promise<Header> {
  const header: number[] = [];
  let entries = 0;
  const names = ["D", "W", "NNZ"];
  let D = 0;
  let W = 0;
  let NNZ = 0;
  const lines = await forEachFieldLine(file, "the docword file", whitespace, (f, line) => {
    if (header.length < 3) {
      const name = names[header.length]!;
      const expected = name === "NNZ" ? "a count of entries" : `the number of ${name === "D" ? "documents" : "words"}`;
      const value = f.count === 1 ? parseUintAt(f, 0) : -1;
      if (value < 0) throw fieldError(file, line, name, expected, f.buf.toString("utf8", f.lineStart, f.lineEnd));
      if (name !== "NNZ" && value < 1) throw fieldError(file, line, name, "at least 1", fieldText(f, 0));
      header.push(value);
      if (header.length === 3) {
        [D, W, NNZ] = header as [number, number, number];
        onHeader({ documents: D, vocabulary: W, entries: NNZ });
      }
      return;
    }
    if (f.count === 0) return;
    if (f.count !== 3) throw new WorkloadError(`${file}:${line}: expected 3 fields (docID wordID count), got ${f.count}`);
    const doc = parseUintAt(f, 0);
    if (doc < 1 || doc > D) throw fieldError(file, line, "docID", `an id in 1..${D} (the header's D)`, fieldText(f, 0));
    const word = parseUintAt(f, 1);
    if (word < 1 || word > W) throw fieldError(file, line, "wordID", `an id in 1..${W} (the header's W)`, fieldText(f, 1));
    const count = parseUintAt(f, 2);
    if (count < 1) throw fieldError(file, line, "count", "a positive integer count", fieldText(f, 2));
    if (++entries > NNZ) throw new WorkloadError(`${file}:${line}: more entries than the header's NNZ = ${NNZ}`);
    emit(doc - 1, word - 1, count, line);
  });
  if (header.length < 3) throw new WorkloadError(`${file}: expected three header lines (D, W, NNZ), the file has ${lines === 0 ? "none (it is empty)" : lines}`);
  if (entries !== NNZ) throw new WorkloadError(`${file}: the header's NNZ is ${NNZ}, but the file has ${entries} entries`);
  return { documents: D, vocabulary: W, entries };
}

/** Loads a UCI bag-of-words corpus, holds out `heldOutDocuments` and partitions the rest over `ctx`'s workers. */
export async function loadBagOfWords(
  spec: BagOfWordsDataSpec,
  options: { readonly partition: PartitionMode; readonly skew: number; readonly heldOutDocuments: number },
  ctx: WorkloadContext,
): Promise<BagOfWordsData> {
  const file = resolveDataPath(spec.path, ctx.baseDir);
  const partition = spec.partition ?? options.partition;
  const bornSpec = typeof partition === "object" ? partition : null;
  if (bornSpec !== null && !("file" in bornSpec)) throw new WorkloadError(`workload.data.partition: a bag-of-words corpus is partitioned by a per-document file ({file: PATH}), not by a column`);
  const D = ctx.dataCenters.length;
  const wpd = ctx.workersPerDataCenter;
  const W = D * wpd;
  const root = new Rng(ctx.seed).child("workload:lda").child("data");

  // Pass 1: check the file and count tokens per document.
  let docTokens = new Float64Array(0);
  let total = 0;
  const header = await scanDocword(
    file,
    (doc, _word, count) => {
      docTokens[doc]! += count;
      total += count;
    },
    (h) => (docTokens = new Float64Array(h.documents)),
  );
  if (total > 0xffff_ffff) throw new WorkloadError(`${file}: ${total} tokens, at most ${0xffff_ffff}`);
  if (spec.vocab !== undefined) {
    const vocab = resolveDataPath(spec.vocab, ctx.baseDir);
    let words = 0;
    await forEachLine(vocab, "the vocab file", (text) => {
      if (text.trim().length > 0) words++;
    });
    if (words !== header.vocabulary) throw new WorkloadError(`${vocab}: ${words} words, but ${file} says W = ${header.vocabulary}`);
  }
  const docCount = header.documents;
  let bornDc: Uint16Array | null = null;
  let bornFile: string | null = null;
  if (bornSpec !== null && "file" in bornSpec) {
    bornFile = resolveDataPath(bornSpec.file, ctx.baseDir);
    const born = new BornIn(ctx.dataCenters, bornSpec.map, "workload.data.partition.map");
    const dcs = new Uint16Array(docCount);
    const lines = await forEachLine(bornFile, "the per-document data center file", (text, line) => {
      if (line > docCount) {
        if (text.trim().length === 0) return;
        throw new WorkloadError(`${bornFile}:${line}: more lines than the ${docCount} documents of ${file}`);
      }
      dcs[line - 1] = born.dataCenterOf(text.trim(), bornFile!, line, "value");
    });
    if (lines < docCount) throw new WorkloadError(`${bornFile}: ${lines} lines, but ${file} has ${docCount} documents (one line per document)`);
    bornDc = dcs;
  }

  // Held-out documents: a seeded choice among the non-empty ones.
  const nonEmpty: number[] = [];
  for (let d = 0; d < docCount; d++) if (docTokens[d]! > 0) nonEmpty.push(d);
  const held = options.heldOutDocuments;
  if (held >= nonEmpty.length) throw new WorkloadError(`workload.heldOutDocuments is ${held}, but ${file} has only ${nonEmpty.length} non-empty documents (some must be left to train on)`);
  const heldRng = root.child("held-out");
  for (let i = 0; i < held; i++) {
    const j = i + heldRng.int(nonEmpty.length - i);
    [nonEmpty[i], nonEmpty[j]] = [nonEmpty[j]!, nonEmpty[i]!];
  }
  const isHeld = new Uint8Array(docCount);
  for (let i = 0; i < held; i++) isHeld[nonEmpty[i]!] = 1;
  const training = nonEmpty.slice(held).sort((a, b) => a - b);

  // Each training document's home (docID range, or where it was born) and worker.
  const homeOf = (d: number): number => (bornDc !== null ? bornDc[d]! : Math.min(D - 1, Math.floor((d * D) / docCount)));
  const workerOfDoc = new Uint32Array(docCount);
  const assign = root.child("assign");
  if (bornDc !== null) {
    for (const d of training) workerOfDoc[d] = bornDc[d]! * wpd + assign.int(wpd);
  } else if (partition === "skewed" && D > 1) {
    for (const d of training) {
      const home = homeOf(d);
      let dc = home;
      if (!(assign.float() < options.skew)) {
        const other = assign.int(D - 1);
        dc = other >= home ? other + 1 : other;
      }
      workerOfDoc[d] = dc * wpd + assign.int(wpd);
    }
  } else {
    // iid: a seeded shuffle dealt round-robin, so workers hold equal numbers of documents.
    const order = training.slice();
    for (let i = order.length - 1; i > 0; i--) {
      const j = assign.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    order.forEach((d, k) => (workerOfDoc[d] = k % W));
  }
  const workerDocStart = new Uint32Array(W + 1);
  for (const d of training) workerDocStart[workerOfDoc[d]! + 1]!++;
  for (let w = 0; w < W; w++) workerDocStart[w + 1]! += workerDocStart[w]!;
  const docCursor = workerDocStart.slice(0, W);
  const position = new Int32Array(docCount).fill(-1);
  for (const d of training) position[d] = docCursor[workerOfDoc[d]!]!++;

  const docStart = new Uint32Array(training.length + 1);
  const docHome = new Uint16Array(training.length);
  for (const d of training) {
    docStart[position[d]! + 1] = docTokens[d]!;
    docHome[position[d]!] = homeOf(d);
  }
  for (let p = 0; p < training.length; p++) docStart[p + 1]! += docStart[p]!;
  const heldDocs = nonEmpty.slice(0, held).sort((a, b) => a - b);
  const heldStart = new Uint32Array(held + 1);
  heldDocs.forEach((d, i) => (heldStart[i + 1] = heldStart[i]! + docTokens[d]!));
  const heldPosition = new Int32Array(docCount).fill(-1);
  heldDocs.forEach((d, i) => (heldPosition[d] = i));

  // Pass 2: write the tokens.
  const words = new Uint32Array(docStart[training.length]!);
  const heldWords = new Uint32Array(heldStart[held]!);
  const cursor = new Float64Array(docCount);
  for (const d of training) cursor[d] = docStart[position[d]!]!;
  for (const d of heldDocs) cursor[d] = heldStart[heldPosition[d]!]!;
  await scanDocword(file, (doc, word, count) => {
    const target = isHeld[doc] === 1 ? heldWords : words;
    const end = isHeld[doc] === 1 ? heldStart[heldPosition[doc]! + 1]! : docStart[position[doc]! + 1]!;
    const at = cursor[doc]!;
    if (at + count > end) throw new WorkloadError(`${file}: the file changed while it was read`);
    target.fill(word, at, at + count);
    cursor[doc] = at + count;
  });
  return {
    file,
    fileDocuments: docCount,
    vocabulary: header.vocabulary,
    entries: header.entries,
    words,
    docStart,
    workerDocStart,
    docHome,
    heldOut: { words: heldWords, docStart: heldStart },
    partition: bornDc !== null ? "by-file" : partition === "skewed" ? "skewed" : "iid",
    bornFile,
  };
}

/** The lda workload over a UCI bag-of-words corpus (documents and vocabulary come from the file). */
export async function ldaFromData(spec: LdaSpec, data: BagOfWordsDataSpec, ctx: WorkloadContext): Promise<LdaWorkload> {
  const loaded = await loadBagOfWords(data, spec, ctx);
  return new LdaWorkload({ ...spec, documents: loaded.docStart.length - 1, vocabulary: loaded.vocabulary, heldOutDocuments: loaded.heldOut.docStart.length - 1 }, ctx, loaded);
}
