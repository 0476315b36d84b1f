export * from './errors.ts';
export * from './job-payloads.ts';
export * from './queue-names.ts';
export * from './redis.ts';
export * from './queues.ts';
export * from './experiment-flow.ts';
export * from './worker.ts';
