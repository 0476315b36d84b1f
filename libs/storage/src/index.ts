export * from './errors.ts';
export * from './blob-store.ts';
export * from './blob-key.ts';
export * from './s3-uri.ts';
export * from './local-blob-store.ts';
export * from './s3-blob-store.ts';
export * from './create-blob-store.ts';
