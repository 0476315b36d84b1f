/** Starts the API: config, logger, wiring, listen; closes gracefully on SIGTERM/SIGINT. */
import { createLogger, loadConfig } from '@divblur/config';
import { buildApp } from './app.ts';
import { wireDeps } from './wiring.ts';

const config = loadConfig();
const logger = createLogger(config, { name: 'api' });
const wired = wireDeps(config, logger);
const app = await buildApp(wired.deps);

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'closing');
  try {
    await app.close(); // stops accepting, lets in-flight requests finish
    await wired.close();
    process.exit(0);
  } catch (error) {
    logger.error({ err: error }, 'error while closing');
    process.exit(1);
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ host: config.host, port: config.apiPort });
