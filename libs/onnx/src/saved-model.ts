/**
 * Reads a saved divblur model directory through the model contract (`@divblur/divblurring/contract`, tfjs-free:
 * the exporter needs only the numbers); the contract's ModelFormatError becomes this library's OnnxModelError with
 * the same code (MODEL_NOT_FOUND, MODEL_VERSION, MODEL_CONFIG, MODEL_WEIGHTS …).
 */
import { ModelFormatError, readSavedModel as readContractModel, type SavedModel } from '@divblur/divblurring/contract';
import { OnnxModelError } from './errors.ts';

export async function readSavedModel(dir: string): Promise<SavedModel> {
  try {
    return await readContractModel(dir);
  } catch (error) {
    if (error instanceof ModelFormatError) throw new OnnxModelError(error.code, error.message);
    throw error;
  }
}
