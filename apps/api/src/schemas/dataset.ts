/** Dataset request and response schemas. */
import { Type, type Static } from '@sinclair/typebox';

export const DatasetFieldsSchema = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  pixelSizeNm: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'pixel size, nm' })),
  noiseSigma: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'noise σ > 0 in intensity units, when known' })),
  patchSize: Type.Optional(Type.Integer({ minimum: 8, maximum: 1024, description: 'refuse images smaller than this, px' })),
};

export const S3Source = Type.Union([
  Type.String({ pattern: '^s3://', description: 's3://bucket/key of the noisy stack' }),
  Type.Object({
    noisy: Type.String({ pattern: '^s3://' }),
    gt: Type.Optional(Type.String({ pattern: '^s3://' })),
    psf: Type.Optional(Type.String({ pattern: '^s3://' })),
  }, { additionalProperties: false }),
]);

export const SyntheticSpec = Type.Object({
  preset: Type.Union([Type.Literal('dataset1'), Type.Literal('dataset2')], {
    description: 'dataset1: FWHM 3.8 px, σ 0.03 (low noise); dataset2: FWHM 3.0 px, σ 0.11 (high noise)',
  }),
  n: Type.Integer({ minimum: 1, maximum: 1000, description: 'number of images' }),
  seed: Type.Integer({ minimum: 0, default: 0 }),
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
  createdAt: Type.String(),
});

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});

export const ErrorResponse = Type.Object({
  statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String(), requestId: Type.String(),
});
