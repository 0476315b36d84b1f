import pg from 'pg';

/** The same server and credentials, another database name. */
export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function databaseNameOf(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Runs `work` on a connection to the server's maintenance database `postgres`. */
async function onMaintenance<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(databaseUrl, 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const DUPLICATE_DATABASE = '42P04';
/** Two concurrent CREATE DATABASE of one name: the loser hits pg_database's unique index. */
const UNIQUE_VIOLATION = '23505';
const OBJECT_IN_USE = '55006';

/** Creates the database the URL names if it does not exist; true if it created it. Safe to race. */
export async function ensureDatabase(databaseUrl: string, options: { template?: string } = {}): Promise<boolean> {
  const name = databaseNameOf(databaseUrl);
  return onMaintenance(databaseUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    const template = options.template === undefined ? '' : ` TEMPLATE ${quoteIdentifier(options.template)}`;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await client.query(`CREATE DATABASE ${quoteIdentifier(name)}${template}`);
        return true;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === DUPLICATE_DATABASE || code === UNIQUE_VIOLATION) return false;
        // Cloning needs the template free of sessions; another clone may be starting right now.
        if (code === OBJECT_IN_USE && attempt < 20) {
          await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
          continue;
        }
        throw error;
      }
    }
  });
}

/** Drops the database, closing its sessions first (Postgres 13+). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const name = databaseNameOf(databaseUrl);
  await onMaintenance(databaseUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`));
}

/** Names of the databases on the server that start with `prefix`. */
export async function listDatabases(databaseUrl: string, prefix: string): Promise<string[]> {
  return onMaintenance(databaseUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname", [prefix]);
    return rows.map((row) => row.datname);
  });
}
