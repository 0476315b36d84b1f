import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convolve, correlate, createConvolver, chooseConvolutionMethod, separableFactors } from './convolve.ts';
import type { ConvolutionMode } from './convolve.ts';
import { gaussianPsf } from './psf.ts';
import { Random } from './random.ts';
import type { Image } from './image.ts';
import { ParameterError } from './errors.ts';

function randomImage(height: number, width: number, seed: number): Image {
  const random = new Random(seed);
  return { data: Float32Array.from({ length: height * width }, () => random.uniform()), height, width };
}

/** The definition, in float64: full(p,q) = Σ k(a,b) x(p−a, q−b), then the mode's window. */
function reference(x: Image, k: Image, mode: ConvolutionMode): Float64Array {
  const outH = mode === 'same' ? x.height : x.height - k.height + 1;
  const outW = mode === 'same' ? x.width : x.width - k.width + 1;
  const r0 = mode === 'same' ? (k.height - 1) >> 1 : k.height - 1;
  const c0 = mode === 'same' ? (k.width - 1) >> 1 : k.width - 1;
  const out = new Float64Array(outH * outW);
  for (let i = 0; i < outH; i++) for (let j = 0; j < outW; j++) {
    let sum = 0;
    for (let a = 0; a < k.height; a++) for (let b = 0; b < k.width; b++) {
      const r = i + r0 - a;
      const c = j + c0 - b;
      if (r >= 0 && r < x.height && c >= 0 && c < x.width) sum += k.data[a * k.width + b] * x.data[r * x.width + c];
    }
    out[i * outW + j] = sum;
  }
  return out;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
};

test('direct and FFT paths equal the definition to 1e-5 for odd, even and rectangular kernels, both modes', () => {
  const shapes: [number, number, number, number][] = [[20, 17, 5, 3], [16, 16, 4, 6], [9, 31, 7, 7], [33, 12, 1, 2]];
  let seed = 1;
  for (const [h, w, kh, kw] of shapes) {
    const x = randomImage(h, w, seed++);
    const k = randomImage(kh, kw, seed++);
    for (const mode of ['same', 'valid'] as const) {
      const expected = reference(x, k, mode);
      for (const method of ['direct', 'fft'] as const) {
        const result = convolve(x, k, mode, method);
        assert.equal(result.height * result.width, expected.length);
        assert.ok(maxAbsDiff(result.data, expected) < 1e-5, `${method} ${mode} ${h}×${w} * ${kh}×${kw}`);
      }
    }
  }
});

test('the separable path equals the direct one for a Gaussian PSF and is refused for a non-separable kernel', () => {
  const psf = gaussianPsf({ fwhmPx: 3.8 });
  assert.ok(separableFactors(psf));
  const x = randomImage(40, 37, 5);
  for (const mode of ['same', 'valid'] as const) {
    assert.ok(maxAbsDiff(convolve(x, psf, mode, 'separable').data, reference(x, psf, mode)) < 1e-5, mode);
  }
  const notSeparable = { data: Float32Array.from([0, 1, 0, 1, 1, 1, 0, 1, 0]), height: 3, width: 3 };
  assert.equal(separableFactors(notSeparable), null);
  assert.throws(() => convolve(x, notSeparable, 'same', 'separable'), ParameterError);
});

test('convolution flips the kernel and correlation does not', () => {
  const impulse = { data: new Float32Array(25), height: 5, width: 5 };
  impulse.data[12] = 1;
  // weight left of the kernel's centre: convolving a delta reproduces the kernel (impulse moves
  // left), correlating reproduces it mirrored (impulse moves right)
  const kernel = { data: Float32Array.from([0, 0, 0, 1, 0, 0, 0, 0, 0]), height: 3, width: 3 };
  for (const method of ['direct', 'fft'] as const) {
    assert.equal(convolve(impulse, kernel, 'same', method).data[11].toFixed(6), '1.000000');
    assert.equal(correlate(impulse, kernel, 'same', method).data[13].toFixed(6), '1.000000');
  }
});

test('valid output has (H−kh+1)×(W−kw+1) pixels and a plan reuses its buffers across calls', () => {
  const psf = gaussianPsf({ fwhmPx: 3 });
  const plan = createConvolver(64, 50, psf, 'valid', 'fft');
  assert.equal(plan.outHeight, 64 - psf.height + 1);
  assert.equal(plan.outWidth, 50 - psf.width + 1);
  const a = randomImage(64, 50, 9);
  const b = randomImage(64, 50, 10);
  const first = Float32Array.from(plan.apply(a.data));
  plan.apply(b.data);
  assert.deepEqual(plan.apply(a.data), first);
});

test('auto choice: a small PSF runs direct or separable, a very large one runs through the FFT', () => {
  assert.notEqual(chooseConvolutionMethod(128, 128, gaussianPsf({ fwhmPx: 3 })), 'fft');
  assert.equal(chooseConvolutionMethod(256, 256, randomImage(63, 63, 3)), 'fft');
});

test('bad modes, sizes and inputs raise ParameterError or ImageValueError', () => {
  const x = randomImage(4, 4, 1);
  assert.throws(() => convolve(x, randomImage(5, 5, 2), 'valid'), ParameterError);
  assert.throws(() => convolve(x, randomImage(3, 3, 2), 'full' as ConvolutionMode), ParameterError);
  assert.throws(() => createConvolver(4, 4, randomImage(3, 3, 2), 'same').apply(new Float32Array(15)), /16 values/);
});
