import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KERNEL_SIZES } from '@divblur/divblurring/contract';
import { tinyModel, TINY_NETWORK } from './parity.test-helper.ts';
import { loadModelSessions } from './session.ts';
import { mmse } from './mmse.ts';
import { receptiveMarginPx } from './tiled.ts';

// Tile margins follow the kernel size: with the 3×3 margin, 7×7 tiles differed from the whole image by 0.016
// (of a 0.3 ± 0.3 image) next to tile borders.
for (const kernelSize of KERNEL_SIZES) {
  test(`tiled MMSE equals the whole-image MMSE with ${kernelSize}×${kernelSize} kernels`, async () => {
    const config = { ...TINY_NETWORK, kernelSize };
    const model = await tinyModel(config, 7);
    const sessions = await loadModelSessions('tiny', model.exported.dir);
    const size = 192;
    const data = new Float32Array(size * size);
    for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) data[r * size + c] = 0.3 + 0.25 * Math.sin(r / 17) * Math.cos(c / 23) + 0.05 * Math.sin(r * c);
    const y = { data, height: size, width: size };
    const whole = await mmse(sessions, y, { samples: 2, seed: 8 });
    const tiled = await mmse(sessions, y, { samples: 2, seed: 8, tileCorePx: 48 });
    assert.equal(whole.plan.tiles.length, 1);
    assert.ok(tiled.plan.tiles.length >= 9);
    let worst = 0;
    for (let i = 0; i < size * size; i++) worst = Math.max(worst, Math.abs(whole.mmse[i] - tiled.mmse[i]));
    assert.ok(worst <= 1e-6, `max |tiled − whole| ${worst} (margin ${receptiveMarginPx(config)} px)`);
  });
}
