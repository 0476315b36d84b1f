/** /v1/datasets: upload (multipart TIFF, streamed), import (s3://) or simulate a dataset; list (newest first); get. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiServices } from '../services.ts';
import type { ApiLimits } from '../app.ts';
import { Dataset, DatasetJsonBody, DatasetUpload } from '../schemas/dataset.ts';
import { errorResponses, IdParams, Page, PageQuery } from '../schemas/common.ts';
import { storeDataset, type DatasetFields, type DatasetFiles } from '../lib/dataset-ingest.ts';
import { ingestMultipart } from '../lib/multipart-upload.ts';
import { simulateDatasetOffThread } from '../lib/synthetic.ts';
import { decodeCursor, pageOf } from '../lib/cursor.ts';
import { BadRequestError, NotFoundError } from '../lib/errors.ts';
import { projectOfNewRows, projectScope } from '@divblur/http';
import { ImageFormatError } from '@divblur/imaging';

const CREATED_KEY = { type: 'time', nullable: false } as const;

export const datasetRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices; limits: ApiLimits }> = async (app, { services, limits }) => {
  app.post('/datasets', {
    schema: {
      tags: ['datasets'],
      summary: 'Create a dataset: multipart upload (files noisy, gt?, psf?; fields name, pixelSizeNm, noiseSigma or noiseModel, patchSize), or JSON { s3 } or { synthetic }',
      body: { content: { 'application/json': { schema: DatasetJsonBody }, 'multipart/form-data': { schema: DatasetUpload } } } as never,
      response: { 201: Dataset, ...errorResponses(400, 413, 415) },
    },
  }, async (request, reply) => {
    const dataset = request.isMultipart()
      ? await ingestMultipart(request, services, limits.maxUploadBytes)
      : await fromJson(request.body as DatasetJsonBody | undefined, services, projectOfNewRows(request));
    return reply.status(201).header('location', `/v1/datasets/${dataset.id}`).send(dataset);
  });

  app.get('/datasets', {
    schema: { tags: ['datasets'], summary: 'Datasets, newest first (sort=created: oldest first), keyset-paginated', querystring: PageQuery, response: { 200: Page(Dataset), ...errorResponses(400) } },
  }, async (request) => {
    const { limit, cursor, sort } = request.query;
    const after = cursor === undefined ? undefined : decodeCursor(cursor, sort, CREATED_KEY);
    const rows = await services.db.datasets.list(limit + 1, {
      descending: sort === '-created', projectId: projectScope(request), ...(after ? { after: { createdAt: after.key as string, id: after.id } } : {}),
    });
    return pageOf(rows, limit, (last) => ({ sort, key: last.createdAt, id: last.id }));
  });

  app.get('/datasets/:id', {
    schema: { tags: ['datasets'], params: IdParams, response: { 200: Dataset, ...errorResponses(400, 404) } },
  }, async (request) => {
    const dataset = await services.db.datasets.get(request.params.id);
    if (!dataset) throw new NotFoundError('dataset', request.params.id);
    return dataset;
  });
};

async function fromJson(body: DatasetJsonBody | undefined, services: ApiServices, projectId: string | null) {
  if (!body || (body.s3 === undefined) === (body.synthetic === undefined)) {
    throw new BadRequestError('DATASET_SOURCE', 'send exactly one of { "s3": "s3://…" } or { "synthetic": { preset, n, seed } }, or a multipart upload');
  }
  const fields: DatasetFields = {
    name: body.name, pixelSizeNm: body.pixelSizeNm, noiseSigma: body.noiseSigma, patchSize: body.patchSize, projectId,
    ...(body.noiseModel === undefined ? {} : { noiseModel: body.noiseModel }),
  };
  if (body.s3 !== undefined) {
    const uris = typeof body.s3 === 'string' ? { noisy: body.s3 } : body.s3;
    const files: DatasetFiles = { noisy: await services.s3Import(uris.noisy) };
    if (uris.gt) files.gt = await services.s3Import(uris.gt);
    if (uris.psf) files.psf = await services.s3Import(uris.psf);
    return storeDataset(services, files, fields, 's3', { s3: uris }).catch((error: unknown) => {
      // The decoders quote a file's first bytes and header; an import's error must not echo an object's content.
      if (error instanceof ImageFormatError) throw new BadRequestError(error.code, `an s3:// object of the dataset is not a readable TIFF or .npy stack (${error.code}); an import's error does not show its bytes`);
      throw error;
    });
  }
  const synthetic = body.synthetic!;
  const simulated = await simulateDatasetOffThread(synthetic);
  return storeDataset(services, simulated.files, {
    ...fields, noiseSigma: fields.noiseSigma ?? (fields.noiseModel === undefined ? simulated.noiseSigma : undefined), pixelSizeNm: fields.pixelSizeNm ?? simulated.pixelSizeNm,
  }, 'synthetic', { synthetic, fwhmPx: simulated.fwhmPx });
}
