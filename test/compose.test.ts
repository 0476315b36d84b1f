/**
 * docker-compose.yml, the Dockerfiles and .dockerignore held to the code, so that they cannot drift from it (no
 * Docker engine runs here, so nothing else would notice): every divblur service's command is a package.json script
 * that runs a main module that exists (the ones the demo starts); its environment holds only variables of libs/config's
 * schema and passes `loadConfig`; the URLs in it name services of the file with matching credentials, bucket and ports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { EnvSchema, loadConfig, type Config } from '@divblur/config';
import { addonPath } from '@divblur/tfjs-native';
import { SERVICE_MAINS } from '../apps/demo/src/service-processes.ts';
import { composeText, loadCompose, rawCompose, REPO_ROOT, variablesWithoutDefault, type ComposeService } from './compose-file.ts';

const compose = loadCompose();
const { services } = compose;
const packageJson = JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> };
const readRepoFile = (path: string) => readFileSync(`${REPO_ROOT}${path}`, 'utf8');

/** The services that run divblur's own code: their command is `npm run <script>`. */
const divblurServices = Object.entries(services).filter(([, service]) => service.command?.[0] === 'npm');
const scriptOf = (service: ComposeService) => {
  const [npm, run, script, ...rest] = service.command ?? [];
  assert.deepEqual([npm, run, rest], ['npm', 'run', []], `command ${JSON.stringify(service.command)} is not "npm run <script>"`);
  return script;
};
const configOf = (name: string): Readonly<Config> => loadConfig(services[name].environment ?? {});
const containerPort = (mapping: string) => Number(mapping.split(':').at(-1));

test('every ${…} in the file has a default, so that docker compose up needs no .env', () => {
  assert.deepEqual(variablesWithoutDefault(composeText()), []);
});

test('the divblur services are migrate, api, trainer, inference and the GPU trainer, each an npm script of package.json', () => {
  assert.deepEqual(Object.fromEntries(divblurServices.map(([name, service]) => [name, scriptOf(service)])), {
    migrate: 'db:migrate', api: 'api', trainer: 'trainer', inference: 'inference', 'trainer-gpu': 'trainer',
  });
  for (const [name, service] of divblurServices) {
    const script = packageJson.scripts[scriptOf(service)];
    assert.ok(script, `${name}: package.json has no script ${scriptOf(service)}`);
    const main = /^node --import tsx (\S+)$/.exec(script)?.[1];
    assert.ok(main && existsSync(`${REPO_ROOT}${main}`), `${name}: script "${script}" does not run an existing main module`);
  }
});

test('the api, trainer and inference scripts run the main modules the demo starts', () => {
  for (const [script, main] of Object.entries(SERVICE_MAINS)) {
    assert.equal(packageJson.scripts[script], `node --import tsx ${main}`, script);
  }
});

test("each divblur service's environment holds only libs/config's variables, and loadConfig accepts it", () => {
  const known = new Set(Object.keys(EnvSchema.properties));
  for (const [name, service] of divblurServices) {
    const unknown = Object.keys(service.environment ?? {}).filter((key) => !known.has(key));
    assert.deepEqual(unknown, [], `${name}: variables libs/config does not read`);
    const config = configOf(name);
    assert.equal(config.nodeEnv, 'production', name);
  }
});

test('the URLs name the postgres, redis and minio services, with their credentials and the bucket the one-shot creates', () => {
  const postgres = services.postgres.environment ?? {};
  const minio = services.minio.environment ?? {};
  for (const [name] of divblurServices) {
    const config = configOf(name);
    const database = new URL(config.databaseUrl);
    assert.equal(database.hostname, 'postgres', name);
    assert.deepEqual([database.username, database.password, database.pathname], [postgres.POSTGRES_USER, postgres.POSTGRES_PASSWORD, `/${postgres.POSTGRES_DB}`], name);
    assert.equal(new URL(config.redisUrl).hostname, 'redis', name);
    assert.equal(config.blobStore.kind, 's3', name);
    if (config.blobStore.kind !== 's3') continue;
    assert.equal(new URL(config.blobStore.endpoint ?? '').hostname, 'minio', name);
    assert.equal(config.blobStore.forcePathStyle, true, `${name}: MinIO needs path-style URLs`);
    assert.deepEqual(config.blobStore.credentials, { accessKeyId: minio.MINIO_ROOT_USER, secretAccessKey: minio.MINIO_ROOT_PASSWORD }, name);
    assert.ok(services['minio-bucket'].command?.join(' ').includes(`mc mb --ignore-existing divblur/${config.blobStore.bucket}`),
      `${name}: the minio-bucket one-shot does not create bucket ${config.blobStore.bucket}`);
  }
});

test('the api and inference listen on all interfaces at the ports they publish and health-check', () => {
  for (const [name, port] of [['api', configOf('api').apiPort], ['inference', configOf('inference').inferencePort]] as const) {
    assert.equal(configOf(name).host, '0.0.0.0', `${name} must listen beyond the container's loopback`);
    assert.deepEqual(services[name].ports?.map(containerPort), [port], name);
    assert.ok(services[name].healthcheck?.test.join(' ').includes(`http://127.0.0.1:${port}/readyz`), name);
  }
});

test('the services wait for a migrated database, a healthy Redis and the bucket; every dependency is a service of the file', () => {
  for (const [name, service] of Object.entries(services)) {
    for (const dependency of Object.keys(service.depends_on ?? {})) assert.ok(services[dependency], `${name} depends on unknown ${dependency}`);
  }
  for (const name of ['api', 'trainer', 'inference', 'trainer-gpu']) {
    assert.deepEqual(services[name].depends_on, {
      migrate: { condition: 'service_completed_successfully' }, redis: { condition: 'service_healthy' },
      'minio-bucket': { condition: 'service_completed_successfully' },
    }, name);
  }
  assert.deepEqual(services.migrate.depends_on, { postgres: { condition: 'service_healthy' } });
  for (const name of ['postgres', 'redis', 'minio']) {
    assert.ok(services[name].healthcheck, `${name} has a healthcheck`);
    const volume = services[name].volumes?.[0]?.split(':')[0] ?? '';
    assert.ok(volume in (compose.volumes ?? {}), `${name} keeps its data in a named volume`);
  }
});

test('Redis persists with an append-only file (queued jobs survive a restart) and never evicts keys', () => {
  const command = services.redis.command ?? [];
  const option = (name: string) => command[command.indexOf(name) + 1];
  assert.equal(command[0], 'redis-server');
  assert.equal(option('--appendonly'), 'yes');
  assert.equal(option('--maxmemory-policy'), 'noeviction');
});

test('trainer and inference replicas are settable; the CPU trainer is held to oneDNN, the GPU trainer to tfjs-node-gpu on a reserved GPU', () => {
  const raw = rawCompose().services;
  for (const [name, variable] of [['trainer', 'TRAINER_REPLICAS'], ['inference', 'INFERENCE_REPLICAS'], ['trainer-gpu', 'GPU_TRAINER_REPLICAS']]) {
    assert.equal(raw[name].deploy?.replicas, `\${${variable}:-1}`, name);
  }
  assert.equal(configOf('trainer').backend, 'native');
  assert.equal(configOf('trainer-gpu').backend, 'tfjs-node-gpu');
  const gpu = services['trainer-gpu'];
  assert.deepEqual(gpu.profiles, ['gpu']);
  assert.equal(gpu.build?.dockerfile, 'Dockerfile.gpu');
  assert.deepEqual(gpu.deploy?.resources?.reservations?.devices, [{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }]);
});

test('the images build from the Dockerfiles of the repository; the CPU one checks for the oneDNN addon where libs/tfjs-native loads it', () => {
  for (const [name, service] of Object.entries(services)) {
    if (service.build) assert.ok(existsSync(`${REPO_ROOT}${service.build.dockerfile}`), `${name}: ${service.build.dockerfile} is missing`);
  }
  const dockerfile = readRepoFile('Dockerfile');
  assert.match(dockerfile, /^FROM node:24-bookworm AS build$/m);
  assert.match(dockerfile, /^FROM node:24-bookworm-slim$/m, 'the image runs on the Node it was built with');
  assert.match(dockerfile, /^ENV [^\n]*ONNXRUNTIME_NODE_INSTALL=skip/m, 'onnxruntime-node fetches no CUDA provider, whatever the npm');
  assert.match(dockerfile, /apt-get install [^\n]*libdnnl-dev/);
  const copyAll = dockerfile.search(/^COPY \. \.$/m);
  assert.ok(copyAll >= 0 && copyAll < dockerfile.search(/^RUN npm ci /m), 'npm ci runs on the whole tree, so that the addon builds from its sources');
  assert.ok(dockerfile.includes(`test -f ${relative(REPO_ROOT, addonPath)}`), 'the build checks the addon file libs/tfjs-native loads');
  assert.match(dockerfile, /^CMD \["npm", "run", "api"\]$/m);

  const gpu = readRepoFile('Dockerfile.gpu');
  const divblurring = JSON.parse(readRepoFile('libs/divblurring/package.json')) as { optionalDependencies: Record<string, string> };
  const version = divblurring.optionalDependencies['@tensorflow/tfjs-node-gpu'];
  assert.ok(gpu.includes(`@tensorflow/tfjs-node-gpu ${version}`), `Dockerfile.gpu names the tfjs-node-gpu version of libs/divblurring (${version})`);
  assert.match(gpu, /^ARG CUDA_IMAGE=nvidia\/cuda:11\.\d+\.\d+-cudnn8-runtime-/m);
  assert.match(gpu, /require\('@tensorflow\/tfjs-node-gpu'\)/);
  assert.match(gpu, /^FROM node:24-bookworm-slim AS node$/m, 'the same Node as the CPU image');
  assert.match(gpu, /^ENV [^\n]*ONNXRUNTIME_NODE_INSTALL=skip/m);

  const ignored = readRepoFile('.dockerignore').split('\n');
  for (const path of ['**/node_modules', relative(REPO_ROOT, `${addonPath}/../..`), '.git']) assert.ok(ignored.includes(path), `.dockerignore: ${path}`);
});
