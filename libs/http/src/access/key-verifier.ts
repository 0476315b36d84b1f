/**
 * Who a request's `Authorization: Bearer <key>` is. Every call reads the key's row (one indexed lookup by its lookup
 * id, ~1 ms), so a revocation, a changed scope or project holds on the next request, on every instance: nothing about
 * a key's validity is cached. What is remembered, per process, is only that a secret was checked against a hash: its
 * SHA-256 beside that hash, so that scrypt's cost is paid once per key and process and a request then costs a hash
 * and a constant-time compare. A key's last use is written at most once a minute.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRepository, ApiScope } from '@divblur/db';
import { parseApiKey, verifySecret } from './api-key.ts';

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

export interface KeyVerifier {
  /** The principal, or null for anything that is not a valid key (malformed, unknown, revoked, wrong secret). */
  verify(token: string): Promise<Principal | null>;
}

export function createKeyVerifier(apiKeys: Pick<ApiKeyRepository, 'credential' | 'touch'>, options: { onTouchError?: (error: unknown) => void } = {}): KeyVerifier {
  const passed = new Map<string, { secretHash: string; digest: Buffer }>();
  const touched = new Map<string, number>();
  const sha256 = (text: string) => createHash('sha256').update(text).digest();

  return {
    async verify(token) {
      const parsed = parseApiKey(token);
      if (parsed === null) return null;
      const credential = await apiKeys.credential(parsed.lookupId);
      if (credential === null || credential.revokedAt !== null) return null;
      const digest = sha256(parsed.secret);
      const known = passed.get(credential.id);
      const remembered = known !== undefined && known.secretHash === credential.secretHash && timingSafeEqual(known.digest, digest);
      if (!remembered) {
        if (!(await verifySecret(parsed.secret, credential.secretHash))) return null;
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
