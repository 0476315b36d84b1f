import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadAddon } from '@divblur/tfjs-native';
import { createDataParallelTrainer } from './data-parallel.ts';
import { initBackend } from './backend.ts';
import { disposeModel } from './trained-model.ts';
import { tinyImages, tinyOptions } from './test-fixtures.ts';
import { autoShards, createTrainer, trainHyperparameters, trainModel } from './train.ts';
import type { Trainer } from './trainer.ts';
import type { TrainOptions } from './options.ts';

const skip = loadAddon() ? false : 'addon not built here';
if (!skip) await initBackend('native', undefined, { convPrecision: 'f32' }); // f32: the exactness tests compare float orders only

/** The loss terms of `steps` steps and the final weights. */
function run(trainer: Trainer, steps: number): { losses: number[][]; params: Float32Array[] } {
  const losses: number[][] = [];
  for (let i = 0; i < steps; i++) {
    const loss = trainer.train(trainer.nextBatch());
    losses.push([loss.total, loss.data, loss.kl, loss.penalty]);
  }
  const params = Object.values(trainer.checkpoint().params).map((p) => Float32Array.from(p.data));
  return { losses, params };
}

const options: TrainOptions = tinyOptions({
  images: tinyImages(8, 32, 5), patchSize: 16, batchSize: 8, steps: 20, penalty: 'positivity', lambda: 5, freeBitsNats: 0.05,
  model: { depth: 2, filters: [16, 32], latentChannels: 16, kernelSize: 3, output: 'linear' },
});

for (const shards of [2, 4]) {
  test(`data-parallel over ${shards} threads: 20 steps equal the single-process steps to 1e-4 (loss terms, free bits active, weights)`, { skip }, async () => {
    const hyper = trainHyperparameters(options);
    const reference = createTrainer(options, hyper);
    const initial = Object.values(reference.checkpoint().params).map((p) => Float32Array.from(p.data));
    const single = run(reference, 20);
    reference.dispose();
    const parallel = await createDataParallelTrainer(options, hyper, 20, { shards });
    let sharded: ReturnType<typeof run>;
    try {
      sharded = run(parallel, 20);
    } finally {
      parallel.dispose();
    }
    let worst = 0;
    single.losses.forEach((terms, step) => terms.forEach((value, k) => {
      const relative = Math.abs(sharded.losses[step][k] - value) / Math.max(Math.abs(value), 1e-6);
      worst = Math.max(worst, relative);
      assert.ok(relative <= 1e-4, `step ${step + 1} term ${k}: ${sharded.losses[step][k]} vs ${value}`);
    }));
    const distance = (a: Float32Array, b: Float32Array): number => {
      let diff = 0;
      let norm = 0;
      for (let j = 0; j < a.length; j++) { diff += (a[j] - b[j]) ** 2; norm += b[j] ** 2; }
      return Math.sqrt(diff / norm);
    };
    single.params.forEach((p, i) => {
      // The run must have moved (equal weights of a run that did nothing would prove nothing), and moved alike.
      assert.ok(distance(p, initial[i]) > 1e-3, `parameter ${i} moved ${distance(p, initial[i])} in 20 steps`);
      assert.ok(distance(sharded.params[i], p) <= 1e-4, `parameter ${i}: relative difference ${distance(sharded.params[i], p)}`);
    });
    console.log(`# ${shards} shards: worst relative loss difference over 20 steps ${worst.toExponential(2)}`);
    assert.equal(tf.getBackend(), 'cpu');
  });
}

test('data-parallel refuses a batch that does not split and fewer than 2 shards', { skip }, async () => {
  const hyper = trainHyperparameters(options);
  await assert.rejects(createDataParallelTrainer(options, hyper, 20, { shards: 3 }), /does not split into 3/);
  await assert.rejects(createDataParallelTrainer(options, hyper, 20, { shards: 1 }), /shards must be an integer ≥ 2/);
});

test('trainModel on the native engine runs data-parallel by default, logs and records the layout, and gives the 1-shard history to 1e-4', { skip }, async () => {
  const logged: Array<[string, Record<string, unknown>]> = [];
  const short = { ...options, steps: 6 };
  const auto = await trainModel(short, { log: (message, fields) => logged.push([message, fields]) });
  const one = await trainModel(short, { shards: 1 });
  try {
    const expected = autoShards(8);
    assert.equal(auto.layout.shards, expected);
    assert.equal(one.layout.shards, 1);
    const line = logged.find(([message]) => message.startsWith('training on native:'));
    assert.ok(line, `the layout is logged: ${JSON.stringify(logged)}`);
    assert.match(line[0], new RegExp(`${expected} shards? × 1 thread, f32 convolutions`));
    assert.deepEqual((auto.model.training as { layout: unknown }).layout, auto.layout);
    auto.history.forEach((point, i) => assert.ok(Math.abs(point.total - one.history[i].total) <= 1e-4 * Math.abs(one.history[i].total), `step ${i + 1}`));
  } finally {
    disposeModel(auto.model);
    disposeModel(one.model);
  }
});

test('data-parallel checkpoint and resume: 10 steps, a checkpoint, 10 more on fresh threads equal 20 uninterrupted steps exactly', { skip }, async () => {
  const hyper = trainHyperparameters(options);
  const straight = await createDataParallelTrainer(options, hyper, 20, { shards: 2 });
  const whole = (() => { try { return run(straight, 20); } finally { straight.dispose(); } })();
  const first = await createDataParallelTrainer(options, hyper, 20, { shards: 2 });
  let head: ReturnType<typeof run>;
  let checkpoint: ReturnType<Trainer['checkpoint']>;
  try {
    head = run(first, 10);
    checkpoint = first.checkpoint();
  } finally {
    first.dispose();
  }
  const second = await createDataParallelTrainer({ ...options, resumeFrom: checkpoint }, hyper, 20, { shards: 2 }, checkpoint);
  let tail: ReturnType<typeof run>;
  try {
    assert.equal(second.step, 10);
    tail = run(second, 10);
  } finally {
    second.dispose();
  }
  assert.deepEqual([...head.losses, ...tail.losses], whole.losses);
  assert.deepEqual(tail.params, whole.params);
});

test('when the worker threads cannot load the native engine, shards "auto" trains on 1 shard and logs why; a number asked for fails',
  { skip: skip || (autoShards(8) < 2 ? 'one core: auto picks 1 shard' : false) }, async () => {
  // Worker threads start with a copy of process.env: DIVBLUR_NATIVE=off makes their loader refuse (this thread's addon is loaded).
  process.env.DIVBLUR_NATIVE = 'off';
  try {
    const logged: string[] = [];
    const result = await trainModel({ ...options, steps: 2 }, { log: (message) => logged.push(message) });
    disposeModel(result.model);
    assert.equal(result.layout.shards, 1);
    assert.equal(result.steps, 2);
    assert.ok(logged.some((m) => /data-parallel training unavailable \(.*did not start.*\): training on 1 shard/.test(m)), logged.join('\n'));
    await assert.rejects(trainModel({ ...options, steps: 2 }, { shards: 2 }), /did not start/);
  } finally {
    delete process.env.DIVBLUR_NATIVE;
  }
});
