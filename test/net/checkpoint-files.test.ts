// Proves that a checkpoint is written whole or not at all (a temporary file renamed over the old
// one), and that the temporary file a killed writer leaves behind is removed by
// removeTempCheckpoints, which the launcher calls once every node has exited, while the
// checkpoints themselves stay.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCheckpoint, removeTempCheckpoints, writeCheckpoint, type ShardCheckpoint } from "@gaia/net";

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
