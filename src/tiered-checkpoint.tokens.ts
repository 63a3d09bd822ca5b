/** DI token of the validated options (`ResolvedTieredCheckpointOptions`) every sub-module reads. */
export const TIERED_CHECKPOINT_RESOLVED_OPTIONS = Symbol('TIERED_CHECKPOINT_RESOLVED_OPTIONS');
