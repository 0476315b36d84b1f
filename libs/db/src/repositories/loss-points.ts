import type { Db } from './client.ts';

export interface LossPointInput {
  step: number;
  total: number;
  dataTerm?: number | null;
  kl?: number | null;
  penalty?: number | null;
  beta?: number | null;
}

/**
 * Appends a batch of loss points; steps already stored for the run are skipped (ON CONFLICT DO
 * NOTHING on the (run, step) key), so a resumed run that re-sends steps adds no duplicates.
 * Returns how many rows were new.
 */
export async function appendLossPoints(db: Db, runId: string, points: readonly LossPointInput[]): Promise<number> {
  if (points.length === 0) return 0;
  const { count } = await db.lossPoint.createMany({
    data: points.map((point) => ({
      runId, step: point.step, total: point.total,
      dataTerm: point.dataTerm ?? null, kl: point.kl ?? null, penalty: point.penalty ?? null, beta: point.beta ?? null,
    })),
    skipDuplicates: true,
  });
  return count;
}
