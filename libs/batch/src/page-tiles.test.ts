import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBytes, planPageTiles, tileContextPx, type PageTile } from './page-tiles.ts';
import { BatchPlanError } from './errors.ts';
import { TINY_CONFIG } from './test-model.test-helper.ts';

const model = { config: { ...TINY_CONFIG, filters: [...TINY_CONFIG.filters] }, psf: { height: 7, width: 7 } };

/** Every page pixel belongs to exactly one core, and each window holds its core and lies in the page. */
function assertPartition(tiles: readonly PageTile[], height: number, width: number): void {
  const owner = new Int32Array(height * width).fill(-1);
  for (const { tile, core, window } of tiles) {
    for (let r = core.top; r < core.top + core.height; r++) {
      for (let c = core.left; c < core.left + core.width; c++) {
        assert.equal(owner[r * width + c], -1, `pixel (${r}, ${c}) in two cores`);
        owner[r * width + c] = tile;
      }
    }
    assert.ok(window.top <= core.top && window.left <= core.left);
    assert.ok(window.top + window.height >= core.top + core.height && window.left + window.width >= core.left + core.width);
    assert.ok(window.top >= 0 && window.left >= 0 && window.top + window.height <= height && window.left + window.width <= width);
  }
  assert.equal(owner.indexOf(-1), -1, 'a pixel in no core');
}

test('a page whose decode fits the budget is one tile: the whole page', () => {
  const tiles = planPageTiles(100, 60, model, decodeBytes(100, 60, model));
  assert.deepEqual(tiles, [{ tile: 0, tileCount: 1, core: { top: 0, left: 0, height: 100, width: 60 }, window: { top: 0, left: 0, height: 100, width: 60 } }]);
});

test('beyond the budget the cores partition the page, windows carry the context inside the page, and each window fits the budget', () => {
  const budget = 2 ** 20;
  for (const [height, width] of [[256, 256], [300, 170], [129, 513]]) {
    const tiles = planPageTiles(height, width, model, budget);
    assert.ok(tiles.length > 1, `${height}×${width} tiles`);
    assert.ok(tiles.every((t) => t.tileCount === tiles.length));
    assertPartition(tiles, height, width);
    const context = tileContextPx(model);
    const cell = 4;
    for (const { core, window } of tiles) {
      assert.ok(decodeBytes(window.height, window.width, model) <= budget, `window ${window.height}×${window.width} over the budget`);
      // At least the context inside the page, on the page's grid seen from either end (the network pools by 4).
      const above = core.top - window.top;
      const right = window.left + window.width - core.left - core.width;
      assert.ok(above === core.top || (above >= context && above < context + cell), `context above ${above}`);
      assert.ok(right === width - core.left - core.width || (right >= context && right < context + cell), `context right ${right}`);
      assert.equal(window.top % cell, 0);
      assert.equal((width - window.left - window.width) % cell, 0);
    }
  }
});

test('a budget that leaves no tile is refused, naming the budget', () => {
  assert.throws(() => planPageTiles(512, 512, model, 40_000), (error: unknown) => error instanceof BatchPlanError && error.code === 'MEMORY_BUDGET' && /40000 B/.test(error.message));
});
