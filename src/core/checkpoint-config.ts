import type { RunnableConfig } from '@langchain/core/runnables';
import { InvalidCheckpointConfigError } from '../errors/tiered-checkpoint.errors.js';

/**
 * Validation of the identifiers a caller passes in `config.configurable`. Ids are matched
 * exactly in both tiers (never as patterns), so `:` `*` `?` `[` and non-ASCII characters are
 * fine; only the two control characters our Redis layout uses as separators are refused.
 */

const SEPARATORS = /[\u0000\u0001]/;
const MAX_ID_LENGTH = 1024;

function checkId(field: string, value: unknown, op: string, { required, allowEmpty }: { required: boolean; allowEmpty: boolean }): string | undefined {
  if (value === undefined || value === null) {
    if (required) {
      throw new InvalidCheckpointConfigError(
        `${op}: config.configurable.${field} is required. Pass it when invoking the graph, e.g. ` +
          `graph.invoke(input, { configurable: { thread_id: "my-thread" } }).`,
      );
    }
    return undefined;
  }
  if (typeof value !== 'string') {
    const observed = Array.isArray(value) ? 'array' : typeof value;
    throw new InvalidCheckpointConfigError(`${op}: config.configurable.${field} must be a string, got ${observed}.`);
  }
  if (value === '' && !allowEmpty) {
    if (!required) return undefined;
    throw new InvalidCheckpointConfigError(`${op}: config.configurable.${field} must not be empty.`);
  }
  if (SEPARATORS.test(value)) {
    throw new InvalidCheckpointConfigError(`${op}: config.configurable.${field} must not contain the control characters U+0000 or U+0001.`);
  }
  if (value.length > MAX_ID_LENGTH) {
    throw new InvalidCheckpointConfigError(`${op}: config.configurable.${field} is ${value.length} characters long; the limit is ${MAX_ID_LENGTH}.`);
  }
  return value;
}

/** Thread, namespace and (optional) checkpoint id of a config that must name a thread. */
export interface ThreadAddress {
  threadId: string;
  checkpointNs: string;
  checkpointId?: string;
}

/** Reads the ids of a config that must carry a `thread_id`. */
export function readThreadAddress(config: RunnableConfig, op: string): ThreadAddress {
  const c = config?.configurable ?? {};
  const threadId = checkId('thread_id', c.thread_id, op, { required: true, allowEmpty: false })!;
  const checkpointNs = checkId('checkpoint_ns', c.checkpoint_ns, op, { required: false, allowEmpty: true }) ?? '';
  const checkpointId = checkId('checkpoint_id', c.checkpoint_id ?? c.thread_ts, op, { required: false, allowEmpty: false });
  return { threadId, checkpointNs, checkpointId };
}

/** Reads the optional filters of `list`: any of thread, namespace. */
export function readListAddress(config: RunnableConfig | undefined, op: string): { threadId?: string; checkpointNs?: string; checkpointId?: string } {
  const c = config?.configurable ?? {};
  return {
    threadId: checkId('thread_id', c.thread_id, op, { required: false, allowEmpty: false }),
    checkpointNs: checkId('checkpoint_ns', c.checkpoint_ns, op, { required: false, allowEmpty: true }),
    checkpointId: checkId('checkpoint_id', c.checkpoint_id, op, { required: false, allowEmpty: false }),
  };
}

/** Validates a single id argument (`deleteThread(threadId)`, a checkpoint's own `id`). */
export function requireId(field: string, value: unknown, op: string): string {
  return checkId(field, value, op, { required: true, allowEmpty: false })!;
}
