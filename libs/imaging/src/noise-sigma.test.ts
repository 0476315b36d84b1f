import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateNoiseSigma, estimateStackNoiseSigma } from './noise-sigma.ts';
import { simulate } from './simulate.ts';
import { stackImage } from './image.ts';
import { Random } from './random.ts';
import { ImageValueError } from './errors.ts';

test('within 10 % of the true σ on every image of both presets (and at σ 0.01 and 0.3)', () => {
  for (const preset of ['dataset1', 'dataset2'] as const) {
    for (const noiseSigma of [undefined, 0.01, 0.3]) {
      const sim = simulate({ preset, count: 6, seed: 17, noiseSigma });
      for (let i = 0; i < sim.noisy.count; i++) {
        const ratio = estimateNoiseSigma(stackImage(sim.noisy, i)) / sim.noiseSigma;
        assert.ok(Math.abs(ratio - 1) < 0.1, `${preset} σ=${sim.noiseSigma} image ${i}: ratio ${ratio}`);
      }
      assert.ok(Math.abs(estimateStackNoiseSigma(sim.noisy) / sim.noiseSigma - 1) < 0.05);
    }
  }
});

test('pure noise on a constant background: σ within 3 %, unaffected by the offset', () => {
  const random = new Random(3);
  const data = Float32Array.from({ length: 128 * 128 }, () => 5 + 0.2 * random.normal());
  assert.ok(Math.abs(estimateNoiseSigma({ data, height: 128, width: 128 }) / 0.2 - 1) < 0.03);
});

test('a smooth ramp without noise gives 0 and tiny or NaN images raise ImageValueError', () => {
  const ramp = Float32Array.from({ length: 32 * 32 }, (_, i) => (i % 32) * 0.25 + Math.floor(i / 32) * 0.5);
  assert.equal(estimateNoiseSigma({ data: ramp, height: 32, width: 32 }), 0);
  assert.throws(() => estimateNoiseSigma({ data: new Float32Array(16), height: 4, width: 4 }), ImageValueError);
  const bad = new Float32Array(100);
  bad[3] = NaN;
  assert.throws(() => estimateNoiseSigma({ data: bad, height: 10, width: 10 }), ImageValueError);
});
