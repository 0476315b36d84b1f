import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { simulate } from './simulate.ts';
import { convolve } from './convolve.ts';
import { stackImage } from './image.ts';
import { ParameterError } from './errors.ts';

const sha256 = (...arrays: Float32Array[]): string => {
  const hash = createHash('sha256');
  for (const array of arrays) hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  return hash.digest('hex');
};

test('same seed → same bytes (hash), different seed → different bytes; the first images do not depend on count', () => {
  const a = simulate({ preset: 'dataset1', count: 3, size: 64, seed: 5 });
  const b = simulate({ preset: 'dataset1', count: 3, size: 64, seed: 5 });
  const c = simulate({ preset: 'dataset1', count: 3, size: 64, seed: 6 });
  assert.equal(sha256(a.noisy.data, a.groundTruth.data), sha256(b.noisy.data, b.groundTruth.data));
  assert.notEqual(sha256(a.noisy.data), sha256(c.noisy.data));
  const shorter = simulate({ preset: 'dataset1', count: 2, size: 64, seed: 5 });
  assert.equal(sha256(shorter.noisy.data), sha256(a.noisy.data.subarray(0, 2 * 64 * 64)));
});

test('presets carry the report parameters; GT has max 1, background 0 and anti-aliased edges', () => {
  const one = simulate({ preset: 'dataset1', count: 2, seed: 1 });
  assert.deepEqual([one.fwhmPx, one.noiseSigma, one.pixelSizeNm, one.noisy.height], [3.8, 0.03, 25, 128]);
  const two = simulate({ preset: 'dataset2', count: 1, seed: 1, noiseSigma: 0.2 });
  assert.deepEqual([two.fwhmPx, two.noiseSigma], [3.0, 0.2]);
  for (let i = 0; i < 2; i++) {
    const gt = stackImage(one.groundTruth, i).data;
    assert.equal(Math.max(...gt), 1);
    assert.equal(Math.min(...gt), 0);
    const zero = gt.filter((v) => v === 0).length / gt.length;
    const partial = gt.filter((v) => v > 0 && v < 0.3).length;
    assert.ok(zero > 0.6, `mostly background: ${zero}`);
    assert.ok(partial > 50, 'supersampling leaves fractional coverage at filament edges');
  }
});

test('noisy = PSF ∗ GT + N(0, σ²) exactly in the interior (linear blur of a padded canvas)', () => {
  const sim = simulate({ preset: 'dataset2', count: 2, seed: 9 });
  const margin = (sim.psf.height - 1) / 2;
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let k = 0; k < 2; k++) {
    const blurred = convolve(stackImage(sim.groundTruth, k), sim.psf, 'same').data;
    const noisy = stackImage(sim.noisy, k).data;
    for (let i = margin; i < 128 - margin; i++) for (let j = margin; j < 128 - margin; j++) {
      const noise = noisy[i * 128 + j] - blurred[i * 128 + j];
      sum += noise;
      sumSq += noise * noise;
      n += 1;
    }
  }
  const std = Math.sqrt(sumSq / n - (sum / n) ** 2);
  assert.ok(Math.abs(std / sim.noiseSigma - 1) < 0.03, `noise std ${std}`);
  assert.ok(Math.abs(sum / n) < 0.005);
});

test('the border is blurred from filaments outside the crop, not from zeros (signal reaches the edge)', () => {
  const sim = simulate({ preset: 'dataset1', count: 20, size: 64, seed: 3, noiseSigma: 1e-6 });
  let edgeMass = 0;
  for (let k = 0; k < 20; k++) {
    const noisy = stackImage(sim.noisy, k).data;
    const zeroPadded = convolve(stackImage(sim.groundTruth, k), sim.psf, 'same').data;
    for (let j = 0; j < 64; j++) edgeMass += noisy[j] - zeroPadded[j];
  }
  // zero padding would make the crop's first row darker than the canvas blur: the canvas adds light from above
  assert.ok(edgeMass > 0.5, `light from outside the crop: ${edgeMass}`);
});

test('bad count, size, preset and σ ≤ 0 raise ParameterError', () => {
  assert.throws(() => simulate({ preset: 'dataset1', count: 0, seed: 1 }), ParameterError);
  assert.throws(() => simulate({ preset: 'dataset1', count: 1, size: 8, seed: 1 }), ParameterError);
  assert.throws(() => simulate({ preset: 'dataset3' as 'dataset1', count: 1, seed: 1 }), ParameterError);
  assert.throws(() => simulate({ preset: 'dataset1', count: 1, seed: 1, noiseSigma: 0 }), /noiseSigma/);
});

test('pinned bytes: dataset2, 2 images of 32², seed 2026 hash as recorded (cross-machine determinism on V8)', () => {
  // If this changes, every stored simulated dataset and benchmark changes: do it on purpose only.
  const sim = simulate({ preset: 'dataset2', count: 2, size: 32, seed: 2026 });
  assert.equal(sha256(sim.noisy.data, sim.groundTruth.data), '10a4ae3fda63c95afd6d076ae7b140c7f4027fe7ccba7ec69677a18be13d1d00');
});
