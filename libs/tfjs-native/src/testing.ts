// Test helpers: run the same tfjs computation with the native kernels and with tfjs's own cpu kernels.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { registerNativeKernels, type NativeKernels } from './register.ts';

/** Values of `compute` under tfjs's reference kernels and under the native ones (native unregistered after). */
export function bothPaths(compute: () => tf.Tensor | tf.Tensor[]): {
  reference: Float32Array[]; native: Float32Array[]; counts: Map<string, { calls: number; fallbacks: number }>;
} {
  const read = (): Float32Array[] => tf.tidy(() => {
    const out = compute();
    return (Array.isArray(out) ? out : [out]).map((t) => Float32Array.from(t.dataSync()));
  });
  const reference = read();
  const kernels = registerNativeKernels() as NativeKernels;
  try {
    return { reference, native: read(), counts: kernels.counts() };
  } finally {
    kernels.unregister();
  }
}

/** max |actual − expected| ≤ rtol · max |expected| (and NaN where expected has NaN). */
export function assertClose(actual: Float32Array, expected: Float32Array, rtol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (const v of expected) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    if (Number.isNaN(expected[i])) { assert.ok(Number.isNaN(actual[i]), `${what}: NaN expected at ${i}`); continue; }
    if (actual[i] === expected[i]) continue;
    worst = Math.max(worst, Number.isNaN(actual[i]) ? Infinity : Math.abs(actual[i] - expected[i]));
  }
  assert.ok(worst <= rtol * Math.max(scale, 1e-30), `${what}: max |diff| ${worst} > ${rtol} × ${scale}`);
}

/** Asserts that `kernelName` ran natively at least once and fell back exactly `fallbacks` times. */
export function assertRanNatively(counts: Map<string, { calls: number; fallbacks: number }>, kernelName: string, fallbacks = 0): void {
  const count = counts.get(kernelName);
  assert.ok(count && count.calls > count.fallbacks, `${kernelName} never ran natively`);
  assert.equal(count.fallbacks, fallbacks, `${kernelName} fell back ${count.fallbacks} times`);
}
