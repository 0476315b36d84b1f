/**
 * GET /v1/runs/:id/images/:index: one held-out image of a run's evaluation as a grayscale PNG for people to look at —
 * the input (the noisy image), its MMSE or per-pixel std (kept by the evaluation, libs/storage evaluation-images.ts),
 * or the ground truth — with contrast limits given (min, max, in the data's units) or at percentiles of the image.
 * `index` counts the evaluation split's images (0 … n − 1); X-Image-Index says which image of the dataset it is.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { encodeImagePng, percentiles, stackImage, type Image } from '@divblur/imaging';
import { BlobNotFoundError, evaluationSplitOf, readEvaluationImages, readStack } from '@divblur/storage';
import type { ApiServices } from '../services.ts';
import { errorResponses, Uuid } from '../schemas/common.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../lib/errors.ts';

export const IMAGE_KINDS = ['input', 'mmse', 'std', 'gt'] as const;
export type ImageKind = typeof IMAGE_KINDS[number];
/** Default contrast: the 0.1th to the 99.9th percentile, so that neither a hot pixel nor the offset sets it. */
export const DEFAULT_PERCENTILES = { low: 0.1, high: 99.9 } as const;

const ImageParams = Type.Object({
  id: Uuid, index: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'the image of the evaluation split, from 0' }),
}, { additionalProperties: false });

const Percentile = (description: string, fallback: number) => Type.Number({ minimum: 0, maximum: 100, default: fallback, description });
const ImageQuery = Type.Object({
  kind: Type.Union(IMAGE_KINDS.map((k) => Type.Literal(k)), { default: 'mmse', description: 'input (noisy), mmse, std (posterior std), gt' }),
  min: Type.Optional(Type.Number({ description: 'the value shown black, in the data\'s units (default: at lowPercentile)' })),
  max: Type.Optional(Type.Number({ description: 'the value shown white (default: at highPercentile)' })),
  lowPercentile: Percentile('percentile of the image shown black when min is not given', DEFAULT_PERCENTILES.low),
  highPercentile: Percentile('percentile of the image shown white when max is not given', DEFAULT_PERCENTILES.high),
}, { additionalProperties: false });

export const runImageRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (app, { services }) => {
  const { db, blobs } = services;

  app.get('/runs/:id/images/:index', {
    schema: {
      tags: ['runs'], summary: 'A held-out image of the run\'s evaluation (input, MMSE, std or ground truth) as an 8-bit grayscale PNG',
      params: ImageParams, querystring: ImageQuery,
      response: {
        200: {
          description: 'the image, values mapped linearly from [min, max] to 0…255 and clipped; X-Contrast-Min / X-Contrast-Max give the limits used, X-Image-Index the dataset\'s image',
          content: { 'image/png': { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', contentMediaType: 'image/png' }) } },
        },
        ...errorResponses(400, 404, 409),
      },
    },
  }, async (request, reply) => {
    const { id, index } = request.params;
    const { kind, min, max, lowPercentile, highPercentile } = request.query;
    if (min !== undefined && max !== undefined && !(min < max)) throw new BadRequestError('CONTRAST_RANGE', `min ${min} must be below max ${max}`);
    if (!(lowPercentile < highPercentile)) throw new BadRequestError('CONTRAST_RANGE', `lowPercentile ${lowPercentile} must be below highPercentile ${highPercentile}`);
    const run = await db.runs.get(id);
    if (!run) throw new NotFoundError('run', id);
    const evaluated = run.modelId === null ? null : await db.models.forEvaluation(run.modelId);
    if (evaluated === null) throw new ConflictError('RUN_NOT_TRAINED', `run ${id} is ${run.status}: it has no model, so no held-out images yet`);
    const { model, dataset } = evaluated;
    const split = evaluationSplitOf(model.meta, dataset.count);
    if (index >= split.evalIndices.length) throw new NotFoundError('image', `${index} of run ${id} (its evaluation has ${split.evalIndices.length})`);
    const datasetIndex = split.evalIndices[index];

    const image = await imageOf(kind as ImageKind);
    const [low, high] = percentiles(image.data, [lowPercentile, highPercentile]);
    const limits = { min: min ?? (Number.isFinite(low) ? low : 0), max: max ?? (Number.isFinite(high) ? high : 0) };
    return reply.type('image/png').header('cache-control', 'private, no-cache')
      .header('x-contrast-min', String(limits.min)).header('x-contrast-max', String(limits.max)).header('x-image-index', String(datasetIndex))
      .send(encodeImagePng(image, limits));

    async function imageOf(which: ImageKind): Promise<Image> {
      if (which === 'input') return stackImage(await readStack(blobs, dataset.noisyKey), datasetIndex);
      if (which === 'gt') {
        if (dataset.gtKey === null) throw new NotFoundError('ground truth', `of dataset ${dataset.id}`);
        return stackImage(await readStack(blobs, dataset.gtKey), datasetIndex);
      }
      try {
        const stack = await readEvaluationImages(blobs, id, split.imageSet, which);
        if (index < stack.count) return stackImage(stack, index);
      } catch (error) {
        if (!(error instanceof BlobNotFoundError)) throw error;
      }
      throw new ConflictError('RUN_NOT_EVALUATED', `run ${id} is ${run!.status}: its evaluation has kept no ${which} images yet (POST /v1/runs/${id}/evaluate evaluates it again)`);
    }
  });
};
