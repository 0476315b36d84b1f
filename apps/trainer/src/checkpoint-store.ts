/**
 * Training checkpoints in the blob store: `runs/<runId>/checkpoints/<step>/{tensors.bin,checkpoint.json}`
 * plus a checkpoint row (libs/db), written last, so a row always names a complete checkpoint. Only the newest
 * `keep` are kept. The latest one is what a retried run resumes from.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '@divblur/divblurring';
import type { CheckpointRepository } from '@divblur/db';
import type { BlobStore } from '@divblur/storage';

const FILES = ['tensors.bin', 'checkpoint.json'] as const;
export const CHECKPOINTS_KEPT = 2;

export const checkpointPrefix = (runId: string, step: number) => `runs/${runId}/checkpoints/${String(step).padStart(9, '0')}`;

async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-ckpt-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function storeCheckpoint(checkpoints: CheckpointRepository, blobs: BlobStore, runId: string, checkpoint: Checkpoint, keep = CHECKPOINTS_KEPT): Promise<void> {
  const prefix = checkpointPrefix(runId, checkpoint.step);
  const sizeBytes = await withTempDir(async (dir) => {
    await saveCheckpoint(dir, checkpoint);
    let total = 0;
    for (const name of FILES) total += (await blobs.put(`${prefix}/${name}`, await readFile(join(dir, name)))).sizeBytes;
    return total;
  });
  await checkpoints.save(runId, checkpoint.step, prefix, sizeBytes);
  for (const row of await checkpoints.beyondNewest(runId, keep)) {
    await checkpoints.delete(row.id);
    await blobs.deletePrefix(`${row.blobKey}/`);
  }
}

/** The run's newest checkpoint, or null when it has none. */
export async function latestCheckpoint(checkpoints: CheckpointRepository, blobs: BlobStore, runId: string): Promise<Checkpoint | null> {
  const row = await checkpoints.latest(runId);
  if (row === null) return null;
  return withTempDir(async (dir) => {
    for (const name of FILES) {
      await writeFile(join(dir, name), await blobs.getBuffer(`${row.blobKey}/${name}`));
    }
    return loadCheckpoint(dir);
  });
}
