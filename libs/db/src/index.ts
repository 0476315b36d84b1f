export * from './errors.ts';
export * from './client.ts';
export * from './migrations.ts';
export * from './migrate.ts';
export * from './database-admin.ts';
export * from './loss-points.ts';
export * from './test-database.ts';
export * from '../generated/prisma/client.ts';
