import type { Logger } from 'pino';

/**
 * Graceful shutdown of a process on SIGTERM/SIGINT: runs `close` once (stop accepting work, let in-flight work
 * finish, close connections), then exits 0, or 1 when closing failed.
 */
export function closeOnSignals(logger: Logger, close: () => Promise<void>): void {
  let closing = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'closing');
    try {
      await close();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'error while closing');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
