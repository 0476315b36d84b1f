/** Rows as the API returns them (ids are strings, dates ISO strings, nulls explicit). */
import type { ExperimentSpec, RunParams, Sweep } from '@divblur/queue';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type ExperimentStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

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
  noiseSigma: number | null;
  meta: Record<string, unknown>;
}
export interface DatasetRecord extends NewDataset { id: string; createdAt: string }

export interface ExperimentRecord {
  id: string; datasetId: string; spec: ExperimentSpec; sweep: Sweep | null; status: ExperimentStatus;
  idempotencyKey: string | null; runCount: number; createdAt: string;
}

export interface RunRecord {
  id: string; experimentId: string; status: RunStatus; progress: number;
  method: RunParams['method']; penalty: RunParams['penalty']; lambda: number; kappa: number; seed: number;
  params: RunParams; error: string | null;
  startedAt: string | null; finishedAt: string | null; createdAt: string;
  psnrMmse: number | null; psnrSamples: number | null; ssim: number | null; modelId: string | null;
}

export interface LossPoint { step: number; total: number; data: number | null; kl: number | null; penalty: number | null; beta: number | null }

export interface MetricRecord {
  runId: string; imageSet: string; psnrMmse: number | null; psnrSamples: number | null; ssim: number | null;
  samples: number; discrepancy: number | null; meanStd: number | null; createdAt: string;
}

export interface BaselineRecord { datasetId: string; method: string; imageSet: string; psnr: number | null; ssim: number | null; params: Record<string, unknown> }

export interface ModelRecord {
  id: string; runId: string; onnxKey: string; packageKey: string | null; sizeBytes: number | null; meta: Record<string, unknown>; createdAt: string;
}

export const RUN_SORTS = ['created', 'lambda', 'kappa', 'psnr_mmse', 'psnr_samples', 'ssim'] as const;
export type RunSortField = typeof RUN_SORTS[number];

export interface RunFilter {
  experimentId?: string; penalty?: string; method?: string; status?: RunStatus; lambdaMin?: number; lambdaMax?: number;
}
export interface RunPageQuery { filter: RunFilter; sort: RunSortField; descending: boolean; limit: number; after?: { key: number | string | null; id: string } }
