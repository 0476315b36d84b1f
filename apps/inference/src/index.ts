export * from './app.ts';
export * from './services.ts';
export * from './worker.ts';
export * from './errors.ts';
export * from './quality.ts';
export * from './concurrency.ts';
export * from './model-sessions.ts';
export { evaluateRun, EVALUATION_SEED } from './jobs/evaluate-run.ts';
export { computeBaselines } from './jobs/compute-baselines.ts';
