// Registers the native kernels for tfjs's 'cpu' backend in place of its JS ones (reversibly).
import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadAddon, type NativeAddon } from './addon.ts';
import { convKernels } from './kernels/conv.ts';
import { poolKernels } from './kernels/pool.ts';
import { elementwiseKernels } from './kernels/elementwise.ts';
import { reduceKernels } from './kernels/reduce.ts';
import { layoutKernels } from './kernels/layout.ts';
import { fusedKernels } from './kernels/fused.ts';

export interface NativeKernels {
  addon: NativeAddon;
  threads: number;
  dnnlVersion: string;
  kernelNames: string[];
  /** Calls per kernel since registration, and how many of them went to tfjs's kernel instead. */
  counts(): Map<string, { calls: number; fallbacks: number }>;
  /** Puts tfjs's own kernels back. */
  unregister(): void;
}

let active: NativeKernels | null = null;

/** Null when the addon is not built here; registering twice returns the first registration. */
export function registerNativeKernels(): NativeKernels | null {
  if (active) return active;
  const addon = loadAddon();
  if (!addon) return null;
  const originals = new Map<string, KernelConfig>();
  const counts = new Map<string, { calls: number; fallbacks: number }>();
  const original = (name: string): KernelFunc => {
    const config = getKernel(name, 'cpu');
    if (!config) throw new Error(`tfjs cpu backend has no kernel ${name}`);
    originals.set(name, config);
    const count = { calls: 0, fallbacks: 0 };
    counts.set(name, count);
    return (args) => { count.fallbacks++; return config.kernelFunc(args); };
  };
  const configs = [...convKernels(addon, original), ...poolKernels(addon, original),
    ...elementwiseKernels(addon, original), ...reduceKernels(addon, original), ...layoutKernels(addon, original)];
  for (const config of configs) {
    const count = counts.get(config.kernelName) as { calls: number };
    unregisterKernel(config.kernelName, 'cpu');
    registerKernel({ ...config, kernelFunc: (args) => { count.calls++; return config.kernelFunc(args); } });
  }
  // Kernels tfjs has no version of (kernels/fused.ts): added, and removed again by unregister().
  const added = fusedKernels(addon);
  for (const config of added) {
    const count = { calls: 0, fallbacks: 0 };
    counts.set(config.kernelName, count);
    registerKernel({ ...config, kernelFunc: (args) => { count.calls++; return config.kernelFunc(args); } });
  }
  active = {
    addon, threads: addon.threads(), dnnlVersion: addon.dnnlVersion(), kernelNames: [...configs, ...added].map((c) => c.kernelName),
    counts: () => counts,
    unregister: () => {
      for (const config of originals.values()) {
        unregisterKernel(config.kernelName, 'cpu');
        registerKernel(config);
      }
      for (const config of added) unregisterKernel(config.kernelName, 'cpu');
      active = null;
    },
  };
  return active;
}
