import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.ts';
import { divblurLoss, psfFilter } from './loss.ts';
import { poissonGaussianDataTermPerImage } from './poisson-gaussian-likelihood.ts';
import type { PoissonGaussianNoise } from './imaging.ts';

before(async () => {
  await initBackend('cpu');
});

const noise: PoissonGaussianNoise = { kind: 'poisson_gaussian', gain: 2, readNoise: 3, offset: 100 };
// an asymmetric 3×3 PSF summing to 1, and a 5×5 image: the valid region is its 3×3 interior
const psf = { data: Float32Array.from([0.05, 0.1, 0.05, 0.1, 0.3, 0.15, 0.05, 0.15, 0.05]), height: 3, width: 3 };
const side = 5;
// x around the offset, some pixels below it, so that A(x − o) < 0 (the max(·, 0) branch) at some valid pixels
const x0 = Float64Array.from({ length: side * side }, (_, i) => 100 + 30 * Math.sin(1.7 * i) + (i % 7 === 0 ? -45 : 10));
const y = Float64Array.from({ length: side * side }, (_, i) => 100 + 25 + 20 * Math.cos(0.9 * i));
y[12] = 94; // a valid pixel below the offset by twice the read noise: its shifted counts (−3 + 2.25) clip at 0

/**
 * The data term in float64, straight from the equation: half the Poisson deviance of y′ = (y − o)/α + c against
 * μ = max(A s, 0)/α + c, c = σ_r²/α², plus (A s)²/(2σ_r²) where A s < 0.
 */
function reference(x: Float64Array): number {
  const c = noise.readNoise ** 2 / noise.gain ** 2;
  let sum = 0;
  for (let r = 1; r < side - 1; r++) {
    for (let col = 1; col < side - 1; col++) {
      let fitted = 0; // (A s)[r, col] = Σ_ab P[a, b] s[r − a + 1, col − b + 1] (a true convolution)
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) fitted += psf.data[a * 3 + b] * (x[(r - a + 1) * side + col - b + 1] - noise.offset);
      const mu = Math.max(fitted, 0) / noise.gain + c;
      const counts = Math.max((y[r * side + col] - noise.offset) / noise.gain + c, 0);
      sum += mu - counts + (counts > 0 ? counts * Math.log(counts / mu) : 0) + Math.min(fitted, 0) ** 2 / (2 * noise.readNoise ** 2);
    }
  }
  return sum;
}

const tensor = (values: Float64Array) => tf.tensor4d(Float32Array.from(values), [1, side, side, 1]);

test('the Poisson–Gaussian data term equals the half Poisson deviance of the shifted counts, summed over the valid pixels', () => {
  const value = poissonGaussianDataTermPerImage(tensor(x0), tensor(y), psfFilter(psf), noise).dataSync()[0];
  const expected = reference(x0);
  assert.ok(Math.abs(value - expected) < 1e-5 * Math.abs(expected), `${value} vs ${expected}`);
});

test('for large counts it is the heteroscedastic Gaussian (y − o − A s)²/(2v), v = α A s + σ_r²: ½ a pixel at the noise level', () => {
  // a flat image: A s = s everywhere, 9 valid pixels each missing by r ADU
  const signal = 4000;
  for (const r of [-60, 25, 90]) {
    const flatX = new Float64Array(side * side).fill(noise.offset + signal);
    const flatY = new Float64Array(side * side).fill(noise.offset + signal + r);
    const value = poissonGaussianDataTermPerImage(tensor(flatX), tensor(flatY), psfFilter(psf), noise).dataSync()[0];
    const gaussian = 9 * r * r / (2 * (noise.gain * signal + noise.readNoise ** 2));
    assert.ok(Math.abs(value - gaussian) < 0.02 * gaussian, `r = ${r}: ${value} vs ${gaussian}`);
  }
});

test('its gradient in x matches central finite differences of the equation, on both sides of the max(A s, 0) kink', () => {
  const gradient = tf.grad((x: tf.Tensor) => poissonGaussianDataTermPerImage(x as tf.Tensor4D, tensor(y), psfFilter(psf), noise).sum())(tensor(x0)).dataSync();
  const h = 1e-4;
  for (let i = 0; i < x0.length; i++) {
    const plus = Float64Array.from(x0);
    const minus = Float64Array.from(x0);
    plus[i] += h;
    minus[i] -= h;
    const numeric = (reference(plus) - reference(minus)) / (2 * h);
    assert.ok(Math.abs(gradient[i] - numeric) < 1e-4 + 1e-3 * Math.abs(numeric), `∂/∂x[${i}]: autodiff ${gradient[i]}, finite differences ${numeric}`);
  }
  // the example reaches the clipped branch: some valid pixel has A(x − o) < 0
  const fitted = tf.conv2d(tf.sub(tensor(x0), noise.offset) as tf.Tensor4D, psfFilter(psf), 1, 'valid').dataSync();
  assert.ok(fitted.some((v) => v < 0) && fitted.some((v) => v > 0));
});

test('divblurLoss uses it for a Poisson–Gaussian model and puts the penalty on x − o (positivity: x ≥ o)', () => {
  const mu = tf.zeros([1, 1, 1, 1]) as tf.Tensor4D;
  const logvar = tf.zeros([1, 1, 1, 1]) as tf.Tensor4D;
  const x = tensor(x0);
  const lambda = 0.01;
  const terms = divblurLoss({
    y: tensor(y), x, mu, logvar, psf: psfFilter(psf), noiseModel: noise, beta: 0, freeBitsNats: 0, penalty: { name: 'positivity', lambda, kappa: 0 },
  });
  assert.ok(Math.abs(terms.data.dataSync()[0] - reference(x0)) < 1e-5 * reference(x0));
  const below = Array.from(x0).reduce((sum, v) => sum + Math.min(v - noise.offset, 0) ** 2, 0);
  assert.ok(below > 0);
  assert.ok(Math.abs(terms.penalty.dataSync()[0] - lambda * below) < 1e-4 * lambda * below);
});
