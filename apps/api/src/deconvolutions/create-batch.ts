/**
 * POST /v1/deconvolutions without the HTTP: everything the client can get wrong is checked before anything is written
 * or queued — the model (it exists, its run succeeded), the options (the schema: samples, tolerance, memory budget),
 * the output (libs/batch output-location.ts; never overlapping another batch's, of any project: 409), the callback (only when callbacks can be signed), the inputs (a dataset
 * that exists, an s3:// prefix with TIFFs in it, or uploads) — then the batch and its inputs are one transaction and
 * its planning job is queued (deconvolve-batch, in the inference workers). An Idempotency-Key seen before returns the
 * first batch for the same request and is refused (409) for another; a failed enqueue takes the rows and uploads back.
 * Inputs are not decoded here: a corrupt stack fails alone in the batch, with its reason, and the others complete.
 */
import { createHash } from 'node:crypto';
import type { BatchOptions, BatchOutputRequest } from '@divblur/batch/options';
import { resolveOutputLocation } from '@divblur/batch/output-location';
import { uniqueStems } from '@divblur/batch';
import { BatchOutputInUseError, type BatchRecord, type Repositories } from '@divblur/db';
import type { BlobStore } from '@divblur/storage';
import { canonicalJson } from '../lib/canonical-json.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../lib/errors.ts';
import type { BatchQueue } from '../queue/bullmq-batch-queue.ts';
import type { CreateBatchBody } from '../schemas/deconvolution.ts';

/** The most inputs one batch takes (s3 objects or uploaded files). */
export const MAX_BATCH_INPUTS = 1000;

export interface BatchServices {
  readonly queue: BatchQueue;
  /** The objects under `s3://bucket/prefix/`, with the configuration's S3 connection. */
  listS3(prefixUri: string): Promise<{ uri: string; key: string }[]>;
  /** CALLBACK_SECRET is configured: without it a callback could not be signed, so none is accepted. */
  readonly callbacksSigned: boolean;
}

export interface BatchDeps {
  readonly db: Repositories;
  readonly blobs: BlobStore;
  readonly batches: BatchServices;
}

/** What every request gives besides its inputs. */
export interface BatchFields {
  modelId: string;
  options: BatchOptions;
  output: BatchOutputRequest;
  callback?: { url: string };
}

export interface PlannedInput { name: string; source: string; pixelSizeNm: number | null }

/** libs/db's refusal of an output prefix another batch writes under, as the API's 409. */
function asOutputConflict(error: unknown): never {
  if (error instanceof BatchOutputInUseError) throw new ConflictError(error.code, error.message);
  throw error;
}

/** The checks of the fields (model, callback, output) for batch `id`; the resolved output. */
export async function checkBatchFields(deps: BatchDeps, id: string, fields: BatchFields, idempotencyKey: string | null = null) {
  const model = await deps.db.models.get(fields.modelId);
  if (model === null) throw new NotFoundError('model', fields.modelId);
  const run = await deps.db.runs.get(model.runId);
  if (run?.status !== 'succeeded') {
    throw new ConflictError('MODEL_NOT_SERVABLE', `model ${model.id} belongs to run ${model.runId}, which is ${run?.status ?? 'gone'}${run?.error ? ` (${run.error})` : ''}: only a succeeded run's model deconvolves batches`);
  }
  if (fields.callback !== undefined && !deps.batches.callbacksSigned) {
    throw new BadRequestError('CALLBACK_NOT_CONFIGURED', 'this service has no CALLBACK_SECRET, so it cannot sign a callback: leave callback out, or configure the secret');
  }
  const store = deps.blobs as BlobStore & { bucket?: string };
  const output = resolveOutputLocation(fields.output, id, { kind: store.kind, bucket: store.bucket, uri: (key) => store.uri(key) });
  await deps.db.batches.assertOutputPrefixFree(output.prefix, idempotencyKey).catch(asOutputConflict);
  return output;
}

const TIFF = /\.tiff?$/i;

/** A JSON body's inputs: a dataset's noisy stack, or every TIFF under an s3:// prefix. */
export async function resolveJsonInputs(deps: BatchDeps, inputs: CreateBatchBody['inputs']): Promise<PlannedInput[]> {
  if ('datasetId' in inputs) {
    const dataset = await deps.db.datasets.get(inputs.datasetId);
    if (dataset === null) throw new NotFoundError('dataset', inputs.datasetId);
    return [{ name: uniqueStems([dataset.name])[0], source: dataset.noisyKey, pixelSizeNm: dataset.pixelSizeNm }];
  }
  const prefix = inputs.s3.endsWith('/') ? inputs.s3 : `${inputs.s3}/`;
  const tiffs = (await deps.batches.listS3(prefix)).filter((object) => TIFF.test(object.key));
  if (tiffs.length === 0) throw new BadRequestError('S3_PREFIX_NO_TIFFS', `${prefix} holds no .tif or .tiff object: nothing to deconvolve`);
  if (tiffs.length > MAX_BATCH_INPUTS) throw new BadRequestError('TOO_MANY_INPUTS', `${prefix} holds ${tiffs.length} TIFFs, more than the ${MAX_BATCH_INPUTS} one batch takes`);
  const names = uniqueStems(tiffs.map((object) => object.key));
  return tiffs.map((object, i) => ({ name: names[i], source: object.uri, pixelSizeNm: null }));
}

/** Hex SHA-256 of the request's canonical form: equal requests, equal hashes (uploads count by their bytes' SHA-256). */
export function requestSha256(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/** The first batch is not named: Idempotency-Keys are the lab's, and it may be another project's. */
const idempotencyKeyReused = (key: string | null) =>
  new ConflictError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${key}" was used before with a different request: send a new key for a new request`);

/** An earlier batch of this Idempotency-Key, checked against this request: the batch, or 409. */
export async function replayOf(db: Repositories, idempotencyKey: string | null, sha256: string): Promise<BatchRecord | null> {
  if (idempotencyKey === null) return null;
  const first = await db.batches.byIdempotencyKey(idempotencyKey);
  if (first === null) return null;
  if (first.requestSha256 !== sha256) throw idempotencyKeyReused(idempotencyKey);
  return first;
}

/** The rows, then the planning job; a failed enqueue takes the rows back. Returns the batch and whether it is new. */
export async function storeBatch(deps: BatchDeps, id: string, fields: BatchFields, inputs: readonly PlannedInput[],
  idempotencyKey: string | null, sha256: string): Promise<{ batch: BatchRecord; created: boolean }> {
  if (inputs.length === 0) throw new BadRequestError('INPUTS_MISSING', 'the batch has no inputs: upload TIFF stacks (file fields "inputs"), or give inputs { datasetId } or { s3 }');
  const output = await checkBatchFields(deps, id, fields, idempotencyKey);
  const created = await deps.db.batches.create({
    id, modelId: fields.modelId, options: fields.options, output, callbackUrl: fields.callback?.url ?? null,
    idempotencyKey, requestSha256: sha256, inputs,
  }).catch(asOutputConflict);
  if (!created.created) {
    if (created.batch.requestSha256 !== sha256) throw idempotencyKeyReused(idempotencyKey);
    return { batch: created.batch, created: false };
  }
  try {
    await deps.batches.queue.enqueuePlan(id, fields.modelId);
  } catch (error) {
    await deps.db.batches.delete(id);
    throw error;
  }
  return { batch: created.batch, created: true };
}
