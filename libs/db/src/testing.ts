/** Test-only helpers of libs/db (`@divblur/db/testing`): kept out of the index the apps import. */
export * from './test-database.ts';
