/** Models: a trained run exported to ONNX (one per run), its blobs named in `files`. */
import type { Db } from '../client.ts';
import type { Model } from '../../generated/prisma/client.ts';
import { datasetRecord, type DatasetRecord } from './datasets.ts';
import type { RunStatus } from './run-page.ts';
import { isUuid } from './uuid.ts';

export interface ModelRecord {
  id: string; runId: string; onnxKey: string; packageKey: string | null; sizeBytes: number | null;
  meta: Record<string, unknown>; createdAt: string;
  /** The model's named blobs (model, weights, encoder, sampler, package…): { name: key }. */
  files: Record<string, string>;
  /** Its run's status now: a model is trusted only once its run succeeded (evaluated, metrics present). */
  runStatus: RunStatus;
  runSucceeded: boolean;
  /** Why its run failed, when it did. */
  runError: string | null;
}

export interface NewModel {
  onnxKey: string; files: Record<string, string>; packageKey: string | null; sizeBytes: number; opset: number; meta: Record<string, unknown>;
}

/** What the evaluation of a model reads: the model, its run's method and σ column, the dataset. */
export interface ModelForEvaluation {
  model: ModelRecord;
  run: { id: string; method: 'divblurring' | 'divnoising'; noiseSigma: number | null };
  dataset: DatasetRecord;
}

/** The run columns a model record carries (selected with every model read). */
const RUN_OUTCOME = { select: { status: true, error: true } } as const;

export function modelRecord(row: Model & { run: { status: RunStatus; error?: string | null } }): ModelRecord {
  return {
    id: row.id, runId: row.runId, onnxKey: row.onnxKey, packageKey: row.packageKey,
    sizeBytes: row.sizeBytes === null ? null : Number(row.sizeBytes), meta: row.meta as Record<string, unknown>,
    createdAt: row.createdAt.toISOString(), files: row.files as Record<string, string>,
    runStatus: row.run.status, runSucceeded: row.run.status === 'succeeded', runError: row.run.status === 'failed' ? row.run.error ?? null : null,
  };
}

export function modelRepository(db: Db) {
  return {
    /** Upserted by run, so a retried export keeps the model id. */
    async saveForRun(runId: string, model: NewModel): Promise<ModelRecord> {
      const row = { ...model, sizeBytes: BigInt(model.sizeBytes), files: model.files as object, meta: model.meta as object };
      return modelRecord(await db.model.upsert({ where: { runId }, create: { runId, ...row }, update: row, include: { run: RUN_OUTCOME } }));
    },
    async get(id: string): Promise<ModelRecord | null> {
      if (!isUuid(id)) return null;
      const row = await db.model.findUnique({ where: { id }, include: { run: RUN_OUTCOME } });
      return row === null ? null : modelRecord(row);
    },
    async forEvaluation(id: string): Promise<ModelForEvaluation | null> {
      if (!isUuid(id)) return null;
      const row = await db.model.findUnique({ where: { id }, include: { run: { include: { experiment: { include: { dataset: true } } } } } });
      if (row === null) return null;
      const { run } = row;
      return { model: modelRecord(row), run: { id: run.id, method: run.method, noiseSigma: run.noiseSigma }, dataset: datasetRecord(run.experiment.dataset) };
    },
    /** The newest model trained on the dataset (its meta records the images held out), or null. */
    async latestOfDataset(datasetId: string): Promise<ModelRecord | null> {
      const row = await db.model.findFirst({ where: { run: { experiment: { datasetId } } }, orderBy: { createdAt: 'desc' }, include: { run: RUN_OUTCOME } });
      return row === null ? null : modelRecord(row);
    },
  };
}

export type ModelRepository = ReturnType<typeof modelRepository>;
