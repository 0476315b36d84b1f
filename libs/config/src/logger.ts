import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.ts';
import { redactJsonLine, redactSecrets } from './redact.ts';
import { serializeHttp, serializeReply, serializeRequest } from './http-serializers.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** The process or component, e.g. `api`, `trainer`. */
  name: string;
  /** Where JSON lines go; stdout when absent (tests pass a stream to read them back). */
  destination?: DestinationStream;
}

/**
 * The one pino logger of a process: JSON lines, level from the config, secrets hidden twice —
 * structurally in the merge object (`formatters.log`, any depth, errors included), then textually
 * on the finished line (messages, child bindings, error stacks). HTTP requests and replies (`req`,
 * `res`, as Fastify logs them) are serialized before the redaction: method, url (secret query
 * values hidden), host, client address; status code. Headers are not logged.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, options: LoggerOptions): Logger {
  const inner = options.destination ?? pino.destination({ sync: false });
  return pino(
    {
      name: options.name,
      level: config.logLevel,
      formatters: { log: (object) => redactSecrets(serializeHttp(object)) as Record<string, unknown> },
      // `redactSecrets` has already turned errors into plain objects; serialize only real ones. `req`
      // and `res` replace Fastify's serializers (which read getters the redacted copy no longer has).
      serializers: {
        err: (error: unknown) => (error instanceof Error ? stdSerializers.err(error) : error),
        req: serializeRequest,
        res: serializeReply,
      },
    },
    scrubbingDestination(inner),
  );
}

function scrubbingDestination(inner: DestinationStream): DestinationStream {
  const flushable = inner as DestinationStream & { flush?: (callback?: (error?: Error) => void) => void };
  return {
    write: (line: string) => inner.write(redactJsonLine(line)),
    ...(typeof flushable.flush === 'function' ? { flush: (callback?: (error?: Error) => void) => flushable.flush?.(callback) } : {}),
  } as DestinationStream;
}
