import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linePlotSvg } from './line-plot.ts';
import { logScale, niceTicks } from './scale.ts';

test('log scale puts decades at equal distances', () => {
  const scale = logScale(1e-4, 1e-2, 0, 200);
  assert.deepEqual(scale.ticks, [1e-4, 1e-3, 1e-2]);
  assert.ok(Math.abs(scale.map(1e-3) - 100) < 1e-9);
  assert.throws(() => logScale(0, 1, 0, 1), RangeError);
});

test('nice ticks are 1/2/5 steps covering the range', () => {
  assert.deepEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
  const ticks = niceTicks(27.3, 31.9, 5);
  assert.ok(ticks[0] <= 27.3 && ticks[ticks.length - 1] >= 31.9);
});

test('draws one polyline per group, baselines as dashed lines, and escapes names', () => {
  const svg = linePlotSvg({
    title: 'PSNR vs λ', xLabel: 'λ', yLabel: 'psnr_mmse (dB)', logX: true,
    series: [
      { name: 'l2', points: [[1e-4, 30], [1e-3, 31], [1e-2, 29]] },
      { name: 'pos<1>', points: [[1e-4, 30.5], [1e-3, 31.5], [0, 28]] },
    ],
    horizontalLines: [{ name: 'richardson_lucy', y: 30.2 }],
  });
  assert.ok(svg.startsWith('<?xml'));
  assert.equal(svg.match(/<polyline/g)?.length, 2);
  assert.equal(svg.match(/data-baseline="richardson_lucy"/g)?.length, 1);
  assert.ok(svg.includes('pos&lt;1&gt;'));
  assert.ok(!svg.includes('pos<1>'));
  // λ = 0 has no place on a log axis: the second series keeps 2 points.
  const second = svg.match(/<polyline points="([^"]*)"[^>]*data-series="pos&lt;1&gt;"/);
  assert.equal(second?.[1].split(' ').length, 2);
  // The x positions of λ = 1e-3 are the same for both series (same scale).
  const xs = [...svg.matchAll(/<polyline points="([^"]*)"/g)].map((m) => m[1].split(' ')[1].split(',')[0]);
  assert.equal(xs[0], xs[1]);
});

test('says so when there is nothing to draw', () => {
  assert.ok(linePlotSvg({ title: 't', xLabel: 'x', yLabel: 'y', logX: true, series: [] }).includes('no data yet'));
});
