/**
 * POST /v1/models/:id/deconvolve — one image in, its MMSE out, synchronously.
 * - TIFF body (`image/tiff` or `application/octet-stream`, one page): a float32 TIFF back, the MMSE
 *   (one page) or with `std=true` two pages, MMSE then the per-pixel posterior std.
 * - JSON body `{ shape: [H, W], data: <base64 little-endian float32> }` for small images: JSON back
 *   with `mmse` (and `std`) in the same encoding.
 * Query: samples (default 100), seed (default 0; the same seed gives the same result), std, dihedral (default true:
 * the samples split over the turns and mirrors the model's PSF is symmetric under, each view turned back; the
 * same number of decodes, +0.12 to +0.20 dB on the quality bench), allowUnsucceeded (a model is served only once
 * its run succeeded: 409 otherwise, unless this is true). A client that disconnects stops the decoding.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses } from '@divblur/http';
import { decodeTiff, encodeTiff, stackImage, toStack, type Image } from '@divblur/imaging';
import { DEFAULT_SAMPLES, DEFAULT_SEED, imageFromShape, MAX_SAMPLES, mmse, OnnxInputError, SERVED_DIHEDRAL } from '@divblur/onnx';
import type { ConcurrencyLimit } from '../concurrency.ts';
import type { InferenceServices } from '../services.ts';
import { ClientClosedError, ModelNotFoundError, ModelRunNotSucceededError } from '../errors.ts';

const Params = Type.Object({ id: Type.String({ format: 'uuid', description: 'model id (a UUID)' }) }, { additionalProperties: false });
const Query = Type.Object({
  samples: Type.Integer({ minimum: 1, maximum: MAX_SAMPLES, default: DEFAULT_SAMPLES, description: 'posterior samples averaged' }),
  seed: Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1, default: DEFAULT_SEED, description: 'noise seed; the same seed gives the same result' }),
  std: Type.Boolean({ default: false, description: 'also return the per-pixel posterior std (second page / field)' }),
  dihedral: Type.Boolean({ default: SERVED_DIHEDRAL, description: 'test-time averaging over the turns and mirrors the PSF is symmetric under (samples split over them)' }),
  allowUnsucceeded: Type.Boolean({
    default: false,
    description: 'deconvolve with a model whose run did not succeed (failed, cancelled, not evaluated yet); refused (409) otherwise. x-model-run-status says which',
  }),
}, { additionalProperties: false });
const JsonImage = Type.Object({
  shape: Type.Array(Type.Integer({ minimum: 1, maximum: 65_536 }), { minItems: 2, maxItems: 4, description: '[H, W] (or [1, H, W], [1, 1, H, W])' }),
  // Buffer.from(…, 'base64') skips characters outside the alphabet: refuse them rather than decode something else.
  data: Type.String({ contentEncoding: 'base64', pattern: '^[A-Za-z0-9+/]*={0,2}$', description: 'little-endian float32 values, row-major' }),
}, { additionalProperties: false });
type JsonImage = Static<typeof JsonImage>;
const Base64Floats = Type.String({ contentEncoding: 'base64', description: 'little-endian float32 values, row-major' });
const JsonResult = Type.Object({
  shape: Type.Array(Type.Integer()), samplesUsed: Type.Integer(), seed: Type.Integer(), dihedral: Type.Boolean(),
  mmse: Base64Floats, std: Type.Optional(Base64Floats),
});
const Tiff = (description: string) => ({ schema: Type.String({ format: 'binary', contentMediaType: 'image/tiff', description }) });
const Body = {
  content: {
    'image/tiff': Tiff('one page, float32, uint16 or uint8'),
    'application/octet-stream': Tiff('a TIFF, as image/tiff'),
    'application/json': { schema: JsonImage },
  },
};

function fromBase64(body: JsonImage): Image {
  const bytes = Buffer.from(body.data, 'base64');
  if (bytes.length % 4 !== 0) throw new OnnxInputError('BASE64_LENGTH', `data decodes to ${bytes.length} bytes, not a whole number of float32 values`);
  const data = new Float32Array(bytes.length / 4);
  for (let i = 0; i < data.length; i++) data[i] = bytes.readFloatLE(4 * i);
  return imageFromShape(data, body.shape);
}

function toBase64(values: Float32Array): string {
  const bytes = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i], 4 * i);
  return bytes.toString('base64');
}

function fromTiff(body: Buffer): Image {
  const { stack } = decodeTiff(body);
  if (stack.count !== 1) throw new OnnxInputError('NOT_ONE_IMAGE', `the TIFF holds ${stack.count} images; this endpoint deconvolves one (batch deconvolution comes with /v1/deconvolutions)`);
  return stackImage(stack, 0);
}

export const deconvolveRoutes: FastifyPluginAsync<{ services: InferenceServices; limit: ConcurrencyLimit; bodyLimitBytes: number }> = async (
  app, { services, limit, bodyLimitBytes },
) => {
  app.addContentTypeParser(['image/tiff', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: bodyLimitBytes },
    (_request, body, done) => done(null, body));

  app.post<{ Params: Static<typeof Params>; Querystring: Static<typeof Query>; Body: Buffer | JsonImage }>('/v1/models/:id/deconvolve', {
    bodyLimit: bodyLimitBytes,
    schema: {
      tags: ['deconvolve'], summary: 'MMSE (and optionally std) of one image: TIFF in, TIFF out; or base64 float32 in JSON',
      params: Params, querystring: Query, body: Body,
      response: {
        200: {
          description: 'the MMSE (and std); headers x-samples-used, x-model-id',
          content: { 'image/tiff': Tiff('page 1 the MMSE, page 2 the std when std=true'), 'application/json': { schema: JsonResult } },
        },
        ...errorResponses(400, 404, 409, 413, 415, 429, 503),
      },
    },
  }, async (request, reply) => {
    const { samples, seed, std, dihedral, allowUnsucceeded } = request.query;
    const json = !Buffer.isBuffer(request.body);
    if (json && !isJsonImage(request.body)) {
      throw new OnnxInputError('BAD_JSON_IMAGE', 'a JSON body must be { "shape": [H, W], "data": "<base64 little-endian float32>" }; or send a TIFF as image/tiff');
    }
    const image = json ? fromBase64(request.body as JsonImage) : fromTiff(request.body as Buffer);
    // The run's status now, not when the sessions were cached: a model is trusted once its run succeeded.
    const model = await services.db.models.get(request.params.id);
    if (model === null) throw new ModelNotFoundError(request.params.id);
    if (!model.runSucceeded && !allowUnsucceeded) throw new ModelRunNotSucceededError(model.id, model.runStatus, model.runError);
    void reply.header('x-model-run-status', model.runStatus);
    const sessions = await services.sessions.get(request.params.id);
    // A client that goes away stops the decoding (and frees its slot) instead of leaving it to run for nobody.
    const abandoned = new AbortController();
    const onClose = () => { if (!reply.raw.writableFinished) abandoned.abort(new ClientClosedError()); };
    reply.raw.once('close', onClose);
    const started = performance.now();
    const out = await limit.run(() => mmse(sessions, image, { samples, seed, dihedral, signal: abandoned.signal })).catch((error: unknown) => {
      if (abandoned.signal.aborted) throw abandoned.signal.reason;
      throw error;
    }).finally(() => reply.raw.off('close', onClose));
    app.deconvolutionSeconds.observe((performance.now() - started) / 1000);
    request.log.info({ modelId: request.params.id, height: out.height, width: out.width, samples: out.samplesUsed, seed, dihedral, ms: Math.round(performance.now() - started) }, 'deconvolved');
    void reply.header('x-samples-used', String(out.samplesUsed)).header('x-model-id', request.params.id);
    if (json) {
      return { shape: [out.height, out.width], samplesUsed: out.samplesUsed, seed, dihedral, mmse: toBase64(out.mmse), ...(std ? { std: toBase64(out.std) } : {}) };
    }
    const pages = [{ data: out.mmse, height: out.height, width: out.width }];
    if (std) pages.push({ data: out.std, height: out.height, width: out.width });
    return reply.type('image/tiff').send(Buffer.from(encodeTiff(toStack(pages))));
  });
};

function isJsonImage(body: unknown): body is JsonImage {
  const candidate = body as Partial<JsonImage> | null;
  return candidate !== null && typeof candidate === 'object' && Array.isArray(candidate.shape)
    && candidate.shape.every((d) => Number.isInteger(d) && d > 0) && typeof candidate.data === 'string';
}
