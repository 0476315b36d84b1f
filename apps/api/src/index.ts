export { buildApp, DEFAULT_LIMITS, type ApiApp, type ApiDeps, type ApiLimits } from './app.ts';
export { wireDeps, type WiredDeps } from './wiring.ts';
export { createBullmqExperimentQueue } from './queue/bullmq-experiment-queue.ts';
export { createBullmqBatchQueue } from './queue/bullmq-batch-queue.ts';
/** The spec schema lives in libs/queue (shared with the trainer); re-exported for the API's users. */
export { ExperimentSpec, Sweep, type RunParams } from '@divblur/queue';
/** How an experiment and a dataset are made, for the tests that need the API's rows without its HTTP. */
export { createExperiment, storeExperiment, type ExperimentRequest } from './experiments/create-experiment.ts';
export { storeDataset } from './lib/dataset-ingest.ts';
