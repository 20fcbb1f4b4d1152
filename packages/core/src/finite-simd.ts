/**
 * The border check's inner loop in WebAssembly SIMD: whether any of a block of int32s (float32
 * bits), with the sign cleared and `k` added, has bit 31 set (codec.ts's `firstNonFinite` explains
 * the trick). JavaScript's loop over a typed array costs about 1.6 ns a value on this machine,
 * four values to a SIMD lane group cost a small fraction of that, so even with the block's copy
 * into the module's memory (a memcpy) the check is several times faster. The module is built here
 * from its bytes on first use (no file, no fetch); where WebAssembly or its SIMD is missing, `simdOver()` is null
 * and the JavaScript loop does the work. Pure arithmetic: the answer is the JavaScript loop's.
 *
 * The function, in the text format:
 *
 *   (func (export "over") (param $p i32) (param $bytes i32) (param $k i32) (result i32)
 *     (local $acc v128) (local $kv v128) (local $mask v128) (local $end i32)
 *     kv = i32x4.splat k; mask = i32x4.splat 0x7fffffff; end = p + bytes
 *     (loop while p < end:  ;; 64 bytes a turn, four loads
 *       acc |= ((v128.load p+0) & mask) + kv  ... the same at +16, +32, +48
 *       p += 64)
 *     (i32x4.bitmask acc))
 */

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];

function moduleBytes(): Uint8Array {
  const localGet = (i: number): number[] => [0x20, i];
  const localSet = (i: number): number[] => [0x21, i];
  const simd = (op: number): number[] => [0xfd, ...uleb(op)];
  const [p, bytes, k, acc, kv, mask, end] = [0, 1, 2, 3, 4, 5, 6];
  const turn: number[] = [];
  for (const offset of [0, 16, 32, 48]) {
    turn.push(...localGet(acc), ...localGet(p), ...simd(0x00), 0x00, ...uleb(offset)); // v128.load align=1
    turn.push(...localGet(mask), ...simd(0x4e)); // v128.and
    turn.push(...localGet(kv), ...simd(0xae)); // i32x4.add
    turn.push(...simd(0x50), ...localSet(acc)); // v128.or
  }
  const body = [
    0x02, 0x03, 0x7b, 0x01, 0x7f, // locals: 3 v128, 1 i32
    ...localGet(k), ...simd(0x11), ...localSet(kv), // i32x4.splat
    0x41, 0xff, 0xff, 0xff, 0xff, 0x07, ...simd(0x11), ...localSet(mask), // i32.const 0x7fffffff
    ...localGet(p), ...localGet(bytes), 0x6a, ...localSet(end), // i32.add
    0x02, 0x40, // block
    0x03, 0x40, // loop
    ...localGet(p), ...localGet(end), 0x4f, 0x0d, 0x01, // i32.ge_u, br_if 1
    ...turn,
    ...localGet(p), 0x41, 0xc0, 0x00, 0x6a, ...localSet(p), // p += 64
    0x0c, 0x00, // br 0
    0x0b, 0x0b, // end loop, end block
    ...localGet(acc), ...simd(0xa4), // i32x4.bitmask
    0x0b,
  ];
  const name = (s: string): number[] => [s.length, ...[...s].map((c) => c.charCodeAt(0))];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f]), // (i32 i32 i32) -> i32
    ...section(3, [0x01, 0x00]),
    ...section(5, [0x01, 0x00, 0x02]), // memory: 2 pages
    ...section(7, [0x02, ...name("over"), 0x00, 0x00, ...name("mem"), 0x02, 0x00]),
    ...section(10, [0x01, ...uleb(body.length), ...body]),
  ]);
}

/** Values (int32s) per block the check copies into the module's memory. */
export const simdBlockValues = 16 * 1024;

export interface SimdOver {
  /** The module's memory as int32s: blocks are copied to its start. */
  readonly scratch: Int32Array;
  /** Nonzero when some of the first `bytes` bytes of scratch (a multiple of 64) is over (see above). */
  readonly over: (p: number, bytes: number, k: number) => number;
}

/** The little of the WebAssembly API used here (core is built without the DOM's or Node's types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: { over: SimdOver["over"]; mem: { buffer: ArrayBuffer } } };
}

function build(): SimdOver | null {
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (wasm === undefined) return null;
    const { exports } = new wasm.Instance(new wasm.Module(moduleBytes()), {});
    const scratch = new Int32Array(exports.mem.buffer, 0, simdBlockValues);
    // A check of the check: one value over, one not.
    scratch.fill(0, 0, 16);
    if (exports.over(0, 64, 1) !== 0) return null;
    scratch[5] = 0x7fffffff;
    if (exports.over(0, 64, 1) === 0) return null;
    return { scratch, over: exports.over };
  } catch {
    return null;
  }
}

let built: SimdOver | null | undefined;

/** The SIMD check, or null where this engine cannot run it (built on first use, not on import). */
export function simdOver(): SimdOver | null {
  if (built === undefined) built = build();
  return built;
}
