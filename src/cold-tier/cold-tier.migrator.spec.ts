import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findMigrationsDir, loadMigrations, migrationChecksum } from './cold-tier.migrator.js';

describe('cold tier migration files', () => {
  it('finds the package prisma/migrations from src and from a dist layout', () => {
    const dir = findMigrationsDir();
    expect(dir.endsWith(join('prisma', 'migrations'))).toBe(true);
    const root = mkdtempSync(join(tmpdir(), 'mig-'));
    mkdirSync(join(root, 'prisma', 'migrations'), { recursive: true });
    writeFileSync(join(root, 'package.json'), '{}');
    mkdirSync(join(root, 'dist', 'src', 'cold-tier'), { recursive: true });
    expect(findMigrationsDir(join(root, 'dist', 'src', 'cold-tier'))).toBe(join(root, 'prisma', 'migrations'));
  });

  it('does not walk out of node_modules into the host app', () => {
    const app = mkdtempSync(join(tmpdir(), 'app-'));
    mkdirSync(join(app, 'prisma', 'migrations'), { recursive: true });
    writeFileSync(join(app, 'package.json'), '{}');
    const pkg = join(app, 'node_modules', 'tiered-checkpointer');
    mkdirSync(join(pkg, 'dist', 'cold-tier'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), '{}');
    expect(() => findMigrationsDir(join(pkg, 'dist', 'cold-tier'))).toThrow(/migrationsDir/);
  });

  it('loads migrations sorted by name with Prisma checksums (sha256 of the file bytes)', async () => {
    const migrations = await loadMigrations(findMigrationsDir());
    expect(migrations.map((m) => m.name)).toEqual([...migrations.map((m) => m.name)].sort());
    expect(migrations[0]!.name).toMatch(/^\d{14}_init$/);
    for (const m of migrations) {
      const file = readFileSync(join(findMigrationsDir(), m.name, 'migration.sql'));
      expect(m.checksum).toBe(createHash('sha256').update(file).digest('hex'));
      expect(m.checksum).toMatch(/^[0-9a-f]{64}$/);
      // Migration files must not name a schema: the migrator scopes them with search_path.
      expect(m.sql).not.toMatch(/"[A-Za-z_]+"\s*\.\s*"/);
    }
    expect(migrationChecksum('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('rejects a migration directory without migration.sql', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mig-'));
    mkdirSync(join(dir, '20200101000000_broken'));
    await expect(loadMigrations(dir)).rejects.toThrow(/no readable migration.sql/);
  });
});
