import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logGamma, poissonDeviate } from './poisson.ts';
import { Random } from './random.ts';
import { ParameterError } from './errors.ts';

test('log Γ matches ln((k − 1)!) for small k and Stirling for large ones', () => {
  let logFactorial = 0;
  for (let k = 1; k <= 30; k++) {
    assert.ok(Math.abs(logGamma(k) - logFactorial) < 1e-10, `ln Γ(${k})`);
    logFactorial += Math.log(k);
  }
  assert.ok(Math.abs(logGamma(7.5) - Math.log(0.5 * 1.5 * 2.5 * 3.5 * 4.5 * 5.5 * 6.5 * Math.sqrt(Math.PI))) < 1e-10, 'Γ(7.5) = 6.5·5.5·…·0.5·√π');
});

test('deviates have the Poisson mean, variance and third cumulant on both algorithms (means below and above 10)', () => {
  for (const mean of [0.3, 4, 9.5, 10, 37, 400]) {
    const random = new Random(11);
    const n = 200_000;
    let m1 = 0, m2 = 0, m3 = 0;
    const draws = Float64Array.from({ length: n }, () => poissonDeviate(random, mean));
    for (const k of draws) m1 += k;
    m1 /= n;
    for (const k of draws) { m2 += (k - m1) ** 2; m3 += (k - m1) ** 3; }
    m2 /= n; m3 /= n;
    assert.ok(draws.every((k) => Number.isInteger(k) && k >= 0));
    // standard errors: √(λ/n) for the mean, ≈ λ√(2/n) for the variance, ≈ λ^1.5 √(6/n) for κ3
    assert.ok(Math.abs(m1 - mean) < 5 * Math.sqrt(mean / n), `mean ${mean}: ${m1}`);
    assert.ok(Math.abs(m2 - mean) < 5 * Math.sqrt(2 / n) * mean + 5 * Math.sqrt(mean / n), `variance ${mean}: ${m2}`);
    assert.ok(Math.abs(m3 - mean) < 6 * Math.sqrt(6 / n) * mean ** 1.5 + 0.02 * mean, `third cumulant ${mean}: ${m3}`);
  }
});

test('the same seed gives the same deviates, zero gives zero, and a bad mean is a typed error', () => {
  const a = new Random(5);
  const b = new Random(5);
  assert.deepEqual(Array.from({ length: 50 }, () => poissonDeviate(a, 25)), Array.from({ length: 50 }, () => poissonDeviate(b, 25)));
  assert.equal(poissonDeviate(a, 0), 0);
  assert.throws(() => poissonDeviate(a, -1), ParameterError);
  assert.throws(() => poissonDeviate(a, Number.NaN), ParameterError);
});
