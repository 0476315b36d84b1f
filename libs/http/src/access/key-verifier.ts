/**
 * Who a request's `Authorization: Bearer <key>` is. Every call reads the key's row (one indexed lookup by its lookup
 * id, ~1 ms), so a revocation, a changed scope or project holds on the next request, on every instance: nothing about
 * a key's validity is cached. What is remembered, per process, is only that a secret was checked against a hash: its
 * SHA-256 beside that hash, so that scrypt's cost is paid once per key and process and a request then costs a hash
 * and a constant-time compare. A key's last use is written at most once a minute. The hashes of secrets that have not
 * passed here are bounded per client address and per key (hash-attempts.ts), so wrong secrets cannot exhaust the CPU;
 * a wrong secret sent again (a client with a mistyped key, retrying) is remembered as failed, per process, and is
 * refused without a hash and without counting against that bound.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRepository, ApiScope } from '@divblur/db';
import { parseApiKey, verifySecret } from './api-key.ts';
import type { HashAttempts } from './hash-attempts.ts';

/** The key a request was made with. */
export interface Principal {
  keyId: string;
  name: string;
  scopes: readonly ApiScope[];
  /** Limited to this project's rows; null: the whole lab. */
  projectId: string | null;
}

export const LAST_USE_RESOLUTION_MS = 60_000;
/** Keys whose passed secret is remembered (beyond it the oldest is forgotten and pays scrypt again). */
const REMEMBERED_KEYS = 10_000;
/** Wrong secrets remembered as failed (beyond it the oldest is forgotten: sent again, it is hashed and counted again). */
const REMEMBERED_FAILURES = 10_000;

export interface KeyVerifier {
  /**
   * The principal, or null for anything that is not a valid key (malformed, unknown, revoked, wrong secret); throws
   * AttemptsLimitedError (a 429) when the secret would need a hash that `client` (its address) or the key is past its bound for.
   */
  verify(token: string, client?: string): Promise<Principal | null>;
}

export interface KeyVerifierOptions {
  onTouchError?: (error: unknown) => void;
  /** The bound on hashes of secrets that have not passed here; none: unbounded (the CLI's checks, unit tests). */
  hashAttempts?: HashAttempts;
}

export function createKeyVerifier(apiKeys: Pick<ApiKeyRepository, 'credential' | 'touch'>, options: KeyVerifierOptions = {}): KeyVerifier {
  const passed = new Map<string, { secretHash: string; digest: Buffer }>();
  const failed = new Set<string>();
  const touched = new Map<string, number>();
  const sha256 = (text: string) => createHash('sha256').update(text).digest();

  return {
    async verify(token, client = '') {
      const parsed = parseApiKey(token);
      if (parsed === null) return null;
      const credential = await apiKeys.credential(parsed.lookupId);
      if (credential === null || credential.revokedAt !== null) return null;
      const digest = sha256(parsed.secret);
      const known = passed.get(credential.id);
      const remembered = known !== undefined && known.secretHash === credential.secretHash && timingSafeEqual(known.digest, digest);
      if (!remembered) {
        // The stored hash names its salt: a failure is remembered against this hash of this key only.
        const failure = `${credential.secretHash}:${digest.toString('hex')}`;
        if (failed.has(failure)) return null;
        await options.hashAttempts?.reserve(client, parsed.lookupId);
        if (!(await verifySecret(parsed.secret, credential.secretHash))) {
          if (failed.size >= REMEMBERED_FAILURES) failed.delete(failed.values().next().value as string);
          failed.add(failure);
          return null;
        }
        await options.hashAttempts?.release(client, parsed.lookupId);
        if (passed.size >= REMEMBERED_KEYS) passed.delete(passed.keys().next().value as string);
        passed.set(credential.id, { secretHash: credential.secretHash, digest });
      }
      const now = Date.now();
      if (now - (touched.get(credential.id) ?? 0) >= LAST_USE_RESOLUTION_MS) {
        touched.set(credential.id, now);
        if (touched.size > REMEMBERED_KEYS) touched.delete(touched.keys().next().value as string);
        // Awaited (a write a minute per key): the row says the use when the answer arrives. A failure does not refuse the call.
        await apiKeys.touch(credential.id, new Date(now), LAST_USE_RESOLUTION_MS).catch((error: unknown) => options.onTouchError?.(error));
      }
      return { keyId: credential.id, name: credential.name, scopes: credential.scopes, projectId: credential.projectId };
    },
  };
}
