import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TieredCheckpointOptions } from './config/tiered-checkpoint.options.js';

/** Extras of `forRoot`/`forRootAsync`. */
export interface TieredCheckpointModuleExtras {
  /** Register the module globally so every module can inject the saver. Default `false`. */
  isGlobal?: boolean;
}

export const {
  ConfigurableModuleClass: TieredCheckpointConfigurableModule,
  MODULE_OPTIONS_TOKEN: TIERED_CHECKPOINT_OPTIONS,
  OPTIONS_TYPE: TIERED_CHECKPOINT_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TIERED_CHECKPOINT_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TieredCheckpointOptions>({ moduleName: 'TieredCheckpoint' })
  .setClassMethodName('forRoot')
  .setExtras<TieredCheckpointModuleExtras>({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
