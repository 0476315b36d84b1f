/** A trained model: everything deconvolution and the ONNX export need (saved by saved-model.ts in the contract's format, model-format.ts). */
import type * as tf from '@tensorflow/tfjs';
import type { Image, NoiseModel } from './imaging.ts';
import type { ModelConfig, Normalisation } from './architecture.ts';
import type { PenaltyName } from './penalties.ts';

export interface TrainedModel {
  readonly config: ModelConfig;
  readonly normalisation: Normalisation;
  /** By contract name; owned by the model (dispose with disposeModel). */
  readonly params: Record<string, tf.Tensor>;
  readonly method: 'divblurring' | 'divnoising';
  readonly noiseSigma: number;
  /** The likelihood's noise model (the report's: Gaussian of σ noiseSigma, offset 0). */
  readonly noiseModel: NoiseModel;
  readonly penalty: PenaltyName;
  readonly lambda: number;
  readonly kappa: number;
  readonly psf: Image | null;
  /** Free-form record of how it was trained (steps, seed, hyper-parameters, backend, seconds). */
  readonly training: Record<string, unknown>;
}

export function disposeModel(model: TrainedModel): void {
  for (const t of Object.values(model.params)) t.dispose();
}
