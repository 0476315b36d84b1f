// Conv2D, FusedConv2D, Conv2DBackpropInput (also conv2dTranspose's forward) and Conv2DBackpropFilter for
// tfjs's cpu backend on the oneDNN addon. Anything outside NHWC float32 goes to tfjs's own kernel.
import { backend_util, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../addon.ts';
import { convGeometry } from '../geometry.ts';
import { floatsOf, sizeOf, uninitialisedFloats } from './tensor-data.ts';

type Args = Parameters<KernelFunc>[0];
export type Conv2DAttrs = NamedAttrMap & {
  strides: number | [number, number]; pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil'; dilations?: number | [number, number];
};

export function conv2dInfo(xShape: number[], filterShape: number[], attrs: Conv2DAttrs): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(xShape as [number, number, number, number],
    filterShape as [number, number, number, number], attrs.strides, attrs.dilations ?? 1, attrs.pad,
    attrs.dimRoundingMode, false, backend_util.convertConv2DDataFormat(attrs.dataFormat));
}

function forward(addon: NativeAddon, fallback: KernelFunc, args: Args, fused: boolean): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const attrs = args.attrs as Conv2DAttrs & { activation?: string };
  const activation = fused ? attrs.activation ?? 'linear' : 'linear';
  if (!x || !filter || preluActivationWeights || (activation !== 'linear' && activation !== 'relu')) return fallback(args);
  const info = conv2dInfo(x.shape, filter.shape, attrs);
  const g = convGeometry(info);
  const xs = floatsOf(backend, x);
  const ws = floatsOf(backend, filter);
  const bs = bias ? floatsOf(backend, bias) : null;
  if (!g || !xs || !ws || (bias && (!bs || bias.shape.length !== 1 || bias.shape[0] !== info.outChannels))) return fallback(args);
  const out = uninitialisedFloats(sizeOf(info.outShape));
  addon.convForward(g, xs, ws, bs, activation === 'relu', out);
  return backend.makeTensorInfo(info.outShape, 'float32', out);
}

function backwardData(addon: NativeAddon, fallback: KernelFunc, args: Args): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { dy, filter } = args.inputs as Record<string, TensorInfo>;
  const attrs = args.attrs as Conv2DAttrs & { inputShape: [number, number, number, number] };
  const info = conv2dInfo(attrs.inputShape, filter.shape, { ...attrs, dilations: 1 });
  const g = convGeometry(info);
  const dys = floatsOf(backend, dy);
  const ws = floatsOf(backend, filter);
  if (!g || !dys || !ws) return fallback(args);
  const dx = uninitialisedFloats(sizeOf(info.inShape));
  addon.convBackwardData(g, dys, ws, dx);
  return backend.makeTensorInfo(info.inShape, 'float32', dx);
}

function backwardFilter(addon: NativeAddon, fallback: KernelFunc, args: Args): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x, dy } = args.inputs as Record<string, TensorInfo>;
  const attrs = args.attrs as Conv2DAttrs & { filterShape: [number, number, number, number] };
  const info = conv2dInfo(x.shape, attrs.filterShape, { ...attrs, dilations: 1 });
  const g = convGeometry(info);
  const xs = floatsOf(backend, x);
  const dys = floatsOf(backend, dy);
  if (!g || !xs || !dys) return fallback(args);
  const dw = uninitialisedFloats(sizeOf(info.filterShape));
  addon.convBackwardWeights(g, xs, dys, dw);
  return backend.makeTensorInfo(info.filterShape, 'float32', dw);
}

/** Native kernel configs; `original(name)` gives tfjs's kernel for the cases they do not cover. */
export function convKernels(addon: NativeAddon, original: (name: string) => KernelFunc): KernelConfig[] {
  const make = (kernelName: string, body: (fallback: KernelFunc, args: Args) => TensorInfo | TensorInfo[]): KernelConfig => {
    const fallback = original(kernelName);
    return { kernelName, backendName: 'cpu', kernelFunc: (args) => body(fallback, args) };
  };
  return [
    make('Conv2D', (f, a) => forward(addon, f, a, false)),
    make('FusedConv2D', (f, a) => forward(addon, f, a, true)),
    make('Conv2DBackpropInput', (f, a) => backwardData(addon, f, a)),
    make('Conv2DBackpropFilter', (f, a) => backwardFilter(addon, f, a)),
  ];
}
