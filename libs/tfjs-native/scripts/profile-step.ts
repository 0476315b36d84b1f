// Per-kernel profile of one contract VAE training step on tfjs's cpu backend, with or without the native
// kernels. Usage: node --import tsx libs/tfjs-native/scripts/profile-step.ts [--native] [--batch 32] [--patch 64]
//   [--style fused|plain] [--steps 3]
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { installKernelProfiler } from '../src/kernel-profile.ts';
import { contractLoss, disposeStepData, initParams, randomStepData, reportNetwork } from '../src/contract-vae.ts';
import { registerNativeKernels } from '../src/register.ts';

const { values } = parseArgs({ options: {
  native: { type: 'boolean', default: false }, batch: { type: 'string', default: '32' },
  patch: { type: 'string', default: '64' }, style: { type: 'string', default: 'fused' }, steps: { type: 'string', default: '3' },
} });
await tf.setBackend('cpu');
if (values.native) console.log('native:', registerNativeKernels());
const profiler = installKernelProfiler('cpu');
const params = initParams(reportNetwork, 1);
const data = randomStepData(reportNetwork, Number(values.batch), Number(values.patch), 11, 7, values.style as 'fused' | 'plain');
const optimizer = tf.train.adam(1e-3);
const steps = Number(values.steps);
let stepMs = 0;
for (let i = 0; i <= steps; i++) {
  if (i === 1) profiler.reset();
  const started = performance.now();
  const loss = optimizer.minimize(() => contractLoss(reportNetwork, params, data), true) as tf.Scalar;
  const value = loss.dataSync()[0];
  loss.dispose();
  if (i >= 1) stepMs += performance.now() - started;
  console.log(`step ${i}: loss ${value.toExponential(4)} ${(performance.now() - started).toFixed(0)} ms`);
}
const rows = profiler.report();
const kernelMs = rows.reduce((a, r) => a + r.totalMs, 0);
console.log(`mean step ${(stepMs / steps).toFixed(1)} ms, in kernels ${(kernelMs / steps).toFixed(1)} ms`);
for (const r of rows.slice(0, 25)) {
  console.log(`${r.kernelName.padEnd(26)} ${String(r.calls / steps).padStart(5)} calls ${(r.totalMs / steps).toFixed(2).padStart(10)} ms  ${(100 * r.totalMs / kernelMs).toFixed(1).padStart(5)} %`);
}
disposeStepData(data);
