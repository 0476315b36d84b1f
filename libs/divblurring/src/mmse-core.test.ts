import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dihedral, undoDihedral } from './data.ts';
import { Random, type Image } from './imaging.ts';
import {
  DEFAULT_MIN_SAMPLES, DEFAULT_SAMPLES, mmseOptionProblem, mmseViews, pooledMmse, splitSamples, viewSeed,
  type MmseEstimate, type MmseOptions,
} from './mmse-core.ts';

/** A runtime's decode step in miniature: sample s of a view is the view plus seeded noise; mean and sample std by two passes. */
function noisyRuntime() {
  const calls: Array<{ view: Image; options: MmseOptions }> = [];
  const samplesOf = (view: Image, options: MmseOptions): Float32Array[] => {
    const random = new Random(options.seed ?? 0);
    return Array.from({ length: options.samples ?? DEFAULT_SAMPLES }, () => Float32Array.from(view.data, (v) => v + 0.1 * random.normal()));
  };
  const decodeView = async (view: Image, options: MmseOptions): Promise<MmseEstimate> => {
    calls.push({ view, options });
    const samples = samplesOf(view, options);
    const n = samples.length;
    const mmse = Float32Array.from(view.data, (_, i) => samples.reduce((a, x) => a + x[i], 0) / n);
    const std = Float32Array.from(mmse, (m, i) => Math.sqrt(samples.reduce((a, x) => a + (x[i] - m) ** 2, 0) / (n - 1)));
    options.onProgress?.(n, n);
    return { height: view.height, width: view.width, mmse, std, standardError: { rms: 0, max: 0 }, samplesUsed: n, stoppedEarly: n < 3,
      ...(options.groundTruth ? { sampleMse: Float64Array.from(samples, () => options.groundTruth!.data[0]) } : {}) };
  };
  return { calls, samplesOf, decodeView };
}

const image: Image = { data: Float32Array.from({ length: 6 * 4 }, (_, i) => Math.sin(i)), height: 6, width: 4 };

test('pooling the views gives the mean and sample std of all turned-back samples (direct computation)', async () => {
  const runtime = noisyRuntime();
  const views = [0, 4, 2, 7];
  const pooled = await pooledMmse(image, { samples: 10, seed: 3 }, views, runtime.decodeView);
  const all = runtime.calls.flatMap(({ view, options }, t) => runtime.samplesOf(view, options)
    .map((x) => undoDihedral({ data: x, height: view.height, width: view.width }, views[t]).data));
  assert.equal(all.length, 10);
  for (let p = 0; p < image.data.length; p++) {
    const values = all.map((x) => x[p]);
    const mean = values.reduce((a, b) => a + b) / 10;
    const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / 9);
    assert.ok(Math.abs(pooled.mmse[p] - mean) < 1e-6, `mean at ${p}: ${pooled.mmse[p]} vs ${mean}`);
    assert.ok(Math.abs(pooled.std[p] - std) < 1e-6, `std at ${p}: ${pooled.std[p]} vs ${std}`);
  }
  const rms = Math.sqrt(pooled.std.reduce((a, s) => a + s * s, 0) / pooled.std.length / 10);
  assert.ok(Math.abs(pooled.standardError.rms - rms) / rms < 1e-6);
  assert.deepEqual([pooled.height, pooled.width, pooled.samplesUsed, pooled.stoppedEarly], [6, 4, 10, true]);
});

test('each view gets its share of the samples, its own seed, the tolerance times √T and its share of minSamples', async () => {
  const runtime = noisyRuntime();
  const progress: number[] = [];
  const truth: Image = { data: new Float32Array(24).fill(0.5), height: 6, width: 4 };
  const pooled = await pooledMmse(image, { samples: 10, seed: 3, tolerance: 0.01, groundTruth: truth, onProgress: (done) => progress.push(done) }, [0, 4, 2, 7], runtime.decodeView);
  assert.deepEqual(runtime.calls.map((c) => c.options.samples), [3, 3, 2, 2]);
  assert.deepEqual(runtime.calls.map((c) => c.options.seed), [0, 4, 2, 7].map((k) => viewSeed(3, k)));
  assert.deepEqual(runtime.calls.map((c) => c.options.tolerance), Array(4).fill(0.01 * 2));
  assert.deepEqual(runtime.calls.map((c) => c.options.minSamples), Array(4).fill(Math.ceil(DEFAULT_MIN_SAMPLES / 4)));
  assert.deepEqual(runtime.calls.map((c) => [c.view.height, c.view.width]), [[6, 4], [4, 6], [6, 4], [4, 6]]);
  assert.deepEqual(runtime.calls[1].options.groundTruth, dihedral(truth, 4), 'the ground truth is turned with its view');
  assert.deepEqual(progress, [3, 6, 8, 10], 'progress counts the samples of every view so far');
  assert.equal(pooled.sampleMse!.length, 10);
  // 3 samples over 8 views: the views without a sample are not decoded, and √T counts the decoded ones
  const few = noisyRuntime();
  await pooledMmse(image, { samples: 3, tolerance: 1 }, [0, 1, 2, 3, 4, 5, 6, 7], few.decodeView);
  assert.deepEqual(few.calls.map((c) => [c.options.samples, c.options.tolerance]), [[1, Math.sqrt(3)], [1, Math.sqrt(3)], [1, Math.sqrt(3)]]);
});

test('the identity alone is one decode of the image with the caller\'s options, its estimate returned as it is', async () => {
  const runtime = noisyRuntime();
  const options = { samples: 4, seed: 9 };
  const estimate = await pooledMmse(image, options, [0], runtime.decodeView);
  assert.equal(runtime.calls.length, 1);
  assert.equal(runtime.calls[0].options, options);
  assert.equal(runtime.calls[0].view, image);
  assert.equal(estimate.samplesUsed, 4);
});

test('views, samples split and option problems: one definition for every runtime', () => {
  assert.deepEqual(mmseViews(undefined, () => assert.fail('the model is read only for dihedral: true')), [0]);
  assert.deepEqual(mmseViews(false, () => [0, 1]), [0]);
  assert.deepEqual(mmseViews(true, () => [0, 3]), [0, 3]);
  assert.deepEqual(mmseViews([5, 0], () => [0]), [5, 0]);
  assert.deepEqual(splitSamples(10, 4), [3, 3, 2, 2]);
  assert.deepEqual(splitSamples(DEFAULT_SAMPLES, 8).reduce((a, b) => a + b), DEFAULT_SAMPLES);
  assert.equal(viewSeed(42, 0), 42, 'the identity keeps the caller\'s seed');
  assert.equal(mmseOptionProblem({}, [0]), null);
  assert.equal(mmseOptionProblem({ samples: 0 }, [0])?.code, 'SAMPLES');
  assert.equal(mmseOptionProblem({ samples: 2.5 }, [0])?.code, 'SAMPLES');
  assert.equal(mmseOptionProblem({ memoryBudgetBytes: 0 }, [0])?.code, 'MEMORY_BUDGET');
  assert.equal(mmseOptionProblem({ tolerance: -1 }, [0])?.code, 'TOLERANCE');
  assert.match(mmseOptionProblem({}, [0, 9])!.message, /^dihedral must list distinct transforms among 0\.\.7/);
  assert.equal(mmseOptionProblem({}, [])?.code, 'DIHEDRAL');
});

test('the core loads without TensorFlow.js (the inference process imports it)', () => {
  const refuseTfjs = 'data:text/javascript,export async function resolve(specifier, context, next) {'
    + ' if (specifier.startsWith("@tensorflow/")) throw new Error("loads " + specifier); return next(specifier, context); }';
  const script = `import { register } from 'node:module'; register(${JSON.stringify(refuseTfjs)});`
    + ' const core = await import("@divblur/divblurring/mmse-core"); console.log(core.DEFAULT_SAMPLES);';
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: import.meta.dirname, encoding: 'utf8' });
  assert.equal(out.trim(), String(DEFAULT_SAMPLES));
});
