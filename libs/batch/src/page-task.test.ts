import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dataFitDiscrepancy, gaussianNoise, Random, type Image } from '@divblur/imaging';
import { mmse, sessionPsf } from '@divblur/onnx';
import { planPageTiles } from './page-tiles.ts';
import { deconvolvePageTask, TOLERANCE_CHECK_BATCH, type PageTaskOptions } from './page-task.ts';
import { tinyPsfModel, type TestModel } from './test-model.test-helper.ts';

let model: TestModel;
before(async () => { model = await tinyPsfModel(); });
after(async () => { await model.close(); });

function noisyPage(height: number, width: number, seed: number): Image {
  const random = new Random(seed);
  return { data: Float32Array.from({ length: height * width }, (_, i) => 0.3 + 0.2 * Math.sin(i / 37) + 0.05 * random.normal()), height, width };
}

const optionsOf = (overrides: Partial<PageTaskOptions> = {}): PageTaskOptions => ({
  samples: 48, seed: 7, dihedral: true, memoryBudgetBytes: 2 ** 20, noise: gaussianNoise(0.05), psf: sessionPsf(model.sessions), ...overrides,
});
const tileModel = () => ({ config: model.sessions.sampler.config, psf: sessionPsf(model.sessions) });

test('a page that is one tile is mmse(page) with the batch\'s options, to the bit, with its figures', async () => {
  const page = noisyPage(40, 56, 1);
  const [tile] = planPageTiles(40, 56, tileModel(), 2 ** 20);
  assert.equal(tile.tileCount, 1);
  const result = await deconvolvePageTask(model.sessions, page, tile, optionsOf());
  const direct = await mmse(model.sessions, page, { samples: 48, seed: 7, dihedral: true, memoryBudgetBytes: 2 ** 20 });
  assert.deepEqual(result.mmse, direct.mmse);
  assert.deepEqual(result.std, direct.std);
  assert.equal(result.samplesUsed, 48);
  assert.ok(Math.abs(result.standardError - direct.standardError.rms) < 1e-9 * direct.standardError.rms + 1e-12);
  const psf = sessionPsf(model.sessions)!;
  assert.equal(result.discrepancy, dataFitDiscrepancy(page, { data: direct.mmse, height: 40, width: 56 }, psf, 0.05));
  assert.equal(result.discrepancyPixels, (40 - psf.height + 1) * (56 - psf.width + 1));
});

test('the tiles of a page beyond the budget give the whole page\'s MMSE within Monte-Carlo error, and its discrepancy over the same pixels', async () => {
  const height = 160;
  const width = 150;
  const page = noisyPage(height, width, 2);
  const tiles = planPageTiles(height, width, tileModel(), 2 ** 20);
  assert.ok(tiles.length >= 4, `${tiles.length} tiles`);
  const assembled = new Float32Array(height * width);
  const tiledStd = new Float32Array(height * width);
  let validPixels = 0;
  let residual = 0;
  for (const tile of tiles) {
    const result = await deconvolvePageTask(model.sessions, page, tile, optionsOf());
    const { core } = tile;
    for (let r = 0; r < core.height; r++) {
      assembled.set(result.mmse.subarray(r * core.width, (r + 1) * core.width), (core.top + r) * width + core.left);
      tiledStd.set(result.std.subarray(r * core.width, (r + 1) * core.width), (core.top + r) * width + core.left);
    }
    validPixels += result.discrepancyPixels;
    residual += result.discrepancy! * result.discrepancyPixels;
  }
  const whole = await mmse(model.sessions, page, { samples: 48, seed: 7, dihedral: true, memoryBudgetBytes: 2 ** 30 });
  const otherSeed = await mmse(model.sessions, page, { samples: 48, seed: 8, dihedral: true, memoryBudgetBytes: 2 ** 30 });
  // The tiles' noise streams are their own: they differ from the page as much as the page does from itself with
  // another seed (mean squared difference over the Monte-Carlo variance; off the 2^depth grid it was 40× this).
  const spread = (estimate: Float32Array, std: Float32Array) => {
    let sum = 0;
    for (let i = 0; i < estimate.length; i++) sum += (estimate[i] - whole.mmse[i]) ** 2 / ((whole.std[i] ** 2 + std[i] ** 2) / 48);
    return sum / estimate.length;
  };
  const tiled = spread(assembled, tiledStd);
  const reseeded = spread(otherSeed.mmse, otherSeed.std);
  assert.ok(tiled > 0.8 * reseeded && tiled < 1.25 * reseeded, `tiles ${tiled} vs another seed ${reseeded}`);
  const psf = sessionPsf(model.sessions)!;
  assert.equal(validPixels, (height - psf.height + 1) * (width - psf.width + 1), 'the tiles\' discrepancy pixels are the page\'s valid pixels');
  const wholeFit = dataFitDiscrepancy(page, { data: whole.mmse, height, width }, psf, 0.05);
  assert.ok(Math.abs(residual / validPixels - wholeFit) < 0.05 * wholeFit, `tiles ${residual / validPixels} vs page ${wholeFit}`);
});

test('with a tolerance a page stops once its standard error is below it, and says how many samples it used', async () => {
  const page = noisyPage(40, 40, 3);
  const [tile] = planPageTiles(40, 40, tileModel(), 2 ** 20);
  // One view: with test-time averaging each view stops on its own error, and the pooled one adds the views' spread.
  const full = await deconvolvePageTask(model.sessions, page, tile, optionsOf({ samples: 200, dihedral: false }));
  const tolerance = full.standardError * Math.sqrt(200 / 40);
  const early = await deconvolvePageTask(model.sessions, page, tile, optionsOf({ samples: 200, tolerance, dihedral: false }));
  // Checked every TOLERANCE_CHECK_BATCH samples: it stops within that many of where the error crosses the tolerance.
  assert.ok(Math.abs(early.samplesUsed - 40) <= 2 * TOLERANCE_CHECK_BATCH, `${early.samplesUsed} samples, about 40 expected`);
  assert.ok(early.stoppedEarly && early.samplesUsed < 200 && early.samplesUsed >= 16, `${early.samplesUsed} samples`);
  // mmse checks the error over what it decoded, reflected margin included; over the page it is within a few per cent.
  assert.ok(early.standardError < tolerance * 1.15, `${early.standardError} vs ${tolerance}`);
});
