import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CAMERA_PRESET, simulateCamera, UINT16_MAX } from './simulate-camera.ts';
import { simulate } from './simulate.ts';
import { ParameterError } from './errors.ts';

test('the camera preset records integer ADU in the uint16 range, seeded, with the true noise model beside them', () => {
  const a = simulateCamera({ count: 3, size: 48, seed: 4 });
  const b = simulateCamera({ count: 3, size: 48, seed: 4 });
  assert.deepEqual(a.noisy.data, b.noisy.data);
  assert.notDeepEqual(simulateCamera({ count: 3, size: 48, seed: 5 }).noisy.data, a.noisy.data);
  assert.equal(a.dtype, 'uint16');
  assert.ok(a.noisy.data.every((v) => Number.isInteger(v) && v >= 0 && v <= UINT16_MAX));
  assert.deepEqual(a.noiseModel, { kind: 'poisson_gaussian', gain: CAMERA_PRESET.gain, readNoise: CAMERA_PRESET.readNoise, offset: CAMERA_PRESET.offset });
});

test('ground truth is α·(P·x + b) ADU above the offset, over the same filaments as the Gaussian presets', () => {
  const camera = simulateCamera({ count: 2, size: 48, seed: 9, peakPhotons: 50, backgroundPhotons: 4, gain: 1.5 });
  // the first image's filaments are drawn before any noise: the same as dataset2's (same PSF) with the same seed
  const filaments = simulate({ preset: 'dataset2', count: 1, size: 48, seed: 9 }).groundTruth;
  filaments.data.forEach((v, i) => assert.ok(Math.abs(camera.groundTruth.data[i] - 1.5 * (50 * v + 4)) < 1e-3, `pixel ${i}`));
  // pixels with no filament within the PSF's reach (its 9×9 support) average offset + α·b
  let sum = 0, n = 0;
  const side = 48;
  const dark = (r: number, c: number) => camera.groundTruth.data[r * side + c] === 1.5 * 4;
  for (let r = 4; r < side - 4; r++) {
    for (let c = 4; c < side - 4; c++) {
      let clear = true;
      for (let i = -4; i <= 4 && clear; i++) for (let j = -4; j <= 4 && clear; j++) clear = dark(r + i, c + j);
      if (clear) { sum += camera.noisy.data[r * side + c]; n++; }
    }
  }
  assert.ok(n > 200 && Math.abs(sum / n - (CAMERA_PRESET.offset + 6)) < 4 * Math.sqrt((1.5 * 6 + 9) / n), `background mean ${sum / n} over ${n} pixels`);
});

test('settings out of range are typed errors', () => {
  assert.throws(() => simulateCamera({ count: 1, seed: 1, gain: 0 }), ParameterError);
  assert.throws(() => simulateCamera({ count: 1, seed: 1, readNoise: -1 }), ParameterError);
  assert.throws(() => simulateCamera({ count: 0, seed: 1 }), ParameterError);
});
