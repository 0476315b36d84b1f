/**
 * A small seeded PRNG whose sequence is the same on every machine: xoshiro128** (Blackman &
 * Vigna 2018, "Scrambled linear pseudorandom number generators") on 32-bit integer arithmetic
 * (Math.imul, shifts), seeded by splitmix32. Normal deviates use Marsaglia's polar method with a
 * logarithm built from + − × ÷ only (IEEE-754 correctly rounded), so no engine-specific
 * Math.log/cos enters the sequence path.
 */
import { ParameterError } from './errors.ts';

/** Everything needed to resume a generator exactly where it was (for training checkpoints). */
export interface RandomState {
  readonly s: readonly [number, number, number, number];
  /** The second deviate of the last polar pair, not yet returned. */
  readonly spareNormal: number | null;
}

const LN2 = 0.6931471805599453;
const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const exponentView = new DataView(new ArrayBuffer(8));

/**
 * ln(x) for x > 0 with basic arithmetic only: x = m·2^e, m ∈ [√½, √2), then
 * ln m = 2 atanh(t), t = (m−1)/(m+1), |t| < 0.172, series Σ t^(2k+1)/(2k+1) to 1e-17.
 */
export function deterministicLog(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`deterministicLog needs a finite x > 0, got ${x}`);
  exponentView.setFloat64(0, x);
  const high = exponentView.getUint32(0);
  let exponent = ((high >>> 20) & 0x7ff) - 1023;
  if (exponent === -1023) return deterministicLog(x * TWO_POW_53) - 53 * LN2; // subnormal
  exponentView.setUint32(0, (high & 0x800fffff) | 0x3ff00000); // mantissa m ∈ [1, 2)
  let mantissa = exponentView.getFloat64(0);
  if (mantissa > 1.4142135623730951) {
    mantissa /= 2;
    exponent += 1;
  }
  const t = (mantissa - 1) / (mantissa + 1);
  const t2 = t * t;
  let term = t;
  let sum = 0;
  for (let k = 1; k <= 25; k += 2) {
    sum += term / k;
    term *= t2;
  }
  return 2 * sum + exponent * LN2;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /** `seed`: any integer in [0, 2^53); its low and high 32-bit words both seed the state. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new ParameterError('RANDOM_SEED', `seed must be a non-negative safe integer, got ${seed}`);
    }
    const mix = splitmix32((seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_POW_32), 0x27d4eb2d));
    this.s0 = mix();
    this.s1 = mix();
    this.s2 = mix();
    this.s3 = mix();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  static fromState(state: RandomState): Random {
    const words = state.s;
    if (words.length !== 4 || words.some((w) => !Number.isInteger(w) || w < 0 || w >= TWO_POW_32)) {
      throw new ParameterError('RANDOM_STATE', 'random state needs s = four unsigned 32-bit integers');
    }
    if (words.every((w) => w === 0)) throw new ParameterError('RANDOM_STATE', 'random state s must not be all zero');
    const random = new Random(0);
    [random.s0, random.s1, random.s2, random.s3] = words;
    random.spare = state.spareNormal;
    return random;
  }

  state(): RandomState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spare };
  }

  /** Next 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / TWO_POW_53;
  }

  /** Uniform in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [low, high] (inclusive), without modulo bias. */
  integer(low: number, high: number): number {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high < low) {
      throw new ParameterError('RANDOM_RANGE', `integer(low, high) needs integers low ≤ high, got ${low}, ${high}`);
    }
    const span = high - low + 1;
    if (span > TWO_POW_32) return low + Math.floor(this.uniform() * span);
    const limit = TWO_POW_32 - (TWO_POW_32 % span);
    let draw = this.nextUint32();
    while (draw >= limit) draw = this.nextUint32();
    return low + (draw % span);
  }

  /** Standard normal N(0, 1): Marsaglia polar method, z = u·√(−2 ln s / s). */
  normal(): number {
    if (this.spare !== null) {
      const spare = this.spare;
      this.spare = null;
      return spare;
    }
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * deterministicLog(s)) / s); // sqrt is correctly rounded by IEEE-754
    this.spare = v * factor;
    return u * factor;
  }
}
