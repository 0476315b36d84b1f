/**
 * Runs: written by the API's experiment creation (`runColumns`), moved through their lifecycle by
 * the trainer (start, progress, fail, trained) and given metrics by the evaluation; read as
 * records by the API and, with the dataset, by the trainer.
 *
 * The lifecycle is queued → training → evaluating → succeeded (metrics exist, metrics.ts) | failed
 * (error says why) | cancelled (experiments.ts). Every transition is one `UPDATE … WHERE status IN
 * (…)` of the statuses it may leave, so that no interleaving of the API, the trainer and the
 * evaluation can undo a cancel or move a settled run back: a writer that finds the run elsewhere
 * writes nothing and is told so.
 */
import { storedTraining, type RunParams } from '@divblur/queue';
import type { Db } from '../client.ts';
import type { Run } from '../../generated/prisma/client.ts';
import { datasetRecord, type DatasetRecord } from './datasets.ts';
import { runPageSql, type RunPageQuery, type RunStatus } from './run-page.ts';
import { isUuid } from './uuid.ts';

/** A run as the API returns it (ids strings, dates ISO strings, nulls explicit). */
export interface RunRecord {
  id: string; experimentId: string; status: RunStatus; progress: number;
  method: RunParams['method']; penalty: RunParams['penalty']; lambda: number; kappa: number; seed: number;
  /** The parameters as stored (network and training JSON as resolved at creation), for display. */
  params: RunParams; error: string | null;
  startedAt: string | null; finishedAt: string | null; createdAt: string;
  psnrMmse: number | null; psnrSamples: number | null; ssim: number | null; modelId: string | null;
}

/** The columns libs/queue's `runParamsFromRow` reads (its `RunRow`). */
export interface StoredRunParams {
  method: string; penalty: string; lambda: number; kappa: number; seed: number;
  noiseSigma: number | null; network: unknown; training: unknown;
}

/** What the trainer reads of its run: the record, its bookkeeping, the stored parameters and the dataset. */
export interface TrainingRun extends RunRecord {
  stepsDone: number;
  /** Training time of earlier attempts, ms. */
  trainMs: number | null;
  stored: StoredRunParams;
  dataset: DatasetRecord;
}

const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());

export function runRecord(row: Run, modelId: string | null): RunRecord {
  const training = row.training as RunParams['training'] & { noiseSigma?: number };
  const params = {
    method: row.method, penalty: row.penalty, lambda: row.lambda, kappa: row.kappa,
    noiseSigma: row.noiseSigma ?? training?.noiseSigma ?? 'estimate', network: row.network, training: row.training,
  } as RunParams;
  return {
    id: row.id, experimentId: row.experimentId, status: row.status, progress: row.progress,
    method: row.method, penalty: row.penalty, lambda: row.lambda, kappa: row.kappa, seed: row.seed, params,
    error: row.error, startedAt: iso(row.startedAt), finishedAt: iso(row.finishedAt), createdAt: row.createdAt.toISOString(),
    psnrMmse: row.psnrMmse, psnrSamples: row.psnrSamples, ssim: row.ssim, modelId,
  };
}

/** The row of a resolved run at position `ordinal` of its experiment's sweep (the inverse of `runParamsFromRow`). */
export function runColumns(run: RunParams, ordinal: number) {
  return {
    ordinal, method: run.method, penalty: run.penalty, lambda: run.lambda, kappa: run.kappa, seed: run.training.seed,
    noiseSigma: typeof run.noiseSigma === 'number' ? run.noiseSigma : null, network: run.network as object, training: storedTraining(run),
  };
}

/** The statuses in which a run has a model that can be evaluated again. */
const REEVALUABLE: readonly RunStatus[] = ['evaluating', 'succeeded', 'failed'];

export function runRepository(db: Db) {
  return {
    async get(id: string): Promise<RunRecord | null> {
      if (!isUuid(id)) return null;
      const row = await db.run.findUnique({ where: { id }, include: { model: { select: { id: true } } } });
      return row === null ? null : runRecord(row, row.model?.id ?? null);
    },

    /** A page of runs (run-page.ts), each with the key it was sorted by (a number, an ISO time for `created`, null for a missing metric). */
    async page(query: RunPageQuery): Promise<Array<RunRecord & { sortKey: number | string | null }>> {
      const rows = await db.$queryRaw<Array<Run & { sortKey: number | Date | null; modelId: string | null }>>(runPageSql(query));
      return rows.map((row) => ({ ...runRecord(row, row.modelId), sortKey: row.sortKey instanceof Date ? row.sortKey.toISOString() : row.sortKey }));
    },

    /** Runs of an experiment per status. */
    async statusCounts(experimentId: string): Promise<Record<string, number>> {
      if (!isUuid(experimentId)) return {};
      const groups = await db.run.groupBy({ by: ['status'], where: { experimentId }, _count: { _all: true } });
      return Object.fromEntries(groups.map((group) => [group.status, group._count._all]));
    },

    /** The run with its dataset, or null. */
    async forTraining(id: string): Promise<TrainingRun | null> {
      const row = await db.run.findUnique({
        where: { id }, include: { experiment: { include: { dataset: true } }, model: { select: { id: true } } },
      });
      if (row === null) return null;
      return {
        ...runRecord(row, row.model?.id ?? null),
        stepsDone: row.stepsDone, trainMs: row.trainMs, dataset: datasetRecord(row.experiment.dataset),
        stored: {
          method: row.method, penalty: row.penalty, lambda: row.lambda, kappa: row.kappa, seed: row.seed,
          noiseSigma: row.noiseSigma, network: row.network, training: row.training,
        },
      };
    },

    /**
     * An attempt begins: training, one more attempt, the first start time kept; its experiment is
     * running from the first. Only from queued, or training (a retry after a killed attempt): false
     * when the run is anything else (cancelled above all), and nothing is written.
     */
    async start(run: Pick<TrainingRun, 'id' | 'experimentId' | 'startedAt'>): Promise<boolean> {
      const { count } = await db.run.updateMany({
        where: { id: run.id, status: { in: ['queued', 'training'] } },
        data: { status: 'training', error: null, attempts: { increment: 1 }, ...(run.startedAt ? {} : { startedAt: new Date() }) },
      });
      if (count === 0) return false;
      await db.experiment.updateMany({ where: { id: run.experimentId, status: 'queued' }, data: { status: 'running', startedAt: new Date() } });
      return true;
    },

    /**
     * Progress of a training attempt; returns the run's status, so that the trainer notices a
     * cancellation (anything but `training` means: stop). Written only while training.
     */
    async recordProgress(id: string, progress: { fraction: number; stepsDone: number; trainMs: number }): Promise<RunStatus> {
      const { count } = await db.run.updateMany({
        where: { id, status: 'training' },
        data: { progress: progress.fraction, stepsDone: progress.stepsDone, trainMs: progress.trainMs },
      });
      if (count === 1) return 'training';
      return (await db.run.findUnique({ where: { id }, select: { status: true } }))?.status ?? 'cancelled';
    },

    /** The run's status now (null when it does not exist): the trainer's check between its steps. */
    async status(id: string): Promise<RunStatus | null> {
      if (!isUuid(id)) return null;
      return (await db.run.findUnique({ where: { id }, select: { status: true } }))?.status ?? null;
    },

    async recordTrainTime(id: string, trainMs: number): Promise<void> {
      await db.run.updateMany({ where: { id }, data: { trainMs } });
    },

    /** Trained and exported: evaluating (its metrics come with the evaluation). False, and nothing written, unless it was training. */
    async trained(id: string, result: { steps: number; trainMs: number; noiseSigma: number }): Promise<boolean> {
      const { count } = await db.run.updateMany({
        where: { id, status: 'training' },
        data: {
          status: 'evaluating', progress: 1, stepsDone: result.steps, finishedAt: new Date(), error: null,
          trainMs: result.trainMs, noiseSigma: result.noiseSigma,
        },
      });
      return count === 1;
    },

    /** The process stops (SIGTERM) in the middle of an attempt: queued again, to resume from its last checkpoint. */
    async requeue(id: string, trainMs: number): Promise<void> {
      await db.run.updateMany({ where: { id, status: 'training' }, data: { status: 'queued', trainMs } });
    },

    /**
     * An attempt failed: `queued` while retries remain (the message says so), else `failed` for
     * good. Only a queued or training run fails this way: a cancel, or a run already trained, stays.
     */
    async fail(id: string, message: string, final: boolean, trainMs?: number): Promise<void> {
      await db.run.updateMany({
        where: { id, status: { in: ['queued', 'training'] } },
        data: {
          status: final ? 'failed' : 'queued',
          error: final ? message : `attempt failed, will retry: ${message}`,
          ...(final ? { finishedAt: new Date() } : {}),
          ...(trainMs === undefined ? {} : { trainMs }),
        },
      });
    },

    /** A trained run whose evaluation failed for good did not succeed: failed, with the reason (only from evaluating). */
    async failEvaluation(id: string, message: string): Promise<void> {
      await db.run.updateMany({ where: { id, status: 'evaluating' }, data: { status: 'failed', error: message } });
    },

    /** The experiment's runs still evaluating once its flow is done become failed, with `message`. */
    async failUnevaluated(experimentId: string, message: string): Promise<void> {
      await db.run.updateMany({ where: { experimentId, status: 'evaluating' }, data: { status: 'failed', error: message } });
    },

    /**
     * Asks for a new evaluation of a trained run (POST /v1/runs/:id/evaluate): a failed one is
     * evaluating again; a succeeded one stays succeeded (its metrics exist) until the new ones
     * replace them. The run's model, or why there is none to evaluate.
     */
    async reopenEvaluation(id: string): Promise<{ modelId: string; status: 'evaluating' | 'succeeded' } | { refused: RunStatus | 'not_found' }> {
      if (!isUuid(id)) return { refused: 'not_found' };
      for (;;) {
        const row = await db.run.findUnique({ where: { id }, select: { status: true, model: { select: { id: true } } } });
        if (row === null) return { refused: 'not_found' };
        if (row.model === null || !REEVALUABLE.includes(row.status)) return { refused: row.status };
        if (row.status !== 'failed') return { modelId: row.model.id, status: row.status as 'evaluating' | 'succeeded' };
        const { count } = await db.run.updateMany({ where: { id, status: 'failed' }, data: { status: 'evaluating', error: null } });
        if (count === 1) return { modelId: row.model.id, status: 'evaluating' };
        // Its status changed between the read and the write: read it again.
      }
    },

    /** Per job kind (`train`), count, total and longest duration (s) of the runs that finished in the last day, for /metrics. */
    async jobDurations(): Promise<Record<string, { count: number; sumSeconds: number; maxSeconds: number }>> {
      const [row] = await db.$queryRaw<Array<{ count: number; sum: number; max: number }>>`
        SELECT count(*)::int AS count, coalesce(sum(extract(epoch FROM finished_at - started_at)), 0)::float8 AS sum,
               coalesce(max(extract(epoch FROM finished_at - started_at)), 0)::float8 AS max
        FROM runs WHERE finished_at IS NOT NULL AND started_at IS NOT NULL AND finished_at > now() - interval '1 day'`;
      return { train: { count: row.count, sumSeconds: row.sum, maxSeconds: row.max } };
    },
  };
}

export type RunRepository = ReturnType<typeof runRepository>;
