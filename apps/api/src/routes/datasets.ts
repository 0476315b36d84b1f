/** /v1/datasets: upload (multipart TIFF), import (s3://) or simulate a dataset; list; get. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { ApiServices } from '../services.ts';
import type { ApiLimits } from '../app.ts';
import { Dataset, DatasetFieldsSchema, DatasetJsonBody, ErrorResponse, IdParams, PageQuery } from '../schemas/dataset.ts';
import { storeDataset, type DatasetFields, type DatasetFiles } from '../lib/dataset-ingest.ts';
import { simulateDataset } from '../lib/synthetic.ts';
import { BadRequestError, NotFoundError } from '../lib/errors.ts';

const FILE_FIELDS = ['noisy', 'gt', 'psf'] as const;
const FieldsSchema = Type.Object(DatasetFieldsSchema, { additionalProperties: false });

export const datasetRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices; limits: ApiLimits }> = async (app, { services }) => {
  app.post('/datasets', {
    schema: {
      tags: ['datasets'],
      summary: 'Create a dataset: multipart upload (files noisy, gt?, psf?; fields name, pixelSizeNm, noiseSigma, patchSize), or JSON { s3 } or { synthetic }',
      body: { content: { 'application/json': { schema: DatasetJsonBody } } } as never,
      response: { 201: Dataset, 400: ErrorResponse, 413: ErrorResponse },
    },
  }, async (request, reply) => {
    const dataset = request.isMultipart() ? await fromMultipart(request, services) : await fromJson(request.body as DatasetJsonBody, services);
    return reply.status(201).header('location', `/v1/datasets/${dataset.id}`).send(dataset);
  });

  app.get('/datasets', {
    schema: { tags: ['datasets'], querystring: PageQuery, response: { 200: Type.Object({ items: Type.Array(Dataset), nextCursor: Type.Union([Type.String(), Type.Null()]) }) } },
  }, async (request) => {
    const items = await services.db.datasets.list(request.query.limit, request.query.cursor);
    return { items, nextCursor: items.length === request.query.limit ? items[items.length - 1].id : null };
  });

  app.get('/datasets/:id', {
    schema: { tags: ['datasets'], params: IdParams, response: { 200: Dataset, 404: ErrorResponse } },
  }, async (request) => {
    const dataset = await services.db.datasets.get(request.params.id);
    if (!dataset) throw new NotFoundError('dataset', request.params.id);
    return dataset;
  });
};

async function fromMultipart(request: FastifyRequest, services: ApiServices) {
  const files: Partial<DatasetFiles> = {};
  const raw: Record<string, unknown> = {};
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      if (!(FILE_FIELDS as readonly string[]).includes(part.fieldname)) {
        part.file.resume();
        throw new BadRequestError('UNKNOWN_FILE_FIELD', `unexpected file field "${part.fieldname}"; send noisy, and optionally gt and psf`);
      }
      files[part.fieldname as typeof FILE_FIELDS[number]] = await part.toBuffer();
    } else {
      raw[part.fieldname] = part.value;
    }
  }
  if (!files.noisy) throw new BadRequestError('NOISY_MISSING', 'the multipart upload needs a file field "noisy" (a TIFF stack)');
  return storeDataset(services, files as DatasetFiles, parseFields(raw), 'upload');
}

function parseFields(raw: Record<string, unknown>): DatasetFields {
  const converted = Value.Convert(FieldsSchema, raw);
  const first = Value.Errors(FieldsSchema, converted).First();
  if (first) throw new BadRequestError('VALIDATION', `field ${first.path.slice(1) || '(form)'}: ${first.message}`);
  return converted as DatasetFields;
}

async function fromJson(body: DatasetJsonBody | undefined, services: ApiServices) {
  if (!body || (body.s3 === undefined) === (body.synthetic === undefined)) {
    throw new BadRequestError('DATASET_SOURCE', 'send exactly one of { "s3": "s3://…" } or { "synthetic": { preset, n, seed } }, or a multipart upload');
  }
  const fields: DatasetFields = { name: body.name, pixelSizeNm: body.pixelSizeNm, noiseSigma: body.noiseSigma, patchSize: body.patchSize };
  if (body.s3 !== undefined) {
    const uris = typeof body.s3 === 'string' ? { noisy: body.s3 } : body.s3;
    const files: DatasetFiles = { noisy: await services.s3Import(uris.noisy) };
    if (uris.gt) files.gt = await services.s3Import(uris.gt);
    if (uris.psf) files.psf = await services.s3Import(uris.psf);
    return storeDataset(services, files, fields, 's3', { s3: uris });
  }
  const synthetic = body.synthetic!;
  const simulated = simulateDataset(synthetic);
  return storeDataset(services, simulated.files, {
    ...fields, noiseSigma: fields.noiseSigma ?? simulated.noiseSigma, pixelSizeNm: fields.pixelSizeNm ?? simulated.pixelSizeNm,
  }, 'synthetic', { synthetic, fwhmPx: simulated.fwhmPx });
}
