// Public surface of @divblur/batch (the ONNX-free parts also as subpaths: ./options, ./output-location, ./manifest, ./progress, ./keys, ./signature, ./errors).
export * from './errors.ts';
export * from './batch-options.ts';
export * from './output-location.ts';
export * from './page-tiles.ts';
export * from './page-task.ts';
export * from './page-result.ts';
export * from './output-stack.ts';
export * from './input-stack.ts';
export * from './manifest.ts';
export * from './batch-progress.ts';
export * from './batch-keys.ts';
export * from './callback-signature.ts';
