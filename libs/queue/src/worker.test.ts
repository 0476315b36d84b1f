import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { QueueEvents, type Job } from 'bullmq';
import { loadConfig } from '@divblur/config';
import { HandlerRegistrationError } from './errors.ts';
import { enqueueExperimentFlow, experimentJobId, trainJobId } from './experiment-flow.ts';
import { createQueues, type Queues } from './queues.ts';
import { createRedis, type Redis } from './redis.ts';
import { createProcessor, createWorker, defineHandler } from './worker.ts';

const noop = async () => undefined;

describe('handler registration', () => {
  test('refuses a queue with a job kind that has no handler', () => {
    assert.throws(() => createProcessor('inference', [defineHandler('evaluate-run', noop)]),
      (error: unknown) => error instanceof HandlerRegistrationError
        && /"compute-baselines" has no handler/.test(error.message) && /"deconvolve-batch" has no handler/.test(error.message));
  });
  test('refuses two handlers for one kind', () => {
    assert.throws(() => createProcessor('training', [defineHandler('train-run', noop), defineHandler('train-run', noop)]),
      /"train-run" has two handlers/);
  });
  test('refuses a handler for another queue\'s job', () => {
    assert.throws(() => createProcessor('training', [defineHandler('train-run', noop), defineHandler('evaluate-run', noop)]),
      /"evaluate-run" is not a job of queue "training"/);
  });
});

/** Resolves when `predicate` holds, polling; fails after `timeoutMs`. */
async function eventually<T>(probe: () => Promise<T>, predicate: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (predicate(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('queues and workers against Redis', () => {
  const prefix = `divblur-test-${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  let queues: Queues;
  const closers: (() => Promise<unknown>)[] = [];

  before(() => {
    redis = createRedis(loadConfig().redisUrl);
    queues = createQueues(redis, prefix);
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
    await queues.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    assert.equal((await redis.keys(`${prefix}:*`)).length, 0);
    await redis.quit();
  });

  test('enqueue validates before anything reaches Redis', async () => {
    await assert.rejects(queues.enqueue({ name: 'train-run', data: { runId: 'nope' } } as never), /\/data\/runId/);
    assert.equal((await queues.counts()).training.waiting, 0);
  });

  test('a worker runs the typed handler; a malformed job fails once, without retries', async () => {
    const seen: string[] = [];
    const worker = createWorker('inference', [
      defineHandler('evaluate-run', async (data) => { seen.push(data.modelId); return { psnr: 30 }; }),
      defineHandler('compute-baselines', noop),
      defineHandler('deconvolve-batch', noop),
      defineHandler('deconvolve-page', noop),
      defineHandler('finish-batch', noop),
      defineHandler('batch-callback', noop),
    ], { redis, prefix });
    closers.push(() => worker.close());
    const modelId = randomUUID();
    const jobId = await queues.enqueue({ name: 'evaluate-run', data: { runId: randomUUID(), modelId } });
    const inference = queues.byName.inference;
    const done = await eventually(() => inference.getJob(jobId), (job) => job?.finishedOn !== undefined);
    assert.deepEqual(done?.returnvalue, { psnr: 30 });
    assert.deepEqual(seen, [modelId]);
    // Bypass `enqueue` as a buggy producer would.
    const bad = await inference.add('evaluate-run', { runId: 'x' }, { attempts: 3 });
    const failed = await eventually(() => inference.getJob(String(bad.id)), (job) => job?.failedReason !== undefined);
    assert.match(String(failed?.failedReason), /invalid "evaluate-run" job/);
    assert.equal(failed?.attemptsMade, 1);
  });

  test('an experiment flow runs every child, then the parent once, and enqueueing it twice adds nothing', async () => {
    const experimentId = randomUUID();
    const runIds = [randomUUID(), randomUUID(), randomUUID()];
    const failingRun = runIds[1];
    const training = createWorker('training', [defineHandler('train-run', async (data: { runId: string }, job: Job) => {
      await job.updateProgress(100);
      if (data.runId === failingRun) throw new Error('diverged');
      return { runId: data.runId };
    })], { redis, prefix, concurrency: 2 });
    let parentRuns = 0;
    let childValues: Record<string, unknown> = {};
    let failedChildren: Record<string, string> = {};
    const experiments = createWorker('experiments', [defineHandler('finish-experiment', async (_data, job: Job) => {
      parentRuns += 1;
      childValues = await job.getChildrenValues();
      failedChildren = await job.getIgnoredChildrenFailures();
      return 'settled';
    })], { redis, prefix });
    closers.push(() => training.close(), () => experiments.close());

    const eventsConnection = redis.duplicate();
    const events = new QueueEvents('experiments', { connection: eventsConnection, prefix });
    // BullMQ does not close a connection it was given.
    closers.push(() => eventsConnection.quit(), () => events.close());
    await events.waitUntilReady();
    await enqueueExperimentFlow(queues.flows, { experimentId, runIds, attempts: 1 });
    await enqueueExperimentFlow(queues.flows, { experimentId, runIds, attempts: 1 });
    const parent = await queues.byName.experiments.getJob(experimentJobId(experimentId));
    assert.ok(parent);
    assert.equal((await queues.byName.training.getJob(trainJobId(runIds[0])))?.data.runId, runIds[0]);
    assert.equal(await parent.waitUntilFinished(events, 30_000), 'settled');
    assert.equal(parentRuns, 1);
    assert.deepEqual(Object.values(childValues).map((value) => (value as { runId: string }).runId).sort(),
      runIds.filter((runId) => runId !== failingRun).sort());
    assert.equal(Object.keys(failedChildren).length, 1);
    assert.match(Object.values(failedChildren)[0], /diverged/);
    const counts = await queues.counts();
    assert.equal(counts.training.completed, 2);
    assert.equal(counts.training.failed, 1);
    assert.equal(counts.experiments.completed, 1);
  });
});
