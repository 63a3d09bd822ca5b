import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { ResolvedTieredCheckpointOptions } from '../config/tiered-checkpoint.options.js';
import { TIERED_CHECKPOINT_RESOLVED_OPTIONS } from '../tiered-checkpoint.tokens.js';
import { HotTierStore, hotTierStoreOptions } from './hot-tier.store.js';

/** Closes the Redis client at shutdown, after the migration job released its lease (connecting is the tiering module's job). */
@Injectable()
class HotTierLifecycle implements OnApplicationShutdown {
  constructor(@Inject(HotTierStore) private readonly store: HotTierStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/** The Redis hot tier: provides the {@link HotTierStore} (connected at module init by the tiering module). */
@Module({})
export class HotTierModule {
  /** `optionsModule` must export {@link TIERED_CHECKPOINT_RESOLVED_OPTIONS}. */
  static register(optionsModule: DynamicModule): DynamicModule {
    return {
      module: HotTierModule,
      imports: [optionsModule],
      providers: [
        {
          provide: HotTierStore,
          inject: [TIERED_CHECKPOINT_RESOLVED_OPTIONS],
          useFactory: (options: ResolvedTieredCheckpointOptions) => new HotTierStore(hotTierStoreOptions(options)),
        },
        HotTierLifecycle,
      ],
      exports: [HotTierStore],
    };
  }
}
