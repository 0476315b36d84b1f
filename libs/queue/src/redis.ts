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
