/** A run's loss curve: L = data + β·KL + λR per step, keyed by (run, step). */
import type { Db } from '../client.ts';

export interface LossPointInput {
  step: number;
  total: number;
  dataTerm?: number | null;
  kl?: number | null;
  penalty?: number | null;
  beta?: number | null;
}

/** A point as the API returns it (`data` is the data term). */
export interface LossPointRecord { step: number; total: number; data: number | null; kl: number | null; penalty: number | null; beta: number | null }

export function lossPointRepository(db: Db) {
  return {
    /**
     * Appends a batch of loss points; steps already stored for the run are skipped (ON CONFLICT DO
     * NOTHING on the (run, step) key), so a resumed run that re-sends steps adds no duplicates.
     * Returns how many rows were new.
     */
    async append(runId: string, points: readonly LossPointInput[]): Promise<number> {
      if (points.length === 0) return 0;
      const { count } = await db.lossPoint.createMany({
        data: points.map((point) => ({
          runId, step: point.step, total: point.total,
          dataTerm: point.dataTerm ?? null, kl: point.kl ?? null, penalty: point.penalty ?? null, beta: point.beta ?? null,
        })),
        skipDuplicates: true,
      });
      return count;
    },
    /** Deletes the run's points from `step` on (an attempt abandoned after a posterior collapse). */
    async deleteFrom(runId: string, step: number): Promise<void> {
      await db.lossPoint.deleteMany({ where: { runId, step: { gte: step } } });
    },
    async list(runId: string): Promise<LossPointRecord[]> {
      const rows = await db.lossPoint.findMany({ where: { runId }, orderBy: { step: 'asc' } });
      return rows.map((row) => ({ step: row.step, total: row.total, data: row.dataTerm, kl: row.kl, penalty: row.penalty, beta: row.beta }));
    },
  };
}

export type LossPointRepository = ReturnType<typeof lossPointRepository>;
