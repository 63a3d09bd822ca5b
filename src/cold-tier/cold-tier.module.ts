import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { ResolvedTieredCheckpointOptions } from '../config/tiered-checkpoint.options.js';
import { TIERED_CHECKPOINT_RESOLVED_OPTIONS } from '../tiered-checkpoint.tokens.js';
import { ColdTierStore } from './cold-tier.store.js';

/** Disconnects the Prisma client at shutdown (only if the store created it). */
@Injectable()
class ColdTierLifecycle implements OnApplicationShutdown {
  constructor(@Inject(ColdTierStore) private readonly store: ColdTierStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/** The PostgreSQL cold tier: provides the {@link ColdTierStore} (migrations applied at module init by the tiering module). */
@Module({})
export class ColdTierModule {
  /** `optionsModule` must export {@link TIERED_CHECKPOINT_RESOLVED_OPTIONS}. */
  static register(optionsModule: DynamicModule): DynamicModule {
    return {
      module: ColdTierModule,
      imports: [optionsModule],
      providers: [
        {
          provide: ColdTierStore,
          inject: [TIERED_CHECKPOINT_RESOLVED_OPTIONS],
          useFactory: (options: ResolvedTieredCheckpointOptions) => new ColdTierStore({ prisma: options.prisma, databaseUrl: options.databaseUrl, schema: options.schema, compression: options.coldCompression, searchIndexes: options.coldSearchIndexes }),
        },
        ColdTierLifecycle,
      ],
      exports: [ColdTierStore],
    };
  }
}
