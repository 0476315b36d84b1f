export { buildApp, DEFAULT_LIMITS, type ApiApp, type ApiDeps, type ApiLimits } from './app.ts';
export { wireDeps, redisConnection } from './wiring.ts';
export { createPgRepository } from './repo/pg-repository.ts';
export { createBullmqExperimentQueue, QUEUE_NAMES } from './queue/bullmq-experiment-queue.ts';
export { ExperimentSpec, Sweep, type RunParams } from './schemas/experiment-spec.ts';
