import { Type, type Static } from '@sinclair/typebox';

/**
 * The environment variables the service reads, with defaults. Every process validates them once
 * through `loadConfig`; nothing else reads `process.env`.
 */
const Port = (fallback: number) => Type.Integer({ minimum: 0, maximum: 65535, default: fallback, description: 'a port number 0…65535' });
const Url = (fallback?: string) =>
  Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9+.-]*://', description: 'a URL (scheme://…)', ...(fallback === undefined ? {} : { default: fallback }) });

export const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development' }),
  DATABASE_URL: Url('postgresql://postgres@127.0.0.1:5432/divblur'),
  REDIS_URL: Url('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$', default: 'divblur' }),
  BLOB_STORE: Type.Union([Type.Literal('local'), Type.Literal('s3')], { default: 'local' }),
  BLOB_DIR: Type.String({ minLength: 1, default: '.data/blobs' }),
  S3_ENDPOINT: Type.Optional(Url()),
  S3_BUCKET: Type.Optional(Type.String({ minLength: 3, maxLength: 63 })),
  S3_REGION: Type.String({ minLength: 1, default: 'us-east-1' }),
  S3_ACCESS_KEY_ID: Type.Optional(Type.String({ minLength: 1 })),
  S3_SECRET_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  S3_FORCE_PATH_STYLE: Type.Boolean({ default: false }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  API_PORT: Port(3000),
  INFERENCE_PORT: Port(3001),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  /**
   * HMAC-SHA256 key of batch callbacks (`X-Divblur-Signature: sha256=<hex of HMAC(body)>`); without it a batch
   * cannot ask for a callback (the API answers 400), so that every callback the LIMS receives is signed.
   */
  CALLBACK_SECRET: Type.Optional(Type.String({ minLength: 16, description: 'a secret of at least 16 characters' })),
  /**
   * How long an inference worker's job lock lasts (renewed at half of it while the job runs): after a worker dies,
   * its job is taken over once the lock has expired and the next stalled-job check runs (as often as the lock).
   */
  INFERENCE_JOB_LOCK_MS: Type.Integer({ minimum: 1000, maximum: 600_000, default: 60_000, description: 'milliseconds 1000…600000' }),
  /** Browser origins allowed to call the services (CORS), comma-separated; unset: CORS off (no cross-origin page can read an answer). */
  CORS_ORIGINS: Type.Optional(Type.String()),
  /** Calls per API key per minute on every /v1 route (counted in Redis, so across instances). */
  RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 600, description: 'an integer 1…1000000' }),
  /** Calls per API key per minute that start work: POST /v1/experiments, /v1/deconvolutions, /v1/models/:id/deconvolve. */
  RATE_LIMIT_EXPENSIVE_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 30, description: 'an integer 1…1000000' }),
  /** /metrics needs an API key (scope read); default false: open, like /healthz and /readyz, for a scraper on the private network. */
  METRICS_REQUIRE_KEY: Type.Boolean({ default: false }),
  /** Where s3:// dataset and batch imports may read: comma-separated s3://bucket/ or s3://bucket/prefix/; unset: no s3:// import. */
  S3_IMPORT_ALLOW: Type.Optional(Type.String()),
  /** `auto` tries tfjs-node-gpu → tfjs-node → native → wasm (libs/divblurring decides). */
  DIVBLUR_BACKEND: Type.Union(
    ['auto', 'tfjs-node-gpu', 'tfjs-node', 'native', 'wasm', 'cpu'].map((name) => Type.Literal(name)),
    { default: 'auto' },
  ),
  /** Convolutions of the native training engine: `auto` = bf16 in the backward passes where the CPU has AMX, else f32 (libs/divblurring autoConvPrecision); or f32 / bf16 / bf16-backward. */
  DIVBLUR_CONV_PRECISION: Type.Union(['auto', 'f32', 'bf16', 'bf16-backward'].map((name) => Type.Literal(name)), { default: 'auto' }),
  /** Data-parallel shards of one training: `auto` = one per core (libs/divblurring autoShards), or an integer 1…64. */
  DIVBLUR_TRAIN_SHARDS: Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 1, maximum: 64 })], { default: 'auto', description: "'auto' or an integer 1…64" }),
});
export type Env = Static<typeof EnvSchema>;
