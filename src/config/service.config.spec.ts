import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { InvalidOptionsError } from '../errors/tiered-checkpoint.errors.js';
import {
  CHECKPOINTER_CONFIG,
  SERVICE_CONFIG,
  ServiceConfigModule,
  enabledLogLevels,
  redactUrl,
  type ServiceSettings,
} from './service.config.js';
import type { TieredCheckpointOptions } from './tiered-checkpoint.options.js';

describe('ServiceConfigModule', () => {
  it('registers the checkpointer and service namespaces from the validated environment', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ServiceConfigModule.forRoot({
          env: {
            REDIS_URL: 'redis://127.0.0.1:6379',
            DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test',
            HOT_WINDOW_HOURS: '1.5',
            PORT: '0',
            LOG_LEVEL: 'debug',
          },
        }),
      ],
    }).compile();
    expect(moduleRef.get<TieredCheckpointOptions>(CHECKPOINTER_CONFIG)).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/test',
      hotWindowMs: 5_400_000,
    });
    expect(moduleRef.get<ServiceSettings>(SERVICE_CONFIG)).toEqual({ port: 0, host: '0.0.0.0', logLevel: 'debug', logFormat: 'json', shutdownGraceMs: 5000, adminToken: undefined });
    await moduleRef.close();
  });

  it('fails at boot with every problem listed', async () => {
    const failure = Test.createTestingModule({
      imports: [ServiceConfigModule.forRoot({ env: { REDIS_URL: 'redis://127.0.0.1:6379', PORT: 'http', MIGRATION_ENABLED: 'sometimes' } })],
    }).compile();
    await expect(failure).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(failure).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      problems: [
        'DATABASE_URL is required (a postgresql:// URL, e.g. postgresql://postgres@127.0.0.1:5432/test)',
        'MIGRATION_ENABLED must be true or false: got "sometimes"',
        'PORT must be a TCP port: got "http" (expected a whole number from 0 to 65535)',
      ],
    });
  });
});

describe('redactUrl', () => {
  it('keeps scheme, host, port and path and drops credentials and query', () => {
    expect(redactUrl('postgresql://app:s3cret@db.internal:5432/app?sslmode=require&password=s3cret')).toBe('postgresql://db.internal:5432/app');
    expect(redactUrl('rediss://default:s3cret@cache:6380')).toBe('rediss://cache:6380');
    expect(redactUrl('redis://127.0.0.1:6379/2')).toBe('redis://127.0.0.1:6379/2');
  });

  it('does not echo what it cannot parse', () => {
    expect(redactUrl('s3cret:not a url')).toBe('(unparsable URL)');
    expect(redactUrl('://user:s3cret@')).toBe('(unparsable URL)');
    expect(redactUrl(undefined)).toBe('(unset)');
  });
});

describe('enabledLogLevels', () => {
  it('enables the given level and every more severe one', () => {
    expect(enabledLogLevels('warn')).toEqual(['warn', 'error', 'fatal']);
    expect(enabledLogLevels('verbose')).toHaveLength(6);
  });
});
