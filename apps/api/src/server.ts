/**
 * Starts the API: config, logger, wiring, listen, and the reconciler of experiments whose flow was
 * never added (at startup, then on a timer); closes gracefully on SIGTERM/SIGINT, within
 * libs/config's shutdown deadline whatever Postgres and Redis do.
 */
import { closeOnSignals, createLogger, loadConfig } from '@divblur/config';
import { buildApp } from './app.ts';
import { startReconciler } from './experiments/reconcile-experiments.ts';
import { wireDeps } from './wiring.ts';

const config = loadConfig();
const logger = createLogger(config, { name: 'api' });
const wired = wireDeps(config, logger);
const app = await buildApp(wired.deps);
const reconciler = startReconciler(wired.deps, logger);

closeOnSignals(logger, async () => {
  await reconciler.stop();
  await app.close(); // stops accepting, lets in-flight requests finish (each bounded by its dependencies' timeouts)
  await wired.close();
});

await app.listen({ host: config.host, port: config.apiPort });
