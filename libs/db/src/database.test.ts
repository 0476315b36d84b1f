import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { openDatabase } from './database.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

let database: TestDatabase;
before(async () => { database = await createTestDatabase(); });
after(async () => database?.drop());

/** A port with nothing listening: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('ping fails with the driver\'s own error when Postgres is down (what /readyz shows), and close() still returns', async () => {
  const port = await closedPort();
  const down = openDatabase({ databaseUrl: `postgresql://postgres@127.0.0.1:${port}/divblur` });
  await assert.rejects(down.ping(), (error: Error) => error.message === `connect ECONNREFUSED 127.0.0.1:${port}`);
  // A repository query fails too (Prisma's error), and nothing is left open.
  await assert.rejects(down.datasets.list(1));
  await down.close();
});

test('ping answers on a live database; a process that only pinged closes its pool', async () => {
  const live = openDatabase({ databaseUrl: database.url }, { maxConnections: 1 });
  await live.ping();
  await live.close();
  const used = openDatabase({ databaseUrl: database.url }, { maxConnections: 1 });
  assert.deepEqual(await used.datasets.list(5), []);
  await used.ping();
  await used.close();
});
