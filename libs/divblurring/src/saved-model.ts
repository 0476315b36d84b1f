/**
 * saveModel / loadModel: a TrainedModel ↔ its model directory. The format, its checks and the bytes are the model
 * contract's (model-format.ts); this file only turns tfjs tensors into the contract's parameters and back.
 */
import * as tf from '@tensorflow/tfjs';
import type { PenaltyName } from './penalties.ts';
import { readSavedModel, writeSavedModel, type Parameter } from './model-format.ts';
import type { TrainedModel } from './trained-model.ts';

export async function saveModel(dir: string, model: TrainedModel): Promise<void> {
  const params = new Map<string, Parameter>();
  for (const [name, t] of Object.entries(model.params)) params.set(name, { shape: t.shape, data: t.dataSync() as Float32Array });
  await writeSavedModel(dir, model, params);
}

export async function loadModel(dir: string): Promise<TrainedModel> {
  const { manifest, params } = await readSavedModel(dir);
  const psf = manifest.psf ? { height: manifest.psf.height, width: manifest.psf.width, data: Float32Array.from(manifest.psf.data) } : null;
  return {
    config: manifest.config,
    normalisation: manifest.normalisation,
    params: Object.fromEntries([...params].map(([name, p]) => [name, tf.tensor(p.data, [...p.shape])])),
    method: manifest.method,
    noiseSigma: manifest.noiseSigma,
    noiseModel: manifest.noiseModel,
    penalty: manifest.penalty as PenaltyName,
    lambda: manifest.lambda,
    kappa: manifest.kappa,
    psf,
    training: manifest.training,
  };
}
