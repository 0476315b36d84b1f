/**
 * A bound on the scrypt work that wrong secrets cause. A token with a real key's lookup id and a wrong secret costs
 * one scrypt hash (~100 ms of a core and 16 MiB, api-key.ts); unbounded, anyone who knows a lookup id keeps a 2-core
 * box busy. So every hash is counted before it is computed, per client address and per lookup id, in Redis (the rate
 * limits' connection and namespace, one fixed window each, shared by every instance: N instances do not multiply the
 * budget). Past either limit the call is a 429 with Retry-After and no hash is computed. A secret that passes gives
 * its count back, so what counts is failures and hashes in flight (a burst of concurrent calls is bounded too).
 *
 * Why counters and not a negative cache of failed secrets: an attacker varies the secret, and a cache only stops a
 * client that repeats one mistyped key. Why both keys: the address bounds one client (its other keys included), the
 * lookup id bounds many addresses aiming at one key. Only hashes are counted: a call whose secret already passed on
 * this instance (key-verifier.ts remembers it) and an unknown, malformed or revoked key cost no hash and are never
 * limited here, so a key in use keeps working while its lookup id is attacked, and a revocation still holds on the
 * next request (the row is read first, every call). What the bound costs: during an attack on a key, that key's first
 * call on an instance that has not seen it yet waits for the window. A Redis that is away lets hashes through, as the
 * rate limits do.
 */
import { attemptsLimited } from './access-errors.ts';

export const HASH_ATTEMPT_WINDOW_MS = 60_000;
/** Hashes a client address may cause per window beyond those that pass. */
export const HASH_ATTEMPTS_PER_ADDRESS = 10;
/** Hashes one lookup id may cause per window from all addresses, beyond those that pass. */
export const HASH_ATTEMPTS_PER_KEY = 30;

/** The commands used, as ioredis has them. */
export interface CounterRedis {
  eval(script: string, numberOfKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

export interface HashAttempts {
  /** Before a hash for `lookupId` from `client`: counts it, or throws a 429 (AttemptsLimitedError) past a limit. */
  reserve(client: string, lookupId: string): Promise<void>;
  /** The secret passed: its count is given back. */
  release(client: string, lookupId: string): Promise<void>;
}

// Atomic: check every counter, then count in all or none; a counter's first count starts its window.
const RESERVE = `
local wait = 0
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[i + 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then ttl = tonumber(ARGV[1]) end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
end
return 0`;
// A counter whose window ended is gone: nothing to give back (a DECR would leave -1 without expiry).
const RELEASE = `
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 0`;

export function createHashAttempts(redis: CounterRedis, namespace: string, options: { onError?: (error: unknown) => void } = {}): HashAttempts {
  const keys = (client: string, lookupId: string) => [`${namespace}hash-attempts:address:${client}`, `${namespace}hash-attempts:key:${lookupId}`];
  return {
    async reserve(client, lookupId) {
      let waitMs = 0;
      try {
        waitMs = Number(await redis.eval(RESERVE, 2, ...keys(client, lookupId), HASH_ATTEMPT_WINDOW_MS, HASH_ATTEMPTS_PER_ADDRESS, HASH_ATTEMPTS_PER_KEY));
      } catch (error) {
        options.onError?.(error);
      }
      if (waitMs > 0) throw attemptsLimited(Math.ceil(waitMs / 1000));
    },
    async release(client, lookupId) {
      await redis.eval(RELEASE, 2, ...keys(client, lookupId)).catch((error: unknown) => options.onError?.(error));
    },
  };
}
