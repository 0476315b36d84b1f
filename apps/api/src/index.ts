export { buildApp, DEFAULT_LIMITS, type ApiApp, type ApiDeps, type ApiLimits } from './app.ts';
export { wireDeps, type WiredDeps } from './wiring.ts';
export { createPgRepository } from './repo/pg-repository.ts';
export { createBullmqExperimentQueue } from './queue/bullmq-experiment-queue.ts';
/** The spec schema lives in libs/queue (shared with the trainer); re-exported for the API's users. */
export { ExperimentSpec, Sweep, type RunParams } from '@divblur/queue';
