// Per-kernel wall time of a backend: every registered kernelFunc is re-registered wrapped in a timer.
// tfjs's own tf.profile reports kernel names but times only on backends with async timers; the cpu
// backend's kernels are synchronous, so a wrapper measures them exactly (including output allocation).
import * as tf from '@tensorflow/tfjs';

export interface KernelTime {
  kernelName: string;
  calls: number;
  totalMs: number;
}

export interface KernelProfiler {
  /** Times since the last reset, slowest first. */
  report(): KernelTime[];
  reset(): void;
  /** Restores the original kernelFuncs. */
  uninstall(): void;
}

export function installKernelProfiler(backendName: string): KernelProfiler {
  const stats = new Map<string, KernelTime>();
  const originals = tf.getKernelsForBackend(backendName);
  for (const config of originals) {
    const original = config.kernelFunc;
    const entry: KernelTime = { kernelName: config.kernelName, calls: 0, totalMs: 0 };
    stats.set(config.kernelName, entry);
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const started = performance.now();
        const result = original(args);
        entry.totalMs += performance.now() - started;
        entry.calls++;
        return result;
      },
    });
  }
  return {
    report: () => [...stats.values()].filter((s) => s.calls > 0).sort((a, b) => b.totalMs - a.totalMs),
    reset: () => { for (const s of stats.values()) { s.calls = 0; s.totalMs = 0; } },
    uninstall: () => {
      for (const config of originals) {
        tf.unregisterKernel(config.kernelName, backendName);
        tf.registerKernel(config);
      }
    },
  };
}
