/**
 * Scale-out across hosts, as far as one machine allows: 2 trainer and 2 inference processes, started from their
 * main modules as `npm run trainer` / `npm run inference` start them, each held to one core (taskset, and
 * OMP_NUM_THREADS=1 for oneDNN; ONNX Runtime sizes its pool by the cores it may use), share nothing but what
 * processes on different hosts share: one Redis (a redis-server of this test's own), one Postgres database and one
 * S3 blob store (s3rver). A 4-run λ sweep made and enqueued as POST /v1/experiments makes it, and its held-out
 * evaluations, are shared between them, and no run is done twice: from the data (one training attempt per run,
 * each loss step and checkpoint once, one metric row each) and from the processes' own logs (each job completed
 * by exactly one process, none failed, both processes of each kind completed work).
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import S3rver from 's3rver';
import { loadConfig, type Config } from '@divblur/config';
import { createBullmqExperimentQueue, createExperiment, DEFAULT_LIMITS, storeDataset } from '@divblur/api';
import { openDatabase, type Database } from '@divblur/db';
import { createTestDatabase, type TestDatabase } from '@divblur/db/testing';
import { encodeTiff, simulate, toStack } from '@divblur/imaging';
import { createQueues, createRedis, QUEUE_NAMES, trainJobId, type Queues, type Redis } from '@divblur/queue';
import { S3BlobStore } from '@divblur/storage';
import { evaluateJobId } from '@divblur/trainer';
import { SERVICE_MAINS } from '../apps/demo/src/service-processes.ts';
import { freePort, startOwnRedis, type OwnRedis } from './redis-server.ts';
import { REPO_ROOT } from './compose-file.ts';
import { tinySpec, tinyTraining, waitFor } from './service-harness.ts';

const STEPS = 6;
const CHECKPOINT_EVERY = 3;
const LAMBDAS = [0.1, 1, 3, 10];

interface LogLine { msg?: string; queue?: string; jobId?: string; level?: number }
interface ServiceProcess { name: string; child: ChildProcess; lines: LogLine[]; stderr: () => string; exited: Promise<void> }

let redis: OwnRedis;
let database: TestDatabase;
let s3: S3rver;
let s3Dir = '';
let bucket: S3BlobStore;
let config: Readonly<Config>;
let repos: Database;
let connection: Redis;
let queues: Queues;
const processes: ServiceProcess[] = [];

/** A service's main module under `taskset -c <core>`, in its own process group (its forked training child goes with it). */
function startProcess(name: string, main: string, core: number, env: NodeJS.ProcessEnv): ServiceProcess {
  const child = spawn('taskset', ['-c', String(core), process.execPath, '--import', 'tsx', join(REPO_ROOT, main)], {
    cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  // Kept for the report of a failure (tfjs's and the AWS SDK's notices go there too).
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // not a pino line (a library's console output)
    }
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const started = { name, child, lines, stderr: () => stderr, exited };
  processes.push(started);
  return started;
}

async function stopProcess(service: ServiceProcess): Promise<void> {
  if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), 20_000);
  await service.exited;
  clearTimeout(timer);
  try {
    process.kill(-(service.child.pid as number), 'SIGKILL'); // what it forked, if anything is left
  } catch {
    // the group is gone already
  }
}

const completed = (service: ServiceProcess, queue: string) =>
  service.lines.filter((line) => line.msg === 'job completed' && line.queue === queue).map((line) => line.jobId as string);

before(async () => {
  redis = await startOwnRedis([]);
  database = await createTestDatabase();
  s3Dir = await mkdtemp(join(tmpdir(), 'divblur-scale-s3-'));
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir });
  const { port } = await s3.run();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: database.url, REDIS_URL: redis.url, QUEUE_PREFIX: 'divblur-scale-out',
    BLOB_STORE: 's3', S3_ENDPOINT: `http://127.0.0.1:${port}`, S3_BUCKET: 'divblur-scale-out', S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', S3_FORCE_PATH_STYLE: 'true',
    HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: 'test', OMP_NUM_THREADS: '1', OMP_WAIT_POLICY: 'PASSIVE',
  };
  config = loadConfig(env);
  if (config.blobStore.kind !== 's3') throw new Error('the test configures an S3 blob store');
  bucket = new S3BlobStore(config.blobStore);
  await bucket.ensureBucket();
  repos = openDatabase(config, { maxConnections: 4 });
  connection = createRedis(config.redisUrl);
  queues = createQueues(connection, config.queuePrefix);

  const cores = availableParallelism();
  const ready: Promise<unknown>[] = [];
  for (const i of [0, 1]) {
    const trainer = startProcess(`trainer-${i}`, SERVICE_MAINS.trainer, i % cores, env);
    ready.push(waitFor(`${trainer.name} to start`, async () => (trainer.lines.some((l) => l.msg === 'trainer started') ? true : undefined), 120_000));
    const inferencePort = await freePort();
    const inference = startProcess(`inference-${i}`, SERVICE_MAINS.inference, i % cores, { ...env, INFERENCE_PORT: String(inferencePort) });
    ready.push(waitFor(`${inference.name} to be ready`, async () =>
      ((await fetch(`http://127.0.0.1:${inferencePort}/readyz`).catch(() => undefined))?.ok ? true : undefined), 120_000));
  }
  await Promise.all(ready).catch((error: Error) => {
    throw new Error(`${error.message}\n${processes.map((p) => `${p.name} stderr:\n${p.stderr()}`).join('\n')}`);
  });
});

after(async () => {
  await Promise.all(processes.map(stopProcess));
  await queues?.close();
  connection?.disconnect();
  await repos?.close();
  await database?.drop();
  await bucket?.close();
  await s3?.close();
  await redis?.close();
  if (s3Dir) await rm(s3Dir, { recursive: true, force: true });
});

test('2 trainers and 2 inference workers share a 4-run experiment and its evaluations; no run is trained or evaluated twice', async (t) => {
  try {
    await shareExperiment(t);
  } catch (error) {
    for (const p of processes) t.diagnostic(`${p.name} stderr:\n${p.stderr()}`);
    throw error;
  }
});

async function shareExperiment(t: TestContext): Promise<void> {
  const started = performance.now();
  const simulation = simulate({ preset: 'dataset1', count: 8, seed: 11, size: 32 });
  const dataset = await storeDataset({ db: repos, blobs: bucket }, {
    noisy: encodeTiff(simulation.noisy), gt: encodeTiff(simulation.groundTruth), psf: encodeTiff(toStack([simulation.psf])),
  }, { name: 'scale-out dataset1', noiseSigma: simulation.noiseSigma }, 'synthetic');
  // Evaluations are held until every run is trained, so that both inference workers find work waiting: shared
  // because they compete for it, not because of when each run happens to finish.
  await queues.byName.inference.pause();
  const experimentQueue = createBullmqExperimentQueue(connection, config.queuePrefix);
  const { experiment, runs } = await createExperiment({ db: repos, queues: experimentQueue }, {
    datasetId: dataset.id, spec: { ...tinySpec(tinyTraining(STEPS, CHECKPOINT_EVERY)), method: 'divblurring', penalty: 'l1' },
    sweep: { lambda: LAMBDAS }, idempotencyKey: null,
  }, DEFAULT_LIMITS);
  await experimentQueue.close();
  const runIds = runs.map((run) => run.id);
  assert.equal(runIds.length, 4);

  const trainers = processes.filter((p) => p.name.startsWith('trainer'));
  const workers = processes.filter((p) => p.name.startsWith('inference'));
  await waitFor('every run to be trained', async () => {
    const done = trainers.flatMap((p) => completed(p, QUEUE_NAMES.training));
    return done.length >= runIds.length ? done : undefined;
  }, 180_000);
  await queues.byName.inference.resume();
  const settled = await waitFor('the experiment to settle', async () => {
    const row = await repos.prisma.experiment.findUniqueOrThrow({ where: { id: experiment.id } });
    return row.finishedAt ? row : undefined;
  }, 180_000);
  t.diagnostic(`settled after ${((performance.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(settled.status, 'succeeded');

  // The data: one training attempt per run, each step's loss point and each checkpoint once, one held-out metric.
  const rows = await repos.prisma.run.findMany({ where: { experimentId: experiment.id }, include: { metrics: true, model: true } });
  for (const run of rows) {
    assert.equal(run.status, 'succeeded', run.error ?? '');
    assert.equal(run.attempts, 1, `run λ=${run.lambda} was started ${run.attempts} times`);
    const steps = await repos.prisma.lossPoint.findMany({ where: { runId: run.id }, orderBy: { step: 'asc' }, select: { step: true } });
    assert.deepEqual(steps.map((p) => p.step), Array.from({ length: STEPS }, (_, i) => i + 1));
    const checkpoints = await repos.prisma.checkpoint.findMany({ where: { runId: run.id }, orderBy: { step: 'asc' } });
    assert.deepEqual(checkpoints.map((c) => c.step), [3, 6]);
    assert.equal(run.metrics.length, 1);
    assert.ok(run.model && (await bucket.exists(run.model.onnxKey)), 'the model is in the shared blob store');
  }
  // The dataset's baselines are one job of their own, outside the experiment's flow: they may land after it settles.
  await waitFor('the 5 baselines', async () => ((await repos.prisma.baseline.count({ where: { datasetId: dataset.id } })) === 5 ? true : undefined));

  // The processes' logs: each job completed by exactly one process, none failed, both of each kind worked.
  const failed = processes.flatMap((p) => p.lines.filter((line) => line.msg === 'job failed').map((line) => `${p.name}: ${line.jobId}`));
  assert.deepEqual(failed, []);
  const trained = trainers.map((p) => completed(p, QUEUE_NAMES.training));
  const evaluated = workers.map((p) => completed(p, QUEUE_NAMES.inference));
  t.diagnostic(`training jobs per trainer: ${trained.map((ids) => ids.length).join(' + ')}; inference jobs per worker: ${evaluated.map((ids) => ids.length).join(' + ')}`);
  assert.deepEqual(trained.flat().sort(), runIds.map(trainJobId).sort(), 'each run trained by exactly one trainer');
  const evaluations = evaluated.flat().filter((id) => id.startsWith('evaluate-'));
  assert.deepEqual(evaluations.sort(), runIds.map(evaluateJobId).sort(), 'each run evaluated by exactly one worker');
  for (const [i, ids] of trained.entries()) assert.ok(ids.length > 0, `trainer-${i} trained no run`);
  for (const [i, ids] of evaluated.entries()) assert.ok(ids.length > 0, `inference-${i} did no job`);
}
