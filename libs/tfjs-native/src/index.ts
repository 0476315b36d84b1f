export { loadAddon, addonPath, type NativeAddon } from './addon.ts';
export { registerNativeKernels, type NativeKernels } from './register.ts';
export { installKernelProfiler, type KernelProfiler, type KernelTime } from './kernel-profile.ts';
export { ADAM_UPDATE, CONV_RELU_BACKPROP, RELU_BIAS_BACKPROP } from './kernels/fused.ts';
