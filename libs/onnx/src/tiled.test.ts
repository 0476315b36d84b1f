import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tinyModel, TINY_NETWORK } from './parity.test-helper.ts';
import { loadModelSessions } from './session.ts';
import { mmse } from './mmse.ts';
import { planTiles, reflectPad, receptiveMarginPx } from './tiled.ts';
import { REPORT_MODEL as REPORT_NETWORK } from '@divblur/divblurring/contract';

test('tile cores partition the padded image and windows stay on the 4-px grid', () => {
  const plan = planTiles(1000, 777, REPORT_NETWORK, { memoryBudgetBytes: 64 * 1024 ** 2, samples: 100 });
  assert.ok(plan.tiles.length > 1);
  const covered = new Uint8Array(plan.paddedHeight * plan.paddedWidth);
  for (const t of plan.tiles) {
    for (const v of [t.inputTop, t.inputLeft, t.inputHeight, t.inputWidth, t.coreTop, t.coreLeft]) assert.equal(v % 4, 0);
    assert.ok(t.coreTop - t.inputTop >= Math.min(t.coreTop, plan.marginPx));
    for (let r = t.coreTop; r < t.coreTop + t.coreHeight; r++) for (let c = t.coreLeft; c < t.coreLeft + t.coreWidth; c++) covered[r * plan.paddedWidth + c]++;
  }
  assert.ok(covered.every((n) => n === 1));
  const whole = planTiles(128, 128, REPORT_NETWORK, { memoryBudgetBytes: 1024 ** 3, samples: 100 });
  assert.equal(whole.tiles.length, 1);
});

test('reflect padding mirrors without repeating the edge pixel', () => {
  const padded = reflectPad({ data: Float32Array.from([1, 2, 3, 4, 5, 6]), height: 2, width: 3 }, 3, 5);
  assert.deepEqual(Array.from(padded), [1, 2, 3, 2, 1, 4, 5, 6, 5, 4, 1, 2, 3, 2, 1]);
});

test('tiled MMSE of a 1024² image equals the whole-image MMSE (< 0.05 dB) with no seam at tile borders', async () => {
  const model = await tinyModel(TINY_NETWORK, 7);
  const sessions = await loadModelSessions('tiny', model.exported.dir);
  const size = 1024;
  const data = new Float32Array(size * size);
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) data[r * size + c] = 0.3 + 0.25 * Math.sin(r / 17) * Math.cos(c / 23) + 0.05 * Math.sin(r * c);
  const y = { data, height: size, width: size };
  const whole = await mmse(sessions, y, { samples: 4, seed: 8 });
  const tiled = await mmse(sessions, y, { samples: 4, seed: 8, tileCorePx: 320 });
  assert.equal(whole.plan.tiles.length, 1);
  assert.ok(tiled.plan.tiles.length >= 9);
  // PSNR (DESIGN.md) of tiled against whole: equal within 0.05 dB means far above any real PSNR; here ≫ 80 dB.
  let squared = 0;
  for (let i = 0; i < size * size; i++) squared += (whole.mmse[i] - tiled.mmse[i]) ** 2;
  const psnrDb = 20 * Math.log10(whole.mmse.reduce((a, b) => Math.max(a, b)) / Math.sqrt(squared / (size * size)));
  assert.ok(psnrDb > 80, `tiled vs whole PSNR ${psnrDb} dB`);
  // Seams: the difference on tile-border rows/columns is no larger than elsewhere.
  const border = new Uint8Array(size * size);
  for (const t of tiled.plan.tiles) {
    for (let c = 0; c < size; c++) for (const r of [t.coreTop - 1, t.coreTop]) if (r >= 0 && t.coreTop > 0) border[r * size + c] = 1;
    for (let r = 0; r < size; r++) for (const c of [t.coreLeft - 1, t.coreLeft]) if (c >= 0 && t.coreLeft > 0) border[r * size + c] = 1;
  }
  let borderMax = 0;
  let elsewhereMax = 0;
  for (let i = 0; i < size * size; i++) {
    const d = Math.abs(whole.mmse[i] - tiled.mmse[i]);
    if (border[i]) borderMax = Math.max(borderMax, d); else elsewhereMax = Math.max(elsewhereMax, d);
  }
  assert.ok(borderMax <= Math.max(elsewhereMax, 1e-6), `border ${borderMax} vs elsewhere ${elsewhereMax}`);
  assert.ok(receptiveMarginPx(TINY_NETWORK) % 4 === 0);
});
