import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { gaussianPsf } from '@divblur/imaging';
import { dihedral, undoDihedral } from '@divblur/divblurring/symmetry';
import { readSavedModel } from './saved-model.ts';
import { exportModel } from './export.ts';
import { GraphBuilder, encodeModel } from './onnx-builder.ts';
import { addNormalNoise, addPositionCounters } from './graph-noise.ts';
import { MMSE_GRAPH_OPSET, addDihedral, addUndoDihedral, buildMmseGraph } from './mmse-graph.ts';
import { fmix32, planeKey } from './noise.ts';
import { loadModelSessions, releaseModelSessions } from './session.ts';
import { mmse } from './mmse.ts';
import { tinyModel, TINY_NETWORK } from './parity.test-helper.ts';
import { writeRandomModel } from './random-model.ts';

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run(feeds);
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

const image = (height: number, width: number, phase = 0) => ({
  height, width, data: Float32Array.from({ length: height * width }, (_, i) => 0.25 + 0.5 * Math.sin(i / 7 + phase) * Math.cos(i / 13)),
});

/** A tiny random model trained (on paper) with a 9×9 Gaussian PSF: margin 4 px, all 8 symmetries. */
async function psfModel() {
  const tiny = await tinyModel();
  const dir = join(tiny.dir, 'psf-model');
  const psf = gaussianPsf({ fwhmPx: 2 });
  await writeRandomModel(dir, { config: TINY_NETWORK, seed: 3, normalisation: { mean: 0.25, std: 0.5 }, psf });
  const exported = await exportModel(dir, join(tiny.dir, 'psf-onnx'));
  return { saved: await readSavedModel(dir), exported };
}

/** mean over pixels of (a − b)² / (2 s²/N): ≈ 1 when a and b are independent N-sample means of spread s. */
function chiSquarePerPixel(a: Float32Array, b: Float32Array, std: Float32Array, samples: number): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2 / ((2 * std[i] ** 2) / samples);
  return sum / a.length;
}

function relativeRms(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / n);
}

test('the in-graph noise is Box–Muller on noise.ts\'s plane keys and position hashes, N(0, 1), the same in every session', async () => {
  const [seed, sample, channels, height, width] = [7, 5, 5, 6, 10];
  const b = new GraphBuilder('noise');
  const mu = b.input('mu', [1, channels, height, width]);
  const s = b.typedConstant('s', [], [sample], 'int64');
  b.node('Identity', [addNormalNoise(b, seed, channels, s, addPositionCounters(b, b.node('Shape', [mu])))], {}, [b.output('eps', [1, channels, height, width])]);
  const bytes = encodeModel(b.graph(), {}, 'test', '', MMSE_GRAPH_OPSET);
  const feeds = { mu: new ort.Tensor('float32', new Float32Array(channels * height * width), [1, channels, height, width]) };
  const { eps } = await run(bytes, feeds);
  assert.deepEqual(eps, (await run(bytes, feeds)).eps);
  const pairs = Math.ceil(channels / 2);
  const plane = height * width;
  let maxError = 0;
  for (let c = 0; c < pairs; c++) {
    const key = planeKey(seed, sample, c);
    const second = fmix32(key ^ 0x5bd1e995);
    for (let index = 0; index < plane; index++) {
      const h1 = fmix32(key ^ Math.imul(index, 0x9e3779b9)) >>> 0;
      const h2 = fmix32(second ^ Math.imul(index, 0x9e3779b9)) >>> 0;
      const radius = Math.sqrt(-2 * Math.log((h1 + 0.5) / 2 ** 32));
      const theta = (2 * Math.PI * h2) / 2 ** 32;
      maxError = Math.max(maxError, Math.abs(eps[c * plane + index] - radius * Math.cos(theta)));
      if (c + pairs < channels) maxError = Math.max(maxError, Math.abs(eps[(c + pairs) * plane + index] - radius * Math.sin(theta)));
    }
  }
  assert.ok(maxError < 1e-4, `max |graph − reference| ${maxError}`);

  // Moments over a larger field: 64 channels × 64² ≈ 262k deviates.
  const big = new GraphBuilder('noise');
  const shape = big.input('mu', [1, 64, 64, 64]);
  big.node('Identity', [addNormalNoise(big, 0, 64, big.typedConstant('s', [], [0], 'int64'), addPositionCounters(big, big.node('Shape', [shape])))], {}, [big.output('eps', [1, 64, 64, 64])]);
  const field = (await run(encodeModel(big.graph(), {}, 'test', '', MMSE_GRAPH_OPSET), { mu: new ort.Tensor('float32', new Float32Array(64 ** 3), [1, 64, 64, 64]) })).eps;
  let [sum, squares, fourth, neighbours] = [0, 0, 0, 0];
  for (let i = 0; i < field.length; i++) {
    sum += field[i];
    squares += field[i] ** 2;
    fourth += field[i] ** 4;
    if (i % 64 !== 63) neighbours += field[i] * field[i + 1];
  }
  const n = field.length;
  assert.ok(Math.abs(sum / n) < 0.01, `mean ${sum / n}`);
  assert.ok(Math.abs(squares / n - 1) < 0.01, `variance ${squares / n}`);
  assert.ok(Math.abs(fourth / n - 3) < 0.05, `fourth moment ${fourth / n} (3 for a normal)`);
  assert.ok(Math.abs(neighbours / n) < 0.01, `neighbour correlation ${neighbours / n}`);
});

test('the graph\'s view transforms are data.ts\'s dihedral and undoDihedral, on a non-square image', async () => {
  const input = image(5, 8);
  for (let k = 0; k < 8; k++) {
    const b = new GraphBuilder('views');
    const x = b.input('x', [1, 1, 5, 8]);
    const forward = addDihedral(b, x, k);
    const [h, w] = k & 4 ? [8, 5] : [5, 8];
    b.node('Identity', [forward], {}, [b.output('turned', [1, 1, h, w])]);
    b.node('Identity', [addUndoDihedral(b, forward, k)], {}, [b.output('back', [1, 1, 5, 8])]);
    const out = await run(encodeModel(b.graph(), {}, 'test', '', MMSE_GRAPH_OPSET), { x: new ort.Tensor('float32', input.data, [1, 1, 5, 8]) });
    assert.deepEqual(out.turned, dihedral(input, k).data, `transform ${k}`);
    assert.deepEqual(out.back, undoDihedral(dihedral(input, k), k).data, `undo ${k}`);
  }
});

test('the MMSE graph agrees with mmse() within Monte-Carlo error, with the context margin, the PSF\'s views and sides off the grid', async () => {
  const { saved, exported } = await psfModel();
  const sessions = await loadModelSessions('psf', exported.dir);
  try {
    // Sides off the 2^depth grid: the graph pads to it inside, as the service does.
    const y = image(61, 70);
    const feeds = { raw: new ort.Tensor('float32', y.data, [1, 1, 61, 70]) };
    const samples = 100;

    const plain = buildMmseGraph(saved, { samples, dihedral: false });
    assert.equal(plain.contextMarginPx, 4);
    assert.deepEqual(plain.views, [{ transform: 0, samples, seed: 0 }]);
    const graph = await run(plain.bytes, feeds);
    const service = await mmse(sessions, y, { samples, dihedral: false });
    const chi = chiSquarePerPixel(graph.mmse, service.mmse, service.std, samples);
    assert.ok(chi > 0.6 && chi < 1.5, `identity view: χ²/pixel ${chi}`);
    assert.ok(relativeRms(graph.std, service.std) < 0.2, `std maps differ by ${relativeRms(graph.std, service.std)}`);

    const served = buildMmseGraph(saved, { samples });
    assert.deepEqual(served.views.map((v) => v.transform), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(served.views.map((v) => v.samples), [13, 13, 13, 13, 12, 12, 12, 12]);
    const averaged = await run(served.bytes, feeds);
    const serviceAveraged = await mmse(sessions, y, { samples, dihedral: true });
    // The pooled std includes the spread between views, so it bounds the stratified estimate's error from above.
    const chiAveraged = chiSquarePerPixel(averaged.mmse, serviceAveraged.mmse, serviceAveraged.std, samples);
    assert.ok(chiAveraged < 1.5, `8 views: χ²/pixel ${chiAveraged}`);
    assert.ok(relativeRms(averaged.std, serviceAveraged.std) < 0.2);
    // The views matter for this (random, not equivariant) network: without them the graph would not agree.
    assert.ok(chiSquarePerPixel(averaged.mmse, service.mmse, service.std, samples) > 3 * chiAveraged);
  } finally {
    await releaseModelSessions(sessions);
  }
});

test('the MMSE graph is reproducible, estimates each image of a batch on its own, and does not unroll its samples', async () => {
  const { saved } = await tinyModel();
  const graph = buildMmseGraph(saved, { samples: 20, seed: 4 });
  const [a, b] = [image(56, 56), image(56, 56, 1)];
  const single = await run(graph.bytes, { raw: new ort.Tensor('float32', a.data, [1, 1, 56, 56]) });
  assert.deepEqual(single, await run(graph.bytes, { raw: new ort.Tensor('float32', a.data, [1, 1, 56, 56]) }));
  const other = await run(graph.bytes, { raw: new ort.Tensor('float32', b.data, [1, 1, 56, 56]) });
  const batch = await run(graph.bytes, { raw: new ort.Tensor('float32', Float32Array.from([...a.data, ...b.data]), [2, 1, 56, 56]) });
  const plane = 56 * 56;
  for (const [name, first, second] of [['mmse', single.mmse, other.mmse], ['std', single.std, other.std]] as const) {
    const max = (x: Float32Array, y: Float32Array) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
    assert.ok(max(batch[name].subarray(0, plane), first) < 1e-5, name);
    assert.ok(max(batch[name].subarray(plane), second) < 1e-5, name);
  }
  const sizes = [2, 20, 2000].map((samples) => buildMmseGraph(saved, { samples, dihedral: false }).bytes.byteLength);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) < 64, `graph sizes ${sizes}`);
  const one = await run(buildMmseGraph(saved, { samples: 1, dihedral: false }).bytes, { raw: new ort.Tensor('float32', a.data, [1, 1, 56, 56]) });
  assert.ok(one.std.every((v) => v === 0));
});

test('the MMSE graph states its geometry: halo = receptive reach + PSF radius, sides from a multiple of 2^depth above 2·halo', async () => {
  const { saved } = await psfModel();
  const graph = buildMmseGraph(saved, { samples: 2 });
  assert.equal(graph.haloPx, 25 + 4);
  assert.equal(graph.minSidePx, 60);
  const { saved: noPsf } = await tinyModel();
  assert.equal(buildMmseGraph(noPsf, { samples: 2 }).contextMarginPx, 0);
  assert.throws(() => buildMmseGraph(saved, { samples: 0 }), /samples must be an integer/);
});
