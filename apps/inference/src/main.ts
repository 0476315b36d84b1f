/** Starts the inference process: the queue worker and the HTTP server; closes gracefully on SIGTERM/SIGINT. */
import { createLogger, loadConfig } from '@divblur/config';
import { buildInferenceApp } from './app.ts';
import { createInferenceServices } from './services.ts';
import { startInferenceWorker } from './worker.ts';

const config = loadConfig();
const logger = createLogger(config, { name: 'inference' });
const services = createInferenceServices(config, logger);
const worker = startInferenceWorker(services);
const app = await buildInferenceApp(services);

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'closing');
  try {
    await app.close();
    await worker.close();
    await services.close();
    process.exit(0);
  } catch (error) {
    logger.error({ err: error }, 'error while closing');
    process.exit(1);
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ host: config.host, port: config.inferencePort });
