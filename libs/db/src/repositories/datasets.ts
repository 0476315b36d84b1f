/** Datasets: an acquisition's shape, stats, blob keys, PSF and σ; written once by the API's ingest, read by every process. */
import type { Db } from '../client.ts';
import type { Dataset } from '../../generated/prisma/client.ts';
import { isUuid } from './uuid.ts';
import { afterCreated, createdOrder, type CreatedPage } from './created-page.ts';

export interface ImageStats { min: number; max: number; mean: number; std: number }

export interface NewDataset {
  name: string;
  source: 'upload' | 's3' | 'synthetic';
  count: number; height: number; width: number;
  dtype: string;
  stats: ImageStats;
  sha256: string;
  noisyKey: string;
  gtKey: string | null;
  psfKey: string | null;
  psfShape: [number, number] | null;
  pixelSizeNm: number | null;
  /** σ given with the dataset, in its intensity units; null: to be estimated. */
  noiseSigma: number | null;
  meta: Record<string, unknown>;
  /** The project it belongs to (resource-projects.ts); null or absent: the lab's. */
  projectId?: string | null;
}

/** A dataset as the API returns it and the workers read it (dates ISO strings, nulls explicit). */
export interface DatasetRecord extends NewDataset { id: string; createdAt: string }

export function datasetRecord(row: Dataset): DatasetRecord {
  return {
    id: row.id, name: row.name, source: row.source, count: row.count, height: row.height, width: row.width,
    dtype: row.dtype, stats: row.stats as unknown as ImageStats, sha256: row.sha256, noisyKey: row.noisyKey, gtKey: row.gtKey, psfKey: row.psfKey,
    psfShape: row.psfHeight === null ? null : [row.psfHeight, row.psfWidth!], pixelSizeNm: row.pixelSizeNm, noiseSigma: row.noiseSigma,
    meta: row.meta as Record<string, unknown>, projectId: row.projectId, createdAt: row.createdAt.toISOString(),
  };
}

export function datasetRepository(db: Db) {
  return {
    /** `id` may be chosen by the caller (the ingest names its blobs after it before the row exists). */
    async create(dataset: NewDataset & { id?: string }): Promise<DatasetRecord> {
      const { psfShape, stats, meta, ...columns } = dataset;
      const row = await db.dataset.create({
        data: {
          ...columns, stats: stats as object, meta: meta as object,
          psfHeight: psfShape?.[0] ?? null, psfWidth: psfShape?.[1] ?? null,
          noiseSigmaSource: dataset.noiseSigma === null ? null : 'given',
        },
      });
      return datasetRecord(row);
    },
    async get(id: string): Promise<DatasetRecord | null> {
      if (!isUuid(id)) return null;
      const row = await db.dataset.findUnique({ where: { id } });
      return row === null ? null : datasetRecord(row);
    },
    /** Up to `limit` datasets by creation time (newest first unless `descending: false`), after `after` (created-page.ts), of one project's with `projectId`. */
    async list(limit: number, page: CreatedPage & { projectId?: string } = {}): Promise<DatasetRecord[]> {
      const rows = await db.dataset.findMany({
        where: { ...afterCreated(page), ...(page.projectId === undefined ? {} : { projectId: page.projectId }) }, orderBy: createdOrder(page), take: limit,
      });
      return rows.map(datasetRecord);
    },
  };
}

export type DatasetRepository = ReturnType<typeof datasetRepository>;
