import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config.ts';
import { ConfigError } from './errors.ts';

test('an empty environment gives the documented local defaults', () => {
  const config = loadConfig({});
  assert.equal(config.databaseUrl, 'postgresql://postgres@127.0.0.1:5432/divblur');
  assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
  assert.deepEqual(config.blobStore, { kind: 'local', dir: '.data/blobs' });
  assert.equal(config.queuePrefix, 'divblur');
  assert.equal(config.apiPort, 3000);
  assert.equal(config.logLevel, 'info');
  assert.equal(config.backend, 'auto');
});

test('converts numbers and booleans and builds the s3 store config', () => {
  const config = loadConfig({
    BLOB_STORE: 's3', S3_BUCKET: 'lab-data', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true',
    S3_ACCESS_KEY_ID: 'AKIA', S3_SECRET_ACCESS_KEY: 'shh', API_PORT: '8080', LOG_LEVEL: 'debug',
  });
  assert.equal(config.apiPort, 8080);
  assert.equal(config.logLevel, 'debug');
  assert.deepEqual(config.blobStore, {
    kind: 's3', bucket: 'lab-data', region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true,
    credentials: { accessKeyId: 'AKIA', secretAccessKey: 'shh' },
  });
});

test('treats empty strings as unset and ignores unknown variables', () => {
  const config = loadConfig({ API_PORT: '', REDIS_URL: '  ', SOMETHING_ELSE: 'x' });
  assert.equal(config.apiPort, 3000);
  assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
  assert.equal('SOMETHING_ELSE' in config, false);
});

test('lists every invalid variable by name with the allowed values, and never echoes a value', () => {
  const secretish = 'not-a-url-hunter2';
  assert.throws(
    () => loadConfig({ API_PORT: 'eighty', LOG_LEVEL: 'loud', BLOB_STORE: 'ftp', DATABASE_URL: secretish }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 4);
      assert.match(error.message, /API_PORT: expected a port number/);
      assert.match(error.message, /LOG_LEVEL: expected one of fatal \| error \| warn \| info/);
      assert.match(error.message, /BLOB_STORE: expected one of local \| s3/);
      assert.match(error.message, /DATABASE_URL: expected a URL/);
      assert.ok(!error.message.includes(secretish));
      return true;
    },
  );
});

test('rejects a port out of range', () => {
  assert.throws(() => loadConfig({ INFERENCE_PORT: '70000' }), /INFERENCE_PORT/);
});

test('s3 needs a bucket, and both keys or neither', () => {
  assert.throws(() => loadConfig({ BLOB_STORE: 's3' }), /S3_BUCKET: required when BLOB_STORE=s3/);
  assert.throws(
    () => loadConfig({ BLOB_STORE: 's3', S3_BUCKET: 'abc', S3_ACCESS_KEY_ID: 'AKIA' }),
    /set both or neither/,
  );
  const config = loadConfig({ BLOB_STORE: 's3', S3_BUCKET: 'abc' });
  assert.ok(config.blobStore.kind === 's3' && config.blobStore.credentials === undefined);
});

test('the config is frozen, so no later code can change it', () => {
  const config = loadConfig({});
  assert.throws(() => { (config as { apiPort: number }).apiPort = 1; }, TypeError);
  assert.throws(() => { (config.blobStore as { kind: string }).kind = 's3'; }, TypeError);
});

test('access: CORS off, rate limits per key and no s3:// import by default; origins, limits and import locations from the environment', () => {
  const defaults = loadConfig({});
  assert.deepEqual(defaults.access, { corsOrigins: [], rateLimits: { perMinute: 600, expensivePerMinute: 30 }, metricsRequireKey: false });
  assert.deepEqual(defaults.s3ImportAllow, []);
  const config = loadConfig({
    CORS_ORIGINS: 'https://lims.lab.example, http://localhost:5173/', RATE_LIMIT_PER_MINUTE: '100', RATE_LIMIT_EXPENSIVE_PER_MINUTE: '5',
    METRICS_REQUIRE_KEY: 'true', S3_IMPORT_ALLOW: 's3://lab-data/acquisitions,s3://scope-2/',
  });
  assert.deepEqual(config.access, { corsOrigins: ['https://lims.lab.example', 'http://localhost:5173'], rateLimits: { perMinute: 100, expensivePerMinute: 5 }, metricsRequireKey: true });
  // A prefix is a folder: acquisitions/ (not acquisitions-private/…).
  assert.deepEqual(config.s3ImportAllow, [{ bucket: 'lab-data', prefix: 'acquisitions/' }, { bucket: 'scope-2', prefix: '' }]);
});

test('access: refuses a wildcard or a path as an origin, a malformed import location, and the service\'s own bucket as one', () => {
  for (const CORS_ORIGINS of ['*', 'https://lims.example/app', 'lims.example']) {
    assert.throws(() => loadConfig({ CORS_ORIGINS }), (error: unknown) => error instanceof ConfigError && /CORS_ORIGINS/.test(error.message) && !error.message.includes(CORS_ORIGINS));
  }
  assert.throws(() => loadConfig({ S3_IMPORT_ALLOW: 'https://bucket/x' }), /S3_IMPORT_ALLOW: expected/);
  assert.throws(
    () => loadConfig({ BLOB_STORE: 's3', S3_BUCKET: 'divblur-blobs', S3_IMPORT_ALLOW: 's3://lab-data/,s3://divblur-blobs/datasets/' }),
    /S3_IMPORT_ALLOW: must not name S3_BUCKET/,
  );
  assert.throws(() => loadConfig({ RATE_LIMIT_PER_MINUTE: '0' }), /RATE_LIMIT_PER_MINUTE/);
});
