import { Injectable, Module } from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ColdTierStore, HotTierStore, InjectCheckpointer, MigrationService, TieredCheckpointModule } from '../../src/tiered-checkpoint.module.js';
import { MIGRATION_JOB_NAME } from '../../src/tiering/migration.job.js';
import { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { DATABASE_URL, REDIS_URL, dropRedisPrefixes, uniqueName } from '../support/test-stores.js';

@Injectable()
class AgentService {
  constructor(@InjectCheckpointer() readonly saver: TieredCheckpointSaver) {}
}

describe('TieredCheckpointModule', () => {
  const schema = uniqueName('t_nest').toLowerCase();
  const keyPrefix = uniqueName('tcnest');

  afterAll(async () => {
    await dropRedisPrefixes(keyPrefix);
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('wires the tiers by DI, injects a working saver, schedules the job and closes only what it opened', async () => {
    const ownRedis = new Redis(REDIS_URL);
    @Module({
      imports: [
        ScheduleModule.forRoot(),
        TieredCheckpointModule.forRootAsync({
          useFactory: () => ({ redis: ownRedis, databaseUrl: DATABASE_URL, schema, keyPrefix, migrationCron: '*/5 * * * *' }),
        }),
      ],
      providers: [AgentService],
    })
    class ConsumerModule {}

    const moduleRef = await Test.createTestingModule({ imports: [ConsumerModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();

    const { saver } = app.get(AgentService);
    expect(saver).toBe(app.get(TieredCheckpointSaver));
    expect(saver.hot).toBe(app.get(HotTierStore));
    expect(saver.cold).toBe(app.get(ColdTierStore));
    const cp = { ...emptyCheckpoint(), id: uuid6(-3), channel_values: { n: 1 }, channel_versions: { n: saver.getNextVersion(undefined) } };
    const config = await saver.put({ configurable: { thread_id: 'nest' } }, cp, { source: 'input', step: -1, parents: {} }, cp.channel_versions);
    expect((await saver.getTuple(config))?.checkpoint.channel_values).toEqual({ n: 1 });

    const job = app.get(SchedulerRegistry).getCronJob(MIGRATION_JOB_NAME);
    expect(String(job.cronTime.source)).toBe('*/5 * * * *');
    const report = await app.get(MigrationService).runNow();
    expect(report.leaseAcquired).toBe(true);

    await saver.deleteThread('nest');
    await app.close();
    // The app's own client stays open: the module never closes what it was given.
    expect(await ownRedis.ping()).toBe('PONG');
    await ownRedis.quit();
  });

  it('takes options from a class (useClass / useExisting) and can be global', async () => {
    @Injectable()
    class CheckpointerConfig {
      create() {
        return { redisUrl: REDIS_URL, databaseUrl: DATABASE_URL, schema, keyPrefix, migrationEnabled: false };
      }
    }
    @Module({ imports: [TieredCheckpointModule.forRootAsync({ useClass: CheckpointerConfig, isGlobal: true })] })
    class CheckpointerModule {}
    // A feature module that does not import the checkpointer module: global makes it visible.
    @Module({ providers: [AgentService], exports: [AgentService] })
    class FeatureModule {}

    const moduleRef = await Test.createTestingModule({ imports: [CheckpointerModule, FeatureModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    expect(app.get(AgentService).saver.options).toMatchObject({ keyPrefix, schema, migrationEnabled: false });
    await app.close();

    @Module({ providers: [CheckpointerConfig], exports: [CheckpointerConfig] })
    class ConfigHostModule {}
    const existing = await Test.createTestingModule({
      imports: [TieredCheckpointModule.forRootAsync({ imports: [ConfigHostModule], useExisting: CheckpointerConfig })],
    }).compile();
    const app2 = existing.createNestApplication({ logger: false });
    await app2.init();
    expect(app2.get(TieredCheckpointSaver).options.keyPrefix).toBe(keyPrefix);
    await app2.close();
  });

  it('refuses invalid options at boot, listing every problem', async () => {
    const boot = Test.createTestingModule({
      imports: [TieredCheckpointModule.forRoot({ redisUrl: 'ftp://x', databaseUrl: DATABASE_URL, hotWindowMs: -1 })],
    }).compile();
    await expect(boot).rejects.toThrow(/redisUrl must use redis: or rediss:[\s\S]*hotWindowMs must be an integer >= 0/);
  });
});
