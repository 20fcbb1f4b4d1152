/**
 * Shard checkpoints on disk: the role's state and its links' state, written atomically (a temp
 * file, fsync, rename over the old one, fsync of the directory), so a crash at any moment leaves
 * either the previous checkpoint or the new one, never a torn file. A process killed mid-write
 * leaves its temporary file (`*.ckpt.tmp`), which is never read: whoever owns the folder removes
 * it once no node writes there (`removeTempCheckpoints`; the launcher does, after every node exits).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { snapshotHash, type HubSnapshot, type LinkSnapshot, type ShardSnapshot } from "@gaia/core";

export interface ShardCheckpoint {
  readonly node: string;
  /** The role's state: a shard's, or a hub's (which checkpoints the same way). */
  readonly shard: ShardSnapshot | HubSnapshot;
  /** Link state by `${peer}|${channel}`. */
  readonly links: Readonly<Record<string, LinkSnapshot<Uint8Array>>>;
  /** The run's clock epoch (wall ms that is 0 on the node clock), so a restore keeps the clock. */
  readonly epochMs?: number;
  /** The transport's link epoch, and each link's peer epoch (see transport/link.ts, restarted peers). */
  readonly linkEpoch?: string;
  readonly peerEpochs?: Readonly<Record<string, string>>;
  /** snapshotHash of `shard` as the node wrote it: a restore must give back a role that hashes so. */
  readonly stateHash?: string;
}

/** The role kinds a checkpoint holds, as far as a restore needs them. */
export interface CheckpointedRole {
  snapshot(): object;
  restore(snapshot: never): void;
}

/**
 * Puts the checkpoint's state into `role` (built afresh with the run's layout), then checks that
 * the role now holds exactly that state: its snapshot hashes as the written one did. A restore
 * that drops or alters anything (a field the role's restore forgets, a value the file lost) is an
 * error naming the node, instead of a run that goes on from another state.
 */
export function restoreChecked(role: CheckpointedRole, checkpoint: ShardCheckpoint, file: string): void {
  (role.restore as (s: ShardSnapshot | HubSnapshot) => void)(checkpoint.shard);
  const expected = checkpoint.stateHash ?? snapshotHash(checkpoint.shard);
  const restored = snapshotHash(role.snapshot());
  if (restored !== expected) throw new Error(`--restore: ${checkpoint.node} restored from ${file} holds state ${restored}, not the checkpointed state ${expected}`);
}

export const checkpointFileOf = (dir: string, node: string): string => fileOf(dir, node);

const fileOf = (dir: string, node: string): string => join(dir, `${node.replace(/[^A-Za-z0-9._-]/g, "_")}.ckpt`);

export async function writeCheckpoint(dir: string, checkpoint: ShardCheckpoint): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const target = fileOf(dir, checkpoint.node);
  const temp = `${target}.tmp`;
  const file = await open(temp, "w");
  try {
    await file.writeFile(serialize(checkpoint));
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, target);
  const directory = await open(dir, "r");
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** Removes the temporary files of checkpoint writes that never finished; returns their names. */
export function removeTempCheckpoints(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith(".ckpt.tmp"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  for (const name of names) rmSync(join(dir, name), { force: true });
  return names;
}

/** The node's last checkpoint, or null when it has none. A corrupt file is an error. */
export function readCheckpoint(dir: string, node: string): ShardCheckpoint | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(fileOf(dir, node));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const value = deserialize(bytes) as ShardCheckpoint;
  if (value?.node !== node) throw new Error(`checkpoint ${fileOf(dir, node)} is not ${node}'s`);
  return value;
}
