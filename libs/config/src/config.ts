import { Value } from '@sinclair/typebox/value';
import { EnvSchema, type Env } from './env-schema.ts';
import { ConfigError } from './errors.ts';
import { accessConfig, s3ImportLocations, type AccessConfig, type S3ImportLocation } from './access-config.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type BackendName = 'auto' | 'tfjs-node-gpu' | 'tfjs-node' | 'native' | 'wasm' | 'cpu';

export type BlobStoreConfig =
  | { kind: 'local'; dir: string }
  | {
      kind: 's3';
      bucket: string;
      region: string;
      endpoint?: string;
      forcePathStyle: boolean;
      /** Absent: the AWS SDK's default chain (env, profile, instance role). */
      credentials?: { accessKeyId: string; secretAccessKey: string };
    };

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  blobStore: BlobStoreConfig;
  host: string;
  apiPort: number;
  inferencePort: number;
  logLevel: LogLevel;
  backend: BackendName;
  /** The native engine's convolution precision; 'auto': libs/divblurring's default. */
  convPrecision: 'auto' | 'f32' | 'bf16' | 'bf16-backward';
  /** Data-parallel shards of one training ('auto': one per core). */
  trainShards: 'auto' | number;
  /** Key of the batch callbacks' HMAC signature; absent: batches cannot ask for a callback. */
  callbackSecret?: string;
  inferenceJobLockMs: number;
  /** API keys' rate limits, CORS, /metrics (access-config.ts). */
  access: AccessConfig;
  /** Where user-given s3:// URIs may be read from; empty: nowhere. */
  s3ImportAllow: readonly S3ImportLocation[];
}

/**
 * Parses and validates the environment once. Empty strings count as unset; unknown variables are
 * ignored. Throws `ConfigError` listing every problem (by variable name, never by value).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') raw[key] = value.trim();
  }
  const withDefaults = Value.Default(EnvSchema, raw);
  const converted = Value.Convert(EnvSchema, withDefaults);
  const problems = [...Value.Errors(EnvSchema, converted)].map(
    (error) => `${error.path.slice(1) || '(root)'}: ${describe(error.schema, error.message)}`,
  );
  if (problems.length > 0) throw new ConfigError(dedupe(problems));
  const parsed = converted as Env;
  const config: Config = {
    nodeEnv: parsed.NODE_ENV,
    databaseUrl: parsed.DATABASE_URL,
    redisUrl: parsed.REDIS_URL,
    queuePrefix: parsed.QUEUE_PREFIX,
    blobStore: blobStoreConfig(parsed),
    host: parsed.HOST,
    apiPort: parsed.API_PORT,
    inferencePort: parsed.INFERENCE_PORT,
    logLevel: parsed.LOG_LEVEL as LogLevel,
    backend: parsed.DIVBLUR_BACKEND as BackendName,
    convPrecision: parsed.DIVBLUR_CONV_PRECISION as Config['convPrecision'],
    trainShards: parsed.DIVBLUR_TRAIN_SHARDS as Config['trainShards'],
    ...(parsed.CALLBACK_SECRET === undefined ? {} : { callbackSecret: parsed.CALLBACK_SECRET }),
    inferenceJobLockMs: parsed.INFERENCE_JOB_LOCK_MS,
    access: accessConfig(parsed),
    s3ImportAllow: s3ImportLocations(parsed.S3_IMPORT_ALLOW, parsed.BLOB_STORE === 's3' ? parsed.S3_BUCKET : undefined),
  };
  return deepFreeze(config);
}

function blobStoreConfig(parsed: Env): BlobStoreConfig {
  if (parsed.BLOB_STORE === 'local') return { kind: 'local', dir: parsed.BLOB_DIR };
  const problems: string[] = [];
  if (parsed.S3_BUCKET === undefined) problems.push('S3_BUCKET: required when BLOB_STORE=s3');
  const hasKey = parsed.S3_ACCESS_KEY_ID !== undefined;
  const hasSecret = parsed.S3_SECRET_ACCESS_KEY !== undefined;
  if (hasKey !== hasSecret) {
    problems.push('S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY: set both or neither (neither: the AWS default chain)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    kind: 's3',
    bucket: parsed.S3_BUCKET as string,
    region: parsed.S3_REGION,
    ...(parsed.S3_ENDPOINT === undefined ? {} : { endpoint: parsed.S3_ENDPOINT }),
    forcePathStyle: parsed.S3_FORCE_PATH_STYLE,
    ...(hasKey
      ? { credentials: { accessKeyId: parsed.S3_ACCESS_KEY_ID as string, secretAccessKey: parsed.S3_SECRET_ACCESS_KEY as string } }
      : {}),
  };
}

/** TypeBox says "Expected union value"; a person wants the allowed values. */
function describe(schema: { anyOf?: { const?: unknown }[]; pattern?: string; description?: string }, fallback: string): string {
  if (schema.anyOf?.every((member) => member.const !== undefined)) {
    return `expected one of ${schema.anyOf.map((member) => String(member.const)).join(' | ')}`;
  }
  if (schema.description !== undefined) return `expected ${schema.description}`;
  return fallback.replace(/^Expected/, 'expected');
}

function dedupe(problems: string[]): string[] {
  return [...new Set(problems)];
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) if (child !== null && typeof child === 'object') deepFreeze(child);
  return Object.freeze(value);
}
