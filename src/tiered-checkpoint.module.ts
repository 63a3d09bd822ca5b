import { Inject, Module, type DynamicModule } from '@nestjs/common';
import { ColdTierModule } from './cold-tier/cold-tier.module.js';
import { ColdTierStore } from './cold-tier/cold-tier.store.js';
import { resolveOptions, type TieredCheckpointOptions } from './config/tiered-checkpoint.options.js';
import { HotTierModule } from './hot-tier/hot-tier.module.js';
import { HotTierStore } from './hot-tier/hot-tier.store.js';
import {
  TIERED_CHECKPOINT_ASYNC_OPTIONS_TYPE,
  TIERED_CHECKPOINT_OPTIONS,
  TIERED_CHECKPOINT_OPTIONS_TYPE,
  TieredCheckpointConfigurableModule,
} from './tiered-checkpoint.module-definition.js';
import { TIERED_CHECKPOINT_RESOLVED_OPTIONS } from './tiered-checkpoint.tokens.js';
import { MigrationService } from './tiering/migration.job.js';
import { TieredCheckpointSaver } from './tiering/tiered-checkpoint.saver.js';
import { TieringModule } from './tiering/tiering.module.js';

/** Holds the options providers so the three tier modules can import them. */
@Module({})
class TieredCheckpointOptionsHostModule {}

/**
 * The module apps import: `TieredCheckpointModule.forRoot(options)` or `forRootAsync(...)`.
 * Composes {@link HotTierModule}, {@link ColdTierModule} and {@link TieringModule} and exports
 * the saver (ready for `graph.compile({ checkpointer })`), both stores and the migration job.
 * Options are validated once at boot; every problem is listed in one error.
 */
@Module({})
export class TieredCheckpointModule extends TieredCheckpointConfigurableModule {
  static override forRoot(options: typeof TIERED_CHECKPOINT_OPTIONS_TYPE): DynamicModule {
    return TieredCheckpointModule.compose(super.forRoot(options));
  }

  static override forRootAsync(options: typeof TIERED_CHECKPOINT_ASYNC_OPTIONS_TYPE): DynamicModule {
    return TieredCheckpointModule.compose(super.forRootAsync(options));
  }

  private static compose(base: DynamicModule): DynamicModule {
    const optionsHost: DynamicModule = {
      module: TieredCheckpointOptionsHostModule,
      imports: base.imports ?? [],
      providers: [
        ...(base.providers ?? []),
        {
          provide: TIERED_CHECKPOINT_RESOLVED_OPTIONS,
          inject: [TIERED_CHECKPOINT_OPTIONS],
          useFactory: (options: TieredCheckpointOptions) => resolveOptions(options),
        },
      ],
      exports: [TIERED_CHECKPOINT_RESOLVED_OPTIONS],
    };
    const tiers = [HotTierModule.register(optionsHost), ColdTierModule.register(optionsHost)];
    const tiering = TieringModule.register(optionsHost, tiers);
    return {
      module: TieredCheckpointModule,
      global: base.global,
      imports: [optionsHost, ...tiers, tiering],
      exports: [optionsHost, ...tiers, tiering],
    };
  }
}

/** Parameter decorator injecting the {@link TieredCheckpointSaver}. */
export const InjectCheckpointer = (): ParameterDecorator => Inject(TieredCheckpointSaver);

export { HotTierStore, ColdTierStore, MigrationService };
