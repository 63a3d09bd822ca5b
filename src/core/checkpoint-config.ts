import type { RunnableConfig } from '@langchain/core/runnables';
import { InvalidCheckpointConfigError } from '../errors/tiered-checkpoint.errors.js';
import { textProblem } from './storable-text.js';

/**
 * Validation of the identifiers a caller passes in `config.configurable`. Ids are matched
 * exactly in both tiers (never as patterns), so `:` `*` `?` `[` and non-ASCII characters are
 * fine; refused are the two control characters our Redis layout uses as separators and text
 * that is not valid Unicode (lone surrogates).
 */

const SEPARATORS = /[\u0000\u0001]/;
const MAX_ID_LENGTH = 1024;

/**
 * `name` is how the caller knows the value: `config.configurable.thread_id` for config fields,
 * the parameter name (`threadId`, `checkpoint.id`) for plain arguments.
 */
function checkId(name: string, value: unknown, op: string, { required, allowEmpty }: { required: boolean; allowEmpty: boolean }): string | undefined {
  const inConfig = name.startsWith('config.');
  if (value === undefined || value === null) {
    if (required) {
      throw new InvalidCheckpointConfigError(
        inConfig
          ? `${op}: ${name} is required. Pass it when invoking the graph, e.g. graph.invoke(input, { configurable: { thread_id: "my-thread" } }).`
          : `${op}: ${name} is required.`,
      );
    }
    return undefined;
  }
  if (typeof value !== 'string') {
    const observed = Array.isArray(value) ? 'array' : typeof value;
    throw new InvalidCheckpointConfigError(`${op}: ${name} must be a string, got ${observed}.`);
  }
  if (value === '' && !allowEmpty) {
    if (!required) return undefined;
    throw new InvalidCheckpointConfigError(`${op}: ${name} must not be empty.`);
  }
  if (SEPARATORS.test(value)) {
    throw new InvalidCheckpointConfigError(`${op}: ${name} must not contain the control characters U+0000 or U+0001.`);
  }
  const problem = textProblem(value);
  // (U+0000 was refused above.) Two ids that differ only in lone surrogates would otherwise
  // share keys and rows: neither tier can keep them apart.
  if (problem) throw new InvalidCheckpointConfigError(`${op}: ${name} ${problem}.`);
  if (value.length > MAX_ID_LENGTH) {
    throw new InvalidCheckpointConfigError(`${op}: ${name} is ${value.length} characters long; the limit is ${MAX_ID_LENGTH}.`);
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
  const threadId = checkId('config.configurable.thread_id', c.thread_id, op, { required: true, allowEmpty: false })!;
  const checkpointNs = checkId('config.configurable.checkpoint_ns', c.checkpoint_ns, op, { required: false, allowEmpty: true }) ?? '';
  const checkpointId = checkId('config.configurable.checkpoint_id', c.checkpoint_id ?? c.thread_ts, op, { required: false, allowEmpty: false });
  return { threadId, checkpointNs, checkpointId };
}

/** Reads the optional filters of `list`: any of thread, namespace. */
export function readListAddress(config: RunnableConfig | undefined, op: string): { threadId?: string; checkpointNs?: string; checkpointId?: string } {
  const c = config?.configurable ?? {};
  return {
    threadId: checkId('config.configurable.thread_id', c.thread_id, op, { required: false, allowEmpty: false }),
    checkpointNs: checkId('config.configurable.checkpoint_ns', c.checkpoint_ns, op, { required: false, allowEmpty: true }),
    checkpointId: checkId('config.configurable.checkpoint_id', c.checkpoint_id, op, { required: false, allowEmpty: false }),
  };
}

/** Validates a single id argument (`deleteThread(threadId)`, a checkpoint's own `id`), named as the caller passes it. */
export function requireId(name: string, value: unknown, op: string): string {
  return checkId(name, value, op, { required: true, allowEmpty: false })!;
}
