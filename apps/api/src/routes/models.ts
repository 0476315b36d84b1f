/** /v1/models/:id: metadata, the ONNX file, the bioimage.io 0.5 package (libs/onnx package.ts, built at export) — streamed from the blob store. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Readable } from 'node:stream';
import { Type, type TUnsafe } from '@sinclair/typebox';
import { BlobNotFoundError } from '@divblur/storage';
import type { ApiServices } from '../services.ts';
import { errorResponses, IdParams } from '../schemas/common.ts';
import { ConflictError, NotFoundError } from '../lib/errors.ts';
import { RunStatusSchema } from '../schemas/experiment.ts';

const Model = Type.Object({
  id: Type.String(), runId: Type.String(), onnxKey: Type.String(), packageKey: Type.Union([Type.String(), Type.Null()]),
  sizeBytes: Type.Union([Type.Number(), Type.Null()]), meta: Type.Record(Type.String(), Type.Unknown()), createdAt: Type.String(),
  runStatus: RunStatusSchema,
  runSucceeded: Type.Boolean({ description: 'its run succeeded (trained and evaluated): the inference server serves it only then, unless asked otherwise' }),
  runError: Type.Union([Type.String(), Type.Null()], { description: 'why its run failed, when it did' }),
});

/** A file download in the OpenAPI document (the body is streamed from the blob store, not serialised). */
const download = <M extends string>(mediaType: M, description: string) => ({
  description, content: { [mediaType]: { schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary', contentMediaType: mediaType }) } } as Record<M, { schema: TUnsafe<Readable> }>,
});

export const modelRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (app, { services }) => {
  const { db, blobs } = services;
  const findModel = async (id: string) => {
    const model = await db.models.get(id);
    if (!model) throw new NotFoundError('model', id);
    return model;
  };

  /** A model row whose blob is gone is the server's inconsistency (500), not the client's 400. */
  const headOwnBlob = async (key: string) => {
    try {
      return await blobs.head(key);
    } catch (error) {
      if (error instanceof BlobNotFoundError) throw new Error(`blob ${key} of a model row is missing`, { cause: error });
      throw error;
    }
  };

  app.get('/models/:id', { schema: { tags: ['models'], params: IdParams, response: { 200: Model, ...errorResponses(400, 404) } } },
    async (request) => findModel(request.params.id));

  app.get('/models/:id/onnx', {
    schema: { tags: ['models'], summary: 'The decoder as ONNX', params: IdParams, response: { 200: download('application/octet-stream', 'the ONNX graph'), ...errorResponses(400, 404) } },
  }, async (request, reply) => {
    const model = await findModel(request.params.id);
    const info = await headOwnBlob(model.onnxKey);
    return reply.type('application/octet-stream').header('content-length', info.sizeBytes)
      .header('content-disposition', `attachment; filename="divblur-${model.id}.onnx"`).send(await blobs.get(model.onnxKey));
  });

  app.get('/models/:id/package', {
    schema: {
      tags: ['models'], summary: 'The bioimage.io 0.5 model zip: the MMSE and its std in one ONNX graph, for Fiji (deepImageJ) and napari (bioimageio.core)', params: IdParams,
      response: { 200: download('application/zip', 'the model package'), ...errorResponses(400, 404, 409) },
    },
  }, async (request, reply) => {
    const model = await findModel(request.params.id);
    if (model.packageKey === null) throw new ConflictError('PACKAGE_NOT_BUILT', `model ${model.id} has no package yet (it is written after ONNX export)`);
    const info = await headOwnBlob(model.packageKey);
    return reply.type('application/zip').header('content-length', info.sizeBytes)
      .header('content-disposition', `attachment; filename="divblur-${model.id}.zip"`).send(await blobs.get(model.packageKey));
  });
};
