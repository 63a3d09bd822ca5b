import { Inject, Injectable, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { ColdTierStore } from '../cold-tier/cold-tier.store.js';
import type { ResolvedTieredCheckpointOptions } from '../config/tiered-checkpoint.options.js';
import { HotTierStore } from '../hot-tier/hot-tier.store.js';
import { TIERED_CHECKPOINT_RESOLVED_OPTIONS } from '../tiered-checkpoint.tokens.js';
import { MigrationService } from './migration.job.js';
import { TieredCheckpointSaver } from './tiered-checkpoint.saver.js';

/**
 * Connects both stores before the app serves: Redis answers, PostgreSQL migrations applied.
 * If either fails, both are closed before the error propagates, so a failed boot leaves no
 * connection keeping the process alive.
 */
@Injectable()
class TieringLifecycle implements OnModuleInit {
  constructor(@Inject(TieredCheckpointSaver) private readonly saver: TieredCheckpointSaver) {}
  async onModuleInit(): Promise<void> {
    try {
      await this.saver.setup();
    } catch (error) {
      await Promise.allSettled([this.saver.hot.close(), this.saver.cold.close()]);
      throw error;
    }
  }
}

/** The saver over both tiers and the migration job. Needs the two tier modules' stores. */
@Module({})
export class TieringModule {
  static register(optionsModule: DynamicModule, tiers: DynamicModule[]): DynamicModule {
    return {
      module: TieringModule,
      imports: [optionsModule, ...tiers],
      providers: [
        {
          provide: TieredCheckpointSaver,
          inject: [HotTierStore, ColdTierStore, TIERED_CHECKPOINT_RESOLVED_OPTIONS],
          // The stores belong to their modules, which close them; the saver owns nothing.
          useFactory: (hot: HotTierStore, cold: ColdTierStore, options: ResolvedTieredCheckpointOptions) => new TieredCheckpointSaver(hot, cold, options),
        },
        MigrationService,
        TieringLifecycle,
      ],
      exports: [TieredCheckpointSaver, MigrationService],
    };
  }
}
