/**
 * API keys: `dbk_<lookup id: 16 hex>_<secret: 64 hex>` (64 + 256 random bits). The lookup id finds the row; the secret
 * is stored only as its scrypt hash (node:crypto, the platform's maintained implementation), checked in constant time.
 *
 * Why scrypt at its interactive cost (N = 2^14, r = 8: ~100 ms here) although a 256-bit random secret cannot be
 * guessed whatever the hash: the issue asks for a password hash, and a leaked table then costs an attacker as much as
 * any. The cost is paid once per key per process: key-verifier.ts remembers which secret passed for which hash.
 * Nothing here logs; libs/config's logger hides anything that starts with `dbk_` (redactApiKeys).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { ApiKeyRecord, ApiScope, Repositories } from '@divblur/db';

export const API_KEY_PREFIX = 'dbk_';
const KEY = /^dbk_([0-9a-f]{16})_([0-9a-f]{64})$/;

export const API_SCOPES: readonly ApiScope[] = ['read', 'write', 'admin'];

/** scrypt's interactive parameters (Percival 2009; Node's defaults); 16 MiB per hash. */
const SCRYPT = { N: 2 ** 14, r: 8, p: 1 } as const;
const HASH_BYTES = 32;
const SALT_BYTES = 16;

export interface ParsedApiKey { lookupId: string; secret: string }

/** The parts of a key, or null when the text is not one (wrong prefix, length or characters). */
export function parseApiKey(text: string): ParsedApiKey | null {
  const match = KEY.exec(text);
  return match === null ? null : { lookupId: match[1], secret: match[2] };
}

export function newApiKey(): ParsedApiKey & { key: string } {
  const lookupId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('hex');
  return { key: `${API_KEY_PREFIX}${lookupId}_${secret}`, lookupId, secret };
}

function derive(secret: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 128 * params.N * params.r * 2 };
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, HASH_BYTES, options, (error, derived) => (error ? reject(error) : resolve(derived)));
  });
}

/** `scrypt$N$r$p$<salt>$<hash>` (base64url), parameters stored so that they can be raised later. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(secret, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Whether `secret` is the one `stored` was made from; false for a malformed hash. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  const derived = await derive(secret, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return derived.length === expected.length && timingSafeEqual(derived, expected);
}

/** A key request that cannot be met (a 400 in both services' error handlers). */
export class ApiKeyRequestError extends Error {
  readonly statusCode = 400;
  readonly code = 'API_KEY_INVALID_REQUEST';
}

export interface IssueApiKey {
  name: string;
  scopes: readonly ApiScope[];
  /** A project's name: the key sees and changes only that project's rows (the project is created if new). */
  project?: string | null;
  /** The admin key issuing it; null from the CLI. */
  createdById?: string | null;
}

/**
 * Makes a key and stores its hash: the CLI (`divblur keys create`) and POST /v1/keys both come here. The key itself
 * is returned once and exists nowhere else.
 */
export async function issueApiKey(db: Pick<Repositories, 'apiKeys' | 'projects'>, request: IssueApiKey): Promise<{ key: string; record: ApiKeyRecord }> {
  const name = request.name.trim();
  if (name === '' || name.length > 200) throw new ApiKeyRequestError('a key needs a name of 1–200 characters');
  const scopes = [...new Set(request.scopes)];
  if (scopes.length === 0) throw new ApiKeyRequestError(`a key needs at least one scope of ${API_SCOPES.join(', ')}`);
  const unknown = scopes.filter((scope) => !API_SCOPES.includes(scope));
  if (unknown.length > 0) throw new ApiKeyRequestError(`unknown scope ${unknown.join(', ')}: the scopes are ${API_SCOPES.join(', ')}`);
  const projectName = request.project?.trim();
  const project = projectName ? await db.projects.ensure(projectName) : null;
  const { key, lookupId, secret } = newApiKey();
  const record = await db.apiKeys.create({
    name, lookupId, secretHash: await hashSecret(secret), scopes: API_SCOPES.filter((scope) => scopes.includes(scope)),
    projectId: project?.id ?? null, createdById: request.createdById ?? null,
  });
  return { key, record };
}
