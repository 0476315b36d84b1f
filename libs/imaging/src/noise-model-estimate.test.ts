import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateNoiseModel, resolveNoiseModel } from './noise-model-estimate.ts';
import { simulateCamera } from './simulate-camera.ts';
import { simulate } from './simulate.ts';
import { NoiseModelError } from './errors.ts';
import type { PoissonGaussianNoise } from './noise-model.ts';

const within = (estimate: number, truth: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(estimate / truth - 1) < tolerance, `${what}: estimated ${estimate.toFixed(3)}, true ${truth} (${((estimate / truth - 1) * 100).toFixed(1)} %)`);

// The acceptance of issue 17: gain, read noise and offset from the noisy stack alone, within 10 % of the truth, at a
// dim, the preset's and a bright photon level (40 images of 128² each).
for (const peakPhotons of [50, 100, 400]) {
  test(`estimates gain, read noise and offset within 10 % at ${peakPhotons} photons at the brightest pixel`, () => {
    const sim = simulateCamera({ count: 40, size: 128, seed: 3, peakPhotons });
    const { model, fit } = estimateNoiseModel(sim.noisy);
    within(model.gain, sim.noiseModel.gain, 0.1, 'gain');
    within(model.readNoise, sim.noiseModel.readNoise, 0.1, 'read noise');
    within(model.offset, sim.noiseModel.offset, 0.1, 'offset');
    assert.deepEqual(fit.estimated, ['gain', 'readNoise', 'offset']);
    // the background it rests on: offset + α·b, variance α²·b + σ_r² + 1/12, third cumulant α³·b
    within(fit.background.level, 100 + 2 * 5, 0.01, 'background level');
    within(fit.background.thirdCumulant, 8 * 5, 0.25, 'background third cumulant');
  });
}

test('given values are kept and the others estimated from them (no third cumulant then)', () => {
  const sim = simulateCamera({ count: 20, size: 128, seed: 8 });
  const withOffset = estimateNoiseModel(sim.noisy, { offset: 100 });
  assert.equal(withOffset.model.offset, 100);
  assert.deepEqual(withOffset.fit.estimated, ['gain', 'readNoise']);
  within(withOffset.model.readNoise, 3, 0.1, 'read noise given the offset');
  const withReadNoise = estimateNoiseModel(sim.noisy, { readNoise: 3, gain: 2 });
  assert.deepEqual([withReadNoise.model.gain, withReadNoise.model.readNoise], [2, 3]);
  assert.deepEqual(withReadNoise.fit.estimated, ['offset']);
  within(withReadNoise.model.offset, 100, 0.02, 'offset given gain and read noise');
  assert.deepEqual(resolveNoiseModel(sim.noisy, { kind: 'poisson_gaussian', gain: 2, readNoise: 3, offset: 99 }),
    { model: { kind: 'poisson_gaussian', gain: 2, readNoise: 3, offset: 99 }, estimated: [] });
  const estimated = resolveNoiseModel(sim.noisy, 'estimate');
  assert.equal(estimated.model.kind, 'poisson_gaussian');
  assert.deepEqual(estimated.estimated, ['gain', 'readNoise', 'offset']);
  const gaussian = resolveNoiseModel(sim.noisy, { kind: 'gaussian', offset: 100 });
  assert.equal(gaussian.model.kind, 'gaussian');
  assert.deepEqual(gaussian.estimated, ['sigma']);
});

test('bad given values and data the model does not fit are typed errors that say what would be right', () => {
  const sim = simulateCamera({ count: 8, size: 64, seed: 2 });
  const rejects = (spec: Parameters<typeof resolveNoiseModel>[1], code: string, message: RegExp) =>
    assert.throws(() => resolveNoiseModel(sim.noisy, spec), (e: unknown) => e instanceof NoiseModelError && e.code === code && message.test(e.message));
  rejects({ kind: 'poisson_gaussian', gain: 0 }, 'NOISE_GAIN', /gain must be a finite number > 0.*ADU per electron/);
  rejects({ kind: 'poisson_gaussian', gain: -2, readNoise: 3, offset: 100 }, 'NOISE_GAIN', /> 0/);
  rejects({ kind: 'poisson_gaussian', readNoise: 0 }, 'NOISE_READ_NOISE', /readNoise must be a finite number > 0/);
  rejects({ kind: 'poisson_gaussian', offset: 5000 }, 'NOISE_OFFSET', /above the data's median \d+.*≤ \d+/);
  rejects({ kind: 'gaussian', sigma: 2, offset: 5000 }, 'NOISE_OFFSET', /above the data's median/);
  // Gaussian noise of one σ everywhere: the variance does not grow with the signal
  const gaussian = simulate({ preset: 'dataset1', count: 8, size: 64, seed: 2 }).noisy;
  assert.throws(() => resolveNoiseModel(gaussian, 'estimate'),
    (e: unknown) => e instanceof NoiseModelError && e.code === 'NOISE_FIT_FAILED' && /Gaussian noise model/.test(e.message));
  // a read noise larger than the background's whole noise cannot be
  assert.throws(() => estimateNoiseModel(sim.noisy, { gain: 2, readNoise: 50 }), (e: unknown) => e instanceof NoiseModelError);
  assert.throws(() => estimateNoiseModel(sim.noisy, { gain: 40, offset: 100 }),
    (e: unknown) => e instanceof NoiseModelError && e.code === 'NOISE_FIT_FAILED' && /no read noise/.test(e.message));
  assert.throws(() => estimateNoiseModel({ data: new Float32Array(64), count: 1, height: 8, width: 8 }), /at least 16×16/);
  assert.throws(() => estimateNoiseModel(simulateCamera({ count: 2, size: 64, seed: 1 }).noisy),
    (e: unknown) => e instanceof NoiseModelError && e.code === 'NOISE_FIT_SIZE' && /give gain, readNoise and offset/.test(e.message));
});

test('the model is the Poisson–Gaussian one with every value positive', () => {
  const { model } = estimateNoiseModel(simulateCamera({ count: 8, size: 64, seed: 1 }).noisy);
  const pg: PoissonGaussianNoise = model;
  assert.ok(pg.gain > 0 && pg.readNoise > 0 && Number.isFinite(pg.offset));
});
