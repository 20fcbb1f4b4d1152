// Proves that a checkpoint is written whole or not at all (a temporary file renamed over the old
// one), and that the temporary file a killed writer leaves behind is removed by
// removeTempCheckpoints, which the launcher calls once every node has exited, while the
// checkpoints themselves stay; and that a restore is checked against the state the file was written with.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { snapshotHash } from "@gaia/core";
import { readCheckpoint, removeTempCheckpoints, restoreChecked, writeCheckpoint, type ShardCheckpoint } from "@gaia/net";

test("checkpoint files: written through a renamed temporary file; a killed writer's leftover is removed, checkpoints kept", async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "gaia-ckpt-")), "checkpoints");
  assert.deepEqual(removeTempCheckpoints(dir), [], "no folder yet: nothing to remove");
  const checkpoint = { node: "virginia/s0", shard: { clock: 3 }, links: {} } as unknown as ShardCheckpoint;
  await writeCheckpoint(dir, checkpoint);
  assert.deepEqual(readdirSync(dir), ["virginia_s0.ckpt"], "no temporary file after a write");
  // What a process killed between open and rename leaves: an empty temporary file.
  writeFileSync(join(dir, "california_s0.ckpt.tmp"), "");
  assert.deepEqual(removeTempCheckpoints(dir), ["california_s0.ckpt.tmp"]);
  assert.deepEqual(readdirSync(dir), ["virginia_s0.ckpt"]);
  assert.equal((readCheckpoint(dir, "virginia/s0")?.shard as unknown as { clock: number }).clock, 3);
  assert.ok(!existsSync(join(dir, "california_s0.ckpt")));
});

/** A role whose restore keeps what `keeps` names of a snapshot, as a restore that forgets a field would. */
function roleKeeping(keeps: readonly string[]): { snapshot(): object; restore(s: never): void } {
  let state: Record<string, unknown> = { replica: new Float32Array(4), flushed: false };
  return {
    snapshot: () => structuredClone(state),
    restore: (s: never) => {
      const from = s as Record<string, unknown>;
      state = { ...state, ...Object.fromEntries(keeps.map((k) => [k, structuredClone(from[k])])) };
    },
  };
}

test("a restore is checked: the restored role must hash as the written state, or the node is named with both hashes", async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "gaia-ckpt-")), "checkpoints");
  const shard = { replica: Float32Array.from([1, 2, 3, 4]), flushed: true };
  await writeCheckpoint(dir, { node: "virginia/s0", shard, stateHash: snapshotHash(shard), links: {} } as unknown as ShardCheckpoint);
  const read = readCheckpoint(dir, "virginia/s0")!;
  // Read back from the file, its arrays sit at odd offsets of one buffer: still the same state.
  restoreChecked(roleKeeping(["replica", "flushed"]), read, "virginia_s0.ckpt");
  assert.throws(() => restoreChecked(roleKeeping(["replica"]), read, "virginia_s0.ckpt"), /^Error: --restore: virginia\/s0 restored from virginia_s0\.ckpt holds state [0-9a-f]{8}, not the checkpointed state [0-9a-f]{8}$/);
  // A file whose state was altered after it was written (its recorded hash kept) is refused too.
  const altered = { ...read, shard: { ...(read.shard as unknown as typeof shard), replica: Float32Array.from([1, 2, 3, 5]) } } as unknown as ShardCheckpoint;
  assert.throws(() => restoreChecked(roleKeeping(["replica", "flushed"]), altered, "virginia_s0.ckpt"), /not the checkpointed state/);
});
