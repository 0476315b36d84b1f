/** Starts the trainer: config, logger, workers; closes gracefully on SIGTERM/SIGINT (active jobs finish or are retried). */
import { createLogger, loadConfig } from '@divblur/config';
import { startTrainer } from './trainer.ts';

const config = loadConfig();
const logger = createLogger(config, { name: 'trainer' });
const trainer = startTrainer(config, logger);

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'closing');
  try {
    await trainer.close();
    process.exit(0);
  } catch (error) {
    logger.error({ err: error }, 'error while closing');
    process.exit(1);
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
