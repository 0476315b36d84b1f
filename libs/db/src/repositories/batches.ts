/**
 * Batches (POST /v1/deconvolutions): a batch, its inputs and its tasks (one per page, or per tile of a large
 * page), and its callback's delivery attempts. Written by the API (create, cancel, retry) and by the inference
 * worker's batch jobs (plan, run each task, settle). A task moves queued → running → succeeded | failed, or is
 * cancelled while it waits; every transition names the statuses it may leave, so a cancel is never undone by a
 * worker that finishes late, and a written task is never written again.
 */
import type { BatchOptions, BatchOutput } from '@divblur/batch/options';
import type { Db } from '../client.ts';
import type { Batch, BatchInput, BatchTask } from '../../generated/prisma/client.ts';
import { DbError } from '../errors.ts';
import { isUuid } from './uuid.ts';
import { afterCreated, createdOrder, type CreatedPage } from './created-page.ts';
import { batchesOfProject } from './resource-projects.ts';

/**
 * Another batch writes under this output prefix, inside it or around it: its outputs, manifest and per-page results
 * would be overwritten or taken for this one's (a page result that exists is never recomputed). It is not named: it
 * may be another project's.
 */
export class BatchOutputInUseError extends DbError {
  constructor(prefix: string) {
    super('OUTPUT_IN_USE', `output prefix "${prefix}" is in use: another batch writes there, inside it or around it; choose another folder (or leave output.to out: each batch then has its own)`);
  }
}

/** Serialises batch creation while a new batch's output prefix is checked against the others' (pg_advisory_xact_lock). */
const OUTPUT_PREFIX_LOCK = 0x6261_7463; // "batc"

type Queryable = Pick<Db, '$queryRaw'>;

/** Whether a batch other than one with `idempotencyKey` (a replay of the same request) has its outputs where `prefix`'s would overlap. */
async function outputPrefixInUse(db: Queryable, prefix: string, idempotencyKey: string | null): Promise<boolean> {
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    SELECT id::text FROM batches
    WHERE (starts_with(output->>'prefix', ${prefix}) OR starts_with(${prefix}, output->>'prefix'))
      AND (${idempotencyKey}::text IS NULL OR idempotency_key IS DISTINCT FROM ${idempotencyKey}::text)
    LIMIT 1`;
  return rows.length > 0;
}

export type BatchStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Rect { top: number; left: number; height: number; width: number }

export interface BatchRecord {
  id: string; modelId: string; status: BatchStatus; options: BatchOptions; output: BatchOutput; callbackUrl: string | null;
  idempotencyKey: string | null; requestSha256: string; round: number; error: string | null;
  createdAt: string; startedAt: string | null; finishedAt: string | null;
}

export interface BatchInputRecord {
  id: string; batchId: string; ordinal: number; name: string; source: string; status: BatchStatus; error: string | null;
  pageCount: number | null; height: number | null; width: number | null; dtype: string | null; pixelSizeNm: number | null;
  spacingNm: number | null; outputKey: string | null; stdKey: string | null;
}

export interface BatchTaskRecord {
  id: string; batchId: string; inputId: string; page: number; tile: number; tileCount: number; core: Rect; window: Rect;
  status: BatchStatus; error: string | null; attempts: number; writes: number; resultKey: string; worker: string | null;
  samplesUsed: number | null; standardError: number | null; discrepancy: number | null; discrepancyPixels: number | null;
  meanStd: number | null; durationMs: number | null; startedAt: string | null; finishedAt: string | null;
}

export interface NewBatch {
  /** Chosen by the caller: uploads are put under `batches/<id>/` before the row exists. */
  id: string;
  modelId: string; options: BatchOptions; output: BatchOutput; callbackUrl: string | null;
  idempotencyKey: string | null; requestSha256: string;
  inputs: readonly { name: string; source: string; pixelSizeNm: number | null }[];
}

export interface NewBatchTask { page: number; tile: number; tileCount: number; core: Rect; window: Rect; resultKey: string }

/** What a task's job reads: the task, its input and its batch. */
export interface TaskContext { task: BatchTaskRecord; input: BatchInputRecord; batch: BatchRecord }

export interface TaskFigures {
  samplesUsed: number; standardError: number; discrepancy: number | null; discrepancyPixels: number; meanStd: number; durationMs: number;
}

export interface CallbackAttemptRecord { attempt: number; statusCode: number | null; error: string | null; durationMs: number; createdAt: string }

const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());
const finite = (value: number): number | null => (Number.isFinite(value) ? value : null);

export function batchRecord(row: Batch): BatchRecord {
  return {
    id: row.id, modelId: row.modelId, status: row.status, options: row.options as BatchOptions, output: row.output as unknown as BatchOutput,
    callbackUrl: row.callbackUrl, idempotencyKey: row.idempotencyKey, requestSha256: row.requestSha256, round: row.round, error: row.error,
    createdAt: row.createdAt.toISOString(), startedAt: iso(row.startedAt), finishedAt: iso(row.finishedAt),
  };
}

export function batchInputRecord(row: BatchInput): BatchInputRecord {
  return {
    id: row.id, batchId: row.batchId, ordinal: row.ordinal, name: row.name, source: row.source, status: row.status, error: row.error,
    pageCount: row.pageCount, height: row.height, width: row.width, dtype: row.dtype, pixelSizeNm: row.pixelSizeNm,
    spacingNm: row.spacingNm, outputKey: row.outputKey, stdKey: row.stdKey,
  };
}

export function batchTaskRecord(row: BatchTask): BatchTaskRecord {
  return {
    id: row.id, batchId: row.batchId, inputId: row.inputId, page: row.page, tile: row.tile, tileCount: row.tileCount,
    core: row.core as unknown as Rect, window: row.window as unknown as Rect, status: row.status, error: row.error,
    attempts: row.attempts, writes: row.writes, resultKey: row.resultKey, worker: row.worker, samplesUsed: row.samplesUsed,
    standardError: row.standardError, discrepancy: row.discrepancy, discrepancyPixels: row.discrepancyPixels, meanStd: row.meanStd,
    durationMs: row.durationMs, startedAt: iso(row.startedAt), finishedAt: iso(row.finishedAt),
  };
}

const UNIQUE_VIOLATION = 'P2002';

async function tasksOf(db: Db, batchIds: readonly string[]): Promise<(BatchTaskRecord & { inputOrdinal: number })[]> {
  const rows = await db.batchTask.findMany({
    where: { batchId: { in: [...batchIds] } }, include: { input: { select: { ordinal: true } } },
    orderBy: [{ batchId: 'asc' }, { input: { ordinal: 'asc' } }, { page: 'asc' }, { tile: 'asc' }],
  });
  return rows.map((row) => ({ ...batchTaskRecord(row), inputOrdinal: row.input.ordinal }));
}

export function batchRepository(db: Db) {
  return {
    /**
     * The batch and its inputs in one transaction; with an Idempotency-Key seen before, the first batch and `created: false`.
     * Throws BatchOutputInUseError when another batch's output prefix overlaps this one's (checked under a lock).
     */
    async create(batch: NewBatch): Promise<{ batch: BatchRecord; inputs: BatchInputRecord[]; created: boolean }> {
      const { inputs, ...columns } = batch;
      try {
        return await db.$transaction(async (tx) => {
          await tx.$queryRaw`SELECT pg_advisory_xact_lock(${OUTPUT_PREFIX_LOCK})::text AS locked`;
          if (await outputPrefixInUse(tx, batch.output.prefix, batch.idempotencyKey)) throw new BatchOutputInUseError(batch.output.prefix);
          const row = await tx.batch.create({ data: { ...columns, options: columns.options as object, output: columns.output as object } });
          const inputRows = await tx.batchInput.createManyAndReturn({ data: inputs.map((input, ordinal) => ({ ...input, batchId: row.id, ordinal })) });
          inputRows.sort((a, b) => a.ordinal - b.ordinal);
          return { batch: batchRecord(row), inputs: inputRows.map(batchInputRecord), created: true };
        });
      } catch (error) {
        if (batch.idempotencyKey === null || (error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
        const first = await db.batch.findUniqueOrThrow({ where: { idempotencyKey: batch.idempotencyKey }, include: { inputs: { orderBy: { ordinal: 'asc' } } } });
        return { batch: batchRecord(first), inputs: first.inputs.map(batchInputRecord), created: false };
      }
    },
    /** The early check of create's (before uploads are streamed): throws BatchOutputInUseError. */
    async assertOutputPrefixFree(prefix: string, idempotencyKey: string | null): Promise<void> {
      if (await outputPrefixInUse(db, prefix, idempotencyKey)) throw new BatchOutputInUseError(prefix);
    },
    async byIdempotencyKey(key: string): Promise<BatchRecord | null> {
      const row = await db.batch.findUnique({ where: { idempotencyKey: key } });
      return row === null ? null : batchRecord(row);
    },
    async get(id: string): Promise<BatchRecord | null> {
      if (!isUuid(id)) return null;
      const row = await db.batch.findUnique({ where: { id } });
      return row === null ? null : batchRecord(row);
    },
    /**
     * Up to `limit` batches by creation time (newest first unless `descending: false`), after `after` (created-page.ts);
     * only those with `status`, of `modelId`, and of one project's with `projectId` (their model's: resource-projects.ts).
     */
    async list(limit: number, page: CreatedPage & { status?: BatchStatus; modelId?: string; projectId?: string } = {}): Promise<BatchRecord[]> {
      const rows = await db.batch.findMany({
        where: {
          ...afterCreated(page),
          ...(page.status === undefined ? {} : { status: page.status }),
          ...(page.modelId === undefined ? {} : { modelId: page.modelId }),
          ...(page.projectId === undefined ? {} : batchesOfProject(page.projectId)),
        },
        orderBy: createdOrder(page), take: limit,
      });
      return rows.map(batchRecord);
    },
    /** Removes the batch with its inputs and tasks (a batch whose first job could not be queued). */
    async delete(id: string): Promise<void> {
      await db.batch.deleteMany({ where: { id } });
    },
    async inputs(batchId: string): Promise<BatchInputRecord[]> {
      return (await db.batchInput.findMany({ where: { batchId }, orderBy: { ordinal: 'asc' } })).map(batchInputRecord);
    },
    /** Every task of the batch, in input, page and tile order. */
    async tasks(batchId: string): Promise<(BatchTaskRecord & { inputOrdinal: number })[]> {
      return tasksOf(db, [batchId]);
    },
    /** The inputs of each of these batches (a page of the list), in ordinal order: two queries for the page, not two per batch. */
    async inputsOfBatches(batchIds: readonly string[]): Promise<BatchInputRecord[]> {
      if (batchIds.length === 0) return [];
      return (await db.batchInput.findMany({ where: { batchId: { in: [...batchIds] } }, orderBy: [{ batchId: 'asc' }, { ordinal: 'asc' }] })).map(batchInputRecord);
    },
    /** The tasks of each of these batches, each batch's in input, page and tile order. */
    async tasksOfBatches(batchIds: readonly string[]): Promise<(BatchTaskRecord & { inputOrdinal: number })[]> {
      return batchIds.length === 0 ? [] : tasksOf(db, batchIds);
    },

    /** Planning started: queued → running. */
    async markRunning(batchId: string): Promise<void> {
      await db.batch.updateMany({ where: { id: batchId, status: 'queued' }, data: { status: 'running', startedAt: new Date() } });
    },
    /** An input read: its shape and its tasks, in one transaction; tasks already there (a retried planning) are kept. */
    async planInput(inputId: string, shape: { pageCount: number; height: number; width: number; dtype: string; pixelSizeNm: number | null; spacingNm: number | null },
      tasks: readonly NewBatchTask[]): Promise<void> {
      await db.$transaction(async (tx) => {
        const input = await tx.batchInput.update({ where: { id: inputId }, data: { ...shape, status: 'running' } });
        await tx.batchTask.createMany({
          data: tasks.map((task) => ({ ...task, core: task.core as object, window: task.window as object, inputId, batchId: input.batchId })),
          skipDuplicates: true,
        });
      });
    },
    async failInput(inputId: string, error: string): Promise<void> {
      await db.batchInput.updateMany({ where: { id: inputId, status: { in: ['queued', 'running'] } }, data: { status: 'failed', error } });
    },
    async finishInput(inputId: string, status: 'succeeded' | 'failed' | 'cancelled', result: { outputKey?: string; stdKey?: string | null; error?: string | null }): Promise<void> {
      await db.batchInput.update({ where: { id: inputId }, data: { status, outputKey: result.outputKey ?? null, stdKey: result.stdKey ?? null, error: result.error ?? null } });
    },

    async task(taskId: string): Promise<TaskContext | null> {
      if (!isUuid(taskId)) return null;
      const row = await db.batchTask.findUnique({ where: { id: taskId }, include: { input: true, batch: true } });
      return row === null ? null : { task: batchTaskRecord(row), input: batchInputRecord(row.input), batch: batchRecord(row.batch) };
    },
    /** A worker takes the task: queued (or running, after a worker died) → running; false when it was cancelled or is done. */
    async startTask(taskId: string, worker: string): Promise<boolean> {
      const { count } = await db.batchTask.updateMany({
        where: { id: taskId, status: { in: ['queued', 'running'] } },
        data: { status: 'running', worker, attempts: { increment: 1 }, startedAt: new Date() },
      });
      return count === 1;
    },
    /** The task's result is in the blob store: `wrote` when this worker put it (counted in `writes`), false when it found it. */
    async completeTask(taskId: string, figures: TaskFigures, wrote: boolean, worker: string): Promise<void> {
      await db.batchTask.updateMany({
        where: { id: taskId, status: { in: ['queued', 'running'] } },
        data: {
          status: 'succeeded', error: null, worker, finishedAt: new Date(), ...(wrote ? { writes: { increment: 1 } } : {}),
          samplesUsed: figures.samplesUsed, standardError: finite(figures.standardError), discrepancy: figures.discrepancy,
          discrepancyPixels: figures.discrepancyPixels, meanStd: figures.meanStd, durationMs: figures.durationMs,
        },
      });
    },
    /** A task whose batch was cancelled after it was queued (planned after the cancel, or never taken): cancelled. */
    async cancelTask(taskId: string): Promise<void> {
      await db.batchTask.updateMany({ where: { id: taskId, status: 'queued' }, data: { status: 'cancelled', finishedAt: new Date() } });
    },
    async failTask(taskId: string, error: string): Promise<void> {
      await db.batchTask.updateMany({ where: { id: taskId, status: { in: ['queued', 'running'] } }, data: { status: 'failed', error, finishedAt: new Date() } });
    },
    /** Fails a planned task that the worker will not run because its whole input could not be read. */
    async failTasksOfInput(inputId: string, error: string): Promise<void> {
      await db.batchTask.updateMany({ where: { inputId, status: { in: ['queued', 'running'] } }, data: { status: 'failed', error, finishedAt: new Date() } });
    },

    /** queued | running → cancelled, and its waiting tasks with it; false when the batch had settled already. */
    async cancel(batchId: string): Promise<boolean> {
      return db.$transaction(async (tx) => {
        const { count } = await tx.batch.updateMany({ where: { id: batchId, status: { in: ['queued', 'running'] } }, data: { status: 'cancelled' } });
        if (count === 0) return false;
        await tx.batchTask.updateMany({ where: { batchId, status: 'queued' }, data: { status: 'cancelled', finishedAt: new Date() } });
        return true;
      });
    },
    /**
     * A settled batch with failed tasks runs them again: they become queued, their inputs running, the batch running in
     * round + 1 (its new flow's job ids). Null when the batch is not failed or has no failed task.
     */
    async retry(batchId: string): Promise<{ round: number; taskIds: string[] } | null> {
      return db.$transaction(async (tx) => {
        const failed = await tx.batchTask.findMany({ where: { batchId, status: 'failed' }, select: { id: true, inputId: true } });
        if (failed.length === 0) return null;
        const { count } = await tx.batch.updateMany({
          where: { id: batchId, status: 'failed' }, data: { status: 'running', round: { increment: 1 }, finishedAt: null, summary: null, error: null },
        });
        if (count === 0) return null;
        await tx.batchTask.updateMany({ where: { batchId, status: 'failed' }, data: { status: 'queued', error: null, finishedAt: null } });
        await tx.batchInput.updateMany({ where: { id: { in: [...new Set(failed.map((t) => t.inputId))] } }, data: { status: 'running', error: null } });
        const { round } = await tx.batch.findUniqueOrThrow({ where: { id: batchId }, select: { round: true } });
        return { round, taskIds: failed.map((t) => t.id) };
      });
    },

    /** The batch's final status and the callback body (kept, so that every delivery signs the same bytes). */
    async settle(batchId: string, status: 'succeeded' | 'failed' | 'cancelled', summary: string, error: string | null): Promise<void> {
      await db.batch.update({ where: { id: batchId }, data: { status, summary, error, finishedAt: new Date() } });
    },
    async summary(batchId: string): Promise<{ callbackUrl: string | null; summary: string | null } | null> {
      if (!isUuid(batchId)) return null;
      return db.batch.findUnique({ where: { id: batchId }, select: { callbackUrl: true, summary: true } });
    },
    async recordCallbackAttempt(batchId: string, attempt: Omit<CallbackAttemptRecord, 'createdAt'>): Promise<void> {
      await db.batchCallbackAttempt.create({ data: { batchId, ...attempt } });
    },
    async callbackAttempts(batchId: string): Promise<CallbackAttemptRecord[]> {
      const rows = await db.batchCallbackAttempt.findMany({ where: { batchId }, orderBy: [{ createdAt: 'asc' }, { attempt: 'asc' }] });
      return rows.map((row) => ({ attempt: row.attempt, statusCode: row.statusCode, error: row.error, durationMs: row.durationMs, createdAt: row.createdAt.toISOString() }));
    },
  };
}

export type BatchRepository = ReturnType<typeof batchRepository>;

