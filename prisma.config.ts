/**
 * Prisma CLI configuration (Prisma 7 reads it instead of datasource URLs in the schema).
 *
 * `DATABASE_URL` is only needed by commands that talk to a database (`migrate deploy`,
 * `migrate status`, `db pull`); `prisma generate` runs without it, which is what lets
 * `npm install` generate the client on a fresh clone with no database around.
 * The application never reads this file: the cold tier gets its URL through options and
 * applies `prisma/migrations` itself (see src/cold-tier/cold-tier.migrator.ts).
 */
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  ...(process.env.DATABASE_URL ? { datasource: { url: process.env.DATABASE_URL } } : {}),
});
