import { Module, type DynamicModule } from '@nestjs/common';
import { ColdTierStore } from '../cold-tier/cold-tier.store.js';
import type { ResolvedTieredCheckpointOptions } from '../config/tiered-checkpoint.options.js';
import { HotTierStore } from '../hot-tier/hot-tier.store.js';
import { TIERED_CHECKPOINT_RESOLVED_OPTIONS } from '../tiered-checkpoint.tokens.js';
import { MigrationService } from './migration.job.js';
import { TieredCheckpointSaver } from './tiered-checkpoint.saver.js';

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
      ],
      exports: [TieredCheckpointSaver, MigrationService],
    };
  }
}
