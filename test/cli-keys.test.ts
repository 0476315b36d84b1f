/**
 * `divblur keys` (issue 15) on a database of its own: create prints the key once (stdout) and stores only its hash;
 * the key then passes the services' verifier with its scopes and project; list shows the public part, never the
 * secret; revoke makes the verifier refuse it; unknown scopes end with exit code 2 and name the allowed ones.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { openDatabase, type Database } from '@divblur/db';
import { createTestDatabase, type TestDatabase } from '@divblur/db/testing';
import { createKeyVerifier } from '@divblur/http';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'apps/cli/src/main.ts', 'keys'];
let database: TestDatabase;
let db: Database;
const divblur = (...args: string[]) => run(process.execPath, [...CLI, ...args], { env: { ...process.env, DATABASE_URL: database.url } });

before(async () => {
  database = await createTestDatabase();
  db = openDatabase({ databaseUrl: database.url });
});
after(async () => {
  await db?.close();
  await database?.drop();
});

test('create prints the key once; it works with its scopes and project; list hides the secret; revoke ends it', async () => {
  const created = await divblur('create', '--name', 'lims', '--scopes', 'read,write', '--project', 'scope-2');
  const key = created.stdout.trim();
  assert.match(key, /^dbk_[0-9a-f]{16}_[0-9a-f]{64}$/);
  assert.match(created.stderr, /created key .* "lims" \(read, write; project scope-2\).*shown once/);
  const verifier = createKeyVerifier(db.apiKeys);
  const principal = await verifier.verify(key);
  assert.deepEqual([principal?.name, principal?.scopes, principal?.projectId], ['lims', ['read', 'write'], (await db.projects.byName('scope-2'))!.id]);
  assert.equal(await verifier.verify(`${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`), null, 'one wrong character');

  const listed = (await divblur('list')).stdout;
  assert.match(listed, new RegExp(`dbk_${key.slice(4, 20)}_…`));
  assert.ok(!listed.includes(key.slice(21)), 'no secret in the list');
  assert.match(listed, /lims\s+dbk_\S+\s+read,write\s+scope-2/);

  const id = principal!.keyId;
  assert.match((await divblur('revoke', id)).stdout, new RegExp(`revoked key ${id}`));
  assert.equal(await verifier.verify(key), null);
  assert.ok(!(await divblur('list')).stdout.includes(id));
  assert.ok((await divblur('list', '--all')).stdout.includes(id));
});

test('unknown scopes and an unknown key id end with exit code 2 and say why', async () => {
  await assert.rejects(divblur('create', '--name', 'x', '--scopes', 'read,root'), (error: { code?: number; stderr?: string }) =>
    error.code === 2 && /--scopes: expected a comma-separated list of read, write, admin \(not root\)/.test(error.stderr ?? ''));
  await assert.rejects(divblur('revoke', '00000000-0000-4000-8000-000000000000'), (error: { code?: number; stderr?: string }) =>
    error.code === 2 && /no key with id/.test(error.stderr ?? ''));
});
