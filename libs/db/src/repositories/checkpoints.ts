/** Checkpoint rows: one per (run, step), naming the blob prefix of a complete checkpoint (the row is written last). */
import type { Db } from '../client.ts';

export interface CheckpointRecord { id: string; runId: string; step: number; blobKey: string }

export function checkpointRepository(db: Db) {
  return {
    async save(runId: string, step: number, blobKey: string, sizeBytes: number): Promise<void> {
      await db.checkpoint.upsert({
        where: { runId_step: { runId, step } },
        create: { runId, step, blobKey, sizeBytes: BigInt(sizeBytes) },
        update: { blobKey, sizeBytes: BigInt(sizeBytes) },
      });
    },
    /** The run's checkpoints beyond its newest `keep`, newest first. */
    async beyondNewest(runId: string, keep: number): Promise<CheckpointRecord[]> {
      return db.checkpoint.findMany({ where: { runId }, orderBy: { step: 'desc' }, skip: keep, select: { id: true, runId: true, step: true, blobKey: true } });
    },
    async delete(id: string): Promise<void> {
      await db.checkpoint.delete({ where: { id } });
    },
    /** The run's newest checkpoint, or null when it has none. */
    async latest(runId: string): Promise<CheckpointRecord | null> {
      return db.checkpoint.findFirst({ where: { runId }, orderBy: { step: 'desc' }, select: { id: true, runId: true, step: true, blobKey: true } });
    },
  };
}

export type CheckpointRepository = ReturnType<typeof checkpointRepository>;
