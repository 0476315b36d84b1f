// tfjs's convolution/pooling info (backend_util.compute*Info) → the integer geometry the addon takes.
// oneDNN wants exactly the padding that produces the output size: (in + padL + padR − kEff) / s + 1 = out;
// tfjs's 'same'/'valid' pads can exceed it by unused rows, so the right/bottom pad is recomputed.
import type { backend_util } from '@tensorflow/tfjs-core';
import type { ConvGeometry, PoolGeometry } from './addon.ts';

/** Null when the geometry is outside what the native kernels cover (NCHW, negative pads, depthwise). */
export function convGeometry(info: backend_util.Conv2DInfo): ConvGeometry | null {
  if (info.dataFormat !== 'channelsLast') return null;
  const { top, left } = info.padInfo;
  const bottom = (info.outHeight - 1) * info.strideHeight + info.effectiveFilterHeight - info.inHeight - top;
  const right = (info.outWidth - 1) * info.strideWidth + info.effectiveFilterWidth - info.inWidth - left;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return null;
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    top, left, bottom, right];
}

/** Null unless the pooling is unpadded and undilated (what the model uses: 2×2, stride 2, 'valid'). */
export function poolGeometry(info: backend_util.Conv2DInfo): PoolGeometry | null {
  const { top, left, bottom, right } = info.padInfo;
  if (info.dataFormat !== 'channelsLast' || top || left || bottom || right) return null;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth];
}
