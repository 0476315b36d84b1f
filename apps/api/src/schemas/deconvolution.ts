/** Batch deconvolution (POST /v1/deconvolutions) request and response schemas; the options are libs/batch's. */
import { Type, type Static } from '@sinclair/typebox';
import { BatchOptions, BatchOutputRequest } from '@divblur/batch/options';
import { PageQuery, Text, Uuid } from './common.ts';

export const BatchInputs = Type.Union([
  Type.Object({ datasetId: Uuid }, { additionalProperties: false, description: "a dataset's noisy stack (its pixel size when the file has none)" }),
  Type.Object({
    s3: Type.String({ pattern: '^s3://', maxLength: 1100, description: 's3://bucket/prefix/: every .tif/.tiff object under it, in key order' }),
  }, { additionalProperties: false }),
], { description: 'JSON bodies; multipart uploads send the TIFF stacks as file fields named "inputs" instead' });

export const BatchCallback = Type.Object({
  url: Type.String({ pattern: '^https?://', maxLength: 2000, description: 'POSTed a JSON summary once the batch settles, signed (X-Divblur-Signature: sha256=<hex HMAC-SHA256 of the body>)' }),
}, { additionalProperties: false });

export const CreateBatchBody = Type.Object({
  modelId: Uuid,
  inputs: BatchInputs,
  options: BatchOptions,
  output: BatchOutputRequest,
  callback: Type.Optional(BatchCallback),
}, { additionalProperties: false });
export type CreateBatchBody = Static<typeof CreateBatchBody>;

/** The multipart form (for the OpenAPI document; the route reads it part by part, the fields before the files). */
export const BatchUpload = Type.Object({
  modelId: Uuid,
  options: Type.Optional(Type.String({ description: 'the options as JSON text, e.g. {"samples":100,"tolerance":"default","std":true}' })),
  output: Type.Optional(Type.String({ description: 'the output as JSON text, e.g. {"to":"deconvolutions/night-12/","dtype":"input"}' })),
  callback: Type.Optional(Type.String({ description: 'the callback as JSON text, {"url":"https://lims.example/hook"}' })),
  inputs: Type.Array(Type.String({ contentMediaType: 'image/tiff', description: 'a TIFF stack (z or time pages)' }), { minItems: 1, description: 'one file field "inputs" per stack, after the other fields' }),
}, { additionalProperties: false });

export const BatchIdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Text({ minLength: 1, maxLength: 200, description: 'a retry with the same key and body returns the first batch' })),
});

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Status = Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled')]);
const PageCounts = Type.Object({ done: Type.Integer(), failed: Type.Integer(), total: Type.Integer() });

export const Batch = Type.Object({
  id: Type.String(), modelId: Type.String(), status: Status, options: Type.Unknown(),
  output: Type.Object({ prefix: Type.String(), uri: Type.String(), dtype: Type.String() }),
  callback: Nullable(Type.Object({ url: Type.String() })), round: Type.Integer(), error: Nullable(Type.String()),
  createdAt: Type.String(), startedAt: Nullable(Type.String()), finishedAt: Nullable(Type.String()),
  pages: PageCounts,
  pagesPerHour: Nullable(Type.Number()),
  etaSeconds: Nullable(Type.Number()),
  inputs: Type.Array(Type.Object({
    name: Type.String(), status: Status, error: Nullable(Type.String()), pageCount: Nullable(Type.Integer()), outputKey: Nullable(Type.String()), pages: PageCounts,
  })),
});

/** GET /v1/deconvolutions: a page of batches (PageQuery's limit, cursor, sort), only those with `status`, of `modelId`. */
export const BatchListQuery = Type.Object({
  ...PageQuery.properties,
  status: Type.Optional(Status),
  modelId: Type.Optional(Uuid),
}, { additionalProperties: false });

export const ManifestQuery = Type.Object({
  format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json', description: 'json, or csv (one line per page)' }),
}, { additionalProperties: false });
