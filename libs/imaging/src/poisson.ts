/**
 * Poisson deviates from the seeded generator (random.ts), the same on every machine: NumPy's two algorithms
 * (numpy/random/src/distributions/distributions.c), with every logarithm `deterministicLog` (+ − × ÷ only):
 *   mean < 10   multiplication: k = the number of uniforms whose running product stays above e^{−mean},
 *               tested as Σ ln u > −mean (no engine-specific exp);
 *   mean ≥ 10   PTRS, Hörmann's transformed rejection with squeeze (Hörmann 1993, "The transformed rejection
 *               method for generating Poisson random variables", Insurance: Math. & Econ. 12(1):39–45),
 *               log Γ(k + 1) by NumPy's Stirling series (`random_loggam`).
 */
import { ParameterError } from './errors.ts';
import { deterministicLog, type Random } from './random.ts';

const LOGGAM_SERIES = [
  8.333333333333333e-2, -2.777777777777778e-3, 7.936507936507937e-4, -5.952380952380952e-4, 8.417508417508418e-4,
  -1.917526917526918e-3, 6.410256410256410e-3, -2.955065359477124e-2, 1.796443723688307e-1, -1.39243221690590,
];
const LOG_2PI = 1.8378770664093453;

/** ln Γ(x) for x ≥ 1 (NumPy's random_loggam: shift to x ≥ 7, Stirling series in 1/x²). */
export function logGamma(x: number): number {
  if (x === 1 || x === 2) return 0;
  const n = x < 7 ? Math.floor(7 - x) : 0;
  let x0 = x + n;
  const x2 = (1 / x0) * (1 / x0);
  let series = LOGGAM_SERIES[9];
  for (let k = 8; k >= 0; k--) series = series * x2 + LOGGAM_SERIES[k];
  let value = series / x0 + 0.5 * LOG_2PI + (x0 - 0.5) * deterministicLog(x0) - x0;
  for (let k = 1; k <= n; k++) {
    value -= deterministicLog(x0 - 1);
    x0 -= 1;
  }
  return value;
}

/** One deviate k ~ Poisson(mean), mean ≥ 0 (0 gives 0 and draws nothing). */
export function poissonDeviate(random: Random, mean: number): number {
  if (!(mean >= 0) || !Number.isFinite(mean)) throw new ParameterError('POISSON_MEAN', `a Poisson mean must be finite and ≥ 0, got ${mean}`);
  if (mean === 0) return 0;
  if (mean < 10) {
    let k = 0;
    let logProduct = 0;
    for (;;) {
      const u = random.uniform();
      if (u === 0) return k; // ln 0 = −∞: the product has fallen below any e^{−mean}
      logProduct += deterministicLog(u);
      if (logProduct > -mean) k += 1;
      else return k;
    }
  }
  const slam = Math.sqrt(mean);
  const loglam = deterministicLog(mean);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = random.uniform() - 0.5;
    const v = random.uniform();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor((2 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (v === 0) return k; // ln v = −∞ passes the test below
    if (deterministicLog(v) + deterministicLog(invalpha) - deterministicLog(a / (us * us) + b) <= -mean + k * loglam - logGamma(k + 1)) return k;
  }
}
