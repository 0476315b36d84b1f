/**
 * The two convolutions of the network, with gradients that every backend can run.
 *
 * conv2dSame: y = x ⋆ W + b, 'same' padding, stride 1, odd k. Backends without a
 * Conv2DBackpropFilter kernel (wasm) get both gradients as *forward* convolutions (one kernel
 * call each, ≈ 4× faster than k·k slice-matmuls: 3.3 s against 14.5 s per step of the report's network,
 * batch 32 of 64², on tfjs 4.22 wasm in one window):
 *   dx = dy ⋆ rot180(W)ᵀ                      ('same'; W transposed cin ↔ cout)
 *   dW[a,b,ci,co] = Σ_{n,h,w} xpad[n,h+a,w+b,ci]·dy[n,h,w,co]
 *                 = conv_valid(xpadᵀ [ci,Hp,Wp,N], dyᵀ [H,W,N,co])   (batch ↔ channels)
 *   db = Σ_{n,h,w} dy
 * conv2dBiasRelu: relu(x ⋆ W + b), on backends with their own convolution gradients, as one FusedConv2D kernel
 * forward and, backward, dz = dy·[y > 0] with db = Σ_{n,h,w} dz in one pass (y the output: y > 0 ⇔ x ⋆ W + b > 0),
 * then the backend's Conv2DBackpropInput / Conv2DBackpropFilter on dz. tfjs itself never fuses a relu under a
 * gradient tape (shouldFuse), so its path writes and reads five full-size intermediates per layer instead of one.
 * upsample2x: the 2×2 stride-2 transposed convolution, y[n,2i+a,2j+b,co] = Σ_ci z[n,i,j,ci]·W[a,b,co,ci] + b,
 * written as one matmul and a depth-to-space reshape, so its gradients are matmuls on any backend.
 */
import * as tf from '@tensorflow/tfjs';
import { CONV_RELU_BACKPROP, RELU_BIAS_BACKPROP } from '@divblur/tfjs-native';

function checkFilter(w: tf.Tensor, x: tf.Tensor): void {
  const [kh, kw, cin] = w.shape;
  if (w.rank !== 4 || kh !== kw || kh % 2 !== 1) {
    throw new RangeError(`conv filter must be [k,k,cin,cout] with odd k, got [${w.shape}]`);
  }
  if (x.shape[3] !== cin) throw new RangeError(`conv input has ${x.shape[3]} channels, filter expects ${cin}`);
}

/** True when the active backend has its own filter-gradient kernel (cpu, tensorflow, the native addon). */
export function backendHasConvFilterGradient(): boolean {
  return tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) !== undefined;
}

/** conv2d 'same' + bias with the forward-conv gradients above, on any backend. */
export const conv2dSameCustomGrad = tf.customGrad(
  (...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, w, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const x4 = x as tf.Tensor4D;
    const w4 = w as tf.Tensor4D;
    save([x4, w4]);
    return {
      value: tf.add(tf.conv2d(x4, w4, 1, 'same'), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dy4 = dy as tf.Tensor4D;
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const k = ws.shape[0];
        const pad = (k - 1) / 2;
        const wFlipped = tf.transpose(tf.reverse(ws, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
        const dx = tf.conv2d(dy4, wFlipped, 1, 'same');
        const xPadded = tf.pad(xs, [[0, 0], [pad, pad], [pad, pad], [0, 0]]);
        const xT = tf.transpose(xPadded, [3, 1, 2, 0]) as tf.Tensor4D; // [ci, Hp, Wp, N]
        const dyT = tf.transpose(dy4, [1, 2, 0, 3]) as tf.Tensor4D; // [H, W, N, co]
        const dw = tf.transpose(tf.conv2d(xT, dyT, 1, 'valid'), [1, 2, 0, 3]); // [k, k, ci, co]
        const db = tf.sum(dy4, [0, 1, 2]);
        return [dx, dw, db];
      },
    };
  },
);

let fusionEnabled = true;

/** Turns the fusions of this file off (true → on again): for bench/train-speed's measurement of what it buys. */
export function useFusedConvolutions(enabled: boolean): void {
  fusionEnabled = enabled;
}

/** conv2d 'same' + bias, tfjs's own gradients (backends with Conv2DBackpropFilter). */
export function conv2dSameBuiltin(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D): tf.Tensor4D {
  // A linear fused conv stays fused under a gradient tape: one kernel instead of a conv and a full-size Add.
  if (!fusionEnabled) return tf.add(tf.conv2d(x, w, 1, 'same'), b);
  return tf.fused.conv2d({ x, filter: w, bias: b, strides: 1, pad: 'same' });
}

/** conv2d 'same', stride 1, with bias; filter [k,k,cin,cout]. Picks the gradient the backend can run. */
export function conv2dSame(x: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor): tf.Tensor4D {
  checkFilter(w, x);
  if (backendHasConvFilterGradient()) return conv2dSameBuiltin(x, w as tf.Tensor4D, b as tf.Tensor1D);
  return conv2dSameCustomGrad(x, w, b) as tf.Tensor4D;
}

const SAME_CONV = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] } as const;

/** [dz, db] of relu(conv + b) from the output y: one kernel where the backend registers it (the oneDNN addon). */
export function reluBiasBackprop(dy: tf.Tensor, y: tf.Tensor): [tf.Tensor, tf.Tensor] {
  if (tf.getKernel(RELU_BIAS_BACKPROP, tf.getBackend()) !== undefined) {
    return tf.engine().runKernel(RELU_BIAS_BACKPROP, { dy, y }) as unknown as [tf.Tensor, tf.Tensor];
  }
  const dz = tf.mul(dy, tf.step(y));
  return [dz, tf.sum(dz, [0, 1, 2])];
}

const conv2dBiasReluFused = tf.customGrad(
  (...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, w, b, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
    const y = tf.engine().runKernel('FusedConv2D', { x, filter: w, bias: b }, { ...SAME_CONV, activation: 'relu' }) as tf.Tensor4D;
    save([x, w, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws, ys] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        // The whole backward pass in one kernel where the backend registers it (the oneDNN addon: dz stays in its buffer).
        if (tf.getKernel(CONV_RELU_BACKPROP, tf.getBackend()) !== undefined) {
          return tf.engine().runKernel(CONV_RELU_BACKPROP, { dy, y: ys, x: xs, filter: ws }, SAME_CONV) as unknown as tf.Tensor[];
        }
        const [dz, db] = reluBiasBackprop(dy, ys);
        const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy: dz, filter: ws }, { ...SAME_CONV, inputShape: xs.shape }) as tf.Tensor;
        const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: xs, dy: dz }, { ...SAME_CONV, filterShape: ws.shape }) as tf.Tensor;
        return [dx, dw, db];
      },
    };
  },
);

/** relu(conv2dSame(x, W, b)): fused (see above) where the backend has its own filter gradient, composed otherwise. */
export function conv2dBiasRelu(x: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor): tf.Tensor4D {
  checkFilter(w, x);
  if (!fusionEnabled) return tf.relu(conv2dSame(x, w, b)) as tf.Tensor4D;
  if (backendHasConvFilterGradient()) return conv2dBiasReluFused(x, w, b) as tf.Tensor4D;
  return tf.relu(conv2dSameCustomGrad(x, w, b)) as tf.Tensor4D;
}

/** 2×2 stride-2 transposed convolution + bias; filter [2,2,cout,cin] (tfjs conv2dTranspose layout). */
export function upsample2x(z: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor): tf.Tensor4D {
  const [n, h, wd, cin] = z.shape;
  const [kh, kw, cout, wcin] = w.shape;
  if (kh !== 2 || kw !== 2 || wcin !== cin) {
    throw new RangeError(`upsample filter must be [2,2,cout,${cin}], got [${w.shape}]`);
  }
  const weights = tf.reshape(tf.transpose(w, [3, 0, 1, 2]), [cin, 4 * cout]); // columns ordered (a, b, co)
  const blocks = tf.reshape(tf.matMul(tf.reshape(z, [n * h * wd, cin]), weights), [n, h, wd, 2, 2, cout]);
  const image = tf.reshape(tf.transpose(blocks, [0, 1, 3, 2, 4, 5]), [n, 2 * h, 2 * wd, cout]) as tf.Tensor4D;
  return tf.add(image, b);
}
