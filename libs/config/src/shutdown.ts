import type { Logger } from 'pino';

/** A process asked to stop is gone within 10 s whatever state it is in (a dependency down, a request hanging). */
export const SHUTDOWN_DEADLINE_MS = 9_000;

/**
 * Graceful shutdown of a process on SIGTERM/SIGINT: runs `close` once (stop accepting work, let in-flight work
 * finish, close connections), then exits 0, or 1 when closing failed or did not finish within `deadlineMs`
 * (a connection to a server that is down can wait for it indefinitely; an orchestrator would SIGKILL us anyway,
 * without the log line).
 */
export function closeOnSignals(logger: Logger, close: () => Promise<void>, options: { deadlineMs?: number } = {}): void {
  const deadlineMs = options.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
  let closing = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    const started = performance.now();
    logger.info({ signal }, 'closing');
    setTimeout(() => {
      logger.error({ signal, deadlineMs }, 'did not close within the deadline; exiting');
      exitFlushed(logger, 1);
    }, deadlineMs).unref();
    try {
      await close();
      logger.info({ signal, ms: Math.round(performance.now() - started) }, 'closed');
      exitFlushed(logger, 0);
    } catch (error) {
      logger.error({ err: error }, 'error while closing');
      exitFlushed(logger, 1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

/** Exits once the logger's buffered lines are written (the logger is asynchronous), or after 250 ms. */
function exitFlushed(logger: Logger, code: number): void {
  setTimeout(() => process.exit(code), 250).unref();
  try {
    logger.flush(() => process.exit(code));
  } catch {
    process.exit(code);
  }
}
