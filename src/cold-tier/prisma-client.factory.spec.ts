import { StoreUnavailableError } from '../errors/tiered-checkpoint.errors.js';
import { describeDatabaseUrl, isPostgresUnavailable, redactDatabaseUrls, toColdTierError } from './prisma-client.factory.js';

describe('cold tier connection errors', () => {
  it('describes a URL without its password', () => {
    expect(describeDatabaseUrl('postgresql://app:s3cret@db.internal:6543/prod?sslmode=require')).toBe('db.internal:6543/prod as user "app"');
    expect(describeDatabaseUrl('postgres://localhost/test')).toBe('localhost:5432/test');
    expect(describeDatabaseUrl('not a url')).not.toContain('not a url');
  });

  it('redacts passwords of URLs inside messages', () => {
    expect(redactDatabaseUrls('failed for postgresql://u:p%40ss@h:1/db here')).toBe('failed for postgresql://u:***@h:1/db here');
  });

  it('maps driver-level connection failures to StoreUnavailableError', () => {
    const prismaLike = Object.assign(new Error('Raw query failed'), {
      code: 'P2010',
      meta: { driverAdapterError: Object.assign(new Error('DatabaseNotReachable'), { cause: { kind: 'DatabaseNotReachable', host: '10.0.0.1', port: 1 } }) },
    });
    const mapped = toColdTierError(prismaLike, 'setup()', 'postgresql://u:hunter2@10.0.0.1:1/db');
    expect(mapped).toBeInstanceOf(StoreUnavailableError);
    expect((mapped as Error).message).toContain('10.0.0.1:1/db');
    expect((mapped as Error).message).not.toContain('hunter2');
    expect((mapped as Error).cause).toBe(prismaLike);
  });

  it('recognises shutdowns, auth failures and node socket errors', () => {
    expect(isPostgresUnavailable({ meta: { driverAdapterError: { cause: { kind: 'postgres', code: '57P01' } } } })).toBe(true);
    expect(isPostgresUnavailable({ cause: { kind: 'AuthenticationFailed' } })).toBe(true);
    expect(isPostgresUnavailable(Object.assign(new Error('x'), { cause: Object.assign(new Error('y'), { code: 'ECONNREFUSED' }) }))).toBe(true);
    expect(isPostgresUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it('passes query errors through unchanged', () => {
    const syntax = { meta: { driverAdapterError: { cause: { kind: 'postgres', code: '42601', message: 'syntax error' } } } };
    expect(toColdTierError(syntax, 'list')).toBe(syntax);
    expect(isPostgresUnavailable(new Error('relation does not exist'))).toBe(false);
  });
});
