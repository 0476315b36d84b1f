// Public surface of @divblur/onnx.
export * from './errors.ts';
export * from './saved-model.ts';
export * from './onnx-builder.ts';
export * from './network-graph.ts';
export * from './export.ts';
export * from './session.ts';
export * from './session-cache.ts';
export * from './noise.ts';
export * from './input.ts';
export * from './welford.ts';
export * from './tiled.ts';
export * from './mmse.ts';
export * from './png.ts';
export * from './mmse-graph.ts';
export * from './bioimageio-rdf.ts';
export * from './package.ts';
