// The data-parallel worker's entry (data-parallel.ts): a worker thread starts without the parent's tsx hooks, so this
// plain-JS file registers tsx in the worker and then loads the TypeScript shard loop.
import { register } from 'tsx/esm/api';

register();
await import('./data-parallel-worker.ts');
