/**
 * A trained model → its blobs and its Model row: the model directory (model.json + weights.bin,
 * what libs/onnx reads), the four ONNX graphs, and the bioimage.io 0.5 package zip (the MMSE graph), under
 * `models/<runId>/`. The row is upserted by run (libs/db), so a retried export keeps the model id.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { saveModel, type TrainedModel } from '@divblur/divblurring';
import type { ModelRecord, ModelRepository } from '@divblur/db';
import { buildPackage, exportModel, ONNX_FORMAT_VERSION } from '@divblur/onnx';
import type { BlobStore } from '@divblur/storage';

export const ONNX_OPSET = 17;

export async function exportToBlobs(
  models: ModelRepository, blobs: BlobStore, runId: string, model: TrainedModel, meta: Record<string, unknown>,
): Promise<ModelRecord> {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-model-'));
  try {
    const modelDir = join(dir, 'model');
    await saveModel(modelDir, model);
    // What it was trained with, as model.json records it: scientists compare runs by it.
    return await exportModelDirToBlobs(models, blobs, runId, modelDir, { ...meta, hyperparameters: model.training.hyperparameters });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A saved model directory (model.json + weights.bin) → the same blobs and row: the trainer's path after saveModel,
 * and the one a benchmark or test takes to serve a model saved earlier (bench/quality.ts --save-models).
 */
export async function exportModelDirToBlobs(
  models: ModelRepository, blobs: BlobStore, runId: string, modelDir: string, meta: Record<string, unknown>,
): Promise<ModelRecord> {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-model-'));
  try {
    const exported = await exportModel(modelDir, join(dir, 'onnx'), { runId });
    const packagePath = join(dir, 'package.zip');
    await buildPackage(modelDir, { name: `divblur run ${runId}`, runId }, packagePath);
    const prefix = `models/${runId}`;
    const files: Record<string, string> = {};
    let sizeBytes = 0;
    const put = async (name: string, path: string) => {
      const key = `${prefix}/${name}`;
      sizeBytes += (await blobs.put(key, await readFile(path))).sizeBytes;
      files[name.replace(/\.[a-z]+$/, '')] = key;
      return key;
    };
    await put('model.json', join(modelDir, 'model.json'));
    await put('weights.bin', join(modelDir, 'weights.bin'));
    for (const path of Object.values(exported.files)) await put(basename(path), path);
    const packageKey = await put('package.zip', packagePath);
    const row = { onnxKey: files.sample, files, packageKey, sizeBytes, opset: ONNX_OPSET, meta: { ...meta, onnxFormatVersion: ONNX_FORMAT_VERSION } };
    return await models.saveForRun(runId, row);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
