/** Metrics: the quality of a run's MMSE estimate per image set, and its main figures denormalised onto the run. */
import type { Db } from '../client.ts';
import type { Metric } from '../../generated/prisma/client.ts';

export interface MetricRecord {
  runId: string; imageSet: string; psnrMmse: number | null; psnrSamples: number | null; ssim: number | null;
  samples: number; discrepancy: number | null; meanStd: number | null; createdAt: string;
}

/** The figures of one evaluation; PSNR in dB, null without ground truth. */
export interface EvaluationFigures {
  psnrMmse: number | null; psnrSamples: number | null; ssim: number | null;
  discrepancy: number | null; meanStd: number | null; samples: number;
}

export function metricRecord(row: Metric): MetricRecord {
  return {
    runId: row.runId, imageSet: row.imageSet, psnrMmse: row.psnrMmse, psnrSamples: row.psnrSamples, ssim: row.ssim,
    samples: row.samples, discrepancy: row.discrepancy, meanStd: row.meanStd, createdAt: row.createdAt.toISOString(),
  };
}

export function metricRepository(db: Db) {
  return {
    /**
     * The evaluation of a run's model on an image set, in one transaction: its Metric row
     * (upserted, so a repeated evaluation replaces it), the run's metric columns, which runs sort
     * by without a join, and the run succeeded if it was evaluating: a run reads `succeeded` only
     * once its metrics exist.
     */
    async recordEvaluation(runId: string, modelId: string | null, imageSet: string, figures: EvaluationFigures, evalMs: number): Promise<void> {
      await db.$transaction([
        db.metric.upsert({
          where: { runId_imageSet: { runId, imageSet } },
          create: { runId, modelId, imageSet, ...figures },
          update: { modelId, ...figures },
        }),
        db.run.update({
          where: { id: runId },
          data: { psnrMmse: figures.psnrMmse, psnrSamples: figures.psnrSamples, ssim: figures.ssim, evalMs },
        }),
        db.run.updateMany({ where: { id: runId, status: 'evaluating' }, data: { status: 'succeeded', error: null } }),
      ]);
    },
    /** Each run's latest evaluation (the one its metric columns hold): the GT-free figures live only here. */
    async latestOfRuns(runIds: readonly string[]): Promise<Map<string, MetricRecord>> {
      if (runIds.length === 0) return new Map();
      const rows = await db.metric.findMany({ where: { runId: { in: [...runIds] } }, orderBy: [{ runId: 'asc' }, { createdAt: 'desc' }], distinct: ['runId'] });
      return new Map(rows.map((row) => [row.runId, metricRecord(row)]));
    },
    async list(runId: string): Promise<MetricRecord[]> {
      const rows = await db.metric.findMany({ where: { runId }, orderBy: { imageSet: 'asc' } });
      return rows.map(metricRecord);
    },
  };
}

export type MetricRepository = ReturnType<typeof metricRepository>;
