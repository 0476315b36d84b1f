import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussianPsf, gaussianPsfFromOptics, psfFromImage, sigmaFromFwhm } from './psf.ts';
import { ParameterError, PsfError } from './errors.ts';

const sumOf = (data: Float32Array): number => data.reduce((a, b) => a + b, 0);

test('gaussianPsf has side 2·ceil(4σ)+1, sum 1, its peak at the centre and the requested FWHM', () => {
  const psf = gaussianPsf({ fwhmPx: 3.8 }); // σ = 1.6137 → ceil(6.45) = 7 → 15
  assert.equal(psf.height, 15);
  assert.equal(psf.width, 15);
  assert.ok(Math.abs(sumOf(psf.data) - 1) < 1e-6);
  const centre = 7 * 15 + 7;
  assert.equal(Math.max(...psf.data), psf.data[centre]);
  // along a row, the profile ∝ exp(−x²/2σ²): the ratio at x = 1 pins σ
  const sigma = sigmaFromFwhm(3.8);
  assert.ok(Math.abs(psf.data[centre + 1] / psf.data[centre] - Math.exp(-1 / (2 * sigma * sigma))) < 1e-6);
  assert.equal(gaussianPsf({ fwhmPx: 3.0 }).height, 2 * Math.ceil(4 * sigmaFromFwhm(3)) + 1);
});

test('gaussianPsfFromOptics uses σ = 0.21 λ/NA (widefield) and 0.15 λ/NA (confocal)', () => {
  const base = { na: 1.4, emissionWavelengthNm: 520, refractiveIndex: 1.518, pixelSizeNm: 65 };
  const widefield = gaussianPsfFromOptics({ ...base, mode: 'widefield' });
  assert.ok(Math.abs(widefield.sigmaPx - (0.21 * 520) / 1.4 / 65) < 1e-12);
  const confocal = gaussianPsfFromOptics({ ...base, mode: 'confocal' });
  assert.ok(Math.abs(confocal.sigmaPx / widefield.sigmaPx - 0.15 / 0.21) < 1e-12);
  assert.throws(() => gaussianPsfFromOptics({ ...base, na: 1.6, mode: 'widefield' }), ParameterError);
});

test('psfFromImage normalises to sum 1 and keeps the shape', () => {
  const psf = psfFromImage({ data: Float32Array.from([0, 1, 0, 1, 4, 1, 0, 1, 0]), height: 3, width: 3 });
  assert.deepEqual(Array.from(psf.data), [0, 0.125, 0, 0.125, 0.5, 0.125, 0, 0.125, 0]);
});

test('psfFromImage rejects even, negative, non-finite, all-zero and mis-shaped PSFs with PsfError', () => {
  const cases: [Float32Array, number, number, RegExp][] = [
    [new Float32Array(4).fill(1), 2, 2, /odd/],
    [Float32Array.from([0, 1, 0, 1, -1, 1, 0, 1, 0]), 3, 3, /≥ 0/],
    [Float32Array.from([0, 1, 0, 1, NaN, 1, 0, 1, 0]), 3, 3, /finite/],
    [new Float32Array(9), 3, 3, /all zero/],
    [new Float32Array(8), 3, 3, /2D image/],
  ];
  for (const [data, height, width, message] of cases) {
    assert.throws(() => psfFromImage({ data, height, width }), (error: unknown) => error instanceof PsfError && message.test(error.message));
  }
  assert.throws(() => gaussianPsf({ fwhmPx: 0 }), ParameterError);
});
