import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussianPsf, Random } from '@divblur/imaging';
import type { Image } from './imaging.ts';
import { dihedral } from './data.ts';
import { psfAsymmetry, psfSymmetries } from './symmetry.ts';

/** exp(−r²/2σ²) with σ per axis and the centre moved by (rowShift, columnShift) px, on a side×side grid, sum 1. */
function gaussian(side: number, sigmaRow: number, sigmaColumn: number, rowShift = 0, columnShift = 0): Image {
  const radius = (side - 1) / 2;
  const data = new Float32Array(side * side);
  let sum = 0;
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      const r = (i - radius - rowShift) / sigmaRow;
      const c = (j - radius - columnShift) / sigmaColumn;
      sum += data[i * side + j] = Math.exp(-(r * r + c * c) / 2);
    }
  }
  return { data: data.map((v) => v / sum), height: side, width: side };
}

test('a Gaussian PSF has all 8 symmetries; no PSF (DivNoising) allows all 8', () => {
  assert.deepEqual(psfSymmetries(gaussianPsf({ fwhmPx: 3.8 })), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(psfSymmetries(null), [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('an astigmatic PSF keeps the mirrors and the half turn, not the transposes', () => {
  // 5 % longer along the rows: a transpose moves 0.05 of its energy, over the tolerance.
  const astigmatic = gaussian(15, 1.68, 1.6);
  assert.ok(psfAsymmetry(astigmatic, 4) > 0.03 && psfAsymmetry(astigmatic, 4) < 0.07, String(psfAsymmetry(astigmatic, 4)));
  assert.deepEqual(psfSymmetries(astigmatic), [0, 1, 2, 3]);
});

test('a comatic PSF (a tail downwards) keeps only the mirror of the columns', () => {
  const core = gaussian(15, 1.6, 1.6);
  const tail = gaussian(15, 2.5, 1.6, 2.5, 0);
  const coma: Image = { data: core.data.map((v, i) => 0.7 * v + 0.3 * tail.data[i]), height: 15, width: 15 };
  // k = 2 flips the columns (data.ts); every other transform moves the tail.
  assert.equal(psfAsymmetry(coma, 2) < 1e-6, true);
  assert.deepEqual(psfSymmetries(coma), [0, 2]);
  // a peak one pixel off the centre breaks the mirror of the rows
  assert.deepEqual(psfSymmetries(gaussian(15, 1.6, 1.6, 1, 0)), [0, 2]);
});

test('a non-square PSF is never symmetric under a transpose, even when it is isotropic', () => {
  const wide = gaussian(15, 1.6, 1.6);
  const cropped: Image = { data: wide.data.filter((_, i) => Math.floor(i / 15) >= 3 && Math.floor(i / 15) < 12), height: 9, width: 15 };
  assert.equal(psfAsymmetry(cropped, 4), Infinity);
  assert.deepEqual(psfSymmetries(cropped), [0, 1, 2, 3]);
});

test('the tolerance decides: what a transform moves is compared with it', () => {
  const astigmatic = gaussian(15, 1.68, 1.6);
  assert.deepEqual(psfSymmetries(astigmatic, 0.1), [0, 1, 2, 3, 4, 5, 6, 7]);
  // an exact check of the measure on a 1×3 example: [0.5, 0.3, 0.2] mirrored is [0.2, 0.3, 0.5], |Δ| = 0.6
  const small: Image = { data: Float32Array.from([0.5, 0.3, 0.2]), height: 1, width: 3 };
  assert.ok(Math.abs(psfAsymmetry(small, 2) - 0.6) < 1e-6);
  assert.deepEqual(dihedral(small, 2).data, Float32Array.from([0.2, 0.3, 0.5]));
});

test('noise alone breaks the symmetry of a measured PSF: a Gaussian at peak SNR 300 moves ≈ 4 % under a transpose and keeps only the identity', () => {
  const psf = gaussianPsf({ fwhmPx: 3.8 });
  const peak = Math.max(...psf.data);
  const moved: number[] = [];
  for (const snr of [30, 100, 300, 1000]) {
    const random = new Random(1);
    const noisy = Float32Array.from(psf.data, (v) => Math.max(0, v + (peak / snr) * random.normal()));
    const sum = noisy.reduce((a, b) => a + b, 0);
    const measured: Image = { data: noisy.map((v) => v / sum), height: psf.height, width: psf.width };
    moved.push(psfAsymmetry(measured, 4));
    assert.deepEqual(psfSymmetries(measured), [0], `peak SNR ${snr}`);
  }
  // what the API's experiment warning is for (README, "A PSF without every symmetry of the square")
  assert.ok(moved.every((m, i) => i === 0 || m < moved[i - 1]), `falls with the SNR: ${moved.map((m) => m.toFixed(3))}`);
  assert.ok(moved[2] > 0.03 && moved[2] < 0.05, `SNR 300: ${moved[2]}`);
});
