export * from './errors.ts';
export * from './env-schema.ts';
export * from './config.ts';
export * from './redact.ts';
export * from './logger.ts';
export * from './http-serializers.ts';
export * from './shutdown.ts';
export * from './deadline.ts';
