/**
 * `divblur keys create|list|revoke`: API keys, straight in the database of DATABASE_URL (how the first admin key is
 * made, before any key exists to call POST /v1/keys with). `create` prints the key once: it is stored only hashed.
 */
import { loadConfig } from '@divblur/config';
import { openDatabase, type ApiKeyRecord, type ApiScope, type Database } from '@divblur/db';
import { API_SCOPES, issueApiKey } from '@divblur/http/api-key';
import { formatTable } from '@divblur/terminal';

export class KeysCommandError extends Error {
  readonly code = 'KEYS_USAGE';
}

export interface KeysCreateArgs { name: string; scopes: string; project?: string }

async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const db = openDatabase(loadConfig(), { maxConnections: 1 });
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** `read,write` → the scopes, refusing unknown ones by name. */
export function parseScopes(text: string): ApiScope[] {
  const scopes = text.split(',').map((scope) => scope.trim()).filter((scope) => scope !== '');
  const unknown = scopes.filter((scope) => !(API_SCOPES as readonly string[]).includes(scope));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new KeysCommandError(`--scopes: expected a comma-separated list of ${API_SCOPES.join(', ')}${unknown.length > 0 ? ` (not ${unknown.join(', ')})` : ''}`);
  }
  return scopes as ApiScope[];
}

export async function keysCreateCommand(args: KeysCreateArgs): Promise<void> {
  const scopes = parseScopes(args.scopes);
  const { key, record } = await withDatabase((db) => issueApiKey(db, { name: args.name, scopes, project: args.project ?? null }));
  process.stderr.write(`created key ${record.id} "${record.name}" (${record.scopes.join(', ')}${record.projectName ? `; project ${record.projectName}` : ''}); `
    + 'it is shown once, below: store it now\n');
  process.stdout.write(`${key}\n`);
}

const row = (key: ApiKeyRecord) => [
  key.id, key.name, `dbk_${key.lookupId}_…`, key.scopes.join(','), key.projectName ?? '(lab)', key.createdAt.slice(0, 19).replace('T', ' '),
  key.lastUsedAt?.slice(0, 19).replace('T', ' ') ?? '-', key.revokedAt === null ? '' : `revoked ${key.revokedAt.slice(0, 10)}`,
];

export async function keysListCommand(args: { all: boolean }): Promise<void> {
  const keys = await withDatabase(async (db) => {
    const all: ApiKeyRecord[] = [];
    for (let page = await db.apiKeys.list(500, { revoked: args.all }); ; page = await db.apiKeys.list(500, { revoked: args.all, after: { createdAt: all[all.length - 1].createdAt, id: all[all.length - 1].id } })) {
      all.push(...page);
      if (page.length < 500) return all;
    }
  });
  process.stdout.write(`${formatTable(['id', 'name', 'key', 'scopes', 'project', 'created', 'last used', ''], keys.map(row))}\n`);
}

export async function keysRevokeCommand(id: string): Promise<void> {
  const key = await withDatabase(async (db) => {
    await db.apiKeys.revoke(id);
    return db.apiKeys.get(id);
  });
  if (key === null) throw new KeysCommandError(`no key with id ${id}`);
  process.stdout.write(`revoked key ${key.id} "${key.name}" (at ${key.revokedAt}); it is refused from its next request on\n`);
}
