/**
 * Shard checkpoints on disk: the role's state and its links' state, written atomically (a temp
 * file, fsync, rename over the old one, fsync of the directory), so a crash at any moment leaves
 * either the previous checkpoint or the new one, never a torn file. A process killed mid-write
 * leaves its temporary file (`*.ckpt.tmp`), which is never read: whoever owns the folder removes
 * it once no node writes there (`removeTempCheckpoints`; the launcher does, after every node exits).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
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

/**
 * Writes one checkpoint. The file operations are synchronous on purpose: every message a durable
 * shard sends waits for this write (output commit), so nothing is gained by serving the event loop
 * between them, and five awaited operations cost five trips through libuv's thread pool and the
 * event loop. On this 2-core machine, with six node processes, a 250 kB checkpoint took 6.1 ms
 * awaited and 2.0-3.4 ms synchronous (the file operations alone: about 1.5 ms), and a clock of
 * clusters/local-3dc.yaml went from 27-30 ms to 23-26 ms (docs/runtime-results.md).
 */
export async function writeCheckpoint(dir: string, checkpoint: ShardCheckpoint): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const target = fileOf(dir, checkpoint.node);
  const temp = `${target}.tmp`;
  const fd = openSync(temp, "w");
  try {
    writeFileSync(fd, serialize(checkpoint));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, target);
  const directory = openSync(dir, "r");
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
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
