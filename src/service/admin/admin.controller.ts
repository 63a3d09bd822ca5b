import { BadRequestException, ConflictException, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { LiveCostService } from './live-cost.service.js';
import { HotTierStore } from '../../hot-tier/hot-tier.store.js';
import { MigrationService } from '../../tiering/migration.job.js';
import { TieredCheckpointSaver } from '../../tiering/tiered-checkpoint.saver.js';
import { AdminTokenGuard } from './admin-token.guard.js';

/**
 * The operators' API behind the gateway: tier statistics, migration status and "run now",
 * thread inspection and deletion. Every route needs the admin bearer token.
 */
@Controller('admin')
@UseGuards(AdminTokenGuard)
export class AdminController {
  constructor(
    @Inject(TieredCheckpointSaver) private readonly saver: TieredCheckpointSaver,
    @Inject(MigrationService) private readonly migration: MigrationService,
    @Inject(HotTierStore) private readonly hot: HotTierStore,
    @Inject(LiveCostService) private readonly cost: LiveCostService,
  ) {}

  /** The cost model over live figures (Redis memory, PostgreSQL sizes, observed write rate). */
  @Get('cost')
  async liveCost(@Query('scenario') scenario = 'card-consistent') {
    if (!this.cost.hasScenario(scenario)) throw new BadRequestException(`unknown cost scenario "${scenario}" (see cost/scenarios/)`);
    return this.cost.estimate(scenario);
  }

  /** Where the data is: hot backlog, cold row counts and sizes, Redis settings and data loss. */
  @Get('stats')
  async stats() {
    const [tiers, redis, dataLoss] = await Promise.all([this.saver.stats(), this.hot.inspectServer().catch(() => undefined), this.hot.checkDataLoss()]);
    return { ...tiers, redis: redis ?? null, dataLoss };
  }

  @Get('migration')
  status() {
    return this.migration.getStatus();
  }

  /** Runs a migration now; 409 when another replica holds the lease. */
  @Post('migration/run')
  async runNow() {
    const report = await this.migration.runNow();
    if (!report.leaseAcquired) throw new ConflictException('another replica is migrating (it holds the lease); try again later');
    return report;
  }

  @Get('threads/:threadId')
  inspect(@Param('threadId') threadId: string) {
    return this.saver.inspectThread(threadId);
  }

  @Delete('threads/:threadId')
  @HttpCode(204)
  async delete(@Param('threadId') threadId: string): Promise<void> {
    await this.saver.deleteThread(threadId);
  }
}
