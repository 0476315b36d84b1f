/**
 * Adam (Kingma & Ba 2015) with its state in plain variables, so a checkpoint restores it exactly:
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  w ← w − lr·m̂/(√v̂ + ε),  m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE } from '@divblur/tfjs-native';

export interface AdamSettings {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

export const ADAM_DEFAULTS: AdamSettings = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

export class Adam {
  /** Number of updates applied (t). */
  updates = 0;
  readonly m: Record<string, tf.Variable> = {};
  readonly v: Record<string, tf.Variable> = {};

  constructor(
    private readonly params: Record<string, tf.Variable>,
    private readonly settings: AdamSettings = ADAM_DEFAULTS,
  ) {
    // tidy frees the zeros each variable was made from (a variable keeps its own reference to the data).
    for (const [name, p] of Object.entries(params)) {
      this.m[name] = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
      this.v[name] = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
    }
  }

  apply(grads: Record<string, tf.Tensor>, learningRate: number): void {
    this.updates += 1;
    const { beta1, beta2, epsilon } = this.settings;
    const stepSize = learningRate / (1 - beta1 ** this.updates);
    const secondMomentCorrection = 1 / (1 - beta2 ** this.updates);
    // One kernel per parameter where the backend has it (the oneDNN addon): ten small kernels each otherwise.
    const fused = tf.getKernel(ADAM_UPDATE, tf.getBackend()) !== undefined;
    tf.tidy(() => {
      for (const [name, p] of Object.entries(this.params)) {
        const g = grads[name];
        const m = this.m[name];
        const v = this.v[name];
        if (fused) {
          const [p1, m1, v1] = tf.engine().runKernel(ADAM_UPDATE, { p, m, v, g },
            { beta1, beta2, epsilon, stepSize, secondMomentCorrection }) as unknown as tf.Tensor[];
          m.assign(m1);
          v.assign(v1);
          p.assign(p1);
          continue;
        }
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const denominator = tf.add(tf.sqrt(tf.mul(v, secondMomentCorrection)), epsilon);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denominator), stepSize)));
      }
    });
  }

  dispose(): void {
    for (const t of [...Object.values(this.m), ...Object.values(this.v)]) t.dispose();
  }
}
