/**
 * /v1/deconvolutions: a night's acquisitions deconvolved as one batch — create (202: queued, fanned out over every
 * inference worker, one job per page or tile), follow (state, pages done/failed/total, pages per hour, ETA, per-input
 * status), the manifest (JSON or CSV: per page its output, samples used, Monte-Carlo standard error, discrepancy,
 * mean posterior std and time), cancel (no new page starts), retry (the failed pages, as a new round); list (newest first,
 * keyset-paginated as /v1/datasets, by status and model, a project key's its project's only).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { batchProgress } from '@divblur/batch/progress';
import { manifestCsv, manifestOf } from '@divblur/batch/manifest';
import type { BatchInputRecord, BatchRecord, Repositories } from '@divblur/db';
import type { ApiLimits } from '../app.ts';
import type { ApiServices } from '../services.ts';
import { errorResponses, IdParams, Page } from '../schemas/common.ts';
import { Batch, BatchIdempotencyHeaders, BatchListQuery, BatchUpload, CreateBatchBody, ManifestQuery } from '../schemas/deconvolution.ts';
import { ConflictError, NotFoundError } from '../lib/errors.ts';
import { decodeCursor, pageOf } from '../lib/cursor.ts';
import { projectScope } from '@divblur/http';
import { requestSha256, replayOf, resolveJsonInputs, storeBatch, type BatchServices } from '../deconvolutions/create-batch.ts';
import { createBatchFromMultipart } from '../deconvolutions/batch-upload.ts';

const CREATED_KEY = { type: 'time', nullable: false } as const;

/** The batch as GET answers it: its row, its progress from its pages, and each input's. */
export async function batchView(db: Repositories, id: string) {
  const batch = await db.batches.get(id);
  if (batch === null) throw new NotFoundError('batch', id);
  const [inputs, tasks] = await Promise.all([db.batches.inputs(id), db.batches.tasks(id)]);
  return presentBatch(batch, inputs, tasks);
}

/** The batches of a page of the list, each as batchView answers it: their inputs and tasks in two queries for the page. */
async function batchViews(db: Repositories, batches: readonly BatchRecord[]) {
  const ids = batches.map((batch) => batch.id);
  const [inputs, tasks] = await Promise.all([db.batches.inputsOfBatches(ids), db.batches.tasksOfBatches(ids)]);
  const byBatch = <T extends { batchId: string }>(rows: T[]) => {
    const groups = new Map<string, T[]>();
    for (const row of rows) {
      const group = groups.get(row.batchId);
      if (group === undefined) groups.set(row.batchId, [row]); else group.push(row);
    }
    return groups;
  };
  const inputsBy = byBatch(inputs);
  const tasksBy = byBatch(tasks);
  return batches.map((batch) => presentBatch(batch, inputsBy.get(batch.id) ?? [], tasksBy.get(batch.id) ?? []));
}

function presentBatch(batch: BatchRecord, inputs: BatchInputRecord[], tasks: Awaited<ReturnType<Repositories['batches']['tasks']>>) {
  const progress = batchProgress(inputs, tasks);
  const { callbackUrl, idempotencyKey: _key, requestSha256: _sha, ...rest } = batch;
  return {
    ...rest, callback: callbackUrl === null ? null : { url: callbackUrl },
    pages: progress.pages, pagesPerHour: progress.pagesPerHour, etaSeconds: progress.etaSeconds, inputs: progress.inputs,
  };
}

export const deconvolutionRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices; batches: BatchServices; limits: ApiLimits }> = async (app, { services, batches, limits }) => {
  const { db, blobs } = services;
  const deps = { db, blobs, batches };

  app.post('/deconvolutions', {
    schema: {
      tags: ['deconvolutions'],
      summary: 'Deconvolve a batch of TIFF stacks: multipart (fields modelId, options, output, callback as JSON text, then file fields "inputs"), '
        + 'or JSON with inputs { datasetId } or { s3: "s3://bucket/prefix/" }. 202 with the batch; Idempotency-Key honoured.',
      headers: BatchIdempotencyHeaders,
      body: { content: { 'application/json': { schema: CreateBatchBody }, 'multipart/form-data': { schema: BatchUpload } } } as never,
      response: { 200: Batch, 202: Batch, ...errorResponses(400, 404, 409, 413, 415) },
    },
  }, async (request, reply) => {
    const idempotencyKey = request.headers['idempotency-key'] ?? null;
    let result;
    if (request.isMultipart()) {
      result = await createBatchFromMultipart(request, deps, limits.maxUploadBytes, idempotencyKey);
    } else {
      const body = request.body as CreateBatchBody;
      const sha256 = requestSha256(body);
      const replay = await replayOf(db, idempotencyKey, sha256);
      result = replay !== null ? { batch: replay, created: false }
        : await storeBatch(deps, crypto.randomUUID(), body, await resolveJsonInputs(deps, body.inputs), idempotencyKey, sha256);
    }
    const view = await batchView(db, result.batch.id);
    if (!result.created) return reply.status(200).send(view);
    return reply.status(202).header('location', `/v1/deconvolutions/${view.id}`).send(view);
  });

  app.get('/deconvolutions', {
    schema: {
      tags: ['deconvolutions'], summary: 'Batches, newest first (sort=created: oldest first), keyset-paginated, each as GET /v1/deconvolutions/:id answers it; optionally only those with status, of modelId',
      querystring: BatchListQuery, response: { 200: Page(Batch), ...errorResponses(400) },
    },
  }, async (request) => {
    const { limit, cursor, sort, status, modelId } = request.query;
    const after = cursor === undefined ? undefined : decodeCursor(cursor, sort, CREATED_KEY);
    const rows = await db.batches.list(limit + 1, {
      descending: sort === '-created', projectId: projectScope(request), status, modelId,
      ...(after ? { after: { createdAt: after.key as string, id: after.id } } : {}),
    });
    const page = pageOf(rows, limit, (last) => ({ sort, key: last.createdAt, id: last.id }));
    return { items: await batchViews(db, page.items), nextCursor: page.nextCursor };
  });

  app.get('/deconvolutions/:id', {
    schema: { tags: ['deconvolutions'], summary: 'A batch: state, pages done/failed/total, pages per hour, ETA, per-input status', params: IdParams, response: { 200: Batch, ...errorResponses(400, 404) } },
  }, async (request) => batchView(db, request.params.id));

  app.get('/deconvolutions/:id/manifest', {
    schema: {
      tags: ['deconvolutions'], summary: 'Per page: output key, samples used, MC standard error, discrepancy, mean posterior std, time (JSON, or CSV with format=csv)',
      params: IdParams, querystring: ManifestQuery,
      response: {
        200: {
          description: 'the manifest: JSON { batchId, status, inputs, pages }, or with format=csv one line per page',
          content: { 'application/json': { schema: Type.Object({ batchId: Type.String(), status: Type.String(), inputs: Type.Array(Type.Unknown()), pages: Type.Array(Type.Unknown()) }) }, 'text/csv': { schema: Type.String() } },
        },
        ...errorResponses(400, 404),
      } as never,
    },
  }, async (request, reply) => {
    const batch = await db.batches.get(request.params.id);
    if (batch === null) throw new NotFoundError('batch', request.params.id);
    const [inputs, tasks] = await Promise.all([db.batches.inputs(batch.id), db.batches.tasks(batch.id)]);
    const manifest = manifestOf(inputs, tasks);
    if (request.query.format === 'csv') {
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="manifest-${batch.id}.csv"`).send(manifestCsv(manifest));
    }
    return { batchId: batch.id, status: batch.status, ...manifest };
  });

  app.post('/deconvolutions/:id/cancel', {
    schema: { tags: ['deconvolutions'], summary: 'Cancel: no new page starts; the pages running finish', params: IdParams, response: { 200: Batch, ...errorResponses(400, 404, 409) } },
  }, async (request) => {
    const batch = await db.batches.get(request.params.id);
    if (batch === null) throw new NotFoundError('batch', request.params.id);
    if (!(await db.batches.cancel(batch.id))) throw new ConflictError('BATCH_SETTLED', `batch ${batch.id} is ${batch.status}: there is nothing to cancel`);
    return batchView(db, batch.id);
  });

  app.post('/deconvolutions/:id/retry', {
    schema: { tags: ['deconvolutions'], summary: 'Run the failed pages of a failed batch again (a new round)', params: IdParams, response: { 202: Batch, ...errorResponses(400, 404, 409) } },
  }, async (request, reply) => {
    const batch = await db.batches.get(request.params.id);
    if (batch === null) throw new NotFoundError('batch', request.params.id);
    const retried = await db.batches.retry(batch.id);
    if (retried === null) throw new ConflictError('NOTHING_TO_RETRY', `batch ${batch.id} is ${batch.status}: only a settled batch with failed pages can be retried`);
    await batches.queue.enqueueRound(batch.id, retried.round, retried.taskIds);
    return reply.status(202).send(await batchView(db, batch.id));
  });
};
