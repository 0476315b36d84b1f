/** Starts the inference process: the queue worker and the HTTP server; closes gracefully on SIGTERM/SIGINT, within the shutdown deadline. */
import { closeOnSignals, createLogger, loadConfig } from '@divblur/config';
import { closeWorker } from '@divblur/queue';
import { buildInferenceApp } from './app.ts';
import { createInferenceServices } from './services.ts';
import { startInferenceWorker } from './worker.ts';

const config = loadConfig();
const logger = createLogger(config, { name: 'inference' });
const services = createInferenceServices(config, logger);
const worker = startInferenceWorker(services);
const app = await buildInferenceApp(services);

// Requests and the job in progress finish meanwhile; libs/config's shutdown deadline ends what does not in time
// (a cut evaluation stalls and is retried by another worker; POST /v1/runs/:id/evaluate re-runs one that failed).
closeOnSignals(logger, async () => {
  await Promise.all([app.close(), closeWorker(worker, services.redis)]);
  await services.close();
});

await app.listen({ host: config.host, port: config.inferencePort });
