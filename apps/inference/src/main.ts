/** Starts the inference process: the queue worker and the HTTP server; closes gracefully on SIGTERM/SIGINT. */
import { closeOnSignals, createLogger, loadConfig } from '@divblur/config';
import { buildInferenceApp } from './app.ts';
import { createInferenceServices } from './services.ts';
import { startInferenceWorker } from './worker.ts';

const config = loadConfig();
const logger = createLogger(config, { name: 'inference' });
const services = createInferenceServices(config, logger);
const worker = startInferenceWorker(services);
const app = await buildInferenceApp(services);

closeOnSignals(logger, async () => {
  await app.close();
  await worker.close();
  await services.close();
});

await app.listen({ host: config.host, port: config.inferencePort });
