/** Experiments: a spec and an optional sweep as the client sent them, created with their runs in one transaction. */
import type { ExperimentSpec, RunParams, Sweep } from '@divblur/queue';
import type { Db } from '../client.ts';
import { Prisma, type Experiment } from '../../generated/prisma/client.ts';
import { runColumns, runRecord, type RunRecord } from './runs.ts';
import { isUuid } from './uuid.ts';
import { afterCreated, createdOrder, type CreatedPage } from './created-page.ts';

/** schema.prisma's JobStatus: queued → running (its first run started) → succeeded | failed | cancelled. */
export type ExperimentStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface ExperimentRecord {
  id: string; datasetId: string; spec: ExperimentSpec; sweep: Sweep | null; status: ExperimentStatus;
  idempotencyKey: string | null; runCount: number; createdAt: string;
  /** When its flow was added to the queue; null until then (see `markEnqueued`, `pendingFlows`). */
  enqueuedAt: string | null;
}

/** An experiment whose rows exist and whose flow was never confirmed added. */
export interface PendingFlow { experimentId: string; runIds: string[] }

export interface NewExperiment {
  datasetId: string; spec: ExperimentSpec; sweep: Sweep | null; idempotencyKey: string | null;
  /** Resolved, in sweep order (their ordinals). */
  runs: readonly RunParams[];
}

export interface CreatedExperiment { experiment: ExperimentRecord; runs: RunRecord[]; created: boolean }

export function experimentRecord(row: Experiment): ExperimentRecord {
  return {
    id: row.id, datasetId: row.datasetId, spec: row.spec as ExperimentSpec, sweep: row.sweep as Sweep | null, status: row.status,
    idempotencyKey: row.idempotencyKey, runCount: row.runCount, createdAt: row.createdAt.toISOString(),
    enqueuedAt: row.enqueuedAt === null ? null : row.enqueuedAt.toISOString(),
  };
}

const UNIQUE_VIOLATION = 'P2002';

export function experimentRepository(db: Db) {
  return {
    /**
     * Inserts the experiment, then its runs in one multi-row insert (sweep order = ordinal), in one
     * transaction, not yet enqueued (`enqueuedAt` null). With an idempotency key seen before,
     * returns the first experiment and `created: false`.
     */
    async create(experiment: NewExperiment): Promise<CreatedExperiment> {
      const { datasetId, spec, sweep, idempotencyKey, runs } = experiment;
      try {
        return await db.$transaction(async (tx) => {
          const row = await tx.experiment.create({
            data: { datasetId, spec: spec as object, sweep: sweep === null ? Prisma.DbNull : (sweep as object), idempotencyKey, runCount: runs.length },
          });
          const runRows = await tx.run.createManyAndReturn({ data: runs.map((run, ordinal) => ({ experimentId: row.id, ...runColumns(run, ordinal) })) });
          runRows.sort((a, b) => a.ordinal - b.ordinal);
          return { experiment: experimentRecord(row), runs: runRows.map((run) => runRecord(run, null)), created: true };
        });
      } catch (error) {
        // The key is the experiments' only unique column besides the generated id.
        if (idempotencyKey === null || (error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
        const first = await db.experiment.findUniqueOrThrow({ where: { idempotencyKey }, include: { runs: { orderBy: { ordinal: 'asc' } } } });
        return { experiment: experimentRecord(first), runs: first.runs.map((run) => runRecord(run, null)), created: false };
      }
    },
    async get(id: string): Promise<ExperimentRecord | null> {
      if (!isUuid(id)) return null;
      const row = await db.experiment.findUnique({ where: { id } });
      return row === null ? null : experimentRecord(row);
    },
    /**
     * Up to `limit` experiments by creation time (newest first unless `descending: false`), after `after`, of one
     * dataset's when `datasetId` is given, of one project's (their datasets') with `projectId`.
     */
    async list(limit: number, page: CreatedPage & { datasetId?: string; projectId?: string } = {}): Promise<ExperimentRecord[]> {
      if (page.datasetId !== undefined && !isUuid(page.datasetId)) return [];
      const rows = await db.experiment.findMany({
        where: {
          ...afterCreated(page), ...(page.datasetId === undefined ? {} : { datasetId: page.datasetId }),
          ...(page.projectId === undefined ? {} : { dataset: { projectId: page.projectId } }),
        },
        orderBy: createdOrder(page), take: limit,
      });
      return rows.map(experimentRecord);
    },
    /**
     * Marks the experiment and its runs that have not trained yet (queued, training) cancelled, in
     * one transaction; returns the ids of the runs it changed. Conditional, like every run
     * transition: a run the trainer has finished meanwhile keeps its status.
     */
    async cancel(id: string): Promise<string[]> {
      if (!isUuid(id)) return [];
      return db.$transaction(async (tx) => {
        const runs = await tx.run.updateManyAndReturn({
          where: { experimentId: id, status: { in: ['queued', 'training'] } }, data: { status: 'cancelled', finishedAt: new Date() }, select: { id: true },
        });
        await tx.experiment.updateMany({ where: { id, status: { in: ['queued', 'running'] } }, data: { status: 'cancelled', finishedAt: new Date() } });
        return runs.map((run) => run.id);
      });
    },
    /** Removes the experiment and, by cascade, its runs and everything of theirs. */
    async delete(id: string): Promise<void> {
      await db.experiment.deleteMany({ where: { id } });
    },
    /** Its flow is in the queue. */
    async markEnqueued(id: string): Promise<void> {
      await db.experiment.updateMany({ where: { id, enqueuedAt: null }, data: { enqueuedAt: new Date() } });
    },
    /**
     * Queued experiments created before `createdBefore` whose flow was never marked added (the API
     * stopped between its insert and its enqueue, or could not take the rows back), oldest first,
     * with their runs in sweep order: what the reconciler enqueues.
     */
    async pendingFlows(createdBefore: Date, limit: number): Promise<PendingFlow[]> {
      const rows = await db.experiment.findMany({
        where: { enqueuedAt: null, status: 'queued', createdAt: { lt: createdBefore } },
        orderBy: { createdAt: 'asc' }, take: limit,
        select: { id: true, runs: { select: { id: true }, orderBy: { ordinal: 'asc' } } },
      });
      return rows.map((row) => ({ experimentId: row.id, runIds: row.runs.map((run) => run.id) }));
    },
    /** Settled from its runs by the trainer's `finish-experiment`; a cancelled or settled experiment stays as it is. */
    async finish(id: string, status: ExperimentStatus, error: string | null): Promise<boolean> {
      const { count } = await db.experiment.updateMany({ where: { id, status: { in: ['queued', 'running'] } }, data: { status, error, finishedAt: new Date() } });
      return count === 1;
    },
  };
}

export type ExperimentRepository = ReturnType<typeof experimentRepository>;
