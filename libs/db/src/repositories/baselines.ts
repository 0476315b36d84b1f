/** Baselines: a classical deconvolution (Richardson–Lucy, Wiener…) of a dataset's evaluation images, once per dataset, method and image set. */
import type { Db } from '../client.ts';

export interface BaselineRecord { datasetId: string; method: string; imageSet: string; psnr: number | null; ssim: number | null; params: Record<string, unknown> }

export function baselineRepository(db: Db) {
  return {
    async list(datasetId: string): Promise<BaselineRecord[]> {
      const rows = await db.baseline.findMany({ where: { datasetId }, orderBy: [{ method: 'asc' }, { imageSet: 'asc' }] });
      return rows.map((row) => ({
        datasetId: row.datasetId, method: row.method, imageSet: row.imageSet, psnr: row.psnr, ssim: row.ssim, params: row.params as Record<string, unknown>,
      }));
    },
    async count(datasetId: string, imageSet: string): Promise<number> {
      return db.baseline.count({ where: { datasetId, imageSet } });
    },
    /** Adds the baseline unless the dataset already has one of that method and image set (the first stays). */
    async add(baseline: BaselineRecord): Promise<void> {
      const { datasetId, method, imageSet } = baseline;
      await db.baseline.upsert({
        where: { datasetId_method_imageSet: { datasetId, method, imageSet } },
        create: { ...baseline, params: baseline.params as object },
        update: {},
      });
    },
  };
}

export type BaselineRepository = ReturnType<typeof baselineRepository>;
