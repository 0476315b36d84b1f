/**
 * The model contract, tfjs-free (`@divblur/divblurring/contract`): what a trained model is, independent of the
 * runtime that trains or runs it. architecture.ts: the configuration, its check, the kernel sizes that train and
 * export, parameter names and shapes. model-format.ts: the saved-model directory (model.json + weights.bin), its
 * check, one writer and one reader. model.ts (tfjs) and libs/onnx's network-graph.ts (ONNX) both build on it.
 */
export * from './architecture.ts';
export * from './model-format.ts';
export { ModelFormatError, type ModelFormatCode } from './errors.ts';
