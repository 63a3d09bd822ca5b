import { createHash, randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PrismaLikeClient } from '../config/tiered-checkpoint.options.js';
import { StoreCorruptedError } from '../errors/tiered-checkpoint.errors.js';
import { migrationLockKey, prismaMigrationsSql, quoteSchema } from './cold-tier.sql.js';

/** One Prisma Migrate migration directory. */
export interface MigrationFile {
  /** Directory name, e.g. `20261203000000_init` (what Prisma records as `migration_name`). */
  name: string;
  /** sha256 of `migration.sql`, lowercase hex: what Prisma records as `checksum`. */
  checksum: string;
  sql: string;
}

/** What one {@link ColdTierMigrator.migrate} run did. */
export interface MigrationReport {
  /** Migrations this run applied, in order. */
  applied: string[];
  /** Migrations found already applied. */
  alreadyApplied: string[];
  /**
   * Applied migrations whose file no longer matches the recorded checksum. Not an error (Prisma
   * only warns, and the file may have been re-saved with other line endings), but worth a look.
   */
  checksumMismatches: string[];
}

/** Options of {@link ColdTierMigrator}. */
export interface ColdTierMigratorOptions {
  /** Directory holding `<name>/migration.sql`. Default: found by {@link findMigrationsDir}. */
  migrationsDir?: string;
  /** Upper bound of the whole migration transaction, lock wait included. Default 10 minutes. */
  timeoutMs?: number;
  /** How long to wait for a pooled connection to start the transaction. Default 60 s. */
  maxWaitMs?: number;
  /**
   * Idempotent statements run after the migrations, in the same transaction and under the same
   * lock (e.g. the opt-in search indexes): configuration-dependent DDL that no migration file
   * can carry, since every deployment applies the same files.
   */
  afterMigrations?: readonly string[];
}

const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
const DEFAULT_MAX_WAIT_MS = 60 * 1000;

/**
 * Finds this package's `prisma/migrations`, walking up from `fromDir` (default: this module's
 * directory). Works from `src/cold-tier`, from `dist/cold-tier` and `dist/src/cold-tier`, and
 * from `node_modules/<pkg>/dist/...` when the package ships `prisma/`.
 *
 * It takes the first directory that has both a `package.json` and `prisma/migrations`, and never
 * walks out of a `node_modules` directory: otherwise an installed copy that does not ship its
 * migrations would silently pick up the host application's own `prisma/migrations`.
 *
 * @throws Error naming where it looked, when nothing is found.
 */
export function findMigrationsDir(fromDir: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(fromDir);
  for (;;) {
    const candidate = join(dir, 'prisma', 'migrations');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate) && statSync(candidate).isDirectory()) {
      return candidate;
    }
    const parent = dirname(dir);
    const leavingNodeModules = dir.split(sep).pop() === 'node_modules';
    if (parent === dir || leavingNodeModules) {
      throw new Error(
        `Cannot find the cold tier's prisma/migrations above ${fromDir}. ` +
          'Ship the prisma/ folder with the package, or pass migrationsDir.',
      );
    }
    dir = parent;
  }
}

/** sha256 hex of a migration script's bytes, as Prisma Migrate computes `checksum`. */
export function migrationChecksum(script: Buffer | string): string {
  return createHash('sha256').update(script).digest('hex');
}

/**
 * Reads every `<dir>/<name>/migration.sql`, sorted by name (Prisma's order). Directories
 * without a `migration.sql` are an error, as they are for Prisma.
 */
export async function loadMigrations(dir: string): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    names.map(async (name) => {
      const file = join(dir, name, 'migration.sql');
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (cause) {
        throw new Error(`Migration directory ${join(dir, name)} has no readable migration.sql`, { cause });
      }
      return { name, checksum: migrationChecksum(bytes), sql: bytes.toString('utf8') };
    }),
  );
}

interface AppliedRow {
  id: string;
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies the cold tier's Prisma Migrate migrations to one schema, without the Prisma CLI or a
 * native engine, and records them in that schema's `_prisma_migrations` exactly as Prisma
 * Migrate does, so `prisma migrate deploy|status` elsewhere agree on what is applied.
 *
 * Everything happens in one transaction:
 * 1. `pg_advisory_xact_lock(<key of the schema>)` — concurrent `setup()`s (any number of
 *    processes) queue here; the later ones then find everything applied. The lock is
 *    transaction-scoped, so it cannot leak onto a pooled connection.
 * 2. `CREATE SCHEMA IF NOT EXISTS`, `SET LOCAL search_path` to it (the SQL files name no schema),
 *    `CREATE TABLE IF NOT EXISTS _prisma_migrations`.
 * 3. For each migration not yet applied: record it started, run it, mark it finished.
 * 4. The `afterMigrations` statements, if any.
 *
 * DDL is transactional in PostgreSQL, so a failing migration leaves neither half-applied tables
 * nor a "failed" record behind (Prisma Migrate would leave one, which blocks later deploys).
 */
export class ColdTierMigrator {
  private readonly migrationsDir: string;
  private readonly timeoutMs: number;
  private readonly maxWaitMs: number;
  private readonly afterMigrations: readonly string[];

  /**
   * @param prisma client to run on (not closed by the migrator).
   * @param schema target schema; must be a plain identifier (it is quoted everywhere).
   */
  constructor(
    private readonly prisma: PrismaLikeClient,
    readonly schema: string,
    options: ColdTierMigratorOptions = {},
  ) {
    quoteSchema(schema);
    this.migrationsDir = options.migrationsDir ?? findMigrationsDir();
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.afterMigrations = options.afterMigrations ?? [];
  }

  /** Applies pending migrations. Idempotent and safe to call from many processes at once. */
  async migrate(): Promise<MigrationReport> {
    const migrations = await loadMigrations(this.migrationsDir);
    const sql = prismaMigrationsSql(this.schema);
    const report: MigrationReport = { applied: [], alreadyApplied: [], checksumMismatches: [] };

    await this.prisma.$transaction(
      async (tx: PrismaLikeClient) => {
        await tx.$queryRawUnsafe(sql.lock, migrationLockKey(this.schema));
        await tx.$executeRawUnsafe(sql.createSchema);
        await tx.$executeRawUnsafe(sql.setSearchPath);
        await tx.$executeRawUnsafe(sql.createTable);
        const rows = await tx.$queryRawUnsafe<AppliedRow[]>(sql.selectApplied);

        for (const migration of migrations) {
          const records = rows.filter((r) => r.migration_name === migration.name && r.rolled_back_at === null);
          const finished = records.find((r) => r.finished_at !== null);
          if (finished) {
            report.alreadyApplied.push(migration.name);
            if (finished.checksum !== migration.checksum) report.checksumMismatches.push(migration.name);
            continue;
          }
          if (records.length > 0) {
            throw new StoreCorruptedError(
              `Migration ${migration.name} is recorded as started but not finished in ` +
                `${quoteSchema(this.schema)}._prisma_migrations (a failed \`prisma migrate deploy\`?). ` +
                `Repair the schema, then run \`prisma migrate resolve --rolled-back ${migration.name}\` ` +
                '(or `--applied` if it did complete) and call setup() again.',
            );
          }
          const id = randomUUID();
          await tx.$executeRawUnsafe(sql.insertStarted, id, migration.checksum, migration.name);
          // Multi-statement script without parameters: sent as one simple query.
          await tx.$executeRawUnsafe(migration.sql);
          await tx.$executeRawUnsafe(sql.markFinished, id);
          report.applied.push(migration.name);
        }
        for (const statement of this.afterMigrations) await tx.$executeRawUnsafe(statement);
      },
      // READ COMMITTED whatever the server default: the ledger read after the lock must see what
      // a setup() that held the lock before us committed.
      { timeout: this.timeoutMs, maxWait: this.maxWaitMs, isolationLevel: 'ReadCommitted' },
    );
    return report;
  }
}
