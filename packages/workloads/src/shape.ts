/**
 * A workload's size from its `workload:` section alone, without building it (building it is what
 * takes the memory): the table's shape, the rows a worker reads per step, and the bytes of its
 * data and programs. Drivers use these to estimate a run's memory before it starts and refuse one
 * that cannot fit (@gaia/scenario memory.ts).
 *
 * Each figure follows the workload's own allocations (mf.ts, lda.ts, mnist.ts):
 * - mf: rows users + items, cols rank. Ratings are 12 bytes each (user, item: uint32; value:
 *   float32), plus the seeded evaluation sample; per user and item the shuffled ids, the Zipf
 *   weights and the alias table (28 bytes while it is built), per user its home (uint16) and the
 *   counts that deal them (uint32); the ground-truth factors (float32, (users + items) x rank) live
 *   while the ratings are drawn. Each worker program keeps a row -> position map (int32 per row).
 * - lda: rows vocabulary + 1 (the last holds the topic totals), cols topics. About documents x
 *   docLength tokens: the corpus (uint32 a token), the initial topics (uint16) and each worker's
 *   copy of its tokens' topics (uint16), with the generated documents (8 bytes a token, as JS
 *   arrays) while the corpus is packed; per worker its documents' topic counts (int32 x topics) and
 *   a row map; the true topic-word distributions (two float64 tables of topics x vocabulary).
 * - mnist: rows ceil(parameters / cols), cols cols. The mnist package's 10,000 digits as float32
 *   (784 pixels each), the training and held-out copies, and per worker a batch of images.
 * The workload also keeps its initial table and hands the driver a copy (two float32 tables).
 */
import { mnistDigitCount, mnistParameterCount, mnistPixels, type MnistModel } from "./mnist.js";
import { withDefaults } from "./registry.js";

type Spec = { readonly kind: string } & Readonly<Record<string, unknown>>;

export interface TableShape {
  readonly rows: number;
  readonly cols: number;
  /**
   * Rows a worker reads per step at most (MF: two per rating of a batch; LDA: the words of a batch
   * of documents and the totals row), or null when every step reads the whole table (MNIST).
   */
  readonly rowsPerStep: number | null;
  /** Which field sets the rows, and its value, for messages ("workload.users: 100000000"). */
  readonly rowsFrom: string;
}

/** One part of a workload's data, for messages that name what dominates. */
export interface DataPart {
  readonly label: string;
  readonly bytes: number;
  /** The field to reduce to shrink it. */
  readonly field: string;
}

const num = (spec: Record<string, unknown>, name: string): number => spec[name] as number;

/** The table's shape of a (validated) workload section; throws on an unknown kind. */
export function tableShape(section: Spec): TableShape {
  const spec = withDefaults(section);
  switch (spec.kind) {
    case "mf": {
      const users = num(spec, "users");
      const items = num(spec, "items");
      const rows = users + items;
      return { rows, cols: num(spec, "rank"), rowsPerStep: Math.min(rows, 2 * num(spec, "batchSize")), rowsFrom: users >= items ? `workload.users: ${users}` : `workload.items: ${items}` };
    }
    case "lda": {
      const rows = num(spec, "vocabulary") + 1;
      const tokens = num(spec, "docLength") * num(spec, "batchSize");
      return { rows, cols: num(spec, "topics"), rowsPerStep: Math.min(rows, tokens + 1), rowsFrom: `workload.vocabulary: ${num(spec, "vocabulary")}` };
    }
    case "mnist": {
      const parameters = mnistParameterCount(spec["model"] as MnistModel, num(spec, "hidden"));
      const cols = num(spec, "cols");
      return { rows: Math.ceil(parameters / cols), cols, rowsPerStep: null, rowsFrom: spec["model"] === "mlp" ? `workload.hidden: ${num(spec, "hidden")}` : `workload.model: ${String(spec["model"])}` };
    }
    default:
      throw new RangeError(`unknown workload kind ${JSON.stringify(spec.kind)}`);
  }
}

/** The bytes of a workload's data and worker programs, by part, for `workers` workers in all. */
export function dataParts(section: Spec, workers: number): DataPart[] {
  const spec = withDefaults(section);
  const { rows, cols } = tableShape(spec);
  const table = rows * cols * 4;
  const initial: DataPart = { label: "initial table (kept, and the copy handed out)", bytes: 2 * table, field: tableField(spec) };
  switch (spec.kind) {
    case "mf": {
      const users = num(spec, "users");
      const items = num(spec, "items");
      const ratings = num(spec, "ratings");
      const evalSamples = ratings > num(spec, "evalSamples") ? num(spec, "evalSamples") * 4 : 0;
      return [
        { label: `${ratings} ratings (12 bytes each)`, bytes: ratings * 12 + evalSamples, field: "workload.ratings" },
        { label: "user and item ids, popularity tables", bytes: users * (2 + 4 + 4 + 28) + items * (4 + 28), field: users >= items ? "workload.users" : "workload.items" },
        { label: "ground-truth factors (while drawing)", bytes: table, field: tableField(spec) },
        { label: `${workers} workers' row maps`, bytes: workers * rows * 4, field: tableField(spec) },
        initial,
      ];
    }
    case "lda": {
      const documents = num(spec, "documents");
      const topics = num(spec, "topics");
      const vocabulary = num(spec, "vocabulary");
      const tokens = documents * num(spec, "docLength") + num(spec, "heldOutDocuments") * num(spec, "docLength");
      return [
        { label: `about ${tokens} tokens`, bytes: tokens * (4 + 2 + 2 + 8), field: "workload.documents" },
        { label: "document-topic counts", bytes: documents * topics * 4, field: "workload.documents" },
        { label: "true topic-word distributions", bytes: 2 * topics * vocabulary * 8, field: "workload.vocabulary" },
        { label: `${workers} workers' row maps`, bytes: workers * rows * 4, field: "workload.vocabulary" },
        initial,
      ];
    }
    case "mnist": {
      const digits = num(spec, "train") + num(spec, "test");
      return [
        { label: "digits (float32)", bytes: (mnistDigitCount + digits) * mnistPixels * 4 + workers * num(spec, "batchSize") * mnistPixels * 4, field: "workload.train" },
        initial,
      ];
    }
    default:
      throw new RangeError(`unknown workload kind ${JSON.stringify(spec.kind)}`);
  }
}

/** The total of `dataParts`. */
export function dataBytes(section: Spec, workers: number): number {
  return dataParts(section, workers).reduce((n, p) => n + p.bytes, 0);
}

const tableField = (spec: Record<string, unknown>): string => (spec["kind"] === "mf" ? (num(spec, "users") >= num(spec, "items") ? "workload.users" : "workload.items") : spec["kind"] === "lda" ? "workload.vocabulary" : spec["model"] === "mlp" ? "workload.hidden" : "workload.model");
