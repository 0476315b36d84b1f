import { test } from 'node:test';
import assert from 'node:assert/strict';
import { richardsonLucy } from './richardson-lucy.ts';
import { loadSkimageFixture, relativeMaxError } from './skimage-fixture.test-helper.ts';
import { ImageValueError, ParameterError } from './errors.ts';
import { convolve } from './convolve.ts';
import { psnr } from './psnr.ts';

const fixture = loadSkimageFixture();

test("'clip' equals skimage richardson_lucy(max(y,0), psf, n, clip=False) at 10 and 30 iterations to 1e-4, every convolution path", () => {
  for (const method of ['direct', 'fft'] as const) {
    for (const [iterations, key] of [[10, 'rl_clip_10'], [30, 'rl_clip_30']] as const) {
      const { estimate } = richardsonLucy(fixture.noisy, fixture.psf, { iterations, negatives: 'clip', method });
      const error = relativeMaxError(estimate.data, fixture.raw[key]);
      assert.ok(error < 1e-4, `${method}, ${iterations} iterations: relative error ${error}`);
    }
  }
});

test("'shift' equals skimage on y − min(y), shifted back, to 1e-4", () => {
  const { estimate, offset } = richardsonLucy(fixture.noisy, fixture.psf, { iterations: 30, negatives: 'shift' });
  assert.ok(offset > 0.1);
  assert.ok(relativeMaxError(estimate.data, fixture.raw.rl_shift_30) < 1e-4);
});

test('onIteration sees every iterate, can stop early, and an oracle pick beats the last iterate on GT', () => {
  const scores: number[] = [];
  const result = richardsonLucy(fixture.noisy, fixture.psf, {
    iterations: 200, negatives: 'clip',
    onIteration: (k, estimate) => { scores.push(psnr(fixture.groundTruth, estimate)); return k < 150; },
  });
  assert.equal(result.iterations, 150);
  assert.equal(scores.length, 150);
  const best = Math.max(...scores);
  assert.ok(best > scores[0] && best > scores[149], `PSNR should rise then fall with noise amplification: ${scores[0]}, ${best}, ${scores[149]}`);
});

test('interior residuals ‖P∗x_k − y‖² decrease and stopAtResidualSquared stops at the first iterate below it', () => {
  const free = richardsonLucy(fixture.noisy, fixture.psf, { iterations: 40, negatives: 'clip' });
  const target = free.residualSquared[12];
  const stopped = richardsonLucy(fixture.noisy, fixture.psf, { iterations: 40, negatives: 'clip', stopAtResidualSquared: target });
  const first = free.residualSquared.findIndex((r, j) => j >= 1 && r <= target);
  assert.equal(stopped.iterations, first);
  const check = convolve(stopped.estimate, fixture.psf, 'same');
  // against the original y, over pixels at least the PSF radius (3) from the border
  let residual = 0;
  for (let r = 3; r < 45; r++) for (let c = 3; c < 45; c++) residual += (check.data[r * 48 + c] - fixture.noisy.data[r * 48 + c]) ** 2;
  assert.equal(stopped.residualPixels, 42 * 42);
  assert.ok(Math.abs(residual - stopped.residualSquared[first]) < 1e-6 * residual);
  assert.ok(free.residualSquared[39] < free.residualSquared[1]);
});

test('bad iterations, negative handling or NaN input raise typed errors', () => {
  assert.throws(() => richardsonLucy(fixture.noisy, fixture.psf, { iterations: 0 }), ParameterError);
  assert.throws(() => richardsonLucy(fixture.noisy, fixture.psf, { iterations: 1, negatives: 'abs' as 'clip' }), ParameterError);
  const bad = Float32Array.from(fixture.noisy.data);
  bad[5] = NaN;
  assert.throws(() => richardsonLucy({ ...fixture.noisy, data: bad }, fixture.psf, { iterations: 1 }), ImageValueError);
});
