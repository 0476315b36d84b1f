import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { ExperimentSpec, Sweep } from '@divblur/queue';
import { expandSweep, sweepSize } from './sweep.ts';
import { BadRequestError } from './errors.ts';

const spec = Value.Default(ExperimentSpec, { penalty: 'l2', lambda: 0.5, training: { steps: 10 } }) as ExperimentSpec;

test('fills the report\'s defaults into a minimal spec', () => {
  assert.equal(spec.network.depth, 2);
  assert.equal(spec.network.latentChannels, 64);
  assert.equal(spec.training.batchSize, 32);
  assert.equal(spec.training.learningRate, 1e-3);
  assert.equal(spec.training.lrSchedule, 'plateau');
});

test('no sweep gives one run with the spec\'s values', () => {
  const runs = expandSweep(spec, undefined, 10);
  assert.equal(runs.length, 1);
  assert.equal(runs[0].penalty, 'l2');
  assert.equal(runs[0].lambda, 0.5);
  assert.equal(runs[0].method, 'divblurring');
  assert.equal(runs[0].noiseSigma, 'estimate');
});

test('expands lists to their cartesian product, every combination once', () => {
  const sweep: Sweep = { lambda: [1e-4, 1e-3, 1e-2], penalty: ['l2', 'positivity'], seed: [1, 2] };
  assert.equal(sweepSize(sweep), 12);
  const runs = expandSweep(spec, sweep, 100);
  assert.equal(runs.length, 12);
  const keys = new Set(runs.map((r) => `${r.penalty}/${r.lambda}/${r.training.seed}`));
  assert.equal(keys.size, 12);
  assert.ok(keys.has('positivity/0.01/2'));
  // Runs share no nested objects: changing one must not change another.
  runs[0].training.learningRate = 1;
  runs[0].network.filters[0] = 1;
  assert.equal(runs[1].training.learningRate, 1e-3);
  assert.deepEqual(runs[1].network.filters, [32, 64]);
});

test('refuses a sweep larger than the cap, naming both numbers', () => {
  const sweep: Sweep = { lambda: [1, 2, 3, 4, 5], kappa: [1, 2, 3] };
  assert.throws(() => expandSweep(spec, sweep, 14), (e: unknown) =>
    e instanceof BadRequestError && e.code === 'SWEEP_TOO_LARGE' && /15 runs/.test(e.message) && /14/.test(e.message));
  assert.equal(expandSweep(spec, sweep, 15).length, 15);
});

test('refuses what the schema cannot see: filters not matching the depth, a patch not a multiple of 2^depth, steps and minutes', () => {
  const bad = [
    { ...spec, network: { ...spec.network, depth: 3, filters: [8, 16] } },
    { ...spec, training: { ...spec.training, patchSize: 34 } },
    { ...spec, training: { ...spec.training, minutes: 1 } },
  ];
  for (const each of bad) {
    assert.throws(() => expandSweep(each as ExperimentSpec, undefined, 10), (e: unknown) => e instanceof BadRequestError && e.code === 'RUN_PARAMS_INVALID');
  }
});

test('schema rejects λ < 0, σ ≤ 0 and unknown penalties', () => {
  assert.equal(Value.Check(ExperimentSpec, { ...spec, lambda: -1 }), false);
  assert.equal(Value.Check(ExperimentSpec, { ...spec, noiseSigma: 0 }), false);
  assert.equal(Value.Check(ExperimentSpec, { ...spec, penalty: 'tv' }), false);
  assert.equal(Value.Check(Sweep, { lambda: [0.1, -0.1] }), false);
  assert.equal(Value.Check(ExperimentSpec, { ...spec, noiseSigma: 'estimate' }), true);
});
