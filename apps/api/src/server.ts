/** Starts the API: config, logger, wiring, listen; closes gracefully on SIGTERM/SIGINT. */
import { closeOnSignals, createLogger, loadConfig } from '@divblur/config';
import { buildApp } from './app.ts';
import { wireDeps } from './wiring.ts';

const config = loadConfig();
const logger = createLogger(config, { name: 'api' });
const wired = wireDeps(config, logger);
const app = await buildApp(wired.deps);

closeOnSignals(logger, async () => {
  await app.close(); // stops accepting, lets in-flight requests finish
  await wired.close();
});

await app.listen({ host: config.host, port: config.apiPort });
