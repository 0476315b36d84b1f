export * from './trainer.ts';
export * from './services.ts';
export * from './job-ids.ts';
export * from './checkpoint-store.ts';
export * from './loss-writer.ts';
export * from './backend-preference.ts';
export { exportModelDirToBlobs } from './model-export.ts';
