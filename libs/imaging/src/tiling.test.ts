import { test } from 'node:test';
import assert from 'node:assert/strict';
import { axisWeights, blendTiles, planTiles, splitTiles, TileBlender } from './tiling.ts';
import { ImageValueError, ParameterError } from './errors.ts';
import type { Image } from './image.ts';

function noise(height: number, width: number, seed: number): Image {
  let state = seed >>> 0;
  const data = Float32Array.from({ length: height * width }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0; // LCG, Numerical Recipes constants
    return state / 2 ** 32;
  });
  return { data, height, width };
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  return a.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i])), 0);
}

test('plans tiles every tileSize − overlap pixels with the last one shifted inward', () => {
  const plan = planTiles(100, 70, 32, 8);
  assert.deepEqual(plan.rowStarts, [0, 24, 48, 68]);
  assert.deepEqual(plan.columnStarts, [0, 24, 38]);
  assert.deepEqual([plan.tileHeight, plan.tileWidth, plan.tiles.length], [32, 32, 12]);
  assert.deepEqual(plan.tiles[5], { index: 5, y: 24, x: 38 });
});

test('shrinks tiles to a small image rounded up to multipleOf, or keeps the size when asked', () => {
  const plan = planTiles(10, 45, 32, 8, { multipleOf: 4 });
  assert.deepEqual([plan.tileHeight, plan.tileWidth], [12, 32]);
  assert.deepEqual(plan.rowStarts, [0]);
  assert.deepEqual(plan.columnStarts, [0, 13]);
  const fixed = planTiles(10, 45, 32, 8, { multipleOf: 4, shrinkToImage: false });
  assert.deepEqual([fixed.tileHeight, fixed.tileWidth], [32, 32]);
});

test('split then blend is the identity to 1e-6 for many sizes', () => {
  const cases: Array<[number, number, number, number, number]> = [
    // height, width, tileSize, overlap, multipleOf
    [1, 1, 8, 2, 4],
    [5, 7, 16, 4, 4],
    [31, 17, 16, 4, 1],
    [64, 64, 64, 16, 4],
    [100, 70, 32, 8, 1],
    [257, 129, 64, 16, 4],
    [97, 203, 48, 20, 4],
    [50, 50, 12, 11, 1], // overlap nearly a whole tile: several tiles cover each pixel
  ];
  for (const [height, width, tileSize, overlap, multipleOf] of cases) {
    const image = noise(height, width, height * 1000 + width);
    const plan = planTiles(height, width, tileSize, overlap, { multipleOf });
    assert.equal(plan.tileHeight % multipleOf, 0);
    assert.equal(plan.tileWidth % multipleOf, 0);
    const tiles = splitTiles(image, plan);
    const blended = blendTiles(tiles, plan);
    assert.deepEqual([blended.height, blended.width], [height, width]);
    assert.ok(maxAbsDifference(blended.data, image.data) <= 1e-6, `${height}×${width} tile ${tileSize} overlap ${overlap}`);
  }
});

test('ramp weights sum to 1 over the tiles covering each pixel, and are 1 at the borders', () => {
  const plan = planTiles(100, 70, 32, 8);
  const sums = new Float64Array(100 * 70);
  for (const tile of plan.tiles) {
    const rows = axisWeights(plan.rowStarts, Math.floor(tile.index / 3), 32);
    const columns = axisWeights(plan.columnStarts, tile.index % 3, 32);
    for (let v = 0; v < 32; v++) for (let u = 0; u < 32; u++) sums[(tile.y + v) * 70 + tile.x + u] += rows[v] * columns[u];
  }
  assert.ok(sums.every((s) => Math.abs(s - 1) < 1e-12));
  const firstRows = axisWeights(plan.rowStarts, 0, 32);
  const secondRows = axisWeights(plan.rowStarts, 1, 32);
  assert.equal(firstRows[0], 1); // image border: weighted fully
  assert.equal(firstRows[24], 7.5 / 8); // overlap rows 24..31: first tile falls from 15/16 …
  assert.equal(secondRows[0], 0.5 / 8); // … while the second rises from 1/16
  assert.equal(axisWeights(plan.rowStarts, 3, 32)[31], 1); // last row of the image
});

test('blending two different tiles gives a linear ramp across their overlap', () => {
  const plan = planTiles(8, 40, 24, 8);
  assert.deepEqual(plan.columnStarts, [0, 16]);
  const size = plan.tileHeight * plan.tileWidth;
  const data = new Float32Array(2 * size);
  data.fill(1, size); // tile 0 all zeros, tile 1 all ones
  const blended = blendTiles({ data, count: 2, height: plan.tileHeight, width: plan.tileWidth }, plan);
  const row = [...blended.data.subarray(3 * 40, 4 * 40)];
  const expected = Array.from({ length: 40 }, (_, x) => (x < 16 ? 0 : x >= 24 ? 1 : Math.fround((x - 16 + 0.5) / 8)));
  assert.deepEqual(row, expected);
});

test('pads a tile that reaches past a small image by mirror reflection', () => {
  const image: Image = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), height: 3, width: 2 };
  const plan = planTiles(3, 2, 4, 1, { shrinkToImage: false });
  const tiles = splitTiles(image, plan);
  assert.deepEqual([tiles.count, tiles.height, tiles.width], [1, 4, 4]);
  assert.deepEqual([...tiles.data], [1, 2, 2, 1, 3, 4, 4, 3, 5, 6, 6, 5, 5, 6, 6, 5]);
  assert.deepEqual(blendTiles(tiles, plan).data, image.data);
});

test('TileBlender accepts tiles in any order and refuses an incomplete or repeated set', () => {
  const image = noise(40, 50, 7);
  const plan = planTiles(40, 50, 16, 4, { multipleOf: 4 });
  const tiles = splitTiles(image, plan);
  const size = plan.tileHeight * plan.tileWidth;
  const blender = new TileBlender(plan);
  for (let t = plan.tiles.length - 1; t >= 1; t--) blender.add(t, tiles.data.subarray(t * size, (t + 1) * size));
  assert.throws(() => blender.result(), (e: unknown) => e instanceof ParameterError && /tile 0 of \d+ was never added/.test(e.message));
  blender.add(0, tiles.data.subarray(0, size));
  assert.throws(() => blender.add(0, tiles.data.subarray(0, size)), /already added/);
  assert.ok(maxAbsDifference(blender.result().data, image.data) <= 1e-6);
});

test('rejects bad parameters and mismatched shapes with typed errors', () => {
  assert.throws(() => planTiles(10, 10, 8, 8), (e: unknown) => e instanceof ParameterError && /overlap 8 must be smaller than tileSize 8/.test(e.message));
  assert.throws(() => planTiles(10, 10, 30, 4, { multipleOf: 4 }), (e: unknown) => e instanceof ParameterError && /multiple of 4: try 32/.test(e.message));
  assert.throws(() => planTiles(0, 10, 8, 2), /height must be an integer ≥ 1, got 0/);
  assert.throws(() => planTiles(10, 10, 8, -1), /overlap must be an integer ≥ 0/);
  assert.throws(() => planTiles(10, 10, 8.5, 1), ParameterError);
  const plan = planTiles(20, 20, 8, 2);
  assert.throws(() => splitTiles(noise(20, 21, 1), plan), ImageValueError);
  const tiles = splitTiles(noise(20, 20, 1), plan);
  assert.throws(() => blendTiles({ ...tiles, count: tiles.count - 1, data: tiles.data.subarray(64) }, plan), ImageValueError);
});
