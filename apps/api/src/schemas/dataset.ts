/** Dataset request and response schemas. */
import { Type, type Static } from '@sinclair/typebox';
import { NoiseModelSpec, SPEC_BOUNDS } from '@divblur/queue';
import { Text } from './common.ts';

export const DatasetFieldsSchema = {
  name: Type.Optional(Text({ minLength: 1, maxLength: 200 })),
  pixelSizeNm: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e6, description: 'pixel size, nm (0 < size ≤ 1e6)' })),
  noiseSigma: Type.Optional(Type.Number({
    exclusiveMinimum: 0, maximum: SPEC_BOUNDS.noiseSigmaMax, description: `noise 0 < σ ≤ ${SPEC_BOUNDS.noiseSigmaMax} in intensity units, when known`,
  })),
  patchSize: Type.Optional(Type.Integer({
    minimum: 8, maximum: 1024, description: 'the patch side the dataset will train with, px: images must not be smaller, the PSF must be smaller',
  })),
  // The experiment spec's schema: resolved on the noisy stack at ingest (given values kept, the rest estimated),
  // shown as meta.noiseModel and meta.noiseModelEstimated, and trained with by runs that give no noise of their own.
  // In a multipart form: "estimate" or the object as JSON text.
  noiseModel: Type.Optional(NoiseModelSpec),
};

/** s3://bucket/key; the bucket's name is checked when the URI is read (with a message that says what is wrong). */
const S3Uri = Type.String({
  maxLength: 1024, pattern: '^s3://[^/\\u0000-\\u001f]+/(?:[^\\u0000-\\u001f\\u007f\\ud800-\\udfff]|[\\ud800-\\udbff][\\udc00-\\udfff])+$',
  description: 's3://bucket/key of a TIFF',
});
export const S3Source = Type.Union([
  S3Uri,
  Type.Object({ noisy: S3Uri, gt: Type.Optional(S3Uri), psf: Type.Optional(S3Uri) }, { additionalProperties: false }),
], { description: 'the noisy stack\'s URI, or the URIs of noisy, gt and psf' });

export const SyntheticSpec = Type.Object({
  preset: Type.Union([Type.Literal('dataset1'), Type.Literal('dataset2'), Type.Literal('camera')], {
    description: 'dataset1: FWHM 3.8 px, σ 0.03 (low noise); dataset2: FWHM 3.0 px, σ 0.11 (high noise); camera: dataset2\'s filaments as uint16 ADU (gain 2, read noise 3 ADU, offset 100)',
  }),
  n: Type.Integer({ minimum: 1, maximum: 1000, description: 'number of images' }),
  seed: Type.Integer({ minimum: 0, maximum: SPEC_BOUNDS.seedMax, default: 0 }),
  size: Type.Optional(Type.Integer({ minimum: 16, maximum: 2048, description: 'image side, px' })),
}, { additionalProperties: false });

export const DatasetJsonBody = Type.Object({
  ...DatasetFieldsSchema,
  s3: Type.Optional(S3Source),
  synthetic: Type.Optional(SyntheticSpec),
}, { additionalProperties: false, description: 'exactly one of s3 or synthetic; or send multipart/form-data with files noisy, gt?, psf?' });
export type DatasetJsonBody = Static<typeof DatasetJsonBody>;

export const Dataset = Type.Object({
  id: Type.String(),
  name: Type.String(),
  source: Type.String(),
  count: Type.Integer(), height: Type.Integer(), width: Type.Integer(),
  dtype: Type.String(),
  stats: Type.Object({ min: Type.Number(), max: Type.Number(), mean: Type.Number(), std: Type.Number() }),
  sha256: Type.String(),
  noisyKey: Type.String(),
  gtKey: Type.Union([Type.String(), Type.Null()]),
  psfKey: Type.Union([Type.String(), Type.Null()]),
  psfShape: Type.Union([Type.Array(Type.Integer()), Type.Null()]),
  pixelSizeNm: Type.Union([Type.Number(), Type.Null()]),
  noiseSigma: Type.Union([Type.Number(), Type.Null()]),
  meta: Type.Record(Type.String(), Type.Unknown()),
  projectId: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'the project of the key that created it; null: the lab\'s' })),
  createdAt: Type.String(),
});


/** The multipart form of POST /v1/datasets, for the OpenAPI document (the route streams and checks it itself). */
const TiffFile = Type.String({ format: 'binary', contentMediaType: 'image/tiff' });
export const DatasetUpload = Type.Object({
  noisy: { ...TiffFile, description: 'the noisy stack, a TIFF (float32, uint16 or uint8 pages of one size)' },
  gt: Type.Optional({ ...TiffFile, description: 'ground truth, a TIFF of the same shape (camera data: the signal above the offset, as the evaluation scores x̂ − offset)' }),
  psf: Type.Optional({ ...TiffFile, description: 'the PSF, one 2D page, odd sides, ≥ 0' }),
  ...DatasetFieldsSchema,
}, { additionalProperties: false, description: 'each field at most once' });
