/** /v1/models/:id: metadata, the ONNX file, the bioimage.io-style package — streamed from the blob store. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { BlobNotFoundError } from '@divblur/storage';
import type { ApiServices } from '../services.ts';
import { ErrorResponse, IdParams } from '../schemas/dataset.ts';
import { ConflictError, NotFoundError } from '../lib/errors.ts';

const Model = Type.Object({
  id: Type.String(), runId: Type.String(), onnxKey: Type.String(), packageKey: Type.Union([Type.String(), Type.Null()]),
  sizeBytes: Type.Union([Type.Number(), Type.Null()]), meta: Type.Record(Type.String(), Type.Unknown()), createdAt: Type.String(),
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

  app.get('/models/:id', { schema: { tags: ['models'], params: IdParams, response: { 200: Model, 404: ErrorResponse } } },
    async (request) => findModel(request.params.id));

  app.get('/models/:id/onnx', { schema: { tags: ['models'], summary: 'The decoder as ONNX', params: IdParams } }, async (request, reply) => {
    const model = await findModel(request.params.id);
    const info = await headOwnBlob(model.onnxKey);
    return reply.type('application/octet-stream').header('content-length', info.sizeBytes)
      .header('content-disposition', `attachment; filename="divblur-${model.id}.onnx"`).send(await blobs.get(model.onnxKey));
  });

  app.get('/models/:id/package', { schema: { tags: ['models'], summary: 'The bioimage.io-style model zip', params: IdParams } }, async (request, reply) => {
    const model = await findModel(request.params.id);
    if (model.packageKey === null) throw new ConflictError('PACKAGE_NOT_BUILT', `model ${model.id} has no package yet (it is written after ONNX export)`);
    const info = await headOwnBlob(model.packageKey);
    return reply.type('application/zip').header('content-length', info.sizeBytes)
      .header('content-disposition', `attachment; filename="divblur-${model.id}.zip"`).send(await blobs.get(model.packageKey));
  });
};
