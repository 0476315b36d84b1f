import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ComplexDft, fft2d, nextPowerOfTwo } from './fft.ts';
import { Random } from './random.ts';

function naiveDft(values: Float64Array, inverse: boolean): Float64Array {
  const n = values.length / 2;
  const out = new Float64Array(2 * n);
  const sign = inverse ? 1 : -1;
  for (let k = 0; k < n; k++) {
    let re = 0;
    let im = 0;
    for (let t = 0; t < n; t++) {
      const angle = (sign * 2 * Math.PI * ((k * t) % n)) / n;
      re += values[2 * t] * Math.cos(angle) - values[2 * t + 1] * Math.sin(angle);
      im += values[2 * t] * Math.sin(angle) + values[2 * t + 1] * Math.cos(angle);
    }
    out[2 * k] = inverse ? re / n : re;
    out[2 * k + 1] = inverse ? im / n : im;
  }
  return out;
}

test('ComplexDft equals the naive DFT for powers of two and other lengths (Bluestein), both directions', () => {
  const random = new Random(11);
  for (const n of [1, 2, 3, 5, 8, 12, 48, 64, 97]) {
    const values = Float64Array.from({ length: 2 * n }, () => random.normal());
    for (const inverse of [false, true]) {
      const data = Float64Array.from(values);
      new ComplexDft(n).transform(data, inverse);
      const expected = naiveDft(values, inverse);
      for (let i = 0; i < 2 * n; i++) assert.ok(Math.abs(data[i] - expected[i]) < 1e-9 * n, `n=${n} inverse=${inverse} i=${i}`);
    }
  }
});

test('fft2d then its inverse is the identity on a 6×10 array, and a delta transforms to all ones', () => {
  const random = new Random(12);
  const values = Float64Array.from({ length: 120 }, () => random.normal());
  const data = Float64Array.from(values);
  fft2d(data, 6, 10);
  fft2d(data, 6, 10, true);
  for (let i = 0; i < values.length; i++) assert.ok(Math.abs(data[i] - values[i]) < 1e-12);
  const delta = new Float64Array(2 * 12);
  delta[0] = 1;
  fft2d(delta, 3, 4);
  for (let i = 0; i < 12; i++) assert.ok(Math.abs(delta[2 * i] - 1) < 1e-12 && Math.abs(delta[2 * i + 1]) < 1e-12);
});

test('nextPowerOfTwo', () => {
  assert.deepEqual([1, 2, 3, 526, 1024].map(nextPowerOfTwo), [2, 2, 4, 1024, 1024]);
});
