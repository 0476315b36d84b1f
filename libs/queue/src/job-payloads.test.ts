import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { JOB_NAMES, parseJob } from './job-payloads.ts';
import { JobPayloadError } from './errors.ts';
import { QUEUE_OF_JOB, jobNamesOf } from './queue-names.ts';

const runId = randomUUID();
const experimentId = randomUUID();

test('accepts a well-formed payload and returns it typed', () => {
  const payload = parseJob('train-run', { runId, experimentId });
  assert.equal(payload.name, 'train-run');
  assert.deepEqual(payload.data, { runId, experimentId });
});

test('rejects unknown names, missing or malformed ids and extra fields, saying which', () => {
  const cases: [string, unknown, RegExp][] = [
    ['train-model', { runId }, /unknown job "train-model"; known: train-run/],
    ['train-run', { runId }, /\/data\/experimentId/],
    ['train-run', { runId: 'r1', experimentId }, /\/data\/runId/],
    ['train-run', { runId, experimentId, images: [1, 2, 3] }, /\/data\/images/],
    ['evaluate-run', null, /invalid "evaluate-run" job/],
  ];
  for (const [name, data, message] of cases) {
    assert.throws(() => parseJob(name, data), (error: unknown) => error instanceof JobPayloadError && message.test(error.message),
      `${name} ${JSON.stringify(data)}`);
  }
});

test('every job kind has a queue, and each queue lists its kinds', () => {
  assert.deepEqual([...JOB_NAMES].sort(), Object.keys(QUEUE_OF_JOB).sort());
  assert.deepEqual(jobNamesOf('training'), ['train-run']);
  assert.deepEqual(jobNamesOf('inference').sort(), ['batch-callback', 'compute-baselines', 'deconvolve-batch', 'deconvolve-page', 'evaluate-run', 'finish-batch']);
});

test('ids are checked by the registered uuid format (no "Unknown format" from TypeBox)', async () => {
  const { Value } = await import('@sinclair/typebox/value');
  const { Type } = await import('@sinclair/typebox');
  const schema = Type.String({ format: 'uuid' });
  assert.equal(Value.Check(schema, randomUUID()), true);
  assert.equal(Value.Check(schema, 'train-1'), false);
  assert.equal(parseJob('finish-experiment', { experimentId }).name, 'finish-experiment');
});
