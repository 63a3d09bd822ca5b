/** Connection helpers of the hot tier's own Redis client. */
import type { Redis } from 'ioredis';

/** `host:port` of a Redis URL, without credentials. */
export function describeRedisUrl(url: string | undefined): string {
  try {
    const u = new URL(url ?? 'redis://127.0.0.1:6379');
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return '(unparsable Redis URL)';
  }
}

/** Resolves when an ioredis client that is connecting becomes ready; rejects on timeout or end. */
export function waitUntilReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => done();
    const onEnd = () => done(new Error('connection ended'));
    const timer = setTimeout(() => done(new Error(`not ready after ${timeoutMs} ms`)), timeoutMs);
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}
