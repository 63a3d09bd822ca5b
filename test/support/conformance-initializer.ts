import type { RunnableConfig } from '@langchain/core/runnables';
import type { ChannelVersions, Checkpoint, CheckpointMetadata, PendingWrite } from '@langchain/langgraph-checkpoint';
import type { CheckpointSaverTestInitializer } from '@langchain/langgraph-checkpoint-validation';
import { TieredCheckpointSaver } from '../../src/tiering/tiered-checkpoint.saver.js';
import { TestStores } from './test-stores.js';
import { seededRandom } from '../../src/core/seeded-random.js';

/** Where the conformance suite's data lives while it reads it back. */
export type Placement = 'hot' | 'cold' | 'mixed';

export { seededRandom };

const FAR_FUTURE = () => Date.now() + 365 * 24 * 3600 * 1000;

/**
 * A saver that migrates after writes: always ('cold': everything in PostgreSQL right after each
 * write) or on a seeded coin flip ('mixed': a random split between the tiers).
 */
function migratingSaver(decide: () => boolean) {
  return class MigratingSaver extends TieredCheckpointSaver {
    override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
      const next = await super.put(config, checkpoint, metadata, newVersions);
      if (decide()) await this.migrate({ now: FAR_FUTURE() });
      return next;
    }
    override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
      await super.putWrites(config, writes, taskId, taskPath);
      if (decide()) await this.migrate({ now: FAR_FUTURE() });
    }
  };
}

export function conformanceInitializer(placement: Placement, seed = 20261203): CheckpointSaverTestInitializer<TieredCheckpointSaver> {
  let stores: TestStores;
  const random = seededRandom(seed);
  return {
    // Our own name: the suite skips some cases for a few named savers, never for this one.
    checkpointerName: `TieredCheckpointSaver (${placement}${placement === 'mixed' ? `, seed ${seed}` : ''})`,
    beforeAllTimeout: 60_000,
    async beforeAll() {
      stores = await TestStores.create(`conf_${placement}`);
    },
    async afterAll() {
      await stores.cleanup();
    },
    async createCheckpointer() {
      if (placement === 'hot') return stores.freshSaver();
      const Saver = migratingSaver(placement === 'cold' ? () => true : () => random() < 0.5);
      return stores.freshSaver({}, Saver);
    },
  };
}
