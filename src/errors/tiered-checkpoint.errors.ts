/**
 * Every error the library throws is a {@link TieredCheckpointError} with a stable `code`,
 * so callers (and the standalone service, which maps codes to HTTP statuses) can branch
 * on the kind of failure without parsing messages.
 */
export type TieredCheckpointErrorCode =
  | 'INVALID_OPTIONS'
  | 'INVALID_CHECKPOINT_CONFIG'
  | 'INVALID_CHECKPOINT'
  | 'INVALID_WRITES'
  | 'PAYLOAD_TOO_LARGE'
  | 'STORE_UNAVAILABLE'
  | 'LEASE_LOST'
  | 'STORE_CORRUPTED'
  | 'THREAD_EXPIRED';

/** Base class of every error this library throws. */
export class TieredCheckpointError extends Error {
  constructor(
    readonly code: TieredCheckpointErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Options or environment configuration are invalid; `problems` lists every one found. */
export class InvalidOptionsError extends TieredCheckpointError {
  constructor(readonly problems: string[]) {
    super(
      'INVALID_OPTIONS',
      `Invalid tiered checkpointer configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
  }
}

/** A `RunnableConfig` passed to the saver lacks a field or carries one of the wrong type. */
export class InvalidCheckpointConfigError extends TieredCheckpointError {
  constructor(message: string) {
    super('INVALID_CHECKPOINT_CONFIG', message);
  }
}

/** `put` was given a checkpoint or metadata that PostgreSQL could not store (so it could never migrate). */
export class InvalidCheckpointError extends TieredCheckpointError {
  constructor(message: string) {
    super('INVALID_CHECKPOINT', message);
  }
}

/** `putWrites` was called with writes that cannot be stored (empty list, bad channel, ...). */
export class InvalidWritesError extends TieredCheckpointError {
  constructor(message: string) {
    super('INVALID_WRITES', message);
  }
}

/** A serialized checkpoint or write is larger than the configured `maxPayloadBytes`. */
export class PayloadTooLargeError extends TieredCheckpointError {
  constructor(
    readonly what: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      'PAYLOAD_TOO_LARGE',
      `${what} is ${bytes} bytes, over the configured limit of ${limit} bytes (maxPayloadBytes). ` +
        'Store large artefacts outside the graph state, or raise the limit.',
    );
  }
}

/** Redis or PostgreSQL could not be reached or answered with an error. */
export class StoreUnavailableError extends TieredCheckpointError {
  constructor(
    readonly store: 'redis' | 'postgres',
    message: string,
    options?: { cause?: unknown },
  ) {
    super('STORE_UNAVAILABLE', `${store === 'redis' ? 'Redis (hot tier)' : 'PostgreSQL (cold tier)'}: ${message}`, options);
  }
}

/** A migrator lost its lease (it expired or another replica took it) in the middle of a run. */
export class LeaseLostError extends TieredCheckpointError {
  constructor(message: string) {
    super('LEASE_LOST', message);
  }
}

/** Data read back from a store does not have the shape this library wrote. */
export class StoreCorruptedError extends TieredCheckpointError {
  constructor(message: string) {
    super('STORE_CORRUPTED', message);
  }
}

/** A write to a thread that its TTL deleted (the tombstone is still there). */
export class ThreadExpiredError extends TieredCheckpointError {
  constructor(readonly threadId: string) {
    super('THREAD_EXPIRED', `thread "${threadId}" was deleted after being idle longer than its TTL (threadTtlMs); start a new thread instead of writing to it.`);
  }
}
