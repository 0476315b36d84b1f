/**
 * Redis as docker-compose.yml runs it (the redis service's own arguments, read from the file: the append-only file
 * on) keeps BullMQ's queued jobs across a restart: an experiment is queued, its Redis is killed (SIGKILL, a crash)
 * and started again on the same port and folder, the jobs are all still there, and a trainer and an inference
 * worker started afterwards process them to a settled experiment. The control: the same restart with
 * `--appendonly no` loses them. Each Redis is a redis-server of this test's own, never the machine's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'bullmq';
import { createBullmqExperimentQueue } from '@divblur/api';
import { createInferenceServices, startInferenceWorker, type InferenceServices } from '@divblur/inference';
import { createQueues, createRedis, enqueueExperimentFlow, experimentJobId, trainJobId } from '@divblur/queue';
import { startTrainer, type RunningTrainer } from '@divblur/trainer';
import { loadCompose } from './compose-file.ts';
import { startOwnRedis, type OwnRedis } from './redis-server.ts';
import { createServiceHarness, tinyTraining, waitFor, type ServiceHarness } from './service-harness.ts';

const composeRedis = loadCompose().services.redis.command ?? [];
assert.equal(composeRedis[0], 'redis-server');

let redis: OwnRedis;
let harness: ServiceHarness;
let trainer: RunningTrainer | undefined;
let inference: InferenceServices | undefined;
let worker: Worker | undefined;
let modelCacheDir = '';

before(async () => {
  redis = await startOwnRedis(composeRedis.slice(1));
  process.env.REDIS_URL = redis.url; // the harness, the trainer and its sandboxed child read it from here
  harness = await createServiceHarness();
  modelCacheDir = await mkdtemp(join(tmpdir(), 'divblur-aof-models-'));
});

after(async () => {
  await worker?.close();
  await trainer?.close();
  await inference?.close();
  await harness?.close();
  await redis?.close();
  if (modelCacheDir) await rm(modelCacheDir, { recursive: true, force: true });
});

test('an experiment queued before Redis is killed is still queued after it restarts, and is processed', async () => {
  const { experimentId, runIds } = await harness.createExperiment(2, tinyTraining(4, 2));
  const queue = createBullmqExperimentQueue(harness.redis, harness.config.queuePrefix);
  await queue.enqueueExperiment(experimentId, runIds);
  await queue.close();
  const { training, experiments } = harness.queues.byName;
  const queued = async () => ({
    training: await training.getJobCounts('waiting'),
    parent: await experiments.getJobState(experimentJobId(experimentId)),
    runs: await Promise.all(runIds.map(async (runId) => (await training.getJob(trainJobId(runId)))?.data.runId)),
  });
  const expected = { training: { waiting: 2 }, parent: 'waiting-children', runs: runIds };
  assert.deepEqual(await queued(), expected);

  await redis.kill();
  await redis.start();
  assert.deepEqual(await queued(), expected, 'the jobs survived the restart');

  trainer = startTrainer(harness.config, harness.logger);
  inference = createInferenceServices(harness.config, harness.logger, { modelCacheDir });
  worker = startInferenceWorker(inference);
  const experiment = await waitFor('the experiment to settle', async () => {
    const row = await harness.db.experiment.findUniqueOrThrow({ where: { id: experimentId } });
    return row.finishedAt ? row : undefined;
  }, 180_000);
  assert.equal(experiment.status, 'succeeded');
  const runs = await harness.db.run.findMany({ where: { experimentId }, include: { metrics: true } });
  assert.deepEqual(runs.map((run) => [run.status, run.stepsDone, run.attempts, run.metrics.length]), [['succeeded', 4, 1, 1], ['succeeded', 4, 1, 1]]);
});

test('the control: without the append-only file the same restart loses the queued jobs', async () => {
  const volatile = await startOwnRedis(['--appendonly', 'no']);
  const connection = createRedis(volatile.url);
  const queues = createQueues(connection, 'divblur-aof-control');
  try {
    // Nothing processes these: ids are all the flow needs.
    await enqueueExperimentFlow(queues.flows, { experimentId: randomUUID(), runIds: [randomUUID(), randomUUID()] });
    assert.deepEqual(await queues.byName.training.getJobCounts('waiting'), { waiting: 2 });
    await volatile.kill();
    await volatile.start();
    assert.deepEqual(await queues.byName.training.getJobCounts('waiting'), { waiting: 0 });
  } finally {
    await queues.close();
    connection.disconnect();
    await volatile.close();
  }
});
