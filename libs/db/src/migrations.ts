import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MigrationError } from './errors.ts';

export interface Migration {
  /** The folder name, `<nnnn>_<snake_name>`; the order of application is the order of names. */
  name: string;
  sql: string;
  /** Hex SHA-256 of the SQL with line endings normalised, so a checkout on Windows matches. */
  checksum: string;
}

/** prisma/migrations at the repository root. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));

const NAME = /^\d{4}_[a-z0-9_]+$/;

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** Every `<dir>/<nnnn>_<name>/migration.sql`, sorted by name. */
export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const migrations: Migration[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    if (!NAME.test(entry.name)) {
      throw new MigrationError('MIGRATION_NAME_INVALID', `migration folder "${entry.name}" is not <nnnn>_<snake_name>`);
    }
    const sql = await readFile(join(dir, entry.name, 'migration.sql'), 'utf8');
    migrations.push({ name: entry.name, sql, checksum: checksumOf(sql) });
  }
  migrations.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const numbers = migrations.map((migration) => migration.name.slice(0, 4));
  const duplicate = numbers.find((number, index) => numbers.indexOf(number) !== index);
  if (duplicate !== undefined) throw new MigrationError('MIGRATION_NAME_INVALID', `two migrations are numbered ${duplicate}`);
  return migrations;
}
