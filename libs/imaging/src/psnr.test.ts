import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanPsnr, psnr, psnrPerImage } from './psnr.ts';
import { ImageValueError } from './errors.ts';

const image = (values: number[], height = 2, width = 2) => ({ data: Float32Array.from(values), height, width });

test('hand-computed PSNR: peak 1, one of four pixels off by 0.5 → MSE 1/16 → 20·log10(4) dB', () => {
  assert.ok(Math.abs(psnr(image([0, 1, 0, 0]), image([0, 1, 0.5, 0])) - 20 * Math.log10(4)) < 1e-12);
});

test('the peak is max(GT), not a fixed range: GT max 2, every pixel off by 0.1 → 20·log10(20) dB', () => {
  assert.ok(Math.abs(psnr(image([2, 1, 0, 1]), image([2.1, 1.1, 0.1, 1.1])) - 20 * Math.log10(2 / 0.1)) < 1e-5);
});

test('equal images give +Infinity', () => {
  assert.equal(psnr(image([0, 1, 2, 3]), image([0, 1, 2, 3])), Infinity);
});

test('a stack is scored per image and averaged (mean of PSNRs, not PSNR of the mean MSE)', () => {
  const gt = { data: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0]), count: 2, height: 2, width: 2 };
  const estimate = { data: Float32Array.from([1, 0.5, 0, 0, 1, 0.1, 0, 0]), count: 2, height: 2, width: 2 };
  const perImage = psnrPerImage(gt, estimate);
  assert.ok(Math.abs(perImage[0] - 20 * Math.log10(4)) < 1e-6); // MSE 0.0625
  assert.ok(Math.abs(perImage[1] - 20 * Math.log10(20)) < 1e-5); // MSE 0.0025
  assert.ok(Math.abs(meanPsnr(gt, estimate) - (perImage[0] + perImage[1]) / 2) < 1e-12);
});

test('mismatched shapes, NaN and a non-positive peak raise ImageValueError', () => {
  assert.throws(() => psnr(image([1, 0, 0, 0]), image([1, 0, 0], 1, 3)), ImageValueError);
  assert.throws(() => psnr(image([1, 0, 0, 0]), image([1, NaN, 0, 0])), ImageValueError);
  assert.throws(() => psnr(image([0, 0, 0, 0]), image([1, 0, 0, 0])), ImageValueError);
});
