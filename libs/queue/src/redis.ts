import { Redis } from 'ioredis';
import { QueueUnavailableError } from './errors.ts';

/** A producer's command (an enqueue, a lookup) that gets no reply within this fails. */
export const PRODUCER_COMMAND_TIMEOUT_MS = 1500;
/** A connection attempt that does not complete within this is retried (ioredis reconnects for ever, with backoff). */
export const CONNECT_TIMEOUT_MS = 1000;

/**
 * An ioredis connection as BullMQ wants it: `maxRetriesPerRequest: null` (a worker's blocking
 * commands must wait through reconnects instead of failing). One per Queue/Worker/FlowProducer
 * group; close it after them.
 */
export function createRedis(redisUrl: string): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null });
}

/**
 * A connection for a process that only adds and looks up jobs while answering requests (the API):
 * it fails fast instead of waiting for Redis. No offline queue (a command while disconnected fails
 * at once), no retry of a command cut off by a disconnect, and a reply timeout on every command
 * (a Redis that accepts and never answers). Workers must not use it (BullMQ's blocking commands).
 */
export function createProducerRedis(redisUrl: string): Redis {
  return new Redis(redisUrl, {
    enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS, connectTimeout: CONNECT_TIMEOUT_MS,
  });
}

/** Throws `QueueUnavailableError` unless the connection is ready now (not connecting, reconnecting or closed): a producer does not wait for it. */
export function assertRedisReady(redis: Redis): void {
  if (redis.status !== 'ready') throw new QueueUnavailableError(`redis is unavailable (connection ${redis.status})`);
}

/**
 * Why `error` means that Redis cannot be reached or did not answer (refused, reset, connection
 * closed, not ready with no offline queue, a command timed out, retries used up), or null for any
 * other error, so that a caller can answer 503 instead of 500.
 */
export function redisUnavailableReason(error: unknown): string | null {
  for (let current = error, depth = 0; current !== null && typeof current === 'object' && depth < 5; depth++) {
    const e = current as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
    if (e.name === 'MaxRetriesPerRequestError') return 'redis is unavailable (a command was cut off by a disconnect)';
    if (current instanceof QueueUnavailableError) return current.message;
    if (typeof e.code === 'string' && SOCKET_CODES.has(e.code)) return `redis is unavailable (${e.code})`;
    if (typeof e.message === 'string' && REDIS_MESSAGES.test(e.message)) return `redis is unavailable (${e.message.replace(/\s+/g, ' ').slice(0, 80)})`;
    current = e.cause;
  }
  return null;
}

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
const REDIS_MESSAGES = /Connection is closed|Stream isn't writeable|Command timed out|Reached the max retries per request|LOADING |MASTERDOWN/i;

export type { Redis } from 'ioredis';

/** Deletes every key under `<prefix>:` (a test's or the demo's own queues), by SCAN so that Redis is never blocked. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
