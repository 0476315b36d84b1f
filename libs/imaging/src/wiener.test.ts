import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wiener, wienerSolver } from './wiener.ts';
import { loadSkimageFixture, relativeMaxError } from './skimage-fixture.test-helper.ts';
import { ParameterError, PsfError } from './errors.ts';
import { gaussianPsf } from './psf.ts';

const fixture = loadSkimageFixture();

test('equals skimage restoration.wiener(image, psf, balance, clip=False) at two balances to 1e-4', () => {
  fixture.raw.wiener_balances.forEach((balance, i) => {
    const error = relativeMaxError(wiener(fixture.noisy, fixture.psf, balance).data, fixture.raw.wiener[i]);
    assert.ok(error < 1e-4, `balance ${balance}: relative error ${error}`);
  });
});

test('the Parseval residual equals ‖A x̂ − y‖² computed in image space and grows with balance', () => {
  const solver = wienerSolver(fixture.noisy, fixture.psf);
  const balance = 0.05;
  const estimate = solver.estimate(balance);
  // circular convolution with the PSF centred at its middle pixel
  const { height, width } = estimate;
  const k = fixture.psf.height;
  let residual = 0;
  for (let i = 0; i < height; i++) for (let j = 0; j < width; j++) {
    let sum = 0;
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
      const r = (i - (a - 3) + height) % height;
      const c = (j - (b - 3) + width) % width;
      sum += fixture.psf.data[a * k + b] * estimate.data[r * width + c];
    }
    residual += (sum - fixture.noisy.data[i * width + j]) ** 2;
  }
  assert.ok(Math.abs(solver.residualSquared(balance) - residual) < 1e-5 * residual);
  assert.ok(solver.residualSquared(0.01) < solver.residualSquared(0.1));
  assert.ok(solver.residualSquared(0.1) < solver.residualSquared(10));
});

test('rejects a negative balance and a PSF larger than the image', () => {
  assert.throws(() => wiener(fixture.noisy, fixture.psf, -1), ParameterError);
  const small = { data: new Float32Array(25).fill(1), height: 5, width: 5 };
  assert.throws(() => wiener(small, gaussianPsf({ fwhmPx: 3 }), 0.1), PsfError);
});
