import { ColdTierStore } from '../../src/cold-tier/cold-tier.store.js';
import { StoreUnavailableError } from '../../src/errors/tiered-checkpoint.errors.js';
import { HotTierStore } from '../../src/hot-tier/hot-tier.store.js';

/** TLS and AUTH come from the URLs: `rediss://user:pass@...` and PostgreSQL's `sslmode`. */
describe('store TLS and AUTH from configuration', () => {
  it('turns a rediss:// URL into a TLS client with its credentials (never in errors)', async () => {
    const store = new HotTierStore({ redisUrl: 'rediss://svc-user:tls-pass-123@127.0.0.1:6379', keyPrefix: 'tctls' });
    const options = (store.client as unknown as { options: { tls?: unknown; username?: string; password?: string } }).options;
    expect(options.tls).toBeDefined();
    expect(options.username).toBe('svc-user');
    expect(options.password).toBe('tls-pass-123');
    // The local Redis speaks no TLS: the handshake fails, with a typed error and no password.
    const error = await store.connect().catch((e: unknown) => e);
    await store.close();
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String((error as Error).message)).not.toContain('tls-pass-123');
  });

  it('honours sslmode=require in DATABASE_URL (the local server has no TLS, so it refuses clearly)', async () => {
    const store = new ColdTierStore({ databaseUrl: 'postgresql://postgres:pg-pass-123@127.0.0.1:5432/test?sslmode=require', schema: 'tctls' });
    const error = await store.ping().catch((e: unknown) => e);
    await store.close();
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String((error as Error).message)).toMatch(/SSL|ssl|TLS/);
    expect(String((error as Error).message)).not.toContain('pg-pass-123');
  });
});
