/**
 * Standard-normal latent noise drawn inside an ONNX graph, counter-based like noise.ts so that the same input gives
 * the same output in any ONNX Runtime session and in any order (ONNX's RandomNormal keeps a generator per session
 * that moves on with every run, and its engine and its normal transform are the C++ library's, not fixed bits).
 * Bits: murmur3's fmix32 over uint32 (Mul wraps mod 2³², BitShift, BitwiseXor: opset 18), keyed as in noise.ts by
 * (seed, sample, channel) and the latent position index = row·width + column. Deviates: Box–Muller (Box & Muller,
 * Ann. Math. Stat. 29, 1958) from two hashes of the position, r = √(−2 ln u₁), θ = 2π u₂: r cos θ for channel c and
 * r sin θ for channel c + ⌈L/2⌉, one hash pair per two deviates. The field is not noise.ts's (the ziggurat's rare
 * path is a loop); the MMSE it gives agrees with the service's within Monte-Carlo error, not to the bit.
 */
import type { GraphBuilder } from './onnx-builder.ts';
import { fmix32 } from './noise.ts';

const GOLDEN = 0x9e3779b9;
const CHANNEL_STRIDE = 0x7f4a7c15;
const SECOND_KEY = 0x5bd1e995;

function u32(b: GraphBuilder, value: number): string {
  return b.typedConstant(`noise.u32_${(value >>> 0).toString(16)}`, [], [value >>> 0], 'uint32');
}

/** fmix32 over a uint32 tensor, elementwise. */
function addFmix32(b: GraphBuilder, h: string): string {
  const shiftRight = (x: string, bits: number) => b.node('BitShift', [x, u32(b, bits)], { direction: 'RIGHT' });
  const xorShift = (x: string, bits: number) => b.node('BitwiseXor', [x, shiftRight(x, bits)]);
  h = b.node('Mul', [xorShift(h, 16), u32(b, 0x85ebca6b)]);
  h = b.node('Mul', [xorShift(h, 13), u32(b, 0xc2b2ae35)]);
  return xorShift(h, 16);
}

/**
 * index·GOLDEN (uint32, [1, 1, Hz, Wz]) of every latent position of an [N, L, Hz, Wz] tensor's plane: built once
 * per view, outside the sample loop. `latentShape`: the int64 shape of μ.
 */
export function addPositionCounters(b: GraphBuilder, latentShape: string): string {
  const gather = (i: number) => b.node('Gather', [latentShape, b.typedConstant(`noise.axis_${i}`, [1], [i], 'int64')], { axis: 0 });
  const [height, width] = [gather(2), gather(3)];
  const count = b.node('Mul', [height, width]);
  const zero = b.typedConstant('noise.zero_i64', [], [0], 'int64');
  const one = b.typedConstant('noise.one_i64', [], [1], 'int64');
  const index = b.node('Range', [zero, b.node('Squeeze', [count]), one]);
  const plane = b.node('Concat', [b.typedConstant('noise.one_one', [2], [1, 1], 'int64'), height, width], { axis: 0 });
  return b.node('Mul', [b.node('Reshape', [b.node('Cast', [index], { to: 12 }), plane]), u32(b, GOLDEN)]);
}

/**
 * ε [1, channels, Hz, Wz] for sample `sample` (an int64 scalar tensor) of the stream `seed`: one draw of the
 * field, a pure function of (seed, sample, channel, position).
 */
export function addNormalNoise(b: GraphBuilder, seed: number, channels: number, sample: string, positions: string): string {
  const pairs = Math.ceil(channels / 2);
  const seedKey = fmix32(seed >>> 0) >>> 0;
  // key(s, c) = fmix32(fmix32(seedKey ⊕ (s + 1)·GOLDEN) ⊕ (c + 1)·CHANNEL_STRIDE), noise.ts's planeKey order.
  const s1 = b.node('Add', [b.node('Cast', [sample], { to: 12 }), u32(b, 1)]);
  const sampleKey = addFmix32(b, b.node('BitwiseXor', [u32(b, seedKey), b.node('Mul', [s1, u32(b, GOLDEN)])]));
  const strides = Array.from({ length: pairs }, (_, c) => Math.imul(c + 1, CHANNEL_STRIDE) >>> 0);
  const channelKeys = addFmix32(b, b.node('BitwiseXor', [sampleKey, b.typedConstant(`noise.channels_${pairs}`, [1, pairs, 1, 1], strides, 'uint32')]));
  const secondKeys = addFmix32(b, b.node('BitwiseXor', [channelKeys, u32(b, SECOND_KEY)]));
  const h1 = addFmix32(b, b.node('BitwiseXor', [channelKeys, positions]));
  const h2 = addFmix32(b, b.node('BitwiseXor', [secondKeys, positions]));
  // u₁ = (h₁ + ½)/2³² ∈ (0, 1] (never 0: the log stays finite), θ = 2π h₂/2³².
  const f32 = (x: string) => b.node('Cast', [x], { to: 1 });
  const u1 = b.node('Mul', [b.node('Add', [f32(h1), b.constant('noise.half', [], [0.5])]), b.constant('noise.two_pow_minus_32', [], [2 ** -32])]);
  const theta = b.node('Mul', [f32(h2), b.constant('noise.two_pi_over_two_pow_32', [], [(2 * Math.PI) / 2 ** 32])]);
  const radius = b.node('Sqrt', [b.node('Mul', [b.node('Log', [u1]), b.constant('noise.minus_two', [], [-2])])]);
  const both = b.node('Concat', [b.node('Mul', [radius, b.node('Cos', [theta])]), b.node('Mul', [radius, b.node('Sin', [theta])])], { axis: 1 });
  if (2 * pairs === channels) return both;
  const i64 = (name: string, v: number) => b.typedConstant(name, [1], [v], 'int64');
  return b.node('Slice', [both, i64('noise.slice_zero', 0), i64(`noise.slice_${channels}`, channels), i64('noise.slice_axis_1', 1)]);
}
