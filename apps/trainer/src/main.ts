/** Starts the trainer: config, logger, workers; closes gracefully on SIGTERM/SIGINT (active jobs finish or are retried). */
import { closeOnSignals, createLogger, loadConfig } from '@divblur/config';
import { startTrainer } from './trainer.ts';

const config = loadConfig();
const logger = createLogger(config, { name: 'trainer' });
const trainer = startTrainer(config, logger);

closeOnSignals(logger, () => trainer.close());
