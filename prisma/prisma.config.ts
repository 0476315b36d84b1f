/**
 * Prisma CLI configuration for this repository: the JS/wasm engines only, so that `prisma generate`
 * and `prisma migrate diff` work offline (no Rust engine download). Migrations are applied by
 * libs/db/src/migrate.ts, not `prisma migrate deploy` (see libs/db/README.md).
 * Use: `npx prisma <command> --config prisma/prisma.config.ts`.
 */
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/divblur';
// schema.prisma says `url = env("DATABASE_URL")` (Prisma 6 requires a url); without the variable
// the CLI cannot read the schema, assumes the Rust query engine and tries to download it.
process.env.DATABASE_URL ??= DEFAULT_DATABASE_URL;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  // Only reached by commands that connect; generate and `migrate diff --from-empty` do not.
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL }),
  schema: 'schema.prisma',
  migrations: { path: 'migrations' },
});
