import { Redis } from 'ioredis';

/**
 * An ioredis connection as BullMQ wants it: `maxRetriesPerRequest: null` (a worker's blocking
 * commands must wait through reconnects instead of failing). One per Queue/Worker/FlowProducer
 * group; close it after them.
 */
export function createRedis(redisUrl: string): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null });
}

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
